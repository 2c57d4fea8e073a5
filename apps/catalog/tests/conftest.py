"""Catalog test fixtures: a section of the terminal report for the search relevance figures."""

import pytest

_RELEVANCE_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture
def relevance_report(request: pytest.FixtureRequest) -> list[str]:
    """Return a list whose lines are printed under "search relevance" at the end of the run."""
    return request.config.stash.setdefault(_RELEVANCE_REPORT, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config):
    lines = config.stash.get(_RELEVANCE_REPORT, [])
    if lines:
        terminalreporter.write_sep("-", "search relevance")
        for line in lines:
            terminalreporter.write_line(line)
