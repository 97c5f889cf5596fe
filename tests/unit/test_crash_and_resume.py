"""Stop a run after every single write it makes, resume it, and compare with one clean run:
every wallet, reward record and total must come out the same. Nothing lost, nothing twice."""

from collections import Counter

import pytest
from tests.fakes import Crash, Death, FaultPlan, Transient, make_users
from tests.unit.conftest import World, build_world

from domain.job import JobStatus
from domain.reward import RewardStatus


def population():  # type: ignore[no-untyped-def]
    # 13 students and 5 teachers, batch size 4: several batches per category, a partial last one.
    return make_users(13, 5, inactive=2, admins=1)


async def clean_run() -> World:
    world = build_world(population())
    await world.start.execute()
    await world.runner.wait_idle()
    return world


async def resume(world: World) -> None:
    job = await world.status.execute()
    if job.status is JobStatus.FAILED:
        await world.retry.execute(job.period)
        await world.runner.wait_idle()
    elif job.status is JobStatus.PROCESSING:  # the worker died: its lease lapses, a sweep resumes
        world.expire_lease()
        assert [j.id for j in await world.sweep.execute()] == [job.id]
        await world.runner.wait_idle()


def assert_same_outcome(world: World, reference: World) -> None:
    assert world.users.wallets() == reference.users.wallets()
    statuses = Counter(r.status for r in world.rewards.rewards.values())
    assert statuses == {RewardStatus.AWARDED: 18}
    job = next(iter(world.jobs.jobs.values()))
    expected = next(iter(reference.jobs.jobs.values()))
    assert job.status is JobStatus.COMPLETED
    assert job.results == expected.results
    for user in world.users.users.values():
        keys = Counter(user.keys)
        assert all(n == 1 for n in keys.values()), f"{user.user_id} credited twice: {keys}"


async def count_writes() -> int:
    world = await clean_run()
    return world.plan.writes


@pytest.mark.parametrize("kind", [Crash, Death], ids=["failure", "process-death"])
async def test_stopping_after_any_write_then_resuming_pays_exactly_once(
    kind: type[BaseException],
) -> None:
    reference = await clean_run()
    total = reference.plan.writes
    assert total > 60  # the run is long enough for the loop below to mean something
    stopped_at: Counter[str] = Counter()
    for crash_at in range(1, total + 1):
        plan = FaultPlan(crash_at=crash_at, kind=kind)
        world = build_world(population(), plan=plan)
        try:
            await world.start.execute()
            await world.runner.wait_idle()
        except (Crash, Death):  # stopped in the trigger itself, or (Death) in the worker
            await world.runner.shutdown(0)
        stopped_at[plan.log[crash_at - 1].split(":")[0]] += 1
        await resume(world)
        assert_same_outcome(world, reference)
    # Every kind of write was a stopping point at least once.
    assert set(stopped_at) >= {
        "jobs.save_progress",
        "snapshots.start_building",
        "snapshots.add_entry",
        "snapshots.freeze",
        "rewards.insert",
        "wallet.credit",
    }


async def test_resuming_twice_in_a_row_still_pays_once() -> None:
    reference = await clean_run()
    world = build_world(population(), plan=FaultPlan(crash_at=60, kind=Death))
    await world.start.execute()
    with pytest.raises(Death):
        await world.runner.wait_idle()
    job = await world.status.execute()
    await world.process.execute(job.id)
    job = await world.status.execute()
    job.status = JobStatus.PROCESSING
    await world.jobs.save(job)
    await world.process.execute(job.id)
    assert world.users.wallets() == reference.users.wallets()


async def test_a_transient_error_after_any_write_is_ridden_through_by_the_same_attempt() -> None:
    reference = await clean_run()
    for fail_at in range(1, reference.plan.writes + 1):
        world = build_world(population(), plan=FaultPlan(crash_at=fail_at, kind=Transient))
        try:
            await world.start.execute()
        except Transient:  # the trigger's own insert: the scheduler sees an error, the job exists
            await resume(world)
        await world.runner.wait_idle()
        job = await world.status.execute()
        assert job.status is JobStatus.COMPLETED, (fail_at, world.plan.log[fail_at - 1])
        assert_same_outcome(world, reference)
        if world.plan.log[fail_at - 1] != "jobs.create":
            assert job.epoch == 1, world.plan.log[fail_at - 1]  # no takeover was needed
