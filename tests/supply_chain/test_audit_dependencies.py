"""pip-audit over the locks: fails on a fixable vulnerability, says so when nothing was audited."""

import datetime as dt
import json
import stat
import sys
from pathlib import Path

import pytest

from scripts import audit_dependencies as audit

TODAY = dt.date(2027, 3, 1)
ROOT = Path(__file__).resolve().parents[2]


def report(*dependencies):
    return {"dependencies": list(dependencies), "fixes": []}


def dep(name, version="1.0", *vulns):
    return {"name": name, "version": version, "vulns": list(vulns)}


def vuln(vuln_id, *fixes, aliases=()):
    return {"id": vuln_id, "fix_versions": list(fixes), "aliases": list(aliases), "description": ""}


def skipped(name):
    return {
        "name": name,
        "skip_reason": f"Dependency not found on PyPI and could not be audited: {name}",
    }


def accepted(vuln_id="GHSA-1", package="django", until=dt.date(2027, 4, 1)):
    return audit.Accepted(vuln_id, package, "not reachable from the shop", until)


def test_a_clean_report_passes_and_counts_what_was_audited():
    outcome = audit.evaluate(report(dep("django"), dep("celery")), [], today=TODAY)
    assert not outcome.failed
    assert outcome.lines == ["pip-audit: 2 locked packages audited."]


def test_a_vulnerability_with_a_fixed_release_fails():
    outcome = audit.evaluate(
        report(dep("django", "5.2.1", vuln("GHSA-1", "5.2.2"))), [], today=TODAY
    )
    assert outcome.failed
    assert "django==5.2.1 GHSA-1: VULNERABLE, fixed in 5.2.2" in outcome.lines


def test_an_unfixed_vulnerability_is_reported_without_failing():
    outcome = audit.evaluate(report(dep("django", "5.2.1", vuln("GHSA-9"))), [], today=TODAY)
    assert not outcome.failed
    assert "django==5.2.1 GHSA-9: known vulnerability with no fixed release yet" in outcome.lines


@pytest.mark.parametrize("listed", ["GHSA-1", "CVE-2027-1"])
def test_an_allowlisted_vulnerability_passes_by_id_or_alias_until_its_date(listed):
    found = report(dep("Django", "5.2.1", vuln("GHSA-1", "5.2.2", aliases=["CVE-2027-1"])))
    outcome = audit.evaluate(found, [accepted(listed)], today=TODAY)
    assert not outcome.failed
    assert any("accepted in audit-allowlist.toml" in line for line in outcome.lines)


def test_an_allowlist_entry_for_another_package_does_not_hide_a_vulnerability():
    found = report(dep("django", "5.2.1", vuln("GHSA-1", "5.2.2")))
    assert audit.evaluate(found, [accepted(package="celery")], today=TODAY).failed


def test_an_expired_allowlist_entry_fails_even_when_nothing_could_be_audited():
    entry = accepted(until=dt.date(2027, 2, 28))
    for found in (
        report(dep("django", "5.2.1", vuln("GHSA-1", "5.2.2"))),
        report(skipped("django")),
    ):
        outcome = audit.evaluate(found, [entry], today=TODAY)
        assert outcome.failed
        assert "Allowlist entry GHSA-1 (django) expired on 2027-02-28" in outcome.lines[0]


def test_when_every_package_was_skipped_it_says_so_in_one_line_and_passes():
    outcome = audit.evaluate(report(skipped("amqp"), skipped("django")), [], today=TODAY)
    assert not outcome.failed
    (line,) = outcome.lines
    assert line.startswith("pip-audit: NOT AUDITED, its vulnerability service could not be reached")
    assert "none of the 2 packages" in line


def test_a_partial_audit_names_what_was_skipped_and_still_gates():
    found = report(skipped("amqp"), dep("django", "5.2.1", vuln("GHSA-1", "5.2.2")))
    outcome = audit.evaluate(found, [], today=TODAY)
    assert outcome.failed
    assert (
        outcome.lines[-1]
        == "pip-audit: 1 locked packages audited, 1 could not be audited (amqp); see above."
    )


def test_the_allowlist_needs_a_reason_and_a_date():
    good = 'package = "django"\nid = "GHSA-1"\nreason = "r"\nuntil = 2027-04-01\n'
    assert audit.load_allowlist(f"[[accepted]]\n{good}") == [
        audit.Accepted("GHSA-1", "django", "r", dt.date(2027, 4, 1))
    ]
    with pytest.raises(SystemExit, match="missing: reason"):
        audit.load_allowlist(
            '[[accepted]]\nid = "GHSA-1"\npackage = "django"\nuntil = 2027-04-01\n'
        )
    with pytest.raises(SystemExit, match="a date in until"):
        audit.load_allowlist("[[accepted]]\n" + good.replace("2027-04-01", '"soon"'))
    assert audit.load_allowlist((ROOT / "requirements" / "audit-allowlist.toml").read_text()) == []


def fake_pip_audit(tmp_path: Path, *, stdout: str = "", stderr: str = "", code: int = 0) -> str:
    """An executable that answers like pip-audit and records the arguments it was given."""
    script = tmp_path / "pip-audit"
    script.write_text(
        f"#!{sys.executable}\nimport json, pathlib, sys\n"
        f"pathlib.Path({str(tmp_path / 'args.json')!r}).write_text(json.dumps(sys.argv[1:]))\n"
        f"sys.stdout.write({stdout!r}); sys.stderr.write({stderr!r}); sys.exit({code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_main_audits_the_given_locks_exactly_and_fails_on_a_fixable_vulnerability(tmp_path, capsys):
    found = report(dep("django", "5.2.1", vuln("GHSA-1", "5.2.2")))
    executable = fake_pip_audit(tmp_path, stdout=json.dumps(found), code=1)
    assert audit.main(["a.txt", "b.txt", "--pip-audit", executable]) == 1
    assert "VULNERABLE" in capsys.readouterr().out
    args = json.loads((tmp_path / "args.json").read_text())
    assert {"--no-deps", "--disable-pip"} <= set(args)
    assert [args[i + 1] for i, arg in enumerate(args) if arg == "--requirement"] == [
        "a.txt",
        "b.txt",
    ]


def test_main_treats_a_network_crash_as_not_audited(tmp_path, capsys):
    crash = (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443):"
        " Max retries exceeded"
    )
    executable = fake_pip_audit(tmp_path, stderr=crash, code=1)
    assert audit.main(["a.txt", "--pip-audit", executable]) == 0
    assert "NOT AUDITED" in capsys.readouterr().out


def test_main_fails_loudly_when_pip_audit_breaks_for_another_reason(tmp_path):
    executable = fake_pip_audit(tmp_path, stderr="error: unrecognized arguments", code=2)
    with pytest.raises(SystemExit, match="pip-audit failed \\(exit 2\\)"):
        audit.main(["a.txt", "--pip-audit", executable])
