"""The background work of a month: freeze each category's ranking, then pay it in batches."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Sequence

from application.crediting import CreditStep
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.ports.participant_source import ParticipantSource
from application.ports.snapshot_repository import SnapshotRepository
from domain.errors import JobNotFound
from domain.job import (
    CategoryProgress,
    CategoryResult,
    JobResults,
    JobStatus,
    MonthlyRewardJob,
    Phase,
    RewardError,
)
from domain.policy import RewardPolicy
from domain.ranking import Category, RankedEntry, rank_participants
from domain.reward import Reward
from domain.snapshot import RankingSnapshot

log = logging.getLogger("rewards.process")


class ProcessMonthlyRewards:
    def __init__(
        self,
        jobs: JobRepository,
        snapshots: SnapshotRepository,
        participants: ParticipantSource,
        credit: CreditStep,
        clock: Clock,
        policy: RewardPolicy,
        batch_size: int = 1000,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._jobs = jobs
        self._snapshots = snapshots
        self._participants = participants
        self._credit = credit
        self._clock = clock
        self._policy = policy
        self._batch_size = batch_size

    async def execute(self, job_id: str) -> MonthlyRewardJob:
        """Runs (or resumes) a processing job to `completed`, or records why it `failed`."""
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id}")
        if job.status is not JobStatus.PROCESSING:
            return job
        log.info("[MonthlyRewards] Starting background processing for %s...", job.period)
        log.info("[MonthlyRewards] Job ID: %s", job.id)
        try:
            results = JobResults()
            for category in self._policy.categories:
                log.info("[MonthlyRewards] Processing category: %s...", category.name)
                result = await self._process_category(job, category, results)
                results.categories[category.name] = result
                log.info(
                    "[MonthlyRewards] %s completed: %d rewards awarded",
                    category.name,
                    result.rewards_awarded,
                )
            job.complete(results, self._clock.now())
        except Exception as exc:  # any failure is recorded on the job; cancellation is not
            log.exception("[MonthlyRewards] Job %s failed", job.id)
            job.fail(str(exc) or type(exc).__name__, traceback.format_exc(), self._clock.now())
            await self._jobs.save(job)
            return job
        await self._jobs.save(job)
        log.info("[MonthlyRewards] Background processing completed in %.2fs", job.duration or 0)
        log.info("[MonthlyRewards] Job %s marked as completed", job.id)
        return job

    async def _process_category(
        self, job: MonthlyRewardJob, category: Category, results: JobResults
    ) -> CategoryResult:
        job.progress.category = category.name
        snapshot, fresh_entries = await self._frozen_snapshot(job, category)
        result = CategoryResult(participants=snapshot.total_participants)
        progress = job.progress.categories.setdefault(category.name, CategoryProgress())
        progress.total, progress.processed = snapshot.total_participants, 0
        job.progress.phase = Phase.CREDITING
        await self._jobs.save_progress(job)
        batches = (
            _chunks(fresh_entries, self._batch_size)
            if fresh_entries is not None
            else self._snapshots.entries(snapshot.id, self._batch_size)
        )
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
            outcome = await self._credit.pay(rewards)
            for reward in outcome.awarded:
                result.record_award(reward.tier, reward.coins)
            for reward in outcome.failed:
                result.rewards_failed += 1
                results.record_error(
                    RewardError(
                        category.name, reward.user_id, reward.rank, reward.failure_reason or ""
                    )
                )
            progress.processed += len(entries)
            await self._jobs.save_progress(job)
        return result

    async def _frozen_snapshot(
        self, job: MonthlyRewardJob, category: Category
    ) -> tuple[RankingSnapshot, list[RankedEntry] | None]:
        """The category's frozen ranking; built now unless a previous attempt froze it. When
        built now, its entries are handed back too so they are not read again."""
        existing = await self._snapshots.find(job.period, category.name)
        if existing is not None and existing.is_frozen:
            return existing, None
        job.progress.phase = Phase.SNAPSHOT
        await self._jobs.save_progress(job)
        ranked = rank_participants(category, [p async for p in self._participants.stream(category)])
        snapshot = await self._snapshots.start_building(
            job.period, category.name, self._clock.now()
        )
        async for chunk in _chunks(ranked, self._batch_size):
            await self._snapshots.add_entries(snapshot.id, chunk)
        snapshot = snapshot.frozen(len(ranked), self._clock.now())
        await self._snapshots.freeze(snapshot)
        return snapshot, ranked


async def _chunks(items: Sequence[RankedEntry], size: int) -> AsyncIterator[list[RankedEntry]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
