"""The secret scan: a finding fails until the reviewed baseline clears it, wherever it moves."""

import json
import subprocess
from pathlib import Path

import pytest

from scripts import scan_secrets

# Built at run time so that this file itself holds no key for the scanner to find.
FAKE_AWS_KEY = "AKIA" + "Q3EMPORIUMFAKE77"
REPOSITORY_BASELINE = Path(scan_secrets.ROOT) / scan_secrets.BASELINE


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with one clean file and the project's baseline settings, no findings."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    settings = json.loads(REPOSITORY_BASELINE.read_text())
    settings["results"] = {}
    (tmp_path / scan_secrets.BASELINE).write_text(json.dumps(settings, indent=2) + "\n")
    (tmp_path / "clean.py").write_text("GREETING = 'hello'\n")
    return tmp_path


def plant(repo: Path, *, lines_above: int = 0) -> None:
    above = "".join(f"line_{n} = {n}\n" for n in range(lines_above))
    (repo / "settings.py").write_text(f"{above}AWS_KEY_ID = '{FAKE_AWS_KEY}'\n")


def review(repo: Path, verdict: bool) -> None:
    baseline = json.loads((repo / scan_secrets.BASELINE).read_text())
    for findings in baseline["results"].values():
        for finding in findings:
            finding["is_secret"] = verdict
    (repo / scan_secrets.BASELINE).write_text(json.dumps(baseline))


def test_a_clean_tree_passes(repo, capsys):
    assert scan_secrets.main([], root=repo, parallel=False) == 0
    assert "no secret outside the reviewed baseline" in capsys.readouterr().out


def test_a_new_key_fails_naming_the_file_and_line_even_before_git_add(repo, capsys):
    plant(repo)
    assert scan_secrets.main([], root=repo, parallel=False) == 1
    assert "settings.py:1: AWS Access Key, not in the baseline" in capsys.readouterr().out


def test_an_added_but_unreviewed_finding_still_fails(repo, capsys):
    plant(repo)
    assert scan_secrets.main(["--update"], root=repo, parallel=False) == 0
    stored = json.loads((repo / scan_secrets.BASELINE).read_text())
    assert list(stored["results"]) == ["settings.py"]
    assert "generated_at" not in stored

    assert scan_secrets.main([], root=repo, parallel=False) == 1
    assert "in the baseline but not reviewed" in capsys.readouterr().out


def test_a_cleared_finding_passes_after_its_line_moves_and_an_update_keeps_the_review(repo):
    plant(repo)
    scan_secrets.main(["--update"], root=repo, parallel=False)
    review(repo, verdict=False)
    assert scan_secrets.main([], root=repo, parallel=False) == 0

    plant(repo, lines_above=5)
    assert scan_secrets.main([], root=repo, parallel=False) == 0
    scan_secrets.main(["--update"], root=repo, parallel=False)
    (finding,) = json.loads((repo / scan_secrets.BASELINE).read_text())["results"]["settings.py"]
    assert (finding["line_number"], finding["is_secret"]) == (6, False)


def test_a_finding_reviewed_as_real_fails(repo, capsys):
    plant(repo)
    scan_secrets.main(["--update"], root=repo, parallel=False)
    review(repo, verdict=True)
    assert scan_secrets.main([], root=repo, parallel=False) == 1
    assert "marked a real secret" in capsys.readouterr().out


def test_the_committed_baseline_is_fully_reviewed_and_clears_nothing_real():
    results = json.loads(REPOSITORY_BASELINE.read_text())["results"]
    findings = [finding for entries in results.values() for finding in entries]
    assert findings
    assert all(finding.get("is_secret") is False for finding in findings)
