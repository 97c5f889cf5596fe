"""Leases, takeover, fencing and transient retries, on the in-memory fakes: a dead worker's job is
resumed by exactly one taker, a superseded worker pays no one, and hiccups are ridden through."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from tests.fakes import Death, FaultPlan, Transient, make_users
from tests.unit.conftest import World, build_world

from application.lease import LeaseKeeper, LeaseTerms
from application.ports.reward_repository import RewardRepository
from application.ports.wallet import CreditResult, Wallet
from application.use_cases.start_monthly_rewards import StartKind
from domain.errors import LeaseLost
from domain.job import AttemptKind, AttemptOutcome, JobStatus, MonthlyRewardJob
from domain.period import Period
from domain.reward import Reward


def population():  # type: ignore[no-untyped-def]
    return make_users(13, 5, inactive=2, admins=1)


async def reference_wallets():  # type: ignore[no-untyped-def]
    world = build_world(population())
    await world.start.execute()
    await world.runner.wait_idle()
    return world.users.wallets()


async def died_mid_crediting() -> World:
    world = build_world(population(), plan=FaultPlan(crash_at=50, kind=Death))
    await world.start.execute()
    with pytest.raises(Death):
        await world.runner.wait_idle()
    return world


async def test_a_trigger_takes_over_a_dead_workers_job_once_its_lease_expires() -> None:
    world = await died_mid_crediting()
    assert (await world.start.execute()).kind is StartKind.ALREADY_PROCESSING  # lease still live
    world.expire_lease()
    outcome = await world.start.execute()
    assert (outcome.kind, outcome.job.epoch) == (StartKind.RESUMED, 2)
    await world.runner.wait_idle()
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    assert world.users.wallets() == await reference_wallets()
    assert [(a.number, a.kind, a.outcome) for a in job.history] == [
        (1, AttemptKind.START, AttemptOutcome.LEASE_EXPIRED),
        (2, AttemptKind.TAKEOVER, AttemptOutcome.COMPLETED),
    ]
    # The duration covers the whole run, from the first attempt's start.
    assert job.started_at == job.history[0].started_at


async def test_many_concurrent_takers_make_exactly_one_takeover() -> None:
    world = await died_mid_crediting()
    world.expire_lease()
    outcomes = await asyncio.gather(
        *(world.start.execute() for _ in range(25)), *(world.sweep.execute() for _ in range(25))
    )
    resumed = [o for o in outcomes[:25] if o.kind is StartKind.RESUMED]
    swept = [j for taken in outcomes[25:] for j in taken]
    assert len(resumed) + len(swept) == 1
    assert len(world.runner.pending) == 1
    await world.runner.wait_idle()
    assert world.users.wallets() == await reference_wallets()


async def test_a_live_lease_is_left_alone_by_the_sweep() -> None:
    world = build_world(population())
    await world.start.execute()
    assert await world.sweep.execute() == []
    await world.runner.wait_idle()
    world.expire_lease()
    assert await world.sweep.execute() == []  # completed jobs are never taken over


class PausingRewards(RewardRepository):
    """Holds the worker just before it records batch number `pause_at`: a stopped process."""

    def __init__(self, inner: RewardRepository, pause_at: int) -> None:
        self._inner, self._pause_at, self._calls = inner, pause_at, 0
        self.paused, self.resume = asyncio.Event(), asyncio.Event()

    async def record(self, rewards: Sequence[Reward]) -> None:
        self._calls += 1
        if self._calls == self._pause_at:
            self.paused.set()
            await self.resume.wait()
        await self._inner.record(rewards)

    async def for_period(self, period: Period, category: str) -> list[Reward]:
        return await self._inner.for_period(period, category)


class CountingWallet(Wallet):
    def __init__(self, inner: Wallet) -> None:
        self._inner, self.credited = inner, 0

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        self.credited += len(rewards)
        return await self._inner.credit(rewards)


async def test_a_paused_worker_whose_lease_was_taken_over_stops_and_pays_no_one() -> None:
    world = build_world(population())
    rewards = PausingRewards(world.rewards, pause_at=3)
    wallet_a = CountingWallet(world.users)
    worker_a = world.worker(rewards, wallet_a)
    job = (await world.start.execute()).job
    await world.runner.shutdown(0)  # worker A below runs the job instead
    run_a = asyncio.create_task(worker_a.run(job))
    await rewards.paused.wait()
    paid_before_pause = wallet_a.credited
    world.expire_lease()
    assert [j.epoch for j in await world.sweep.execute()] == [2]
    await world.runner.wait_idle()  # worker B finishes the month
    finished = await world.status.execute()
    assert finished.status is JobStatus.COMPLETED
    rewards.resume.set()  # A wakes up and tries to go on
    await run_a
    assert wallet_a.credited == paid_before_pause  # A credited nobody after waking
    assert world.users.wallets() == await reference_wallets()
    after = await world.status.execute()
    assert (after.status, after.epoch, after.results) == (
        JobStatus.COMPLETED,
        2,
        finished.results,
    )


async def test_the_fence_refuses_a_worker_once_a_newer_attempt_is_claimed() -> None:
    world = build_world(population())
    job = (await world.start.execute()).job
    keeper = LeaseKeeper(world.jobs, world.claims, world.clock, world.terms, job)
    await keeper.renew()
    assert await world.claims.claim(job.id, 2, "worker-b", world.clock.now())
    with pytest.raises(LeaseLost, match="superseded"):
        await keeper.renew()
    with pytest.raises(LeaseLost):
        await keeper.fence()
    await world.runner.shutdown(0)


async def test_heartbeats_renew_the_lease_while_the_worker_works() -> None:
    world = build_world(population())
    job = (await world.start.execute()).job
    terms = LeaseTerms("worker-a", timedelta(seconds=0.03))
    keeper = LeaseKeeper(world.jobs, world.claims, world.clock, terms, job)
    beating = asyncio.create_task(keeper.heartbeat())
    await asyncio.sleep(0.1)
    beating.cancel()
    assert world.jobs.renewals >= 2
    await world.runner.shutdown(0)


async def test_a_lease_given_back_stays_given_back_when_a_renewal_was_in_flight() -> None:
    """A step ending as its heartbeat beats: the renewal in flight lands first, the give-back
    after it, and no renewal follows (one did, and held the job a whole lease: the next step
    found it busy)."""
    world = build_world(population())
    job = (await world.start.execute()).job
    keeper = LeaseKeeper(world.jobs, world.claims, world.clock, world.terms, job)
    landed = asyncio.Event()
    held = asyncio.Event()
    save_lease = world.jobs.save_lease

    async def slow_save_lease(saved: MonthlyRewardJob) -> bool:
        held.set()
        await landed.wait()
        return await save_lease(saved)

    world.jobs.save_lease = slow_save_lease  # type: ignore[method-assign]
    renewing = asyncio.create_task(keeper.renew())  # the heartbeat's renewal, in flight
    await held.wait()
    stopping = asyncio.create_task(keeper.stop())
    await asyncio.sleep(0.01)
    assert not stopping.done()  # the give-back waits for the renewal to land
    landed.set()
    await renewing
    await stopping
    job.release(world.clock.now(), AttemptOutcome.PAUSED, "the step's time was up")
    assert await world.jobs.save(job)
    renewals = world.jobs.renewals
    with pytest.raises(LeaseLost, match="given back"):
        await keeper.renew()  # a later beat or fence writes nothing
    assert world.jobs.renewals == renewals
    stored = await world.jobs.get(job.id)
    assert stored is not None and stored.lease is not None
    assert stored.lease.expires_at <= world.clock.now()  # free for the next step at once
    await world.runner.shutdown(0)


async def test_transient_errors_are_retried_and_the_month_completes() -> None:
    world = build_world(population(), plan=FaultPlan(crash_at=40, kind=Transient))
    await world.start.execute()
    await world.runner.wait_idle()
    job = await world.status.execute()
    assert (job.status, job.epoch) == (JobStatus.COMPLETED, 1)
    assert world.users.wallets() == await reference_wallets()


class Outage(FaultPlan):
    """Every credit fails with a transient error while `down`."""

    down = True

    def tick(self, label: str) -> None:
        self.writes += 1
        if self.down and label == "wallet.credit":
            raise Transient("connection refused")


async def test_an_outage_longer_than_the_retries_fails_the_job_then_a_retry_resumes() -> None:
    plan = Outage()
    world = build_world(population(), plan=plan)
    await world.start.execute()
    await world.runner.wait_idle()
    job = await world.status.execute()
    assert job.status is JobStatus.FAILED
    assert job.error_message is not None
    assert "stayed unavailable through 3 tries" in job.error_message
    assert "connection refused" in job.error_message
    plan.down = False  # the database is back
    await world.retry.execute(Period(2024, 12))
    await world.runner.wait_idle()
    job = await world.status.execute()
    assert (job.status, job.epoch) == (JobStatus.COMPLETED, 2)
    assert world.users.wallets() == await reference_wallets()


async def test_a_shutdown_mid_job_gives_the_lease_back_for_an_immediate_takeover() -> None:
    world = build_world(population())
    rewards = PausingRewards(world.rewards, pause_at=2)
    worker = world.worker(rewards)
    job = (await world.start.execute()).job
    await world.runner.shutdown(0)
    running = asyncio.create_task(worker.run(job))
    await rewards.paused.wait()
    running.cancel()  # what the runner does when the grace period of a shutdown runs out
    with pytest.raises(asyncio.CancelledError):
        await running
    job = await world.status.execute()
    assert job.status is JobStatus.PROCESSING
    assert job.history[-1].outcome is AttemptOutcome.INTERRUPTED
    assert [j.epoch for j in await world.sweep.execute()] == [2]  # no clock change needed
    await world.runner.wait_idle()
    assert world.users.wallets() == await reference_wallets()


async def test_a_claim_whose_taker_never_wrote_the_job_is_passed_after_a_lease() -> None:
    world = await died_mid_crediting()
    world.expire_lease()
    # A taker claimed attempt 2 and died before writing it to the job.
    assert await world.claims.claim("000000000000000000000001", 2, "ghost", world.clock.now())
    assert await world.sweep.execute() == []  # a fresh claim: its taker may be at work
    world.expire_lease()
    assert [j.epoch for j in await world.sweep.execute()] == [3]
    await world.runner.wait_idle()
    assert (await world.status.execute()).status is JobStatus.COMPLETED
    assert world.users.wallets() == await reference_wallets()


async def test_a_copy_read_before_a_pause_takes_nothing_over_once_the_job_moved_on() -> None:
    """A sweep read the job, then its process was stopped; meanwhile another worker took the job
    over and completed it. Waking a lease later, the sweep's copy says processing with an
    expired lease and the taker's claim is a lease old. It must not claim past that attempt and
    write its old copy over the completed job: seen on FerretDB in the fault suite, where the
    job went back to `processing` under attempt 3 with the first batch's results."""
    world = await died_mid_crediting()
    stale = (await world.jobs.processing())[0]  # the sweep's read, before the pause
    world.expire_lease()
    assert [j.epoch for j in await world.sweep.execute()] == [2]  # another process takes over
    await world.runner.wait_idle()
    done = await world.status.execute()
    assert done.status is JobStatus.COMPLETED
    world.expire_lease()  # the paused sweep wakes up
    attempts = world.container.attempts()
    assert await attempts.resume_abandoned(stale) is None
    assert await attempts.take_over(stale, AttemptKind.STEP) is None
    after = await world.status.execute()
    assert (after.status, after.epoch, after.results) == (JobStatus.COMPLETED, 2, done.results)
    assert not await world.claims.exists(stale.id, 3)  # no claim to stop a live worker with
    assert world.users.wallets() == await reference_wallets()


async def test_no_claim_past_a_taker_that_wrote_the_job_even_from_a_fresh_read() -> None:
    """The same case with the pause between take_over's own read and its claim: the claim of
    attempt 2 fails, attempt 2 is a lease old, and the job (as read again) holds attempt 2,
    completed. Claiming attempt 3 would stop a live taker or undo a finished job."""
    world = await died_mid_crediting()
    world.expire_lease()
    read_before_the_pause = (await world.jobs.processing())[0]
    assert [j.epoch for j in await world.sweep.execute()] == [2]
    await world.runner.wait_idle()
    world.expire_lease()
    attempts = world.container.attempts()
    now = world.clock.now()
    assert await attempts._next_epoch(read_before_the_pause, now) is None
    assert not await world.claims.exists(read_before_the_pause.id, 3)
    assert (await world.status.execute()).status is JobStatus.COMPLETED
