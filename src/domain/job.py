"""The monthly job: its state machine (processing -> completed | failed), results and progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidJobTransition, JobNotRetryable
from domain.period import Period

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
    attempts: int = 1

    @classmethod
    def start(cls, job_id: str, period: Period, now: datetime) -> MonthlyRewardJob:
        return cls(id=job_id, period=period, status=JobStatus.PROCESSING, started_at=now)

    def complete(self, results: JobResults, now: datetime) -> None:
        self._require(JobStatus.PROCESSING, "complete")
        self.status = JobStatus.COMPLETED
        self.results = results
        self.completed_at = now
        self.duration = round((now - self.started_at).total_seconds(), 3)
        self.progress.phase = Phase.DONE
        self.error_message = None
        self.error_stack = None

    def fail(self, message: str, stack: str | None, now: datetime) -> None:
        self._require(JobStatus.PROCESSING, "fail")
        self.status = JobStatus.FAILED
        self.completed_at = now
        self.duration = round((now - self.started_at).total_seconds(), 3)
        self.error_message = message
        self.error_stack = stack

    def retry(self) -> None:
        """A failed job goes back to processing and resumes; it never starts over."""
        if self.status is not JobStatus.FAILED:
            raise JobNotRetryable(
                f"the job for {self.period} is {self.status.value}; only a failed job can be retried"
            )
        self.status = JobStatus.PROCESSING
        self.completed_at = None
        self.duration = None
        self.attempts += 1

    def _require(self, status: JobStatus, action: str) -> None:
        if self.status is not status:
            raise InvalidJobTransition(
                f"cannot {action} the job for {self.period}: it is {self.status.value}"
            )
