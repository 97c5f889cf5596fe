"""A small world of fakes for use-case tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
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
    make_users,
)

from application.crediting import CreditStep
from application.launcher import JobLauncher
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
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


def build_world(users: list[FakeUser], batch_size: int = 4, plan: FaultPlan | None = None) -> World:
    plan = plan or FaultPlan()
    clock = FixedClock()
    jobs = InMemoryJobRepository(plan)
    snapshots = InMemorySnapshotRepository(plan)
    rewards = InMemoryRewardRepository(plan)
    people = InMemoryUsers(users, plan)
    runner = RecordingTaskRunner()
    utc = ZoneInfo("UTC")
    process = ProcessMonthlyRewards(
        jobs,
        snapshots,
        people,
        CreditStep(rewards, people, clock),
        clock,
        RewardPolicy.default(),
        batch_size,
    )
    return World(
        plan,
        clock,
        jobs,
        snapshots,
        rewards,
        people,
        runner,
        process,
        StartMonthlyRewards(jobs, JobLauncher(runner, process), clock, utc),
        RetryMonthlyRewards(jobs, JobLauncher(runner, process), clock, utc),
        GetJobStatus(jobs),
        ListRecentJobs(jobs),
    )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world(make_users(23, 6, inactive=3, admins=2))
    yield w
    await w.runner.shutdown(0)  # close work a test chose not to run
