"""The Python floor: pyproject.toml declares it, `make install` enforces it, the docs state it."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scripts import check_python

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text()
FLOOR = check_python.minimum_version(PYPROJECT_TEXT)


def test_the_floor_is_read_from_requires_python():
    assert tomllib.loads(PYPROJECT_TEXT)["project"]["requires-python"] == ">={}.{}".format(*FLOOR)
    assert check_python.minimum_version('[project]\nrequires-python = ">=3.13"\n') == (3, 13)
    with pytest.raises(SystemExit, match="requires-python"):
        check_python.minimum_version('[project]\nname = "x"\n')


@pytest.mark.parametrize(
    ("version", "verdict"),
    [
        ((3, 10, 13), "Emporium needs Python 3.11 or newer; this is 3.10"),
        ((3, 11, 0), None),
        ((3, 13, 1), None),
        ((2, 7, 18), "this is 2.7"),
    ],
)
def test_an_older_interpreter_gets_one_clear_line(version, verdict):
    message = check_python.problem(version, (3, 11))
    if verdict is None:
        assert message is None
    else:
        assert message is not None
        assert verdict in message


def test_the_running_interpreter_passes_and_the_script_exits_quietly():
    result = subprocess.run(
        [sys.executable, "scripts/check_python.py"], cwd=ROOT, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_make_install_runs_the_check_and_the_docs_and_classifiers_agree():
    assert "$(PYTHON) scripts/check_python.py" in (ROOT / "Makefile").read_text()
    floor = "{}.{}".format(*FLOOR)
    assert f"Python {floor} or newer" in (ROOT / "README.md").read_text()
    classifiers = tomllib.loads(PYPROJECT_TEXT)["project"]["classifiers"]
    prefix = "Programming Language :: Python :: "
    versions = [c.removeprefix(prefix) for c in classifiers if c.startswith(prefix) and "." in c]
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == floor
    # CI installs and tests with the oldest supported interpreter, read from the same line.
    ci = (ROOT / ".ci" / "run").read_text()
    (floor_line,) = [line for line in ci.splitlines() if line.startswith("floor=")]
    computed = subprocess.run(
        ["bash", "-c", f'{floor_line}; echo "$floor"'], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert computed == floor
    assert 'ci_python="python$floor"' in ci
    assert 'make install PYTHON="$ci_python"' in ci
