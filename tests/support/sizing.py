"""How big and how patient the real-server suites are: full size, unless the test server scans
a collection for every guarded update (FerretDB on SQLite, mongo-java-server's memory backend),
where a month's updates grow quadratic in the population and a chunk of them can outlast a
2-second lease on a busy machine."""

from __future__ import annotations

import os

from tools.testservers import choose


def slow_server_reason() -> str | None:
    """Why the suites are sized down on this server, or None when they run at full size."""
    if os.environ.get("REWARDS_TEST_MONGODB_URL"):
        return None
    return choose().slow_reason


def population(full: int, reduced: int) -> int:
    """``full`` users, or ``reduced`` on a slow server."""
    return full if slow_server_reason() is None else reduced


def lease_seconds(full: float, slow: float) -> float:
    """The fault suite's lease: ``full`` on a server that scales, ``slow`` where a chunk of
    guarded updates can take longer than a third of ``full``."""
    return full if slow_server_reason() is None else slow
