"""The monthly job: its state machine (processing -> completed | failed), results, progress,
and who may work on it (the lease) under which fencing epoch (the attempt number)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import InvalidJobTransition, JobNotRetryable
from domain.period import Period
from domain.reward import Reward

MAX_RECORDED_ERRORS = 100  # a bad month must not grow the job document without bound


class JobStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Phase(StrEnum):
    QUEUED = "queued"
    SNAPSHOT = "snapshot"
    CREDITING = "crediting"
    DONE = "done"


@dataclass
class TierTally:
    count: int = 0
    coins: int = 0


@dataclass
class CategoryResult:
    participants: int = 0
    rewards_awarded: int = 0
    coins_awarded: int = 0
    rewards_failed: int = 0
    tiers: dict[str, TierTally] = field(default_factory=dict)

    def record_award(self, tier: str, coins: int) -> None:
        self.rewards_awarded += 1
        self.coins_awarded += coins
        tally = self.tiers.setdefault(tier, TierTally())
        tally.count += 1
        tally.coins += coins


@dataclass(frozen=True)
class RewardError:
    category: str
    user_id: str
    rank: int
    reason: str


@dataclass
class JobResults:
    categories: dict[str, CategoryResult] = field(default_factory=dict)
    errors: list[RewardError] = field(default_factory=list)
    errors_total: int = 0

    @property
    def total_rewards_awarded(self) -> int:
        return sum(c.rewards_awarded for c in self.categories.values())

    @property
    def total_coins_awarded(self) -> int:
        return sum(c.coins_awarded for c in self.categories.values())

    @property
    def records_total(self) -> int:
        """Rewards settled either way, awarded or failed."""
        return sum(c.rewards_awarded + c.rewards_failed for c in self.categories.values())

    def record_error(self, error: RewardError) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append(error)


@dataclass
class CategoryProgress:
    processed: int = 0
    total: int = 0


@dataclass
class Progress:
    phase: Phase = Phase.QUEUED
    category: str | None = None
    categories: dict[str, CategoryProgress] = field(default_factory=dict)


class AttemptOutcome(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    LEASE_EXPIRED = "lease_expired"  # its worker stopped renewing; another took over
    INTERRUPTED = "interrupted"  # its process shut down and gave the lease back
    PAUSED = "paused"  # a bounded step ended (serverless mode) and gave the lease back


class AttemptKind(StrEnum):
    START = "start"
    TAKEOVER = "takeover"
    RETRY = "retry"
    STEP = "step"  # one bounded step of work inside a request (serverless mode)


@dataclass
class Attempt:
    """One worker's go at the job. `number` is the fencing epoch: a higher one supersedes."""

    number: int
    kind: AttemptKind
    owner: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: AttemptOutcome = AttemptOutcome.RUNNING
    error_message: str | None = None

    def end(self, outcome: AttemptOutcome, now: datetime, error: str | None = None) -> None:
        self.outcome, self.ended_at, self.error_message = outcome, now, error


@dataclass
class Lease:
    """The right to work on a processing job until `expires_at`, renewed by heartbeats."""

    owner: str
    expires_at: datetime
    heartbeat_at: datetime


class JobHealth(StrEnum):
    """How a job looks from outside: the admin's answer to "is anyone working on it?"."""

    RUNNING = "running"
    STALLED = "stalled"  # heartbeats go on, progress stands still
    ORPHANED = "orphaned"  # the lease expired: nobody is working on it until a takeover
    FINISHED = "finished"


@dataclass
class MonthlyRewardJob:
    id: str
    period: Period
    status: JobStatus
    started_at: datetime
    completed_at: datetime | None = None
    duration: float | None = None
    results: JobResults = field(default_factory=JobResults)
    progress: Progress = field(default_factory=Progress)
    error_message: str | None = None
    error_stack: str | None = None
    epoch: int = 1  # the current attempt's number, which fences out every older attempt
    lease: Lease | None = None
    history: list[Attempt] = field(default_factory=list)
    progressed_at: datetime | None = None

    @classmethod
    def start(
        cls, job_id: str, period: Period, now: datetime, owner: str, lease_for: timedelta
    ) -> MonthlyRewardJob:
        job = cls(id=job_id, period=period, status=JobStatus.PROCESSING, started_at=now)
        job._begin_attempt(1, AttemptKind.START, owner, now, lease_for)
        return job

    @classmethod
    def queue(cls, job_id: str, period: Period, now: datetime) -> MonthlyRewardJob:
        """A job nobody works on yet: the first step that claims attempt 1 begins it."""
        return cls(id=job_id, period=period, status=JobStatus.PROCESSING, started_at=now, epoch=0)

    @property
    def current_attempt(self) -> Attempt | None:
        return self.history[-1] if self.history else None

    def lease_expired(self, now: datetime) -> bool:
        """A processing job nobody holds a live lease on (jobs from before leases had none)."""
        return self.status is JobStatus.PROCESSING and (
            self.lease is None or self.lease.expires_at <= now
        )

    def take_over(
        self,
        epoch: int,
        owner: str,
        now: datetime,
        lease_for: timedelta,
        kind: AttemptKind = AttemptKind.TAKEOVER,
    ) -> None:
        """A new worker resumes a job whose lease nobody holds: its worker died, or gave the
        lease back (a shutdown, the end of a step)."""
        self._require(JobStatus.PROCESSING, "take over")
        if not self.lease_expired(now):
            raise InvalidJobTransition(
                f"cannot take over the job for {self.period}: its lease is held until "
                f"{self.lease.expires_at.isoformat() if self.lease else '?'}"
            )
        previous = self.current_attempt
        if previous is not None and previous.outcome is AttemptOutcome.RUNNING:
            holder = self.lease.owner if self.lease else previous.owner
            previous.end(
                AttemptOutcome.LEASE_EXPIRED, now, f"lease of {holder} expired; taken over"
            )
        self._begin_attempt(epoch, kind, owner, now, lease_for)

    def ensure_retryable(self) -> None:
        if self.status is not JobStatus.FAILED:
            raise JobNotRetryable(
                f"the job for {self.period} is {self.status.value}; only a failed job can be retried"
            )

    def retry(self, epoch: int, owner: str, now: datetime, lease_for: timedelta) -> None:
        """A failed job goes back to processing and resumes; it never starts over."""
        self.ensure_retryable()
        self.status = JobStatus.PROCESSING
        self.completed_at = None
        self.duration = None
        self._begin_attempt(epoch, AttemptKind.RETRY, owner, now, lease_for)

    def renew(self, now: datetime, lease_for: timedelta) -> None:
        self._require(JobStatus.PROCESSING, "renew the lease of")
        assert self.lease is not None, "a processing job in this process holds a lease"
        self.lease = Lease(self.lease.owner, now + lease_for, now)

    def release(self, now: datetime, outcome: AttemptOutcome, why: str) -> None:
        """Gives the lease back mid-job (a shutdown, the end of a step), so the next worker
        resumes at once instead of waiting for the lease to run out."""
        if self.status is not JobStatus.PROCESSING or self.lease is None:
            return
        self.lease = Lease(self.lease.owner, now, self.lease.heartbeat_at)
        if (attempt := self.current_attempt) is not None:
            attempt.end(outcome, now, why)

    def mark_progress(self, now: datetime) -> None:
        self.progressed_at = now

    # The books of the run: what each step of the processing changes, in one place.

    def begin_snapshot(self, category: str) -> None:
        self._require(JobStatus.PROCESSING, "freeze a ranking for")
        self.progress.category = category
        self.progress.phase = Phase.SNAPSHOT

    def ranking_frozen(self, category: str, total: int) -> None:
        """A ranking frozen just now: nothing of its category can have been paid before it."""
        self.progress.categories[category] = CategoryProgress(0, total)
        self.results.categories[category] = CategoryResult(participants=total)

    def begin_crediting(self, category: str, total: int) -> int:
        """Enters the category's crediting; returns the last rank already paid (0 for none),
        after which a resumed run carries on."""
        self._require(JobStatus.PROCESSING, "credit")
        self.progress.category = category
        progress = self.progress.categories.setdefault(category, CategoryProgress())
        progress.total = total
        self.results.categories.setdefault(category, CategoryResult()).participants = total
        if progress.processed < total:
            self.progress.phase = Phase.CREDITING
        return progress.processed

    def record_batch(
        self, category: str, awarded: Sequence[Reward], failed: Sequence[Reward], last_rank: int
    ) -> None:
        """Counts one paid batch; called only once every write of the batch is acknowledged."""
        result = self.results.categories.setdefault(category, CategoryResult())
        for reward in awarded:
            result.record_award(reward.tier, reward.coins)
        for reward in failed:
            result.rewards_failed += 1
            self.results.record_error(
                RewardError(category, reward.user_id, reward.rank, reward.failure_reason or "")
            )
        self.progress.categories.setdefault(category, CategoryProgress()).processed = last_rank

    def remaining(self) -> int:
        """Users of the frozen rankings not paid yet (categories not frozen yet are not known)."""
        return sum(max(p.total - p.processed, 0) for p in self.progress.categories.values())

    def health(self, now: datetime, stall_after: timedelta) -> JobHealth:
        if self.status is not JobStatus.PROCESSING:
            return JobHealth.FINISHED
        if self.lease_expired(now):
            return JobHealth.ORPHANED
        last_progress = self.progressed_at or self.started_at
        if now - last_progress > stall_after:
            return JobHealth.STALLED
        return JobHealth.RUNNING

    def complete(self, now: datetime) -> None:
        self._require(JobStatus.PROCESSING, "complete")
        self.status = JobStatus.COMPLETED
        self.completed_at = now
        self.duration = round((now - self.started_at).total_seconds(), 3)
        self.progress.phase = Phase.DONE
        self.error_message = None
        self.error_stack = None
        self._end_attempt(AttemptOutcome.COMPLETED, now)

    def fail(self, message: str, stack: str | None, now: datetime) -> None:
        self._require(JobStatus.PROCESSING, "fail")
        self.status = JobStatus.FAILED
        self.completed_at = now
        self.duration = round((now - self.started_at).total_seconds(), 3)
        self.error_message = message
        self.error_stack = stack
        self._end_attempt(AttemptOutcome.FAILED, now, message)

    def _begin_attempt(
        self, epoch: int, kind: AttemptKind, owner: str, now: datetime, lease_for: timedelta
    ) -> None:
        if epoch <= self.epoch and self.history:
            raise InvalidJobTransition(
                f"attempt {epoch} of the job for {self.period} is not newer than {self.epoch}"
            )
        self.epoch = epoch
        self.history.append(Attempt(epoch, kind, owner, now))
        self.lease = Lease(owner, now + lease_for, now)
        self.progressed_at = now

    def _end_attempt(
        self, outcome: AttemptOutcome, now: datetime, error: str | None = None
    ) -> None:
        if (attempt := self.current_attempt) is not None:
            attempt.end(outcome, now, error)
        if self.lease is not None:
            self.lease = Lease(self.lease.owner, now, self.lease.heartbeat_at)

    def _require(self, status: JobStatus, action: str) -> None:
        if self.status is not status:
            raise InvalidJobTransition(
                f"cannot {action} the job for {self.period}: it is {self.status.value}"
            )
