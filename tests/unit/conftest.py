"""A small world of fakes for use-case tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.fakes import (
    FakeUser,
    FaultPlan,
    FixedClock,
    InMemoryJobRepository,
    InMemoryRewardRepository,
    InMemorySnapshotRepository,
    InMemoryUsers,
    RecordingTaskRunner,
    Transient,
    make_users,
)

from application.crediting import CreditStep
from application.launcher import JobLauncher
from application.lease import LeaseTerms
from application.ports.reward_repository import RewardRepository
from application.ports.wallet import Wallet
from application.retrying import RetryPolicy
from application.takeover import TakeOver
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from application.use_cases.resume_abandoned_jobs import ResumeAbandonedJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from domain.policy import RewardPolicy


@dataclass
class World:
    plan: FaultPlan
    clock: FixedClock
    jobs: InMemoryJobRepository
    snapshots: InMemorySnapshotRepository
    rewards: InMemoryRewardRepository
    users: InMemoryUsers
    runner: RecordingTaskRunner
    process: ProcessMonthlyRewards
    start: StartMonthlyRewards
    retry: RetryMonthlyRewards
    status: GetJobStatus
    recent: ListRecentJobs
    sweep: ResumeAbandonedJobs
    terms: LeaseTerms
    batch_size: int

    def worker(
        self, rewards: RewardRepository | None = None, wallet: Wallet | None = None
    ) -> ProcessMonthlyRewards:
        """Another worker on the same storage, with the reward records or wallets wrapped."""
        credit = CreditStep(rewards or self.rewards, wallet or self.users, self.clock)
        return _worker(self.jobs, self.snapshots, self.users, credit, self.clock, self.batch_size)

    def expire_lease(self) -> None:
        """Let the lease run out, as it does when a worker dies."""
        self.clock.current += self.terms.duration + timedelta(seconds=1)


LEASE = LeaseTerms("worker-a", timedelta(seconds=60))
FAST_RETRIES = RetryPolicy(tries=3, first_delay=0.0, max_delay=0.0)


def _worker(
    jobs: InMemoryJobRepository,
    snapshots: InMemorySnapshotRepository,
    users: InMemoryUsers,
    credit: CreditStep,
    clock: FixedClock,
    batch_size: int,
) -> ProcessMonthlyRewards:
    return ProcessMonthlyRewards(
        jobs,
        snapshots,
        users,
        credit,
        clock,
        RewardPolicy.default(),
        LEASE,
        batch_size,
        FAST_RETRIES,
        lambda exc: isinstance(exc, Transient),
    )


def build_world(users: list[FakeUser], batch_size: int = 4, plan: FaultPlan | None = None) -> World:
    plan = plan or FaultPlan()
    clock = FixedClock()
    jobs = InMemoryJobRepository(plan)
    snapshots = InMemorySnapshotRepository(plan)
    rewards = InMemoryRewardRepository(plan)
    people = InMemoryUsers(users, plan)
    runner = RecordingTaskRunner()
    process = _worker(
        jobs, snapshots, people, CreditStep(rewards, people, clock), clock, batch_size
    )
    launcher = JobLauncher(runner, process)
    takeover = TakeOver(jobs, launcher, clock, LEASE)
    utc = ZoneInfo("UTC")
    return World(
        plan=plan,
        clock=clock,
        jobs=jobs,
        snapshots=snapshots,
        rewards=rewards,
        users=people,
        runner=runner,
        process=process,
        start=StartMonthlyRewards(jobs, launcher, takeover, clock, utc, LEASE),
        retry=RetryMonthlyRewards(jobs, launcher, clock, utc, LEASE),
        status=GetJobStatus(jobs, clock),
        recent=ListRecentJobs(jobs),
        sweep=ResumeAbandonedJobs(jobs, takeover),
        terms=LEASE,
        batch_size=batch_size,
    )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world(make_users(23, 6, inactive=3, admins=2))
    yield w
    await w.runner.shutdown(0)  # close work a test chose not to run
