"""How many users the real-server suites seed: their full size, unless the test server is one on
which that would take too long (FerretDB on SQLite scans a collection for every filter but a
bare ``_id``, so a month's guarded updates grow quadratic in the population)."""

from __future__ import annotations

import os

from tools.testservers import choose


def population(full: int, reduced: int, override_env: str) -> int:
    """``override_env``'s value if set; else ``full`` on a real MongoDB or a server that scales,
    ``reduced`` on a slow one."""
    if raw := os.environ.get(override_env):
        return int(raw)
    if os.environ.get("REWARDS_TEST_MONGODB_URL"):
        return full
    return full if choose().slow_reason is None else reduced
