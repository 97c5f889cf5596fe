"""Plain mapping functions between stored documents and domain objects, both ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from beanie import PydanticObjectId
from bson import ObjectId

from domain.job import (
    Attempt,
    AttemptKind,
    AttemptOutcome,
    CategoryProgress,
    CategoryResult,
    JobResults,
    JobStatus,
    Lease,
    MonthlyRewardJob,
    Phase,
    Progress,
    RewardError,
    TierTally,
)
from domain.period import Period
from domain.ranking import RankedEntry
from domain.reward import Reward, RewardStatus
from domain.snapshot import RankingSnapshot, SnapshotStatus
from infrastructure.mongo.documents import JobDocument, SnapshotDocument


def user_id_to_db(user_id: str) -> Any:
    """Users' `_id`s are ObjectIds in the main app; the domain carries them as hex text."""
    return ObjectId(user_id) if ObjectId.is_valid(user_id) else user_id


def user_id_from_db(raw: Any) -> str:
    return str(raw)


def aware(moment: datetime | None) -> datetime | None:
    """PyMongo returns naive UTC datetimes unless told otherwise; the domain wants aware ones."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _required(moment: datetime | None) -> datetime:
    value = aware(moment)
    if value is None:
        raise ValueError("a required timestamp is missing from the stored record")
    return value


def job_to_document(job: MonthlyRewardJob) -> JobDocument:
    return JobDocument(
        id=PydanticObjectId(job.id),
        **job_fields(job),
    )


def job_fields(job: MonthlyRewardJob) -> dict[str, Any]:
    return {
        "month": job.period.month,
        "year": job.period.year,
        "status": job.status.value,
        "startedAt": job.started_at,
        "completedAt": job.completed_at,
        "duration": job.duration,
        "results": results_to_doc(job.results),
        "progress": progress_to_doc(job.progress),
        "errorMessage": job.error_message,
        "errorStack": job.error_stack,
        "attempts": job.epoch,
        "lease": lease_to_doc(job.lease),
        "attemptHistory": [attempt_to_doc(a) for a in job.history],
        "progressedAt": job.progressed_at,
    }


def job_from_document(doc: JobDocument) -> MonthlyRewardJob:
    return MonthlyRewardJob(
        id=str(doc.id),
        period=Period(year=doc.year, month=doc.month),
        status=JobStatus(doc.status),
        started_at=_required(doc.startedAt),
        completed_at=aware(doc.completedAt),
        duration=doc.duration,
        results=results_from_doc(doc.results),
        progress=progress_from_doc(doc.progress),
        error_message=doc.errorMessage,
        error_stack=doc.errorStack,
        epoch=doc.attempts,
        lease=_lease(doc.lease),
        history=[_attempt(a) for a in doc.attemptHistory],
        progressed_at=aware(doc.progressedAt),
    )


def _lease(raw: dict[str, Any] | None) -> Lease | None:
    if not raw:
        return None
    return Lease(raw["owner"], _required(raw["expiresAt"]), _required(raw["heartbeatAt"]))


def _attempt(raw: dict[str, Any]) -> Attempt:
    return Attempt(
        number=raw["attempt"],
        kind=AttemptKind(raw["kind"]),
        owner=raw["owner"],
        started_at=_required(raw["startedAt"]),
        ended_at=aware(raw.get("endedAt")),
        outcome=AttemptOutcome(raw["outcome"]),
        error_message=raw.get("errorMessage"),
    )


# The job's parts as stored; the HTTP answers have their own shapes (interfaces/http/presenters.py).


def results_to_doc(results: JobResults) -> dict[str, Any]:
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


def results_from_doc(raw: dict[str, Any]) -> JobResults:
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


def progress_to_doc(progress: Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase.value,
        "category": progress.category,
        "categories": {
            name: {"processed": p.processed, "total": p.total}
            for name, p in progress.categories.items()
        },
    }


def progress_from_doc(raw: dict[str, Any]) -> Progress:
    return Progress(
        phase=Phase(raw.get("phase", Phase.QUEUED.value)),
        category=raw.get("category"),
        categories={
            name: CategoryProgress(p["processed"], p["total"])
            for name, p in raw.get("categories", {}).items()
        },
    )


def lease_to_doc(lease: Lease | None) -> dict[str, Any] | None:
    if lease is None:
        return None
    return {"owner": lease.owner, "expiresAt": lease.expires_at, "heartbeatAt": lease.heartbeat_at}


def attempt_to_doc(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.number,
        "kind": attempt.kind.value,
        "owner": attempt.owner,
        "startedAt": attempt.started_at,
        "endedAt": attempt.ended_at,
        "outcome": attempt.outcome.value,
        "errorMessage": attempt.error_message,
    }


def snapshot_from_document(doc: SnapshotDocument) -> RankingSnapshot:
    return RankingSnapshot(
        id=str(doc.id),
        period=Period(year=doc.year, month=doc.month),
        category=doc.category,
        status=SnapshotStatus(doc.status),
        created_at=_required(doc.createdAt),
        total_participants=doc.totalParticipants,
        frozen_at=aware(doc.frozenAt),
    )


def entry_to_raw(snapshot_id: str, entry: RankedEntry) -> dict[str, Any]:
    return {
        "_id": f"{snapshot_id}:{entry.rank:09d}",
        "snapshotId": snapshot_id,
        "rank": entry.rank,
        "userId": user_id_to_db(entry.user_id),
        "name": entry.name,
        "email": entry.email,
        "score": entry.score,
        "xp": entry.xp,
        "createdAt": entry.created_at,
    }


def entry_from_raw(raw: dict[str, Any]) -> RankedEntry:
    return RankedEntry(
        rank=raw["rank"],
        user_id=user_id_from_db(raw["userId"]),
        name=raw.get("name"),
        email=raw.get("email"),
        score=raw["score"],
        xp=raw["xp"],
        created_at=aware(raw.get("createdAt")),
    )


def badge_to_raw(reward: Reward) -> dict[str, Any]:
    badge = reward.badge
    return {
        "name": badge.name,
        "category": badge.category,
        "month": badge.month,
        "year": badge.year,
        "tier": badge.tier,
        "rank": badge.rank,
        "earnedAt": badge.earned_at,
    }


def reward_to_raw(reward: Reward) -> dict[str, Any]:
    return {
        "_id": reward.key,
        "userId": user_id_to_db(reward.user_id),
        "month": reward.period.month,
        "year": reward.period.year,
        "category": reward.category,
        "rank": reward.rank,
        "tier": reward.tier,
        "coins": reward.coins,
        "badge": badge_to_raw(reward),
        "snapshotId": reward.snapshot_id,
        "status": reward.status.value,
        "createdAt": reward.created_at,
        "awardedAt": reward.awarded_at,
        "failureReason": reward.failure_reason,
        "paidByAttempt": reward.paid_by_attempt,
    }


def reward_from_raw(raw: dict[str, Any]) -> Reward:
    return Reward(
        user_id=user_id_from_db(raw["userId"]),
        period=Period(year=raw["year"], month=raw["month"]),
        category=raw["category"],
        rank=raw["rank"],
        tier=raw["tier"],
        coins=raw["coins"],
        badge_name=raw["badge"]["name"],
        snapshot_id=raw["snapshotId"],
        created_at=_required(raw["createdAt"]),
        status=RewardStatus(raw["status"]),
        awarded_at=aware(raw.get("awardedAt")),
        failure_reason=raw.get("failureReason"),
        paid_by_attempt=raw.get("paidByAttempt"),
    )
