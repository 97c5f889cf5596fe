"""Markers by folder, the real-server fixture, and CI's rule that real-server tests must run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.real_server import (
    RealServerError,
    RealServerUnavailable,
    describe,
    start_real_server,
)

_LAYERS = {
    "unit": ("unit",),
    "adapters": ("adapter",),
    "http": ("http",),
    "integration": ("integration",),
    "faults": ("faults", "integration"),
}
_IN_CI = os.environ.get("CI", "").lower() == "true"
_integration_passed = 0


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


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _integration_passed
    if report.when == "call" and report.passed and "integration" in report.keywords:
        _integration_passed += 1


def pytest_report_header() -> str:
    if os.environ.get("REWARDS_TEST_MONGODB_URL"):
        return "real server: REWARDS_TEST_MONGODB_URL"
    return f"real server: {describe()}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    selected_integration = any("integration" in item.keywords for item in session.items)
    if _IN_CI and selected_integration and _integration_passed == 0 and exitstatus == 0:
        print("\nCI=true: no real-server (integration) test passed; failing the run.")
        session.exitstatus = 1


@pytest.fixture(scope="session")
def real_server_url() -> Iterator[str]:
    """A MongoDB-wire server: REWARDS_TEST_MONGODB_URL if set, else FerretDB started here."""
    external = os.environ.get("REWARDS_TEST_MONGODB_URL")
    if external:
        yield external
        return
    try:
        with start_real_server() as url:
            yield url
    except (RealServerUnavailable, RealServerError) as exc:
        if _IN_CI:
            pytest.fail(f"CI=true and no real server could be started: {exc}")
        pytest.skip(
            f"no real MongoDB-wire server: {exc} (run tools/test-server --build, "
            "or set REWARDS_TEST_MONGODB_URL)"
        )
