"""Markers by folder, the real-server fixtures, and CI's rule that real-server tests must run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.support.sizing import slow_server_reason
from tools.testservers import ServerError, ServerUnavailable, TestServer, choose

_LAYERS = {
    "unit": ("unit",),
    "adapters": ("adapter",),
    "http": ("http",),
    "integration": ("integration",),
    "faults": ("faults", "integration"),
}
_IN_CI = os.environ.get("CI", "").lower() == "true"
EXTERNAL_URL_ENV = "REWARDS_TEST_MONGODB_URL"


class _RealServerTally:
    """Counts the real-server tests that passed, so CI can fail a run in which none did."""

    def __init__(self) -> None:
        self.passed = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed and "integration" in report.keywords:
            self.passed += 1

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        selected = any("integration" in item.keywords for item in session.items)
        if _IN_CI and selected and self.passed == 0 and exitstatus == 0:
            print("\nCI=true: no real-server (integration) test passed; failing the run.")
            session.exitstatus = 1


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_RealServerTally(), "rewards-real-server-tally")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for folder, markers in _LAYERS.items():
            if folder in parts:
                for marker in markers:
                    item.add_marker(marker)
        # Adapter tests parametrised over backends: the real-server half is an integration test.
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "real" in callspec.params.values():
            item.add_marker("integration")


def pytest_report_header() -> list[str]:
    server = EXTERNAL_URL_ENV if os.environ.get(EXTERNAL_URL_ENV) else choose().describe()
    lines = [f"real server: {server}"]
    if (slow := slow_server_reason()) is not None:
        lines.append(f"real-server suites sized down (fewer users, longer leases): {slow}")
    return lines


@pytest.fixture(scope="session")
def start_test_server() -> Iterator[Callable[[str], TestServer]]:
    """Starts a fresh test server (the one ``REWARDS_TEST_SERVER`` names) for ``purpose``,
    stopped at the end of the session; skips when none can be had, fails under CI=true.
    ``debug_addr``: where a FerretDB also serves Go's /debug/pprof."""
    started: list[TestServer] = []
    refusals: list[str] = []  # a failed build is not tried again for a second server

    def start(purpose: str, debug_addr: str | None = None) -> TestServer:
        if not refusals:
            try:
                server = choose().server(debug_addr=debug_addr)
                server.start()
                started.append(server)
                return server
            except (ServerUnavailable, ServerError) as exc:
                refusals.append(str(exc))
        reason = f"no real MongoDB-wire server for {purpose}: {refusals[0]}"
        if _IN_CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(f"{reason} (run tools/test-server --build, or set {EXTERNAL_URL_ENV})")

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def real_server_url(start_test_server: Callable[[str], TestServer]) -> str:
    """A MongoDB-wire server: REWARDS_TEST_MONGODB_URL if set, else one started here."""
    return os.environ.get(EXTERNAL_URL_ENV) or start_test_server("the real-server tests").url
