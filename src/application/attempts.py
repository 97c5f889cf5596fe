"""New attempts at a job: takeovers of a job nobody holds, bounded steps, operators' retries.
Each begins with a claim of the next attempt number (a unique-index insert, atomic on MongoDB and
FerretDB alike), so of any number of racing callers exactly one becomes the job's worker."""

from __future__ import annotations

import logging
from datetime import datetime

from application.job_log import job_log
from application.launcher import JobLauncher
from application.lease import LeaseTerms
from application.ports.attempt_claims import AttemptClaims
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.errors import JobNotRetryable
from domain.job import AttemptKind, MonthlyRewardJob


class Attempts:
    def __init__(
        self,
        jobs: JobRepository,
        claims: AttemptClaims,
        launcher: JobLauncher,
        clock: Clock,
        terms: LeaseTerms,
    ) -> None:
        self._jobs = jobs
        self._claims = claims
        self._launcher = launcher
        self._clock = clock
        self._terms = terms

    def may_resume(self, job: MonthlyRewardJob) -> bool:
        """Whether `resume_abandoned` would try to take `job` over: its lease has expired and
        this process resumes abandoned jobs (in steps, the step endpoint does)."""
        return self._launcher.resumes_abandoned and job.lease_expired(self._clock.now())

    async def resume_abandoned(self, job: MonthlyRewardJob) -> MonthlyRewardJob | None:
        """Resumes `job` in this process if its lease has expired and this caller wins the
        claim; None when the lease is alive, another caller won, or steps do the resuming."""
        if not self.may_resume(job):
            return None
        taken = await self.take_over(job, AttemptKind.TAKEOVER)
        if taken is not None:
            await self._launcher.launch(taken, "takeover")
        return taken

    async def take_over(self, job: MonthlyRewardJob, kind: AttemptKind) -> MonthlyRewardJob | None:
        """Makes this process the job's worker under the next attempt, without starting work:
        None when the lease is alive or another caller won the claim. Returns the job as read
        again here, not the caller's copy."""
        now = self._clock.now()
        if not job.lease_expired(now):
            return None
        current = await self._abandoned_now(job.id, now)
        if current is None:
            return None
        job = current
        epoch = await self._next_epoch(job, now)
        if epoch is None:
            return None
        previous = job.lease.owner if job.lease else "nobody"
        job.take_over(epoch, self._terms.owner, now, self._terms.duration, kind)
        if not await self._jobs.save(job):
            return None
        level = logging.WARNING if kind is AttemptKind.TAKEOVER else logging.INFO
        job_log("rewards.attempts", job).log(
            level, "took over the job for %s from %s (%s)", job.period, previous, kind.value
        )
        return job

    async def retry(self, job: MonthlyRewardJob) -> MonthlyRewardJob:
        """A failed job resumes under the next attempt. Two operators retrying at once both see
        `failed`; the claim lets one win, and the other is told a retry is underway."""
        job.ensure_retryable()
        now, epoch = self._clock.now(), job.epoch + 1
        underway = JobNotRetryable(f"a retry of the job for {job.period} is already underway")
        if not await self._claims.claim(job.id, epoch, self._terms.owner, now):
            raise underway
        job.retry(epoch, self._terms.owner, now, self._terms.duration)
        if not await self._jobs.save(job):
            raise underway
        await self._launcher.launch(job, "retry")
        return job

    async def _next_epoch(self, job: MonthlyRewardJob, now: datetime) -> int | None:
        owner = self._terms.owner
        if await self._claims.claim(job.id, job.epoch + 1, owner, now):
            return job.epoch + 1
        # Taken: usually by a concurrent taker, who now runs the job. The job document lags the
        # claims for longer only when that taker never wrote it (it died at once, or on FerretDB
        # an interleaved stale write undid it): after a whole lease without a word, claim past.
        newest = await self._claims.newest(job.id)
        if newest is None or newest.claimed_at + self._terms.duration > now:
            return None
        # Only past a taker that never wrote the job: read once more (this caller may have been
        # stopped since take_over read it), the job must still lag the claims.
        current = await self._abandoned_now(job.id, now)
        if current is None or current.epoch >= newest.attempt:
            return None
        epoch = newest.attempt + 1
        return epoch if await self._claims.claim(job.id, epoch, owner, now) else None

    async def _abandoned_now(self, job_id: str, now: datetime) -> MonthlyRewardJob | None:
        """The job as stored now, if it is still processing under an expired lease. A caller's
        copy may be old: read before its process was stopped, it still says `processing` under
        a lease long expired after another attempt finished the job; judged by it, a claim
        would pass that attempt and the save write the old copy over the finished job."""
        current = await self._jobs.get(job_id)
        return current if current is not None and current.lease_expired(now) else None
