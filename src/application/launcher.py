"""How work on a job begins once it is created, retried or taken over: the one seam between the
use cases that make a job processing and the way this deployment runs it.

- In the background (the default): the job is handed to the task runner at once, as month work
  that yields to a flood of requests (application/foreground.py).
- In steps (serverless hosts, where work after the HTTP answer may be frozen or killed): the
  lease is given straight back, and the scheduler's calls of the step endpoint do the work, each
  taking the job over for a bounded step.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.foreground import month_work
from application.log_context import job_context
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.ports.task_runner import TaskRunner
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from domain.job import AttemptOutcome, MonthlyRewardJob

T = TypeVar("T")


class JobLauncher(abc.ABC):
    @property
    @abc.abstractmethod
    def resumes_abandoned(self) -> bool:
        """Whether a trigger or sweep should take over a job nobody holds (steps do it instead)."""

    @abc.abstractmethod
    async def launch(self, job: MonthlyRewardJob, why: str = "") -> None:
        """Begins the work on a job whose lease this process holds."""


class BackgroundLauncher(JobLauncher):
    """`process` builds the worker when a month is launched, not when the launcher is made: every
    trigger builds a launcher (twice: its own and its attempts'), and a worker's object graph
    was most of the trigger's use-case construction in the profile, for a month launched once.
    Building it is plain object construction, no I/O: moved after the job's insert, it adds no
    way for a trigger to fail there."""

    def __init__(self, runner: TaskRunner, process: Callable[[], ProcessMonthlyRewards]) -> None:
        self._runner = runner
        self._process = process

    @property
    def resumes_abandoned(self) -> bool:
        return True

    async def launch(self, job: MonthlyRewardJob, why: str = "") -> None:
        name = f"monthly-rewards-{job.period.key}" + (f"-{why}" if why else "")
        process = self._process()
        self._runner.spawn(name, _as_month_work(job, lambda: process.run(job)))


async def _as_month_work(job: MonthlyRewardJob, work: Callable[[], Awaitable[T]]) -> T:
    """`work` inside the job's contexts, set in the task itself (the runner starts each task in
    a fresh context): its log lines name the job, and its bulk commands yield to a flood of
    requests (application/foreground.py). Called there, so a task never started (closed by a
    runner shutting down) leaves no coroutine unawaited."""
    with job_context(job.id, job.epoch), month_work():
        return await work()


class StepLauncher(JobLauncher):
    def __init__(self, jobs: JobRepository, clock: Clock) -> None:
        self._jobs = jobs
        self._clock = clock

    @property
    def resumes_abandoned(self) -> bool:
        return False

    async def launch(self, job: MonthlyRewardJob, why: str = "") -> None:
        job.release(self._clock.now(), AttemptOutcome.PAUSED, "waiting for the next step")
        await self._jobs.save(job)
