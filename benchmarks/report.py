"""The JSON report: the machine, and each target of issue #4 with its value, limit and verdict
(None where the run did not measure it)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from benchmarks.ours import REPO_ROOT

# Issue 12's targets (FerretDB on PostgreSQL, 2 cores, one run side by side).
OURS_OVER_FLOOR_LIMIT = 1.5  # at 20k and 100k users, against the best concurrent floor
OURS_OVER_FLOOR_SIZES = (20_000, 100_000)
NAIVE_OVER_OURS_WANTED = 2.5  # at 20k users
NAIVE_SIZE = 20_000
MILLION = 1_000_000
MILLION_SECONDS_LIMIT = 1200.0
RSS_LIMIT_MB = 400.0
TRIGGER_P99_LIMIT_MS = 50.0


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    """Where and on which code the figures were taken (uncommitted changes in src/ included)."""
    changes = _git("status", "--porcelain", "src", "migrations")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes_in_src": None if changes is None else bool(changes),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def _at(rows: list[dict[str, Any]], users: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["users"] == users), None)


def _p99(latency: dict[str, Any] | None, name: str, *, running: bool) -> dict[str, Any]:
    if latency is None:
        return {"value_ms": None, "limit_ms": TRIGGER_P99_LIMIT_MS, "pass": None}
    window = latency[name]
    p99 = window["p99_ms"]
    found = {"value_ms": p99, "limit_ms": TRIGGER_P99_LIMIT_MS}
    ok = p99 <= TRIGGER_P99_LIMIT_MS and window["non_2xx"] == 0
    if running:
        # The month ran through the window, and paid users over the windows: it yields to the
        # clients, it never stops.
        found["month_running_throughout"] = window["month_running_throughout"]
        found["users_paid_while_measured"] = paid = latency["users_paid_while_measured"]
        ok = ok and window["month_running_throughout"] and paid > 0
    return {**found, "pass": ok}


def targets(
    end_to_end: list[dict[str, Any]],
    floor: list[dict[str, Any]],
    naive: dict[str, Any] | None,
    latency: dict[str, Any] | None,
    latency_while_running: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Each target with its value, limit and `pass` (None where this run did not measure it)."""
    found: dict[str, Any] = {}
    for users in OURS_OVER_FLOOR_SIZES:
        row = _at(floor, users)
        found[f"ours_over_concurrent_floor_at_{users}"] = {
            "value": None if row is None else row["ours_over_floor"],
            "best_concurrency": None if row is None else row["best_concurrency"],
            "limit": OURS_OVER_FLOOR_LIMIT,
            "pass": None if row is None else row["ours_over_floor"] <= OURS_OVER_FLOOR_LIMIT,
        }
    ratio = None if naive is None else float(naive["naive_over_ours"])
    found["naive_over_ours_at_20k"] = {
        "value": ratio,
        "users": None if naive is None else naive["users"],
        "limit": NAIVE_OVER_OURS_WANTED,
        "pass": None
        if naive is None or ratio is None or naive["users"] != NAIVE_SIZE
        else ratio >= NAIVE_OVER_OURS_WANTED,
    }
    million = _at(end_to_end, MILLION)
    found["million_end_to_end"] = {
        "wall_seconds": None if million is None else million["wall_seconds"],
        "limit_seconds": MILLION_SECONDS_LIMIT,
        "verified": None if million is None else million["verified"],
        "pass": None
        if million is None
        else million["verified"] and million["wall_seconds"] <= MILLION_SECONDS_LIMIT,
    }
    found["peak_rss_at_1m"] = {
        "value_mb": None if million is None else million["peak_rss_mb"],
        "limit_mb": RSS_LIMIT_MB,
        "pass": None if million is None else million["peak_rss_mb"] <= RSS_LIMIT_MB,
    }
    if len(end_to_end) >= 2:
        small, large = end_to_end[0], end_to_end[-1]
        found["rss_grows_at_most_linearly"] = {
            "peak_rss_mb_by_users": {r["users"]: r["peak_rss_mb"] for r in end_to_end},
            "pass": large["peak_rss_mb"] / small["peak_rss_mb"] <= large["users"] / small["users"],
        }
    for name in ("trigger_post", "status_get"):
        found[f"{name}_p99_while_a_month_runs"] = _p99(latency_while_running, name, running=True)
        found[f"{name}_p99_completed_month"] = _p99(latency, name, running=False)
    return found


def rounded(value: Any) -> Any:
    """Floats to 3 decimals, recursively: milliseconds and ratios need no more."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value
