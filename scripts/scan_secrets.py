"""Scan every tracked file for secrets and fail on any the reviewed baseline does not clear.

`make audit` runs this offline. A finding passes only when `.secrets.baseline` holds it and a
reviewer marked it "not a secret" (`is_secret: false`); findings are matched by file, type and
hashed value, so moving a line does not break the check. After a new finding:

    .venv/bin/python scripts/scan_secrets.py --update      # add it to the baseline, unreviewed
    .venv/bin/detect-secrets audit .secrets.baseline        # review it: is it a secret?

and commit the baseline. A real secret is removed from the code (and rotated), never accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.core import baseline

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ".secrets.baseline"


def tracked_files(root: Path) -> list[str]:
    """Return the files git tracks or would add under `root`, but the baseline (it holds hashes)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in listed.split("\0") if name and name != BASELINE]


def scan(root: Path, files: Iterable[str], *, parallel: bool = True) -> SecretsCollection:
    """Return what the configured plugins find in `files` (paths relative to `root`).

    `parallel` scans in one forked process per core; a caller that runs threads (a test
    runner) passes False, since forking a multi-threaded process can deadlock.
    """
    found = SecretsCollection()
    # From inside `root`, so each finding is recorded under the relative name the baseline uses.
    with contextlib.chdir(root):
        names = [name for name in files if Path(name).is_file()]
        if parallel:
            found.scan_files(*names)
        else:
            for name in names:
                found.scan_file(name)
    return found


def load_baseline(root: Path) -> SecretsCollection:
    """Load the baseline and configure detect-secrets' plugins and filters from it."""
    return baseline.load(baseline.load_from_file(str(root / BASELINE)))


def problems(found: SecretsCollection, known: SecretsCollection) -> list[str]:
    """Return one line per finding that the baseline does not clear."""
    review = {(name, secret.type, secret.secret_hash): secret.is_secret for name, secret in known}
    lines = []
    for filename, secret in found:
        verdict = review.get((filename, secret.type, secret.secret_hash), "missing")
        if verdict is False:
            continue
        if verdict == "missing":
            why = "not in the baseline"
        elif verdict is None:
            why = "in the baseline but not reviewed"
        else:
            why = "marked a real secret: remove it from the code and rotate it"
        lines.append(f"{filename}:{secret.line_number}: {secret.type}, {why}")
    return lines


def write_baseline(root: Path, found: SecretsCollection, known: SecretsCollection) -> None:
    """Write `found` as the baseline, keeping every review already made."""
    found.merge(known)
    output = baseline.format_for_output(found)
    output.pop("generated_at", None)  # a date in it would change the file on every update
    (root / BASELINE).write_text(json.dumps(output, indent=2) + "\n")


def main(argv: list[str] | None = None, *, root: Path = ROOT, parallel: bool = True) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update", action="store_true", help="write the current findings into the baseline"
    )
    args = parser.parse_args(argv)
    known = load_baseline(root)
    files = tracked_files(root)
    found = scan(root, files, parallel=parallel)
    if args.update:
        write_baseline(root, found, known)
        print(f"Wrote {BASELINE}; review new findings with `detect-secrets audit {BASELINE}`.")
        return 0
    lines = problems(found, known)
    if lines:
        print("\n".join(lines))
        print(
            f"Secret scan: {len(lines)} finding(s) not cleared by {BASELINE}; what to do is at the"
        )
        print("top of scripts/scan_secrets.py.")
        return 1
    print(f"Secret scan: {len(files)} files, no secret outside the reviewed baseline.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
