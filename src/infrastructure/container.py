"""The composition root: every dependency is built here, and every one can be overridden."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from application.attempts import Attempts
from application.crediting import CreditStep
from application.foreground import Foreground
from application.launcher import BackgroundLauncher, StepLauncher
from application.lease import LeaseTerms
from application.rankings import Rankings
from application.retrying import RetryPolicy
from application.run_settings import RunSettings
from application.use_cases.audit_wallets import AuditWallets
from application.use_cases.check_readiness import CheckReadiness
from application.use_cases.check_schedule import CheckSchedule
from application.use_cases.gather_job_metrics import GatherJobMetrics
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.get_ranking_snapshot import GetRankingSnapshot
from application.use_cases.get_user_rewards import GetUserRewards
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.list_rewards import ListRewards
from application.use_cases.preview_monthly_rewards import PreviewMonthlyRewards
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from application.use_cases.resume_abandoned_jobs import ResumeAbandonedJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.run_monthly_rewards import RunMonthlyRewards
from application.use_cases.run_processing_step import RunProcessingStep
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from application.use_cases.start_overdue_month import StartOverdueMonth
from infrastructure.cached_jobs import CachedJobs
from infrastructure.clock import SystemClock
from infrastructure.identity import worker_id
from infrastructure.metrics import count_yield
from infrastructure.mongo.attempt_claims import MongoAttemptClaims
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK
from infrastructure.mongo.client import database, open_client, prepare_database
from infrastructure.mongo.database_probe import MongoDatabaseProbe
from infrastructure.mongo.documents import RewardDocument
from infrastructure.mongo.errors import is_transient as transient_on_mongo
from infrastructure.mongo.job_repository import MongoJobRepository
from infrastructure.mongo.participant_source import MongoParticipantSource
from infrastructure.mongo.reward_queries import MongoRewardQueries
from infrastructure.mongo.reward_repository import MongoRewardRepository
from infrastructure.mongo.server_profile import ServerLimits
from infrastructure.mongo.snapshot_repository import MongoSnapshotRepository
from infrastructure.mongo.wallet import MongoWallet, WalletShapes
from infrastructure.mongo.wallet_audit import MongoWalletAudit
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
    # The one async step (migrations); awaited by `init_resources()` at start-up.
    setup = providers.Resource(prepare_database, client=client, db=db, settings=settings)
    users = providers.Singleton(_users, db=db, settings=settings)

    clock = providers.Singleton(SystemClock)
    runner = providers.Singleton(AsyncioTaskRunner)
    owner = providers.Singleton(worker_id)
    lease_terms = providers.Singleton(_lease_terms, settings=settings, owner=owner)
    retry_policy = providers.Singleton(_retry_policy, settings=settings)
    is_transient = providers.Object(transient_on_mongo)
    # The requests the HTTP layer counts; the month's bulk commands await their turn from it.
    foreground = providers.Singleton(
        Foreground,
        policy=providers.Callable(lambda s: s.yield_policy, settings),
        on_wait=providers.Object(count_yield),
    )
    turn = foreground.provided.turn
    give_way = foreground.provided.give_way

    # Every adapter is handed its database: two containers in one process use two databases.
    jobs = providers.Singleton(
        CachedJobs,
        inner=providers.Singleton(MongoJobRepository, db=db, clock=clock),
        clock=clock,
    )
    claims = providers.Singleton(MongoAttemptClaims, db=db)
    snapshots = providers.Singleton(
        MongoSnapshotRepository,
        db=db,
        policy=settings.provided.policy,
        turn=turn,
        give_way=give_way,
    )
    # The server's kind and the write limits that fit it, asked once (server_profile.py).
    write_limits = providers.Singleton(
        ServerLimits,
        client=client,
        settings=providers.Callable(lambda s: s.write_limits, settings),
        embedded=settings.provided.embedded,
    )
    update_chunk = providers.Callable(lambda s: s.update_chunk or DEFAULT_UPDATE_CHUNK, settings)
    rewards = providers.Singleton(
        MongoRewardRepository, db=db, update_chunk=update_chunk, turn=turn, give_way=give_way
    )
    wallet_shapes = providers.Singleton(WalletShapes)
    participants = providers.Singleton(
        MongoParticipantSource, users=users, shapes=wallet_shapes, turn=turn, give_way=give_way
    )
    wallet = providers.Singleton(
        MongoWallet,
        users=users,
        limits=write_limits,
        shapes=wallet_shapes,
        turn=turn,
        give_way=give_way,
    )

    time_zone = providers.Callable(lambda s: s.time_zone, settings)
    policy = providers.Callable(lambda s: s.policy, settings)
    batch_size = providers.Callable(lambda s: s.batch_size, settings)

    credit_step = providers.Factory(CreditStep, rewards=rewards, wallet=wallet, clock=clock)
    run_settings = providers.Singleton(
        RunSettings,
        policy=policy,
        lease=lease_terms,
        retry=retry_policy,
        is_transient=is_transient,
    )
    rankings = providers.Factory(
        Rankings,
        snapshots=snapshots,
        participants=participants,
        clock=clock,
        batch_size=batch_size,
    )
    process_monthly_rewards = providers.Factory(
        ProcessMonthlyRewards,
        jobs=jobs,
        claims=claims,
        rankings=rankings,
        credit=credit_step,
        clock=clock,
        settings=run_settings,
        give_way=give_way,
    )
    # Background work by default; in steps (serverless hosts) the step endpoint does the work.
    launcher = providers.Selector(
        providers.Callable(lambda s: s.execution, settings),
        background=providers.Factory(
            BackgroundLauncher, runner=runner, process=process_monthly_rewards.provider
        ),
        steps=providers.Factory(StepLauncher, jobs=jobs, clock=clock),
    )
    attempts = providers.Factory(
        Attempts, jobs=jobs, claims=claims, launcher=launcher, clock=clock, terms=lease_terms
    )
    # The two use cases of the answers under load are stateless, so one of each serves every
    # request: building the trigger's per request (its attempts and launcher too) was about 2 % of
    # an answer's CPU in `serve`.
    start_monthly_rewards = providers.Singleton(
        StartMonthlyRewards,
        jobs=jobs,
        launcher=launcher,
        attempts=attempts,
        clock=clock,
        tz=time_zone,
        terms=lease_terms,
    )
    retry_monthly_rewards = providers.Factory(
        RetryMonthlyRewards, jobs=jobs, attempts=attempts, clock=clock, tz=time_zone
    )
    resume_abandoned_jobs = providers.Factory(ResumeAbandonedJobs, jobs=jobs, attempts=attempts)
    run_processing_step = providers.Factory(
        RunProcessingStep,
        jobs=jobs,
        attempts=attempts,
        process=process_monthly_rewards,
        clock=clock,
        step=providers.Callable(lambda s: timedelta(seconds=s.step_seconds), settings),
    )
    stall_after = providers.Callable(lambda s: timedelta(seconds=s.stall_seconds), settings)
    get_job_status = providers.Singleton(
        GetJobStatus, jobs=jobs, clock=clock, stall_after=stall_after
    )
    list_recent_jobs = providers.Factory(ListRecentJobs, jobs=jobs)

    # Operator surfaces (issue 11): reads, the dry run, the alarm, readiness, metrics, audits.
    reward_queries = providers.Singleton(
        MongoRewardQueries,
        rewards=providers.Callable(lambda d: d[RewardDocument.collection], db),
    )
    wallet_audit = providers.Singleton(MongoWalletAudit, users=users)
    database_probe = providers.Singleton(MongoDatabaseProbe, db=db)
    run_deadline = providers.Callable(lambda s: s.run_deadline, settings)
    list_rewards = providers.Factory(ListRewards, rewards=reward_queries)
    get_user_rewards = providers.Factory(GetUserRewards, rewards=reward_queries)
    get_ranking_snapshot = providers.Factory(GetRankingSnapshot, snapshots=snapshots)
    preview_monthly_rewards = providers.Factory(
        PreviewMonthlyRewards,
        participants=participants,
        jobs=jobs,
        clock=clock,
        tz=time_zone,
        policy=policy,
    )
    check_schedule = providers.Factory(
        CheckSchedule, jobs=jobs, clock=clock, tz=time_zone, deadline=run_deadline
    )
    start_overdue_month = providers.Factory(
        StartOverdueMonth, schedule=check_schedule, start=start_monthly_rewards
    )
    run_monthly_rewards = providers.Factory(
        RunMonthlyRewards,
        start=start_monthly_rewards,
        poll_seconds=providers.Callable(lambda s: min(5.0, s.lease_seconds / 3), settings),
    )
    gather_job_metrics = providers.Factory(
        GatherJobMetrics, jobs=jobs, schedule=check_schedule, clock=clock, stall_after=stall_after
    )
    check_readiness = providers.Factory(CheckReadiness, probe=database_probe)
    audit_wallets = providers.Factory(AuditWallets, wallets=wallet_audit)


def container_for(settings: Settings) -> Container:
    """The container of one process, on the given settings."""
    container = Container()
    container.settings.override(providers.Object(settings))
    return container


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
