"""A small world of fakes for use-case tests, wired by the application's own container: the
composition root is the one in src/, with each port overridden by its in-memory fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from dependency_injector import providers
from tests.fakes import (
    FakeUser,
    FaultPlan,
    FixedClock,
    InMemoryAttemptClaims,
    InMemoryJobRepository,
    InMemoryRewardRepository,
    InMemorySnapshotRepository,
    InMemoryUsers,
    RecordingTaskRunner,
    Transient,
    make_users,
)

from application.lease import LeaseTerms
from application.ports.reward_repository import RewardRepository
from application.ports.wallet import Wallet
from application.retrying import RetryPolicy
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from application.use_cases.resume_abandoned_jobs import ResumeAbandonedJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.run_processing_step import RunProcessingStep
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from infrastructure.container import Container
from infrastructure.settings import Settings

LEASE = LeaseTerms("worker-a", timedelta(seconds=60))
FAST_RETRIES = RetryPolicy(tries=3, first_delay=0.0, max_delay=0.0)


@dataclass
class World:
    container: Container
    plan: FaultPlan
    clock: FixedClock
    jobs: InMemoryJobRepository
    claims: InMemoryAttemptClaims
    snapshots: InMemorySnapshotRepository
    rewards: InMemoryRewardRepository
    users: InMemoryUsers
    runner: RecordingTaskRunner
    terms: LeaseTerms = LEASE

    @property
    def process(self) -> ProcessMonthlyRewards:
        return self.container.process_monthly_rewards()  # type: ignore[no-any-return]

    @property
    def start(self) -> StartMonthlyRewards:
        return self.container.start_monthly_rewards()  # type: ignore[no-any-return]

    @property
    def retry(self) -> RetryMonthlyRewards:
        return self.container.retry_monthly_rewards()  # type: ignore[no-any-return]

    @property
    def status(self) -> GetJobStatus:
        return self.container.get_job_status()  # type: ignore[no-any-return]

    @property
    def recent(self) -> ListRecentJobs:
        return self.container.list_recent_jobs()  # type: ignore[no-any-return]

    @property
    def step(self) -> RunProcessingStep:
        return self.container.run_processing_step()  # type: ignore[no-any-return]

    @property
    def sweep(self) -> ResumeAbandonedJobs:
        return self.container.resume_abandoned_jobs()  # type: ignore[no-any-return]

    def worker(
        self, rewards: RewardRepository | None = None, wallet: Wallet | None = None
    ) -> ProcessMonthlyRewards:
        """Another worker on the same storage, with the reward records or wallets wrapped."""
        credit = self.container.credit_step(
            rewards=rewards or self.rewards, wallet=wallet or self.users
        )
        return self.container.process_monthly_rewards(credit=credit)  # type: ignore[no-any-return]

    def expire_lease(self) -> None:
        """Let the lease run out, as it does when a worker dies."""
        self.clock.current += self.terms.duration + timedelta(seconds=1)


def build_world(
    users: list[FakeUser],
    batch_size: int = 4,
    plan: FaultPlan | None = None,
    settings: Settings | None = None,
    clock: FixedClock | None = None,
) -> World:
    plan = plan or FaultPlan()
    people = InMemoryUsers(users, plan)
    world = World(
        container=Container(),
        plan=plan,
        clock=clock or FixedClock(),
        jobs=InMemoryJobRepository(plan),
        claims=InMemoryAttemptClaims(plan),
        snapshots=InMemorySnapshotRepository(plan),
        rewards=InMemoryRewardRepository(plan),
        users=people,
        runner=RecordingTaskRunner(),
    )
    overrides = {
        world.container.settings: settings or Settings(batch_size=batch_size),
        world.container.clock: world.clock,
        world.container.runner: world.runner,
        world.container.lease_terms: LEASE,
        world.container.retry_policy: FAST_RETRIES,
        world.container.is_transient: lambda exc: isinstance(exc, Transient),
        world.container.jobs: world.jobs,
        world.container.claims: world.claims,
        world.container.snapshots: world.snapshots,
        world.container.rewards: world.rewards,
        world.container.participants: people,
        world.container.wallet: people,
    }
    for provider, fake in overrides.items():
        provider.override(providers.Object(fake))
    return world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world(make_users(23, 6, inactive=3, admins=2))
    yield w
    await w.runner.shutdown(0)  # close work a test chose not to run
