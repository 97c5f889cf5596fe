"""Plain mapping functions between stored documents and domain objects, both ways.

The stored names are the platform's (`../shared/PLATFORM.md`); the HTTP answers have their own
shapes (interfaces/http/presenters.py). Reading is lenient where the platform's own documents
may lack what ours carry (a job its old code created, a snapshot without our status), and
writing is strict: an id that is not an ObjectId where the platform needs one is refused here
rather than stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
from infrastructure.mongo.documents import JobDocument, RewardDocument, SnapshotDocument


def user_id_to_db(user_id: str) -> Any:
    """Users' `_id`s are ObjectIds in the main app; the domain carries them as hex text."""
    return ObjectId(user_id) if ObjectId.is_valid(user_id) else user_id


def user_id_from_db(raw: Any) -> str:
    return str(raw)


def object_id(text: str, what: str) -> ObjectId:
    """An id the platform's models declare as ObjectId: anything else is refused, not stored."""
    if not ObjectId.is_valid(text):
        raise ValueError(f"{what} must be an ObjectId for the platform, got {text!r}")
    return ObjectId(text)


def reward_id(key: str) -> ObjectId:
    """The reward record's `_id`: the first 12 bytes of sha256 of its key
    ('<yyyy-mm>:<category>:<userId>'). Derived, so every write addresses one `_id` (the only
    filter FerretDB serves from an index) and inserting a record twice is a duplicate-key no-op."""
    return ObjectId(hashlib.sha256(key.encode()).digest()[:12])


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


# Jobs


def job_to_raw(job: MonthlyRewardJob, now: datetime) -> dict[str, Any]:
    """A new job document: the platform's timestamps beside our fields."""
    return {
        "_id": object_id(job.id, "a job id"),
        **job_fields(job),
        "createdAt": job.started_at,
        "updatedAt": now,
    }


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


def job_from_raw(raw: Mapping[str, Any]) -> MonthlyRewardJob:
    return job_from_document(JobDocument.model_validate(raw))


def job_from_document(doc: JobDocument) -> MonthlyRewardJob:
    # A job the platform's own code created has no startedAt of ours, no attempts, no lease.
    started = doc.startedAt or doc.createdAt or doc.id.generation_time
    return MonthlyRewardJob(
        id=str(doc.id),
        period=Period(year=doc.year, month=doc.month),
        status=JobStatus(doc.status),
        started_at=_required(started),
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


# The job's parts as stored. `results` is the platform's {categories, totalRewardsAwarded,
# totalCoinsAwarded, errors}; its `categories` are free-form there, so reading them back is
# lenient: a platform job's own tallies of another shape read as what can be understood.


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


def results_from_doc(raw: Mapping[str, Any] | None) -> JobResults:
    raw = raw if isinstance(raw, Mapping) else {}
    categories = {
        str(name): _category_result(c)
        for name, c in _mapping(raw.get("categories")).items()
        if isinstance(c, Mapping)
    }
    errors = [_reward_error(e) for e in raw.get("errors") or [] if isinstance(e, Mapping | str)]
    total = raw.get("errorsTotal")
    return JobResults(categories, errors, total if isinstance(total, int) else len(errors))


def _category_result(raw: Mapping[str, Any]) -> CategoryResult:
    tiers = {
        str(t): TierTally(_count(v.get("count")), _count(v.get("coins")))
        for t, v in _mapping(raw.get("tiers")).items()
        if isinstance(v, Mapping)
    }
    return CategoryResult(
        participants=_count(raw.get("participants")),
        rewards_awarded=_count(raw.get("rewardsAwarded")),
        coins_awarded=_count(raw.get("coinsAwarded")),
        rewards_failed=_count(raw.get("rewardsFailed")),
        tiers=tiers,
    )


def _reward_error(raw: Mapping[str, Any] | str) -> RewardError:
    if isinstance(raw, str):
        return RewardError("", "", 0, raw)
    reason = raw.get("reason") or raw.get("error") or raw.get("message") or ""
    return RewardError(
        str(raw.get("category") or ""),
        str(raw.get("userId") or ""),
        _count(raw.get("rank")),
        str(reason),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def progress_to_doc(progress: Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase.value,
        "category": progress.category,
        "categories": {
            name: {"processed": p.processed, "total": p.total}
            for name, p in progress.categories.items()
        },
    }


def progress_from_doc(raw: Mapping[str, Any] | None) -> Progress:
    raw = raw if isinstance(raw, Mapping) else {}
    phase = str(raw.get("phase", Phase.QUEUED.value))
    return Progress(
        phase=Phase(phase) if phase in set(Phase) else Phase.QUEUED,
        category=raw.get("category"),
        categories={
            name: CategoryProgress(_count(p.get("processed")), _count(p.get("total")))
            for name, p in _mapping(raw.get("categories")).items()
            if isinstance(p, Mapping)
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


# Snapshots: a header the platform reads (its MonthlyRankingSnapshot) and our entries.


def new_snapshot_raw(period: Period, category: str, now: datetime) -> dict[str, Any]:
    """A snapshot being built: valid for the platform from the first write (no users yet)."""
    return {
        "month": period.month,
        "year": period.year,
        "category": category,
        "rankings": [],
        "totalUsers": 0,
        "snapshotDate": now,
        "processed": False,
        "processedAt": None,
        "status": SnapshotStatus.BUILDING.value,
        "frozenAt": None,
        "createdAt": now,
        "updatedAt": now,
    }


def snapshot_from_raw(raw: Mapping[str, Any]) -> RankingSnapshot:
    return snapshot_from_document(SnapshotDocument.model_validate(raw))


def snapshot_from_document(doc: SnapshotDocument) -> RankingSnapshot:
    # The platform's own snapshots carry no status: they were complete when written, and the
    # migration has moved their rankings into the entries.
    status = SnapshotStatus(doc.status) if doc.status else SnapshotStatus.FROZEN
    created = doc.createdAt or doc.snapshotDate or doc.id.generation_time
    return RankingSnapshot(
        id=str(doc.id),
        period=Period(year=doc.year, month=doc.month),
        category=doc.category,
        status=status,
        created_at=_required(created),
        total_participants=doc.totalUsers,
        frozen_at=aware(doc.frozenAt or (doc.snapshotDate if doc.status is None else None)),
    )


def entry_id(snapshot_id: str, rank: int) -> str:
    return f"{snapshot_id}:{rank:09d}"


def entry_to_raw(snapshot_id: str, entry: RankedEntry) -> dict[str, Any]:
    return {
        "_id": entry_id(snapshot_id, entry.rank),
        "snapshotId": snapshot_id,
        "rank": entry.rank,
        "userId": user_id_to_db(entry.user_id),
        "name": entry.name,
        "email": entry.email,
        "score": entry.score,
        "xp": entry.xp,
        "createdAt": entry.created_at,
    }


def entry_from_raw(raw: Mapping[str, Any]) -> RankedEntry:
    return RankedEntry(
        rank=raw["rank"],
        user_id=user_id_from_db(raw["userId"]),
        name=raw.get("name"),
        email=raw.get("email"),
        score=raw["score"],
        xp=raw.get("xp") or 0,
        created_at=aware(raw.get("createdAt")),
    )


def head_entry_raw(entry: Mapping[str, Any], role: str) -> dict[str, Any]:
    """A stored entry as a line of the snapshot's `rankings`. A score below 0 (only a negative
    counter, which the platform's own models forbid, can make one) is written as 0."""
    return {
        "userId": entry["userId"],
        "rank": entry["rank"],
        "score": max(entry["score"], 0),
        "userName": entry.get("name"),
        "userEmail": entry.get("email"),
        "role": role,
    }


# Rewards: the badge pushed into the wallet, and the record in `monthlyrewards`.


def badge_to_raw(reward: Reward) -> dict[str, Any]:
    """The badge as the platform's User model keeps it. Its `_id` is the reward record's: one
    badge per record, the same on every retry, and a reader can join the two."""
    badge = reward.badge
    return {
        "_id": reward_id(reward.key),
        "name": badge.name,
        "category": badge.category,
        "month": badge.month,
        "year": badge.year,
        "tier": badge.tier,
        "rank": badge.rank,
        "earnedAt": badge.earned_at,
    }


def reward_to_raw(reward: Reward) -> dict[str, Any]:
    """A failed reward awarded nothing: its coinsAwarded is 0, so the month's records add up to
    the job's totalCoinsAwarded (the badge keeps its name: the platform requires one)."""
    awarded = reward.status is RewardStatus.AWARDED
    return {
        "_id": reward_id(reward.key),
        "userId": user_id_to_db(reward.user_id),
        "month": reward.period.month,
        "year": reward.period.year,
        "category": reward.category,
        "rank": reward.rank,
        "tier": reward.tier,
        "coinsAwarded": reward.coins if awarded else 0,
        "xpAwarded": 0,
        "badgeAwarded": reward.badge_name,
        "snapshotId": object_id(reward.snapshot_id, "a reward's snapshotId"),
        "status": reward.status.value,
        "errorMessage": reward.failure_reason,
        "awardedAt": reward.awarded_at,
        "paidByAttempt": reward.paid_by_attempt,
        "createdAt": reward.created_at,
        "updatedAt": reward.awarded_at or reward.created_at,
    }


def reward_paid_fields(reward: Reward) -> dict[str, Any]:
    """What changes when a reward recorded `failed` has since been paid."""
    return {
        "status": reward.status.value,
        "coinsAwarded": reward.coins,
        "awardedAt": reward.awarded_at,
        "errorMessage": None,
        "paidByAttempt": reward.paid_by_attempt,
        "updatedAt": reward.awarded_at,
    }


def reward_from_raw(raw: Mapping[str, Any]) -> Reward:
    doc = RewardDocument.model_validate(raw)
    return Reward(
        user_id=user_id_from_db(doc.userId),
        period=Period(year=doc.year, month=doc.month),
        category=doc.category,
        rank=doc.rank,
        tier=doc.tier,
        coins=doc.coinsAwarded,
        badge_name=doc.badgeAwarded,
        snapshot_id=str(doc.snapshotId),
        created_at=_required(doc.createdAt or doc.awardedAt or doc.id.generation_time),
        status=RewardStatus(doc.status),
        awarded_at=aware(doc.awardedAt),
        failure_reason=doc.errorMessage,
        paid_by_attempt=doc.paidByAttempt,
    )
