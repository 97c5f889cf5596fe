import asyncio
import copy
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers
from tests.fakes import FixedClock, InMemoryJobRepository, make_users
from tests.unit.conftest import World, build_world

from application.use_cases.start_monthly_rewards import StartKind
from domain.errors import PeriodNotEnded
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from infrastructure.cached_jobs import CachedJobs
from infrastructure.settings import Settings


async def test_first_trigger_takes_the_lock_and_defers_the_work(world: World) -> None:
    outcome = await world.start.execute()
    assert outcome.kind is StartKind.STARTED
    assert outcome.job.period == Period(2024, 12)  # clock: 2025-01-01T00:05Z
    assert world.runner.spawned == ["monthly-rewards-2024-12"]
    assert all(u.coins == 0 for u in world.users.users.values())  # nothing paid before the answer
    await world.runner.wait_idle()
    assert (await world.status.execute()).status is JobStatus.COMPLETED


async def test_repeated_triggers_answer_by_the_jobs_state(world: World) -> None:
    await world.start.execute()
    assert (await world.start.execute()).kind is StartKind.ALREADY_PROCESSING
    await world.runner.wait_idle()
    again = await world.start.execute()
    assert again.kind is StartKind.ALREADY_COMPLETED
    assert again.job.results.total_rewards_awarded == 29
    assert world.runner.spawned == ["monthly-rewards-2024-12"]


async def test_concurrent_triggers_start_one_job(world: World) -> None:
    outcomes = await asyncio.gather(*(world.start.execute() for _ in range(50)))
    kinds = [o.kind for o in outcomes]
    assert kinds.count(StartKind.STARTED) == 1
    assert kinds.count(StartKind.ALREADY_PROCESSING) == 49
    assert len(world.jobs.jobs) == 1


async def test_a_failed_month_answers_with_how_to_retry(world: World) -> None:
    await world.start.execute()
    job = next(iter(world.jobs.jobs.values()))
    job.fail("boom", "stack", world.clock.now())
    outcome = await world.start.execute()
    assert outcome.kind is StartKind.PREVIOUSLY_FAILED
    assert outcome.job.error_message == "boom"


async def test_a_month_that_has_not_ended_is_refused_before_anything_is_written(
    world: World,
) -> None:
    with pytest.raises(PeriodNotEnded):
        await world.start.execute(Period(2025, 1))
    assert world.jobs.jobs == {}
    assert (await world.start.execute(Period(2024, 11))).job.period == Period(2024, 11)


class _Counting(InMemoryJobRepository):
    finds = 0

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        self.finds += 1
        return await super().find(period)


def _month_paid_here(jobs: CachedJobs, clock: FixedClock) -> MonthlyRewardJob:
    """December 2024 started by this process, under a 60-second lease from now."""
    return MonthlyRewardJob.start(
        jobs.new_id(), Period(2024, 12), clock.now(), "a", timedelta(seconds=60)
    )


async def test_completed_jobs_are_answered_from_memory_and_others_read_fresh() -> None:
    inner = _Counting()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    jobs = CachedJobs(inner, FixedClock(start))
    job = MonthlyRewardJob.start(jobs.new_id(), Period(2024, 12), start, "a", timedelta(60))
    await inner.create(job)  # written by another process: this one holds no lease on it
    for _ in range(3):  # processing, one after another: every read goes to storage
        found = await jobs.find(Period(2024, 12))
        assert found is not None and found.status is JobStatus.PROCESSING
    assert inner.finds == 3
    job.complete(start + timedelta(seconds=5))
    await inner.save(job)
    for _ in range(3):  # completed: read once, then from memory
        found = await jobs.find(Period(2024, 12))
        assert found is not None and found.status is JobStatus.COMPLETED
    assert inner.finds == 4


async def test_the_month_this_process_pays_is_answered_from_its_writes_while_its_lease_lives() -> (
    None
):
    inner = _Counting()
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    jobs = CachedJobs(inner, clock)
    job = _month_paid_here(jobs, clock)
    await jobs.create(job)
    job.begin_snapshot("students")  # in memory only: not written yet
    found = await jobs.find(Period(2024, 12))
    assert found is not None and found.progress.category is None  # as stored, not as held
    await jobs.save_progress(job)
    found = await jobs.find(Period(2024, 12))
    assert found is not None and found.progress.category == "students"
    assert found == await inner.find(Period(2024, 12))  # the same job the database holds
    inner.finds = 0
    clock.current += timedelta(seconds=61)  # the lease this process wrote has expired
    await jobs.find(Period(2024, 12))
    assert inner.finds == 1  # another worker may have taken over: ask the database
    clock.current -= timedelta(seconds=61)
    await jobs.save_lease(job)
    superseded = copy.deepcopy(job)
    superseded.epoch += 1  # a newer attempt, elsewhere
    await inner.save(superseded)
    assert not await jobs.save_lease(job)  # fenced out: this process forgets the month
    found = await jobs.find(Period(2024, 12))
    assert found is not None and found.epoch == job.epoch + 1
    assert inner.finds == 2


async def test_a_write_that_raises_leaves_the_month_as_last_written() -> None:
    inner = _Counting()
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    jobs = CachedJobs(inner, clock)
    job = _month_paid_here(jobs, clock)
    job.begin_snapshot("students")
    await jobs.create(job)

    async def away(_: MonthlyRewardJob) -> bool:
        raise ConnectionError("the database is away")

    inner.save_progress = away  # type: ignore[method-assign]
    job.progress.category = "teachers"
    with pytest.raises(ConnectionError):
        await jobs.save_progress(job)  # landed or not, nobody knows: what is held stays
    during = await jobs.find(Period(2024, 12))
    assert during is not None and during.progress.category == "students"
    assert inner.finds == 0  # answered while the database is away, as last written


class _Gated(InMemoryJobRepository):
    """Reads wait at a gate the test opens, so several can be in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.finds = 0
        self.gate = asyncio.Event()

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        self.finds += 1
        await self.gate.wait()
        return await super().find(period)


async def test_reads_of_a_running_month_in_flight_together_are_shared() -> None:
    inner = _Gated()
    jobs = CachedJobs(inner, FixedClock(datetime(2025, 1, 1, tzinfo=UTC)))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    job = MonthlyRewardJob.start(jobs.new_id(), Period(2024, 12), start, "a", timedelta(60))
    await inner.create(job)  # another process's month
    readers = [asyncio.ensure_future(jobs.find(Period(2024, 12))) for _ in range(50)]
    await asyncio.sleep(0)
    inner.gate.set()
    found = await asyncio.gather(*readers)
    assert inner.finds == 1  # fifty requests, one database read
    assert all(j is not None and j.status is JobStatus.PROCESSING for j in found)
    first, second = found[0], found[1]
    assert first is not None and second is not None and first is not second  # each its own copy
    first.complete(start)  # a caller changing its copy changes nobody else's
    assert second.status is JobStatus.PROCESSING


async def test_a_read_after_our_own_write_never_shares_an_older_read() -> None:
    inner = _Gated()
    jobs = CachedJobs(inner, FixedClock(datetime(2025, 1, 1, tzinfo=UTC)))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    job = MonthlyRewardJob.start(jobs.new_id(), Period(2024, 12), start, "a", timedelta(60))
    await inner.create(job)  # another process's month
    older = asyncio.ensure_future(jobs.find(Period(2024, 12)))  # in flight, held at the gate
    await asyncio.sleep(0)
    job.complete(start + timedelta(seconds=5))
    await jobs.save(job)
    newer = asyncio.ensure_future(jobs.find(Period(2024, 12)))
    await asyncio.sleep(0)
    inner.gate.set()
    read_after_write = await newer
    await older
    assert inner.finds == 1  # the read after the save did not join the one before it
    assert read_after_write is not None and read_after_write.status is JobStatus.COMPLETED


async def test_a_heartbeat_landing_after_completion_in_memory_does_not_cache_a_completion() -> None:
    """The worker completes the job in memory, then saves it; a lease renewal that lands in
    between writes only the lease: the month is still processing where it is stored."""
    inner = _Counting()
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    jobs = CachedJobs(inner, clock)
    job = _month_paid_here(jobs, clock)
    await jobs.create(job)
    job.complete(clock.now())  # in memory only: the completion's save has not landed
    assert await jobs.save_lease(job)
    found = await jobs.find(Period(2024, 12))
    assert found is not None and found.status is JobStatus.PROCESSING


async def test_what_is_held_is_the_job_as_sent_not_as_changed_while_in_flight() -> None:
    class Slow(_Counting):
        def __init__(self) -> None:
            super().__init__()
            self.gate = asyncio.Event()

        async def save_progress(self, job: MonthlyRewardJob) -> bool:
            sent = copy.deepcopy(job)  # what a real adapter has serialised by now
            await self.gate.wait()
            return await super().save_progress(sent)

    inner = Slow()
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    jobs = CachedJobs(inner, clock)
    job = _month_paid_here(jobs, clock)
    await jobs.create(job)
    job.begin_snapshot("students")
    saving = asyncio.ensure_future(jobs.save_progress(job))
    await asyncio.sleep(0)
    job.begin_snapshot("teachers")  # the worker moves on while the write is in flight
    inner.gate.set()
    assert await saving
    found = await jobs.find(Period(2024, 12))
    assert found is not None and found.progress.category == "students"
    assert found == await inner.find(Period(2024, 12))


async def test_in_steps_a_repeated_trigger_reads_the_month_once() -> None:
    """Steps give the lease back after every call, so the month always looks abandoned; only
    the step endpoint takes it over, so the trigger reads no copy of its own to take it over."""
    world = build_world(make_users(3, 1), settings=Settings(batch_size=4, execution="steps"))
    inner = _Counting()
    world.container.jobs.override(providers.Object(CachedJobs(inner, world.clock)))
    await world.container.start_monthly_rewards().execute()
    before = inner.finds

    again = await world.container.start_monthly_rewards().execute()

    assert again.kind is StartKind.ALREADY_PROCESSING
    assert again.job.lease_expired(world.clock.now())
    assert inner.finds - before == 1
