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

OURS_OVER_FLOOR_LIMIT = 2.0
NAIVE_CAPTURE_SHARE = 0.5
NAIVE_SPEEDUP_WANTED = 20.0
RSS_LIMIT_MB = 1536.0
RSS_TARGET_USERS = 1_000_000
TRIGGER_P99_LIMIT_MS = 50.0
FLATNESS_LIMIT = 1.5  # our reading of "should stay flat": s/1k varies by at most 50%


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


def targets(
    end_to_end: list[dict[str, Any]],
    floor: list[dict[str, Any]],
    naive: dict[str, Any] | None,
    latency: dict[str, Any] | None,
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if floor:
        row = _at(floor, 100_000) or max(floor, key=lambda r: r["users"])
        ratio = row["ours_over_floor"]
        found["ours_over_floor_at_100k"] = {
            "users": row["users"],
            "value": ratio,
            "limit": OURS_OVER_FLOOR_LIMIT,
            "pass": ratio <= OURS_OVER_FLOOR_LIMIT,
        }
    if naive is not None:
        wanted = NAIVE_CAPTURE_SHARE * naive["naive_over_floor"]
        found["naive_over_ours_vs_half_naive_over_floor"] = {
            "users": naive["users"],
            "naive_over_ours": naive["naive_over_ours"],
            "naive_over_floor": naive["naive_over_floor"],
            "required": wanted,
            "pass": naive["naive_over_ours"] >= wanted,
        }
        found["naive_over_ours_at_least_20x"] = {
            "value": naive["naive_over_ours"],
            "limit": NAIVE_SPEEDUP_WANTED,
            "server_allows_it": naive["naive_over_floor"] >= NAIVE_SPEEDUP_WANTED,
            "pass": naive["naive_over_ours"] >= NAIVE_SPEEDUP_WANTED,
        }
    million = _at(end_to_end, RSS_TARGET_USERS)
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
        per_1k = {r["users"]: r["seconds_per_1k_users"] for r in end_to_end}
        spread = max(per_1k.values()) / min(per_1k.values())
        found["seconds_per_1k_flatness"] = {
            "seconds_per_1k_by_users": per_1k,
            "max_over_min": spread,
            "limit": FLATNESS_LIMIT,
            "pass": spread <= FLATNESS_LIMIT,
        }
    if latency is not None:
        for name in ("trigger_post", "status_get"):
            p99 = latency[name]["p99_ms"]
            found[f"{name}_p99"] = {
                "value_ms": p99,
                "limit_ms": TRIGGER_P99_LIMIT_MS,
                "pass": p99 <= TRIGGER_P99_LIMIT_MS and latency[name]["non_2xx"] == 0,
            }
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
