"""The job's results, progress, lease and attempts as plain dicts: the shape SPEC §6-7 defines,
used both for storage and for the status answers, so the two never drift apart. Timestamps stay
datetimes here; the HTTP layer formats them. Reading the lease and attempts back is the mappers'
work (infrastructure/mongo/mappers.py): stored timestamps need the time zone put back."""

from __future__ import annotations

from typing import Any

from domain.job import (
    Attempt,
    CategoryProgress,
    CategoryResult,
    JobResults,
    Lease,
    Phase,
    Progress,
    RewardError,
    TierTally,
)


def results_to_dict(results: JobResults) -> dict[str, Any]:
    return {
        "categories": {
            name: {
                "participants": c.participants,
                "rewardsAwarded": c.rewards_awarded,
                "coinsAwarded": c.coins_awarded,
                "rewardsFailed": c.rewards_failed,
                "tiers": {t: {"count": v.count, "coins": v.coins} for t, v in c.tiers.items()},
            }
            for name, c in results.categories.items()
        },
        "totalRewardsAwarded": results.total_rewards_awarded,
        "totalCoinsAwarded": results.total_coins_awarded,
        "errors": [
            {"category": e.category, "userId": e.user_id, "rank": e.rank, "reason": e.reason}
            for e in results.errors
        ],
        "errorsTotal": results.errors_total,
    }


def results_from_dict(raw: dict[str, Any]) -> JobResults:
    categories = {
        name: CategoryResult(
            participants=c.get("participants", 0),
            rewards_awarded=c.get("rewardsAwarded", 0),
            coins_awarded=c.get("coinsAwarded", 0),
            rewards_failed=c.get("rewardsFailed", 0),
            tiers={t: TierTally(v["count"], v["coins"]) for t, v in c.get("tiers", {}).items()},
        )
        for name, c in raw.get("categories", {}).items()
    }
    errors = [
        RewardError(e["category"], e["userId"], e["rank"], e["reason"])
        for e in raw.get("errors", [])
    ]
    return JobResults(categories, errors, raw.get("errorsTotal", len(errors)))


def progress_to_dict(progress: Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase.value,
        "category": progress.category,
        "categories": {
            name: {"processed": p.processed, "total": p.total}
            for name, p in progress.categories.items()
        },
    }


def progress_from_dict(raw: dict[str, Any]) -> Progress:
    return Progress(
        phase=Phase(raw.get("phase", Phase.QUEUED.value)),
        category=raw.get("category"),
        categories={
            name: CategoryProgress(p["processed"], p["total"])
            for name, p in raw.get("categories", {}).items()
        },
    )


def lease_to_dict(lease: Lease | None) -> dict[str, Any] | None:
    if lease is None:
        return None
    return {"owner": lease.owner, "expiresAt": lease.expires_at, "heartbeatAt": lease.heartbeat_at}


def attempt_to_dict(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.number,
        "kind": attempt.kind.value,
        "owner": attempt.owner,
        "startedAt": attempt.started_at,
        "endedAt": attempt.ended_at,
        "outcome": attempt.outcome.value,
        "errorMessage": attempt.error_message,
    }
