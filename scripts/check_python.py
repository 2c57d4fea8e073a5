"""Refuse, with one clear line, a Python older than pyproject.toml's `requires-python`.

`make install` runs this with the interpreter it is about to build the virtualenv from. It reads
the floor from pyproject.toml, so the two cannot disagree, and it keeps to syntax that old
interpreters parse, so they reach the message instead of a SyntaxError.
"""

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def minimum_version(pyproject_text):  # type: (str) -> tuple[int, int]
    """Return the (major, minor) floor of `requires-python = ">=X.Y"`."""
    found = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', pyproject_text, re.MULTILINE)
    if found is None:
        raise SystemExit('pyproject.toml must declare requires-python = ">=X.Y".')
    return int(found.group(1)), int(found.group(2))


def problem(version, minimum):  # type: (tuple[int, ...], tuple[int, int]) -> str | None
    """Return why `version` cannot run Emporium, or None when it can."""
    if tuple(version[:2]) >= minimum:
        return None
    return "Emporium needs Python {0}.{1} or newer; this is {2}.{3} (set PYTHON=python3.x).".format(
        minimum[0], minimum[1], version[0], version[1]
    )


if __name__ == "__main__":
    message = problem(tuple(sys.version_info[:2]), minimum_version(PYPROJECT.read_text()))
    if message:
        sys.exit(message)
