"""The composition root: every dependency is built here, and every one can be overridden."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from application.crediting import CreditStep
from application.launcher import JobLauncher
from application.lease import LeaseTerms
from application.retrying import RetryPolicy
from application.takeover import TakeOver
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from application.use_cases.resume_abandoned_jobs import ResumeAbandonedJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from infrastructure.cached_jobs import CompletedJobCache
from infrastructure.clock import SystemClock
from infrastructure.identity import worker_id
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK
from infrastructure.mongo.client import database, open_client, prepare_database
from infrastructure.mongo.errors import is_transient
from infrastructure.mongo.job_repository import BeanieJobRepository
from infrastructure.mongo.participant_source import MongoParticipantSource
from infrastructure.mongo.reward_repository import BeanieRewardRepository
from infrastructure.mongo.server_profile import ServerLimits
from infrastructure.mongo.snapshot_repository import BeanieSnapshotRepository
from infrastructure.mongo.wallet import MongoWallet, WalletShapes
from infrastructure.runner import AsyncioTaskRunner
from infrastructure.settings import Settings


def _users(db: Any, settings: Settings) -> Any:
    return db[settings.users_collection]


def _lease_terms(settings: Settings, owner: str) -> LeaseTerms:
    return LeaseTerms(owner, timedelta(seconds=settings.lease_seconds))


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(settings.retry_tries, settings.retry_first_delay, settings.retry_max_delay)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings.from_env)
    client = providers.Singleton(open_client, settings=settings)
    db = providers.Singleton(database, client=client, settings=settings)
    # The one async step (migrations, Beanie init); awaited by `init_resources()` at start-up.
    setup = providers.Resource(prepare_database, client=client, db=db, settings=settings)
    users = providers.Singleton(_users, db=db, settings=settings)

    clock = providers.Singleton(SystemClock)
    runner = providers.Singleton(AsyncioTaskRunner)
    owner = providers.Singleton(worker_id)
    lease_terms = providers.Singleton(_lease_terms, settings=settings, owner=owner)
    retry_policy = providers.Singleton(_retry_policy, settings=settings)

    jobs = providers.Singleton(CompletedJobCache, inner=providers.Singleton(BeanieJobRepository))
    snapshots = providers.Singleton(BeanieSnapshotRepository)
    # The server's kind and the write limits that fit it, asked once (server_profile.py).
    write_limits = providers.Singleton(
        ServerLimits, client=client, settings=providers.Callable(lambda s: s.write_limits, settings)
    )
    update_chunk = providers.Callable(lambda s: s.update_chunk or DEFAULT_UPDATE_CHUNK, settings)
    rewards = providers.Singleton(BeanieRewardRepository, update_chunk=update_chunk)
    wallet_shapes = providers.Singleton(WalletShapes)
    participants = providers.Singleton(MongoParticipantSource, users=users, shapes=wallet_shapes)
    wallet = providers.Singleton(
        MongoWallet, users=users, limits=write_limits, shapes=wallet_shapes
    )

    time_zone = providers.Callable(lambda s: s.time_zone, settings)
    policy = providers.Callable(lambda s: s.policy, settings)
    batch_size = providers.Callable(lambda s: s.batch_size, settings)

    credit_step = providers.Factory(CreditStep, rewards=rewards, wallet=wallet, clock=clock)
    process_monthly_rewards = providers.Factory(
        ProcessMonthlyRewards,
        jobs=jobs,
        snapshots=snapshots,
        participants=participants,
        credit=credit_step,
        clock=clock,
        policy=policy,
        terms=lease_terms,
        batch_size=batch_size,
        retry_policy=retry_policy,
        is_transient=providers.Object(is_transient),
    )
    launcher = providers.Factory(JobLauncher, runner=runner, process=process_monthly_rewards)
    takeover = providers.Factory(
        TakeOver, jobs=jobs, launcher=launcher, clock=clock, terms=lease_terms
    )
    start_monthly_rewards = providers.Factory(
        StartMonthlyRewards,
        jobs=jobs,
        launcher=launcher,
        takeover=takeover,
        clock=clock,
        tz=time_zone,
        terms=lease_terms,
    )
    retry_monthly_rewards = providers.Factory(
        RetryMonthlyRewards,
        jobs=jobs,
        launcher=launcher,
        clock=clock,
        tz=time_zone,
        terms=lease_terms,
    )
    resume_abandoned_jobs = providers.Factory(ResumeAbandonedJobs, jobs=jobs, takeover=takeover)
    stall_after = providers.Callable(lambda s: timedelta(seconds=s.stall_seconds), settings)
    get_job_status = providers.Factory(
        GetJobStatus, jobs=jobs, clock=clock, stall_after=stall_after
    )
    list_recent_jobs = providers.Factory(ListRecentJobs, jobs=jobs)


async def _awaited(result: Awaitable[None] | None) -> None:
    """The container's resource calls return an awaitable only when a resource is async."""
    if result is not None:
        await result


async def start_container(container: Container) -> None:
    """Migrates and initialises the database: the one async step of start-up."""
    await _awaited(container.init_resources())
    await container.write_limits().get()  # logs the server and the write limits in use


async def stop_container(container: Container) -> None:
    """Lets running work finish for the grace period, then closes the database client."""
    await container.runner().shutdown(container.settings().shutdown_grace_seconds)
    await _awaited(container.shutdown_resources())
