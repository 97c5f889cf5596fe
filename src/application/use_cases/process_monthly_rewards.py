"""The work of a month: freeze each category's ranking, then pay it in batches.

Runs under a lease (application/lease.py): it stops at once when a newer attempt took the job
over, and resumes after the last batch a previous attempt recorded. Transient database errors
are retried with backoff; anything else marks the job `failed` for an operator's retry. Given a
deadline (a serverless step), it stops after the batch that passes it and gives the lease back.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.crediting import BatchOutcome, CreditStep
from application.foreground import Turn, no_wait, sliced
from application.job_log import JobLog, job_log
from application.lease import LeaseKeeper
from application.ports.attempt_claims import AttemptClaims
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.rankings import Rankings
from application.retrying import retrying
from application.run_settings import RunSettings
from domain.errors import JobNotFound, LeaseLost
from domain.job import AttemptOutcome, JobStatus, MonthlyRewardJob
from domain.period import Period
from domain.ranking import Category, RankedEntry
from domain.reward import Reward
from domain.snapshot import RankingSnapshot


class StepEnded(Exception):
    """A step's time is up at a checkpoint: the lease is given back, not lost."""


@dataclass
class _StepTime:
    """When a step must end. Work stops at a checkpoint when one more batch as long as the last
    would pass the deadline, so a step overruns it by one batch at most. Every step pays at
    least one batch, however slow the database: a step that could not would never finish."""

    until: datetime | None
    batches: int = 0
    last_batch: timedelta = timedelta(0)

    def check(self, now: datetime) -> None:
        if self.until is not None and self.batches and now + self.last_batch >= self.until:
            raise StepEnded()

    def paid(self, took: timedelta) -> None:
        self.batches += 1
        self.last_batch = took


@dataclass
class _Paying:
    """A batch whose pay() is in flight: its outcome, last rank and start."""

    outcome: asyncio.Future[BatchOutcome]
    last_rank: int
    began: datetime


class _ReadAhead:
    """The next category's ranking, read while this one is paid (background runs only: a step
    starts no work it may not finish). Paying does not change what ranks a user (the score's
    counters, xp, createdAt), so the ranking read ahead is the one that would be read later."""

    def __init__(self, rankings: Rankings, period: Period) -> None:
        self._rankings = rankings
        self._period = period
        self._category: str | None = None
        self._task: asyncio.Task[Sequence[RankedEntry] | None] | None = None

    def start(self, category: Category) -> None:
        self._category = category.name
        self._task = asyncio.ensure_future(self._read(category))

    async def _read(self, category: Category) -> Sequence[RankedEntry] | None:
        if await self._rankings.find_frozen(self._period, category.name) is not None:
            return None  # frozen by an earlier attempt: nothing to read
        return await self._rankings.rank(category, ahead=True)

    async def take(self, category: Category) -> Sequence[RankedEntry] | None:
        """The ranking read ahead for `category`, once read (its error, if the read failed);
        None when none was."""
        task, self._task = self._task, None
        if task is None or self._category != category.name:
            await self.cancel(task)
            return None
        return await task

    @staticmethod
    async def cancel(task: asyncio.Task[Sequence[RankedEntry] | None] | None) -> None:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Stops a read nobody will take (the run failed, was superseded or shut down)."""
        task, self._task = self._task, None
        await self.cancel(task)


async def _drain(task: asyncio.Future[BatchOutcome]) -> None:
    """Waits for a batch still in flight when another failed, so none of its writes is left
    running behind the error (its own outcome no longer matters); cancelled with us."""
    try:
        await asyncio.wait([task])
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not task.cancelled():
        task.exception()  # retrieved: the first error is the one that propagates


class ProcessMonthlyRewards:
    def __init__(
        self,
        jobs: JobRepository,
        claims: AttemptClaims,
        rankings: Rankings,
        credit: CreditStep,
        clock: Clock,
        settings: RunSettings,
        give_way: Turn = no_wait,
    ) -> None:
        self._jobs = jobs
        self._claims = claims
        self._rankings = rankings
        self._credit = credit
        self._clock = clock
        self._settings = settings
        self._give_way = give_way  # between slices of a batch's rewards built (foreground.py)

    async def execute(self, job_id: str) -> MonthlyRewardJob:
        """Runs a job this worker holds the lease of (see `run`), read fresh by id."""
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id}")
        return await self.run(job)

    async def run(self, job: MonthlyRewardJob, until: datetime | None = None) -> MonthlyRewardJob:
        """Runs (or resumes) a processing job to `completed`, or records why it `failed`; stops
        without a word to the job when a newer attempt owns it, and after the batch that passes
        `until` when given one."""
        if job.status is not JobStatus.PROCESSING:
            return job
        log = job_log("rewards.process", job)
        keeper = LeaseKeeper(self._jobs, self._claims, self._clock, self._settings.lease, job)
        heartbeat = asyncio.get_running_loop().create_task(
            keeper.heartbeat(), name=f"heartbeat-{job.period.key}"
        )
        log.info("Starting background processing for %s...", job.period)
        log.info("Job ID: %s (owner %s)", job.id, keeper.owner)
        try:
            step = _StepTime(until)
            await self._retrying(lambda: self._pay_categories(job, keeper, log, step), job)
            await self._retrying(lambda: self._finish(job, keeper), job)
        except StepEnded:
            await self._give_back(job, keeper, AttemptOutcome.PAUSED, "the step's time was up", log)
        except LeaseLost as lost:
            log.warning("%s", lost)
        except asyncio.CancelledError:
            why = "the process shut down"
            await self._give_back(job, keeper, AttemptOutcome.INTERRUPTED, why, log)
            raise
        except Exception as exc:  # recorded on the job for the operator; cancellation is not
            log.exception("Job %s failed", job.id)
            await self._record_failure(job, exc, keeper, log)
        else:
            log.info("Background processing completed in %.2fs", job.duration or 0)
            log.info("Job %s marked as completed", job.id)
        finally:
            heartbeat.cancel()
        return job

    async def _retrying(self, step: Callable[[], Awaitable[None]], job: MonthlyRewardJob) -> None:
        settings = self._settings
        await retrying(step, settings.retry, settings.is_transient, f"job for {job.period}")

    async def _pay_categories(
        self, job: MonthlyRewardJob, keeper: LeaseKeeper, log: JobLog, step: _StepTime
    ) -> None:
        categories = self._settings.policy.categories
        reads_ahead = step.until is None  # a step starts no work it may not finish
        ahead = _ReadAhead(self._rankings, job.period)
        try:
            for index, category in enumerate(categories):
                log.info("Processing category: %s...", category.name)
                following = None
                if reads_ahead and index + 1 < len(categories):
                    following = categories[index + 1]
                await self._pay_category(job, category, keeper, step, ahead, following)
                result = job.results.categories[category.name]
                log.info("%s completed: %d rewards awarded", category.name, result.rewards_awarded)
        finally:
            await ahead.close()

    async def _pay_category(
        self,
        job: MonthlyRewardJob,
        category: Category,
        keeper: LeaseKeeper,
        step: _StepTime,
        ahead: _ReadAhead,
        following: Category | None,
    ) -> None:
        step.check(self._clock.now())  # no new category once the step's time is up
        snapshot = await self._rankings.find_frozen(job.period, category.name)
        read_ahead = await ahead.take(category)
        fresh = None
        if snapshot is None:
            job.begin_snapshot(category.name)
            await self._save_progress(job, keeper)
            snapshot, fresh = await self._rankings.freeze(
                job.period, category, keeper.fence, read_ahead
            )
            job.ranking_frozen(category.name, snapshot.total_participants)
        if following is not None:
            ahead.start(following)  # read while this category is paid
        paid_up_to = job.begin_crediting(category.name, snapshot.total_participants)
        if paid_up_to >= snapshot.total_participants:
            return  # nobody to pay, or a previous attempt paid them all
        await self._save_progress(job, keeper)
        # Two batches overlap (in a background run): the next is built (or read from the frozen
        # ranking) and its credit starts while the current one's records are written and
        # checkpointed. Batches are counted and checkpointed in order, each only once pay()
        # returned, i.e. once every write of it was acknowledged; the wallet bounds both
        # batches' commands in flight together.
        pending: _Paying | None = None
        try:
            async for entries in self._rankings.batches(snapshot, paid_up_to, fresh):
                if step.until is not None and pending is not None:
                    # A step's time is judged on checkpointed batches: steps do not overlap.
                    last, pending = pending, None
                    await self._settle(job, category, keeper, step, last)
                began = self._clock.now()
                step.check(began)
                rewards = await self._rewards(job, category, snapshot, entries)
                paying = _Paying(
                    asyncio.ensure_future(
                        self._credit.pay(rewards, fence=keeper.fence, attempt=job.epoch)
                    ),
                    entries[-1].rank,
                    began,
                )
                previous, pending = pending, paying
                if previous is not None:
                    await self._settle(job, category, keeper, step, previous)
            if pending is not None:
                last, pending = pending, None
                await self._settle(job, category, keeper, step, last)
        finally:
            if pending is not None:
                await _drain(pending.outcome)

    async def _settle(
        self,
        job: MonthlyRewardJob,
        category: Category,
        keeper: LeaseKeeper,
        step: _StepTime,
        paying: _Paying,
    ) -> None:
        """Counts a paid batch and checkpoints it: progress moves to its last rank."""
        outcome = await paying.outcome
        job.record_batch(category.name, outcome.awarded, outcome.failed, paying.last_rank)
        await self._save_progress(job, keeper)
        step.paid(self._clock.now() - paying.began)

    async def _rewards(
        self,
        job: MonthlyRewardJob,
        category: Category,
        snapshot: RankingSnapshot,
        entries: Sequence[RankedEntry],
    ) -> list[Reward]:
        now, tiers = self._clock.now(), self._settings.policy.tiers

        def reward(entry: RankedEntry) -> Reward:
            return Reward.for_entry(
                entry,
                period=job.period,
                category=category.name,
                tiers=tiers,
                snapshot_id=snapshot.id,
                now=now,
            )

        return await sliced(entries, reward, self._give_way)

    async def _save_progress(self, job: MonthlyRewardJob, keeper: LeaseKeeper) -> None:
        job.mark_progress(self._clock.now())
        if not await self._jobs.save_progress(job):
            raise keeper.mark_lost()

    async def _finish(self, job: MonthlyRewardJob, keeper: LeaseKeeper) -> None:
        if job.status is JobStatus.PROCESSING:  # not when retrying a save that failed
            await keeper.renew()
            job.complete(self._clock.now())
        if not await self._jobs.save(job):
            raise keeper.mark_lost()

    async def _record_failure(
        self, job: MonthlyRewardJob, exc: Exception, keeper: LeaseKeeper, log: JobLog
    ) -> None:
        if keeper.lost or job.status is not JobStatus.PROCESSING:
            # Superseded, or the completion itself failed to be written: either way the lease
            # lapses and a sweep finishes the job (everything is paid by then).
            return
        job.fail(str(exc) or type(exc).__name__, traceback.format_exc(), self._clock.now())
        try:
            if not await self._jobs.save(job):
                log.warning("a newer attempt owns job %s; failure not recorded", job.id)
        except Exception:  # the database is away: the lease lapses and a sweep takes over
            log.exception("could not record the failure of job %s", job.id)

    async def _give_back(
        self,
        job: MonthlyRewardJob,
        keeper: LeaseKeeper,
        outcome: AttemptOutcome,
        why: str,
        log: JobLog,
    ) -> None:
        """Expires our lease so the next worker or step resumes without waiting for it; the
        heartbeat is stopped first, so no renewal lands after."""
        try:
            await asyncio.shield(keeper.stop())
            job.release(self._clock.now(), outcome, why)
            await asyncio.shield(self._jobs.save(job))
        except Exception:
            log.exception("could not give back the lease of job %s", job.id)
