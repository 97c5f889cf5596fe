"""The missed-run alarm and self-scheduling: the flag flips at the deadline (a fixed clock), and
an overdue month is started exactly once however many instances check it."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dependency_injector import providers
from tests.unit.conftest import World

from application.use_cases.start_monthly_rewards import StartKind
from domain.period import Period
from domain.schedule import RunDeadline
from infrastructure.container import Container

pytestmark = pytest.mark.unit

DECEMBER = Period(2024, 12)


def test_the_deadline_is_in_the_month_after_in_the_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    due = RunDeadline().due_at(DECEMBER, berlin)
    assert due == datetime(2025, 1, 1, 6, tzinfo=berlin)
    assert due.astimezone(UTC) == datetime(2025, 1, 1, 5, tzinfo=UTC)
    assert RunDeadline(3, 12).due_at(DECEMBER, UTC) == datetime(2025, 1, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize(("day", "hour"), [(0, 6), (29, 6), (1, 24), (1, -1)])
def test_an_impossible_deadline_is_refused(day: int, hour: int) -> None:
    with pytest.raises(ValueError):
        RunDeadline(day, hour)


async def test_the_overdue_flag_flips_at_the_deadline(world: World) -> None:
    check = world.container.check_schedule()
    world.clock.current = datetime(2025, 1, 1, 5, 59, 59, tzinfo=UTC)
    before = await check.execute()
    assert before.period == DECEMBER and before.job is None and not before.overdue

    world.clock.current = datetime(2025, 1, 1, 6, tzinfo=UTC)
    assert (await check.execute()).overdue

    await world.start.execute()
    after = await check.execute()
    assert after.job is not None and not after.overdue


async def test_the_deadline_follows_the_configured_zone_and_hour(world: World) -> None:
    settings = dataclasses.replace(
        world.container.settings(),
        time_zone=ZoneInfo("America/New_York"),
        run_deadline=RunDeadline(2, 9),
    )
    world.container.settings.override(providers.Object(settings))
    check = world.container.check_schedule()
    # 2025-01-02 09:00 in New York is 14:00 UTC.
    world.clock.current = datetime(2025, 1, 2, 13, 59, tzinfo=UTC)
    assert not (await check.execute()).overdue
    world.clock.current = datetime(2025, 1, 2, 14, 0, tzinfo=UTC)
    status = await check.execute()
    assert status.overdue and status.period == DECEMBER


async def test_self_scheduling_starts_an_overdue_month_once(world: World) -> None:
    scheduler = world.container.start_overdue_month()
    world.clock.current = datetime(2025, 1, 1, 5, 0, tzinfo=UTC)
    assert await scheduler.execute() is None
    assert world.jobs.jobs == {}

    world.clock.current = datetime(2025, 1, 1, 6, 30, tzinfo=UTC)
    started = await scheduler.execute()
    assert started is not None and started.kind is StartKind.STARTED
    assert started.job.period == DECEMBER
    assert await scheduler.execute() is None  # it has its job now: nothing is due
    await world.runner.wait_idle()
    assert len(world.jobs.jobs) == 1


def _instance(world: World) -> Container:
    """A second instance on the same database: its own container over the same storage."""
    other = Container()
    for name in (
        "settings",
        "clock",
        "lease_terms",
        "retry_policy",
        "is_transient",
        "jobs",
        "claims",
        "snapshots",
        "rewards",
        "participants",
        "wallet",
        "runner",
    ):
        getattr(other, name).override(getattr(world.container, name))
    return other


async def test_two_instances_checking_at_once_start_exactly_one_job(world: World) -> None:
    world.clock.current = datetime(2025, 1, 2, tzinfo=UTC)
    instances = [world.container, _instance(world), _instance(world)]
    outcomes = await asyncio.gather(*(c.start_overdue_month().execute() for c in instances))
    kinds = sorted(o.kind.value for o in outcomes if o is not None)
    assert kinds.count(StartKind.STARTED.value) == 1
    assert len(world.jobs.jobs) == 1
    job = next(iter(world.jobs.jobs.values()))
    assert [a.kind.value for a in job.history] == ["start"]
    assert len(world.runner.spawned) == 1
