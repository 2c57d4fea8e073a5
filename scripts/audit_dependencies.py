"""Check the locked requirements for known vulnerabilities with pip-audit.

`make audit` runs this over requirements/production.txt and requirements/dev.txt. It fails on
any known vulnerability that has a fixed release, unless `requirements/audit-allowlist.toml`
accepts it until a date that has not passed (an expired entry fails too). A vulnerability with
no fix yet is reported without failing. When pip-audit's vulnerability service cannot be
reached, so that no package could be audited, it says so in one line and exits 0: the offline
checks of `make audit` still gate, and this one gates again wherever the service answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ALLOWLIST = ROOT / "requirements" / "audit-allowlist.toml"
UNREACHABLE_HINTS = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "timed out")


@dataclass(frozen=True)
class Accepted:
    """A known vulnerability the team accepts until a date, for a stated reason."""

    id: str
    package: str
    reason: str
    until: dt.date


@dataclass
class Outcome:
    """What the audit found: lines to print and whether it fails."""

    lines: list[str] = field(default_factory=list)
    failed: bool = False


def load_allowlist(text: str) -> list[Accepted]:
    """Parse the allowlist; every entry needs id, package, reason and an `until` date."""
    entries = []
    for number, entry in enumerate(tomllib.loads(text).get("accepted", []), start=1):
        missing = {"id", "package", "reason", "until"} - entry.keys()
        if missing or not isinstance(entry["until"], dt.date):
            raise SystemExit(
                f"{ALLOWLIST.name}: entry {number} needs id, package, reason and until = YYYY-MM-DD"
                f" (missing: {', '.join(sorted(missing)) or 'a date in until'})."
            )
        entries.append(
            Accepted(entry["id"], entry["package"].lower(), entry["reason"], entry["until"])
        )
    return entries


def evaluate(
    report: dict[str, Any] | None, allowlist: Sequence[Accepted], *, today: dt.date
) -> Outcome:
    """Judge a pip-audit JSON report (None: pip-audit could not reach its service)."""
    outcome = Outcome()
    for entry in allowlist:
        if entry.until < today:
            outcome.failed = True
            outcome.lines.append(
                f"Allowlist entry {entry.id} ({entry.package}) expired on {entry.until}: "
                "upgrade the package, or renew the entry with a new date and reason."
            )
    dependencies = report.get("dependencies", []) if report else []
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    if len(skipped) == len(dependencies):
        reason = skipped[0]["skip_reason"] if skipped else "no answer from the service"
        outcome.lines.append(
            "pip-audit: NOT AUDITED, its vulnerability service could not be reached, so none of "
            f"the {len(skipped) or 'locked'} packages was checked for known vulnerabilities "
            f"({reason})."
        )
        return outcome
    active = {(entry.package, entry.id) for entry in allowlist if entry.until >= today}
    for dep in dependencies:
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            label = f"{dep['name']}=={dep['version']} {vuln['id']}"
            if any((dep["name"].lower(), vuln_id) in active for vuln_id in ids):
                outcome.lines.append(f"{label}: accepted in {ALLOWLIST.name}")
            elif vuln.get("fix_versions"):
                outcome.failed = True
                fixes = ", ".join(vuln["fix_versions"])
                outcome.lines.append(f"{label}: VULNERABLE, fixed in {fixes}")
            else:
                outcome.lines.append(f"{label}: known vulnerability with no fixed release yet")
    audited = len(dependencies) - len(skipped)
    summary = f"pip-audit: {audited} locked packages audited"
    if skipped:
        summary += (
            f", {len(skipped)} could not be audited ({', '.join(d['name'] for d in skipped)})"
        )
    outcome.lines.append(summary + ("." if not outcome.failed else "; see above."))
    return outcome


def run_pip_audit(requirements: Sequence[str], *, executable: str) -> dict[str, Any] | None:
    """Return pip-audit's JSON report, or None when its service could not be reached."""
    command = [executable, "--format", "json", "--progress-spinner", "off"]
    command += ["--no-deps", "--disable-pip"]  # the locks are complete: audit exactly them
    for requirement in requirements:
        command += ["--requirement", requirement]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        if any(hint in result.stderr for hint in UNREACHABLE_HINTS):
            return None
        raise SystemExit(f"pip-audit failed (exit {result.returncode}):\n{result.stderr}") from None
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", nargs="+", help="hash-pinned requirement files")
    parser.add_argument("--pip-audit", default="pip-audit", help="the pip-audit executable")
    args = parser.parse_args(argv)
    allowlist = load_allowlist(ALLOWLIST.read_text())
    report = run_pip_audit(args.requirements, executable=args.pip_audit)
    outcome = evaluate(report, allowlist, today=dt.datetime.now(dt.UTC).date())
    print("\n".join(outcome.lines))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
