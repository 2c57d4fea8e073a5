"""The hash-pinned locks agree with pyproject.toml, with each other and with what is installed.

Offline: the declarations come from pyproject.toml, each package's own requirements from the
metadata of the virtualenv `make install` built from requirements/dev.txt. `make lock-check`
is the online counterpart (it recompiles and diffs).
"""

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from scripts import lock

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK_NAMES = [entry.name for entry in lock.LOCKS]


@dataclass(frozen=True)
class Pin:
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self) -> bool:
        """Whether this pin is installed on the running interpreter and platform."""
        return self.marker is None or self.marker.evaluate()


def read_lock(name: str) -> dict[str, Pin]:
    """Parse a uv-compiled lock: `name==version ; marker \\` lines, then `--hash=` lines."""
    pins: dict[str, Pin] = {}
    text = (ROOT / "requirements" / name).read_text()
    for entry in re.split(r"\n(?=\S)", text):
        if entry.startswith("#") or not entry.strip():
            continue
        first, *rest = entry.replace("\\\n", "\n").splitlines()
        requirement = Requirement(first.strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", first
        hashes = sum(line.strip().startswith("--hash=sha256:") for line in rest)
        pins[canonicalize_name(requirement.name)] = Pin(
            Version(specifier.version), requirement.marker, hashes
        )
    return pins


def declared(name: str) -> list[Requirement]:
    """Return what pyproject.toml declares for one lock."""
    project = PYPROJECT["project"]
    if name == "pip.txt":
        texts = PYPROJECT["dependency-groups"]["installer"]
    else:
        extra = {"base.txt": [], "production.txt": ["production"], "dev.txt": ["dev"]}[name]
        texts = project["dependencies"] + [
            text for group in extra for text in project["optional-dependencies"][group]
        ]
    return [Requirement(text) for text in texts]


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether `requirement` holds here for a parent installed with `extras`."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def closure(roots: list[Requirement]) -> dict[str, list[Requirement]]:
    """Return every package `roots` need here, each with every requirement made of it."""
    needed: dict[str, list[Requirement]] = {}
    queue = [(root, set[str]()) for root in roots]
    expanded: set[tuple[str, frozenset[str]]] = set()
    while queue:
        requirement, parent_extras = queue.pop()
        if not applies(requirement, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        needed.setdefault(name, []).append(requirement)
        key = (name, frozenset(requirement.extras))
        if key in expanded:
            continue
        expanded.add(key)
        for text in metadata.distribution(name).requires or []:
            queue.append((Requirement(text), set(requirement.extras)))
    return needed


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_each_lock_holds_exactly_what_its_declarations_need(name):
    pins = read_lock(name)
    needed = closure(declared(name))

    missing = sorted(set(needed) - set(pins))
    assert not missing, f"{name} lacks {missing}: run `make lock`"
    for package, requirements in needed.items():
        for requirement in requirements:
            assert requirement.specifier.contains(pins[package].version, prereleases=True), (
                f"{name} pins {package}=={pins[package].version}, but {requirement} is declared"
            )
    unneeded = sorted(
        package for package, pin in pins.items() if pin.applies() and package not in needed
    )
    assert not unneeded, f"{name} pins {unneeded}, which nothing declared needs: `make lock`"


def test_the_virtualenv_holds_exactly_the_dev_lock():
    for package, pin in read_lock("dev.txt").items():
        if pin.applies():
            assert Version(metadata.version(package)) == pin.version, package


def test_locks_that_share_a_package_pin_the_same_version():
    locks = {name: read_lock(name) for name in LOCK_NAMES}
    for package, pin in locks["dev.txt"].items():
        for name, pins in locks.items():
            if package in pins:
                assert pins[package].version == pin.version, f"{package} in {name}"
    assert set(locks["base.txt"]) <= set(locks["production.txt"]) <= set(locks["dev.txt"])


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_every_pin_has_hashes_and_no_lock_names_an_index_or_a_path(name):
    text = (ROOT / "requirements" / name).read_text()
    assert all(pin.hashes >= 1 for pin in read_lock(name).values())
    assert (
        re.search(r"--(index-url|extra-index-url|find-links)|file:|://|\s/(work|root|tmp)/", text)
        is None
    )
    assert text.startswith(
        "# This file was autogenerated by uv via the following command:\n#    make lock\n"
    )


def test_make_install_puts_the_locked_pip_in_first():
    makefile = (ROOT / "Makefile").read_text()
    install = makefile.index("-r requirements/pip.txt")
    assert install < makefile.index("-r requirements/dev.txt")
    assert "--require-hashes --no-deps --only-binary :all:" in makefile
    assert Version(metadata.version("pip")) == read_lock("pip.txt")["pip"].version


def test_the_resolution_date_is_a_single_utc_moment_that_an_upgrade_moves():
    current = PYPROJECT["tool"]["uv"]["exclude-newer"]
    assert dt.datetime.fromisoformat(current).tzinfo == dt.UTC

    text = (ROOT / "pyproject.toml").read_text()
    moment = dt.datetime(2027, 6, 1, 12, 30, 15, 999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    updated = lock.set_resolution_date(text, moment)
    assert tomllib.loads(updated)["tool"]["uv"]["exclude-newer"] == "2027-06-01T10:30:15Z"
    assert updated.replace("2027-06-01T10:30:15Z", current) == text
    with pytest.raises(SystemExit, match="exactly one"):
        lock.set_resolution_date(text.replace("exclude-newer", "exclude-older"), moment)


def test_each_lock_is_compiled_universally_and_keeps_the_pins_before_it():
    commands = {
        entry.name: lock.compile_command(entry, uv="uv", upgrade=False) for entry in lock.LOCKS
    }
    assert all(
        "--universal" in command and "--generate-hashes" in command for command in commands.values()
    )
    assert all("--no-emit-index-url" in command for command in commands.values())
    dev = commands["dev.txt"]
    assert dev[dev.index("--extra") + 1] == "dev"
    assert [dev[i + 1] for i, arg in enumerate(dev) if arg == "--constraint"] == [
        "requirements/production.txt",
        "requirements/pip.txt",
    ]
    assert "--upgrade" in lock.compile_command(lock.LOCKS[1], uv="uv", upgrade=True)
