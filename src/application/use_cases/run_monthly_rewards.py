"""`rewards run`: a month in the foreground. Like the trigger, but when another live worker
holds the month it waits until that worker finishes, or its lease lapses and this run takes over,
so running it again after a crash always ends with the month paid."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from application.use_cases.start_monthly_rewards import (
    StartKind,
    StartMonthlyRewards,
    StartOutcome,
)
from domain.job import MonthlyRewardJob
from domain.period import Period


def _ignore(_: MonthlyRewardJob) -> None:
    return None


class RunMonthlyRewards:
    def __init__(self, start: StartMonthlyRewards, poll_seconds: float) -> None:
        self._start = start
        self._poll = poll_seconds

    async def execute(
        self,
        period: Period | None = None,
        on_wait: Callable[[MonthlyRewardJob], None] = _ignore,
    ) -> StartOutcome:
        """Started or resumed (the work now runs in this process's runner), or how the month
        already stands: completed or failed. `on_wait` hears of each wait for another worker."""
        outcome = await self._start.execute(period)
        while outcome.kind is StartKind.ALREADY_PROCESSING:
            on_wait(outcome.job)
            await asyncio.sleep(self._poll)
            outcome = await self._start.execute(outcome.job.period)
        return outcome
