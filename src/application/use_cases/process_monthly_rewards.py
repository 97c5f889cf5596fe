"""The background work of a month: freeze each category's ranking, then pay it in batches.

Runs under a lease (see application/lease.py): it stops at once when a newer attempt took the
job over, and resumes after the last batch a previous attempt recorded. Transient database
errors are retried with backoff; anything else marks the job `failed` for an operator's retry.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Sequence

from application.crediting import BatchOutcome, CreditStep
from application.lease import LeaseKeeper, LeaseTerms
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.ports.participant_source import ParticipantSource
from application.ports.snapshot_repository import SnapshotRepository
from application.retrying import IsTransient, RetryPolicy, retrying
from domain.errors import JobNotFound, LeaseLost
from domain.job import (
    CategoryProgress,
    CategoryResult,
    JobStatus,
    MonthlyRewardJob,
    Phase,
    RewardError,
)
from domain.policy import RewardPolicy
from domain.ranking import Category, RankedEntry, RankingBuilder
from domain.reward import Reward
from domain.snapshot import RankingSnapshot

log = logging.getLogger("rewards.process")


def _never_transient(_: BaseException) -> bool:
    return False


class ProcessMonthlyRewards:
    def __init__(
        self,
        jobs: JobRepository,
        snapshots: SnapshotRepository,
        participants: ParticipantSource,
        credit: CreditStep,
        clock: Clock,
        policy: RewardPolicy,
        terms: LeaseTerms,
        batch_size: int = 1000,
        retry_policy: RetryPolicy | None = None,
        is_transient: IsTransient = _never_transient,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._jobs = jobs
        self._snapshots = snapshots
        self._participants = participants
        self._credit = credit
        self._clock = clock
        self._policy = policy
        self._terms = terms
        self._batch_size = batch_size
        self._retry_policy = retry_policy or RetryPolicy()
        self._is_transient = is_transient

    async def execute(self, job_id: str) -> MonthlyRewardJob:
        """Runs a job this worker holds the lease of (see `run`), read fresh by id."""
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id}")
        return await self.run(job)

    async def run(self, job: MonthlyRewardJob) -> MonthlyRewardJob:
        """Runs (or resumes) a processing job to `completed`, or records why it `failed`; stops
        without a word to the job when a newer attempt owns it."""
        if job.status is not JobStatus.PROCESSING:
            return job
        keeper = LeaseKeeper(self._jobs, self._clock, self._terms, job)
        heartbeat = asyncio.get_running_loop().create_task(
            keeper.heartbeat(), name=f"heartbeat-{job.period.key}"
        )
        log.info(
            "[MonthlyRewards] Starting background processing for %s (job %s, attempt %d, owner %s)",
            job.period,
            job.id,
            job.attempts,
            self._terms.owner,
        )
        try:
            await retrying(
                lambda: self._run_categories(job, keeper),
                self._retry_policy,
                self._is_transient,
                f"job for {job.period}",
            )
            await retrying(
                lambda: self._finish(job, keeper),
                self._retry_policy,
                self._is_transient,
                f"completing the job for {job.period}",
            )
        except LeaseLost as lost:
            log.warning("[MonthlyRewards] %s", lost)
            return job
        except asyncio.CancelledError:
            await self._give_back(job)
            raise
        except Exception as exc:  # recorded on the job for the operator; cancellation is not
            log.exception("[MonthlyRewards] Job %s failed", job.id)
            await self._record_failure(job, exc, keeper)
            return job
        finally:
            heartbeat.cancel()
        log.info("[MonthlyRewards] Background processing completed in %.2fs", job.duration or 0)
        log.info("[MonthlyRewards] Job %s marked as completed", job.id)
        return job

    async def _finish(self, job: MonthlyRewardJob, keeper: LeaseKeeper) -> None:
        if job.status is JobStatus.PROCESSING:  # not when retrying a save that failed
            await keeper.renew()
            job.complete(job.results, self._clock.now())
        if not await self._jobs.save(job):
            raise keeper.superseded()

    async def _record_failure(
        self, job: MonthlyRewardJob, exc: Exception, keeper: LeaseKeeper
    ) -> None:
        if keeper.lost or job.status is not JobStatus.PROCESSING:
            # Superseded, or the completion itself failed to be written: either way the lease
            # lapses and a sweep finishes the job (everything is paid by then).
            return
        job.fail(str(exc) or type(exc).__name__, traceback.format_exc(), self._clock.now())
        try:
            if not await self._jobs.save(job):
                log.warning(
                    "[MonthlyRewards] a newer attempt owns job %s; failure not recorded", job.id
                )
        except Exception:  # the database is away: the lease lapses and a sweep takes over
            log.exception("[MonthlyRewards] could not record the failure of job %s", job.id)

    async def _give_back(self, job: MonthlyRewardJob) -> None:
        """Shutting down mid-job: expire our lease so another instance resumes without waiting."""
        job.interrupt(self._clock.now())
        try:
            await asyncio.shield(self._jobs.save(job))
        except Exception:
            log.exception("[MonthlyRewards] could not give back the lease of job %s", job.id)

    async def _run_categories(self, job: MonthlyRewardJob, keeper: LeaseKeeper) -> None:
        for category in self._policy.categories:
            log.info("[MonthlyRewards] Processing category: %s...", category.name)
            result = await self._process_category(job, category, keeper)
            log.info(
                "[MonthlyRewards] %s completed: %d rewards awarded",
                category.name,
                result.rewards_awarded,
            )

    async def _save_progress(self, job: MonthlyRewardJob, keeper: LeaseKeeper) -> None:
        job.mark_progress(self._clock.now())
        if not await self._jobs.save_progress(job):
            raise keeper.superseded()

    async def _process_category(
        self, job: MonthlyRewardJob, category: Category, keeper: LeaseKeeper
    ) -> CategoryResult:
        job.progress.category = category.name
        snapshot, fresh_entries = await self._frozen_snapshot(job, category, keeper)
        result = job.results.categories.setdefault(category.name, CategoryResult())
        result.participants = snapshot.total_participants
        progress = job.progress.categories.setdefault(category.name, CategoryProgress())
        progress.total = snapshot.total_participants
        if progress.processed >= progress.total:
            return result  # nobody to pay, or a previous attempt paid them all
        job.progress.phase = Phase.CREDITING
        await self._save_progress(job, keeper)
        # Resume after the last batch recorded: its rewards are settled and counted in `result`.
        batches = (
            _chunks(fresh_entries[progress.processed :], self._batch_size)
            if fresh_entries is not None
            else self._snapshots.entries(snapshot.id, self._batch_size, progress.processed)
        )
        # Two batches overlap: the next is built and its credit starts while the current one's
        # records are written and checkpointed. Each is checkpointed in order, only once every
        # write of it was acknowledged (pay returns then); the wallet bounds the commands in
        # flight for both together.
        pending: tuple[asyncio.Task[BatchOutcome], int] | None = None
        try:
            async for entries in batches:
                now = self._clock.now()
                rewards = [
                    Reward.for_entry(
                        e,
                        period=job.period,
                        category=category.name,
                        tiers=self._policy.tiers,
                        snapshot_id=snapshot.id,
                        now=now,
                    )
                    for e in entries
                ]
                paying = asyncio.ensure_future(
                    self._credit.pay(rewards, fence=keeper.confirm, attempt=job.attempts)
                )
                if pending is not None:
                    settling, pending = pending, (paying, entries[-1].rank)
                    await self._settle(job, category.name, result, keeper, *settling)
                else:
                    pending = (paying, entries[-1].rank)
            if pending is not None:
                settling, pending = pending, None
                await self._settle(job, category.name, result, keeper, *settling)
        finally:
            if pending is not None:
                await _drain(pending[0])
        return result

    async def _settle(
        self,
        job: MonthlyRewardJob,
        category: str,
        result: CategoryResult,
        keeper: LeaseKeeper,
        paying: asyncio.Future[BatchOutcome],
        last_rank: int,
    ) -> None:
        """Counts a paid batch and checkpoints it: progress moves to its last rank."""
        outcome = await paying
        for reward in outcome.awarded:
            result.record_award(reward.tier, reward.coins)
        for reward in outcome.failed:
            result.rewards_failed += 1
            job.results.record_error(
                RewardError(category, reward.user_id, reward.rank, reward.failure_reason or "")
            )
        job.progress.categories[category].processed = last_rank
        await self._save_progress(job, keeper)

    async def _frozen_snapshot(
        self, job: MonthlyRewardJob, category: Category, keeper: LeaseKeeper
    ) -> tuple[RankingSnapshot, Sequence[RankedEntry] | None]:
        """The category's frozen ranking; built now unless a previous attempt froze it. When
        built now, its entries are handed back too so they are not read again."""
        existing = await self._snapshots.find(job.period, category.name)
        if existing is not None and existing.is_frozen:
            return existing, None
        job.progress.phase = Phase.SNAPSHOT
        await self._save_progress(job, keeper)
        # Ranked as they stream in, into a compact ranking: no list of a million participants.
        builder = RankingBuilder(category)
        async for participant in self._participants.stream(category):
            builder.add(participant)
        ranked = builder.ranked()
        await keeper.confirm()
        snapshot = await self._snapshots.start_building(
            job.period, category.name, self._clock.now()
        )
        async for chunk in _chunks(ranked, self._batch_size):
            await keeper.confirm()
            await self._snapshots.add_entries(snapshot.id, chunk)
        await keeper.confirm()
        snapshot = snapshot.frozen(len(ranked), self._clock.now())
        await self._snapshots.freeze(snapshot)
        # Nothing of this category was paid before its ranking was frozen.
        job.progress.categories[category.name] = CategoryProgress(0, len(ranked))
        job.results.categories[category.name] = CategoryResult()
        return snapshot, ranked


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


async def _chunks(items: Sequence[RankedEntry], size: int) -> AsyncIterator[list[RankedEntry]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
