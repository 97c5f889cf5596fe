"""The missed-run alarm: has the month that has just ended got its job by the deadline?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.job import MonthlyRewardJob
from domain.period import Period
from domain.schedule import RunDeadline


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    period: Period  # the month that has just ended
    due_at: datetime
    checked_at: datetime
    job: MonthlyRewardJob | None
    overdue: bool


class CheckSchedule:
    def __init__(
        self, jobs: JobRepository, clock: Clock, tz: ZoneInfo, deadline: RunDeadline
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._tz = tz
        self._deadline = deadline

    async def execute(self) -> ScheduleStatus:
        now = self._clock.now()
        period = Period.just_ended(now, self._tz)
        job = await self._jobs.find(period)
        return ScheduleStatus(
            period=period,
            due_at=self._deadline.due_at(period, self._tz),
            checked_at=now,
            job=job,
            overdue=self._deadline.is_overdue(period, now, self._tz, has_job=job is not None),
        )
