import asyncio
from collections import Counter

import pytest
from dependency_injector import providers
from tests.fakes import FakeUser, make_users
from tests.unit.conftest import World, build_world

from application import foreground
from application.foreground import Foreground, YieldPolicy
from domain.job import JobStatus
from domain.period import Period
from domain.reward import RewardStatus


async def run_month(world: World) -> None:
    await world.start.execute()
    await world.runner.wait_idle()


async def test_every_ranked_user_is_paid_their_tier_once(world: World) -> None:
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    students = job.results.categories["students"]
    teachers = job.results.categories["teachers"]
    # 23 students: 1 champion, 9 elite, 13 achievers; 6 teachers: 1 champion, 5 elite.
    assert (students.rewards_awarded, students.coins_awarded) == (23, 1000 + 9 * 500 + 13 * 200)
    assert (teachers.rewards_awarded, teachers.coins_awarded) == (6, 1000 + 5 * 500)
    assert {t: v.count for t, v in students.tiers.items()} == {
        "CHAMPION": 1,
        "ELITE": 9,
        "ACHIEVER": 13,
    }
    assert job.results.total_coins_awarded == 8100 + 3500
    for user in world.users.users.values():
        ranked = user.active and user.role in ("student", "teacher")
        assert len(user.badges) == (1 if ranked else 0)
        assert (user.coins > 0) == ranked


async def test_progress_and_snapshot_cover_the_whole_category(world: World) -> None:
    await run_month(world)
    job = await world.status.execute()
    assert {n: (p.processed, p.total) for n, p in job.progress.categories.items()} == {
        "students": (23, 23),
        "teachers": (6, 6),
    }
    snapshot = await world.snapshots.find(Period(2024, 12), "students")
    assert snapshot is not None and snapshot.is_frozen and snapshot.total_participants == 23


async def test_running_a_finished_month_again_pays_nothing(world: World) -> None:
    await run_month(world)
    before = world.users.wallets()
    job = await world.status.execute()
    job.status = JobStatus.PROCESSING  # as if a stale worker picked it up again
    await world.jobs.save(job)
    await world.process.execute(job.id)
    assert world.users.wallets() == before
    assert world.snapshots.builds == 2  # frozen snapshots are reused, not rebuilt


async def test_an_empty_month_completes_with_nothing_paid() -> None:
    world = build_world([])
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    assert job.results.total_rewards_awarded == 0


async def test_a_user_deleted_after_the_snapshot_gets_a_failed_reward() -> None:
    users = make_users(3, 0)
    world = build_world(users)
    original_credit = world.users.credit

    async def credit_after_deletion(rewards):  # type: ignore[no-untyped-def]
        world.users.users.pop(users[0].user_id, None)
        return await original_credit(rewards)

    world.users.credit = credit_after_deletion  # type: ignore[method-assign]
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    assert job.results.categories["students"].rewards_awarded == 2
    assert job.results.categories["students"].rewards_failed == 1
    assert job.results.errors[0].reason == "user no longer exists"
    statuses = Counter(r.status for r in world.rewards.rewards.values())
    assert statuses == {RewardStatus.AWARDED: 2, RewardStatus.FAILED: 1}


async def test_a_crash_marks_the_job_failed_with_message_and_stack() -> None:
    world = build_world(make_users(5, 1))

    async def broken(_category, *, ahead=False):  # type: ignore[no-untyped-def]
        raise ConnectionError("database unreachable")
        yield  # pragma: no cover

    world.users.stream = broken  # type: ignore[method-assign]
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.FAILED
    assert job.error_message == "database unreachable"
    assert job.error_stack is not None and "ConnectionError" in job.error_stack


def test_fake_users_are_distinct() -> None:
    users: list[FakeUser] = make_users(10, 10, inactive=2, admins=1)
    assert len({u.user_id for u in users}) == 23


async def test_the_next_categorys_ranking_is_read_while_this_one_is_paid(world: World) -> None:
    """The teachers are read while the students' batches are still being credited (and say so to
    the source, which may then read in smaller steps), and the month pays exactly what a run
    without reading ahead pays."""
    events: list[str] = []
    stream, credit = world.users.stream, world.users.credit

    async def recorded_stream(category, *, ahead=False):  # type: ignore[no-untyped-def]
        events.append(f"read {category.name}" + (" ahead" if ahead else ""))
        async for participant in stream(category, ahead=ahead):
            await asyncio.sleep(0)  # a read takes turns with the credits, as on a server
            yield participant

    async def recorded_credit(rewards):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        events.append(f"credit {rewards[0].category}")
        return await credit(rewards)

    world.users.stream = recorded_stream  # type: ignore[method-assign]
    world.users.credit = recorded_credit  # type: ignore[method-assign]
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    assert events.count("read students") == 1  # the first category has nothing to hide behind
    assert events.count("read teachers ahead") == 1  # read once, ahead, not again at its turn
    assert "read teachers" not in events
    teachers_read = events.index("read teachers ahead")
    students_credited = [i for i, e in enumerate(events) if e == "credit students"]
    assert len(students_credited) == 6 and teachers_read < students_credited[-1]
    assert job.results.categories["teachers"].rewards_awarded == 6
    assert (await world.snapshots.find(Period(2024, 12), "teachers")) is not None


async def test_a_batchs_rewards_are_built_in_slices_with_a_chance_for_requests_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a flood, a batch's rewards are built a slice at a time (foreground.sliced)."""
    monkeypatch.setattr(foreground, "SLICE", 2)
    gave: list[int] = []

    class Counting(Foreground):
        async def give_way(self) -> None:
            gave.append(1)

    world = build_world(make_users(23, 6))  # batches of 4
    world.container.foreground.override(providers.Object(Counting(YieldPolicy())))
    await run_month(world)
    job = await world.status.execute()
    assert job.status is JobStatus.COMPLETED
    assert job.results.total_rewards_awarded == 29
    # One chance between the two slices of each batch of 3 or 4 users: the students' six
    # batches (5 of 4, 1 of 3) and the teachers' first (4, then 2: one slice).
    assert len(gave) == 6 + 1
