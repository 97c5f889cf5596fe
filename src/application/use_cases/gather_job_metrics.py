"""The figures /metrics exposes, computed from the job documents at scrape time: every instance
reads the same documents, so any instance answers the same, however many processes there are."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.use_cases.check_schedule import CheckSchedule, ScheduleStatus
from domain.job import AttemptKind, AttemptOutcome, JobHealth, JobStatus, MonthlyRewardJob

# One job a month: a century of history is still a small read.
JOBS_READ = 1200


@dataclass(frozen=True, slots=True)
class Paid:
    rewards: int = 0
    coins: int = 0


@dataclass(frozen=True)
class JobMetrics:
    jobs_by_status: dict[JobStatus, int]
    last_finished: MonthlyRewardJob | None  # newest month that completed or failed
    paid: dict[tuple[str, str], Paid]  # (category, tier) over every job
    failed_rewards: dict[str, int]  # category -> rewards recorded failed, over every job
    attempts: dict[AttemptKind, int]
    current: MonthlyRewardJob | None  # the newest month's job
    current_health: JobHealth | None
    schedule: ScheduleStatus
    lease_expiries: int  # attempts that ended because their worker stopped renewing

    @property
    def takeovers(self) -> int:
        return self.attempts.get(AttemptKind.TAKEOVER, 0)


class GatherJobMetrics:
    def __init__(
        self,
        jobs: JobRepository,
        schedule: CheckSchedule,
        clock: Clock,
        stall_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self._jobs = jobs
        self._schedule = schedule
        self._clock = clock
        self._stall_after = stall_after

    async def execute(self) -> JobMetrics:
        jobs = await self._jobs.recent(JOBS_READ)
        current = jobs[0] if jobs else None
        return JobMetrics(
            jobs_by_status={s: sum(j.status is s for j in jobs) for s in JobStatus},
            last_finished=next((j for j in jobs if j.status is not JobStatus.PROCESSING), None),
            paid=_paid(jobs),
            failed_rewards=_failed(jobs),
            attempts=dict(Counter(a.kind for j in jobs for a in j.history)),
            current=current,
            current_health=(
                current.health(self._clock.now(), self._stall_after) if current else None
            ),
            schedule=await self._schedule.execute(),
            lease_expiries=sum(
                a.outcome is AttemptOutcome.LEASE_EXPIRED for j in jobs for a in j.history
            ),
        )


def _paid(jobs: list[MonthlyRewardJob]) -> dict[tuple[str, str], Paid]:
    totals: dict[tuple[str, str], Paid] = {}
    for job in jobs:
        for category, result in job.results.categories.items():
            for tier, tally in result.tiers.items():
                before = totals.get((category, tier), Paid())
                totals[(category, tier)] = Paid(
                    before.rewards + tally.count, before.coins + tally.coins
                )
    return totals


def _failed(jobs: list[MonthlyRewardJob]) -> dict[str, int]:
    failed: Counter[str] = Counter()
    for job in jobs:
        for category, result in job.results.categories.items():
            failed[category] += result.rewards_failed
    return dict(failed)
