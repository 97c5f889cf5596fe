"""JSON shapes of the operator reads: rewards, ranking entries, pages, the dry run, the alarm and
readiness. The CLI's --json prints these very shapes."""

from __future__ import annotations

from typing import Any

from application.paging import Page
from application.use_cases.check_readiness import Readiness
from application.use_cases.check_schedule import ScheduleStatus
from application.use_cases.get_ranking_snapshot import SnapshotPage
from application.use_cases.preview_monthly_rewards import PreviewOutcome
from domain.payout_preview import CategoryPayout
from domain.ranking import RankedEntry
from domain.reward import Reward
from domain.tiers import TierTable
from interfaces.http.presenters import timestamp


def reward_json(reward: Reward) -> dict[str, Any]:
    return {
        "userId": reward.user_id,
        "month": reward.period.month,
        "year": reward.period.year,
        "category": reward.category,
        "rank": reward.rank,
        "tier": reward.tier,
        "coinsAwarded": reward.coins,
        "badgeAwarded": reward.badge_name,
        "status": reward.status.value,
        "awardedAt": timestamp(reward.awarded_at),
        "errorMessage": reward.failure_reason,
        "paidByAttempt": reward.paid_by_attempt,
        "snapshotId": reward.snapshot_id,
    }


def entry_json(entry: RankedEntry, tiers: TierTable | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rank": entry.rank,
        "userId": entry.user_id,
        "name": entry.name,
        "email": entry.email,
        "score": entry.score,
        "xp": entry.xp,
        "createdAt": timestamp(entry.created_at),
    }
    if tiers is not None:
        tier = tiers.tier_for(entry.rank)
        data |= {"tier": tier.name, "coins": tier.coins}
    return data


def page_json(page: Page[Any]) -> dict[str, Any]:
    return {
        "page": page.request.page,
        "pageSize": page.request.size,
        "total": page.total,
        "pages": page.pages,
    }


def rewards_page_json(page: Page[Reward]) -> dict[str, Any]:
    return {"rewards": [reward_json(r) for r in page.items], **page_json(page)}


def snapshot_page_json(found: SnapshotPage, tiers: TierTable) -> dict[str, Any]:
    snapshot = found.snapshot
    return {
        "snapshotId": snapshot.id,
        "month": snapshot.period.month,
        "year": snapshot.period.year,
        "category": snapshot.category,
        "status": snapshot.status.value,
        "frozenAt": timestamp(snapshot.frozen_at),
        "totalParticipants": snapshot.total_participants,
        "entries": [entry_json(e, tiers) for e in found.entries.items],
        **page_json(found.entries),
    }


def _category_json(payout: CategoryPayout, tiers: TierTable) -> dict[str, Any]:
    return {
        "participants": payout.participants,
        "coins": payout.coins,
        "tiers": [
            {
                "tier": t.tier,
                "firstRank": t.first_rank,
                "lastRank": t.last_rank,
                "coinsEach": t.coins_each,
                "users": t.users,
                "coins": t.coins,
            }
            for t in payout.tiers
        ],
        "top": [entry_json(e, tiers) for e in payout.top],
    }


def preview_json(outcome: PreviewOutcome, tiers: TierTable) -> dict[str, Any]:
    preview, job = outcome.preview, outcome.job
    return {
        "month": preview.period.month,
        "year": preview.period.year,
        "dryRun": True,
        "totalUsers": preview.total_users,
        "totalCoins": preview.total_coins,
        "categories": {c.category: _category_json(c, tiers) for c in preview.categories},
        "anomalies": [
            {
                "kind": a.kind.value,
                "category": a.category,
                "count": a.count,
                "userIds": list(a.user_ids),
                "message": a.message,
            }
            for a in preview.anomalies
        ],
        "existingJob": None if job is None else {"jobId": job.id, "status": job.status.value},
    }


def preview_message(outcome: PreviewOutcome) -> str:
    period, job = outcome.preview.period, outcome.job
    if job is None:
        return f"Dry run for {period}: what a run would pay now; nothing was written"
    return (
        f"Dry run for {period}: nothing was written. Its job is already {job.status.value}: "
        "a run now pays nobody again, and its frozen ranking (not today's data) is what counts"
    )


def schedule_json(status: ScheduleStatus) -> dict[str, Any]:
    return {
        "month": status.period.month,
        "year": status.period.year,
        "dueAt": timestamp(status.due_at),
        "checkedAt": timestamp(status.checked_at),
        "overdue": status.overdue,
        "jobId": status.job.id if status.job else None,
        "jobStatus": status.job.status.value if status.job else None,
    }


def schedule_message(status: ScheduleStatus) -> str:
    if status.overdue:
        return (
            f"OVERDUE: {status.period} has no job, and it was due by "
            f"{timestamp(status.due_at)}; the scheduler never called"
        )
    if status.job is not None:
        return f"{status.period} has its job ({status.job.status.value})"
    return f"{status.period} has no job yet; it is due by {timestamp(status.due_at)}"


def readiness_json(readiness: Readiness) -> dict[str, Any]:
    return {
        "ready": readiness.ready,
        "database": "up" if readiness.database_reachable else "down",
        "pendingMigrations": list(readiness.pending_migrations),
        "reason": readiness.reason,
    }
