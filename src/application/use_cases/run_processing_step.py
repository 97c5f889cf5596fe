"""One bounded step of a month's work inside a request, for hosts that freeze or kill work after
the HTTP answer (serverless): take the job over, pay batches until the step's time is up,
checkpoint, give the lease back. A scheduler calling this every minute drives the month to the
end; a step killed mid-way leaves a lease that lapses, and a later step resumes after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from application.attempts import Attempts
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from domain.job import AttemptKind, MonthlyRewardJob


class StepKind(StrEnum):
    WORKED = "worked"  # this call did a step (the job may now be completed, failed or paused)
    BUSY = "busy"  # another step holds the job's lease right now
    IDLE = "idle"  # no job is processing


@dataclass(frozen=True)
class StepOutcome:
    kind: StepKind
    job: MonthlyRewardJob | None
    paid: int = 0  # rewards recorded (awarded or failed) by this step


class RunProcessingStep:
    def __init__(
        self,
        jobs: JobRepository,
        attempts: Attempts,
        process: ProcessMonthlyRewards,
        clock: Clock,
        step: timedelta,
    ) -> None:
        self._jobs = jobs
        self._attempts = attempts
        self._process = process
        self._clock = clock
        self._step = step

    async def execute(self) -> StepOutcome:
        processing = await self._jobs.processing()
        if not processing:
            newest = await self._jobs.recent(1)
            return StepOutcome(StepKind.IDLE, newest[0] if newest else None)
        job = min(processing, key=lambda j: j.period)  # the oldest unfinished month first
        began = self._clock.now()
        mine = await self._attempts.take_over(job, AttemptKind.STEP)
        if mine is None:
            return StepOutcome(StepKind.BUSY, job)
        recorded = mine.results.records_total
        done = await self._process.run(mine, until=began + self._step)
        return StepOutcome(StepKind.WORKED, done, done.results.records_total - recorded)
