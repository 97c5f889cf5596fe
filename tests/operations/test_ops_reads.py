"""The operator reads on fakes: rewards filtered and paged, a user's history, a frozen ranking a
page at a time in rank order, wallet totals, readiness."""

from __future__ import annotations

import pytest
from tests.fakes import FakeDatabaseProbe
from tests.unit.conftest import World

from application.paging import PageRequest
from domain.errors import SnapshotNotFound
from domain.period import Period

pytestmark = pytest.mark.unit

DECEMBER = Period(2024, 12)
NOVEMBER = Period(2024, 11)


async def _pay(world: World, *periods: Period) -> None:
    for period in periods:
        await world.start.execute(period)
        await world.runner.wait_idle()


async def test_rewards_of_a_month_filter_and_page(world: World) -> None:
    await _pay(world, NOVEMBER, DECEMBER)
    rewards = world.container.list_rewards()
    everything = await rewards.execute(DECEMBER, PageRequest(1, 200))
    assert everything.total == 29 and len(everything.items) == 29  # 23 students, 6 teachers
    assert all(r.period == DECEMBER for r in everything.items)
    # By category, then rank.
    assert [(r.category, r.rank) for r in everything.items] == sorted(
        (r.category, r.rank) for r in everything.items
    )
    elite = await rewards.execute(DECEMBER, PageRequest(1, 50), category="students", tier="ELITE")
    assert [r.rank for r in elite.items] == list(range(2, 11))
    second = await rewards.execute(DECEMBER, PageRequest(2, 10), category="students")
    assert [r.rank for r in second.items] == list(range(11, 21)) and second.total == 23
    assert second.pages == 3
    one = everything.items[0]
    mine = await rewards.execute(DECEMBER, PageRequest(1, 50), user_id=one.user_id)
    assert [r.user_id for r in mine.items] == [one.user_id]


async def test_a_users_history_is_newest_month_first(world: World) -> None:
    await _pay(world, NOVEMBER, DECEMBER)
    someone = next(iter(world.users.users.values()))
    history = await world.container.get_user_rewards().execute(someone.user_id, PageRequest())
    assert [r.period for r in history.items] == [DECEMBER, NOVEMBER]
    assert history.total == 2
    nobody = await world.container.get_user_rewards().execute("f" * 24, PageRequest())
    assert nobody.items == [] and nobody.total == 0 and nobody.pages == 1


async def test_the_frozen_ranking_pages_in_rank_order(world: World) -> None:
    await _pay(world, DECEMBER)
    ranking = world.container.get_ranking_snapshot()
    pages = [await ranking.execute(DECEMBER, "students", PageRequest(p, 10)) for p in (1, 2, 3, 4)]
    ranks = [[e.rank for e in page.entries.items] for page in pages]
    assert ranks == [list(range(1, 11)), list(range(11, 21)), [21, 22, 23], []]
    assert {page.entries.total for page in pages} == {23}
    assert pages[0].snapshot.is_frozen


async def test_a_ranking_that_is_missing_or_not_frozen_is_not_found(world: World) -> None:
    ranking = world.container.get_ranking_snapshot()
    with pytest.raises(SnapshotNotFound, match="does not exist"):
        await ranking.execute(DECEMBER, "students", PageRequest())
    await world.snapshots.start_building(DECEMBER, "students", world.clock.now())
    with pytest.raises(SnapshotNotFound, match="still being built"):
        await ranking.execute(DECEMBER, "students", PageRequest())


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 201)])
def test_a_page_out_of_range_is_refused(page: int, size: int) -> None:
    with pytest.raises(ValueError):
        PageRequest(page, size)


async def test_the_wallet_audit_sees_what_a_month_paid(world: World) -> None:
    audit = world.container.audit_wallets()
    before = await audit.execute()
    await _pay(world, DECEMBER)
    after = await audit.execute()
    job = await world.status.execute(DECEMBER)
    assert after.coins - before.coins == job.results.total_coins_awarded
    assert after.badges - before.badges == job.results.total_rewards_awarded


async def test_readiness_says_why_not(world: World) -> None:
    probe = world.container.database_probe()
    assert isinstance(probe, FakeDatabaseProbe)
    check = world.container.check_readiness()
    assert (await check.execute()).ready
    probe.pending = ["m0002_next"]
    pending = await check.execute()
    assert not pending.ready and pending.reason == "migrations not applied: m0002_next"
    assert pending.database_reachable
    probe.reachable = False
    down = await check.execute()
    assert not down.ready and not down.database_reachable
    assert down.reason == "database unreachable (ConnectionError)"
