"""Self-scheduling (REWARDS_SELF_SCHEDULE=true): when the month that has just ended is overdue,
the service starts it itself, through the trigger's own lock, so any number of instances doing
this start exactly one job, and a scheduler outage costs hours instead of a month."""

from __future__ import annotations

import asyncio
import logging

from application.use_cases.check_schedule import CheckSchedule
from application.use_cases.start_monthly_rewards import StartMonthlyRewards, StartOutcome

log = logging.getLogger("rewards.schedule")


class StartOverdueMonth:
    def __init__(self, schedule: CheckSchedule, start: StartMonthlyRewards) -> None:
        self._schedule = schedule
        self._start = start

    async def execute(self) -> StartOutcome | None:
        """The trigger's answer when the month was overdue; None when nothing was due."""
        status = await self._schedule.execute()
        if not status.overdue:
            return None
        log.warning(
            "[MonthlyRewards] no job for %s by %s: the scheduler never called; starting it",
            status.period,
            status.due_at.isoformat(),
        )
        outcome = await self._start.execute(status.period)
        log.info(
            "[MonthlyRewards] self-scheduled trigger for %s: %s (job %s)",
            status.period,
            outcome.kind.value,
            outcome.job.id,
        )
        return outcome

    async def run_every(self, seconds: float) -> None:
        """Checks until cancelled; a failed check (the database is away) waits for the next."""
        while True:
            try:
                await self.execute()
            except Exception as exc:
                log.warning(
                    "[MonthlyRewards] schedule check failed: %s: %s", type(exc).__name__, exc
                )
            await asyncio.sleep(seconds)
