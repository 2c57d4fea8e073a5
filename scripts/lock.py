"""Compile the hash-pinned locks in requirements/ from the declarations in pyproject.toml.

`make lock` runs this: it keeps every pin that still satisfies the declarations, so running it
twice changes nothing. `--upgrade` (`make lock-upgrade`) first moves the resolution date in
`[tool.uv] exclude-newer` to now and takes the newest releases up to it. `--check`
(`make lock-check`) compiles into a scratch folder and fails if the result differs from the
committed locks. See docs/decisions/0004-reproducible-install.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
EXCLUDE_NEWER = re.compile(r'^(exclude-newer = ")([^"]+)(")$', re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    """One lock file and what it is compiled from."""

    name: str
    selection: tuple[str, ...]  # uv arguments choosing the declared dependencies
    constraints: tuple[str, ...] = ()  # earlier locks whose pins this one must keep


# In this order: production keeps base's pins and dev keeps production's (and the installer's
# pip, which pip-audit needs), so the tests run exactly the versions that ship.
LOCKS = (
    Lock("pip.txt", ("--group", "installer")),
    Lock("base.txt", ()),
    Lock("production.txt", ("--extra", "production"), constraints=("base.txt",)),
    Lock("dev.txt", ("--extra", "dev"), constraints=("production.txt", "pip.txt")),
)


def compile_command(lock: Lock, *, uv: str, upgrade: bool) -> list[str]:
    """Return the uv command that writes `requirements/<lock.name>` from pyproject.toml."""
    source = [] if lock.name == "pip.txt" else ["pyproject.toml"]
    command = [uv, "pip", "compile", *source, *lock.selection, "--universal", "--quiet"]
    command += ["--generate-hashes", "--no-emit-index-url", "--no-emit-find-links"]
    command += [
        "--custom-compile-command",
        "make lock",
        "--output-file",
        f"requirements/{lock.name}",
    ]
    for constraint in lock.constraints:
        command += ["--constraint", f"requirements/{constraint}"]
    if upgrade:
        command.append("--upgrade")
    return command


def compile_locks(root: Path, *, uv: str, upgrade: bool = False) -> None:
    """Write every lock under `root`/requirements, in dependency order."""
    for lock in LOCKS:
        subprocess.run(compile_command(lock, uv=uv, upgrade=upgrade), cwd=root, check=True)


def set_resolution_date(text: str, moment: dt.datetime) -> str:
    """Return pyproject text whose `[tool.uv] exclude-newer` is `moment` (UTC, whole seconds)."""
    stamp = moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    updated, count = EXCLUDE_NEWER.subn(rf"\g<1>{stamp}\g<3>", text)
    if count != 1:
        raise SystemExit('pyproject.toml needs exactly one `exclude-newer = "…"` line.')
    return updated


def changed_locks(root: Path, scratch: Path) -> dict[str, list[str]]:
    """Return, per lock that differs between two trees, the unified diff from `root`'s."""
    changed = {}
    for lock in LOCKS:
        path = root / "requirements" / lock.name
        committed = path.read_text().splitlines(keepends=True) if path.exists() else []
        fresh = (scratch / "requirements" / lock.name).read_text().splitlines(keepends=True)
        diff = list(difflib.unified_diff(committed, fresh, f"requirements/{lock.name}", "compiled"))
        if diff:
            changed[lock.name] = diff
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--upgrade", action="store_true", help="resolve as of now, newest releases")
    mode.add_argument("--check", action="store_true", help="fail if the locks are out of date")
    parser.add_argument("--uv", default="uv", help="the uv executable")
    args = parser.parse_args(argv)
    uv = str(Path(args.uv).resolve()) if Path(args.uv).exists() else args.uv
    pyproject = PYPROJECT.read_text()
    if args.upgrade:
        pyproject = set_resolution_date(pyproject, dt.datetime.now(dt.UTC))
    # Compile in a scratch copy, then replace only what changed (and only once uv succeeded): an
    # untouched lock keeps its timestamp, so `make install` does not rebuild the virtualenv.
    with tempfile.TemporaryDirectory(prefix="emporium-lock-") as tmp:
        scratch = Path(tmp)
        (scratch / "pyproject.toml").write_text(pyproject)
        shutil.copytree(ROOT / "requirements", scratch / "requirements")
        compile_locks(scratch, uv=uv, upgrade=args.upgrade)
        changed = changed_locks(ROOT, scratch)
        if args.check:
            for diff in changed.values():
                sys.stdout.writelines(diff)
            if changed:
                print("The locks do not match pyproject.toml: run `make lock` and commit them.")
                return 1
            print("The locks match pyproject.toml.")
            return 0
        for name in changed:
            shutil.copy2(scratch / "requirements" / name, ROOT / "requirements" / name)
    if pyproject != PYPROJECT.read_text():
        PYPROJECT.write_text(pyproject)
    print(f"Updated: {', '.join(changed)}." if changed else "The locks were already up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
