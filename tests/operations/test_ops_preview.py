"""The dry run: what it says a run would pay is what the run then pays; it writes nothing; it
names the anomalies (blank counters, ties decided by _id, an empty category)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.fakes import FakeUser, make_users
from tests.operations.conftest import with_operator_fakes
from tests.unit.conftest import World, build_world

from domain.errors import PeriodNotEnded
from domain.payout_preview import AnomalyKind, tier_payouts
from domain.period import Period
from domain.tiers import DEFAULT_TIERS

pytestmark = pytest.mark.unit

DECEMBER = Period(2024, 12)


def _user(n: int, role: str = "student", **counters: float | None) -> FakeUser:
    return FakeUser(
        user_id=f"{n:024x}",
        role=role,
        name=f"user {n}",
        created_at=datetime(2024, 1, 1 + n % 20, tzinfo=UTC),
        xp=n % 4,
        counters=dict(counters),
    )


@pytest.mark.parametrize(
    ("participants", "users"),
    [
        (0, [0, 0, 0, 0, 0]),
        (1, [1, 0, 0, 0, 0]),
        (10, [1, 9, 0, 0, 0]),
        (11, [1, 9, 1, 0, 0]),
        (150, [1, 9, 40, 50, 50]),
    ],
)
def test_tier_payouts_cover_ranks_one_to_n(participants: int, users: list[int]) -> None:
    payouts = tier_payouts(DEFAULT_TIERS, participants)
    assert [p.users for p in payouts] == users
    assert [p.coins for p in payouts] == [
        u * t.coins for u, t in zip(users, DEFAULT_TIERS.tiers, strict=True)
    ]


async def test_the_preview_is_what_the_run_then_pays(world: World) -> None:
    outcome = await world.container.preview_monthly_rewards().execute(DECEMBER)
    preview = outcome.preview
    assert outcome.job is None

    started = await world.start.execute(DECEMBER)
    await world.runner.wait_idle()
    job = await world.status.execute(started.job.period)

    assert preview.total_coins == job.results.total_coins_awarded > 0
    assert preview.total_users == job.results.total_rewards_awarded
    for payout in preview.categories:
        paid = job.results.categories[payout.category]
        assert payout.participants == paid.participants
        for tier in payout.tiers:
            tally = paid.tiers.get(tier.tier)
            assert (tier.users, tier.coins) == ((tally.count, tally.coins) if tally else (0, 0))
        # The preview's top is the frozen snapshot's head, rank by rank.
        snapshot = await world.snapshots.find(DECEMBER, payout.category)
        assert snapshot is not None
        frozen = world.snapshots.entries_by_id[snapshot.id]
        assert [e.user_id for e in payout.top] == [
            frozen[r].user_id for r in range(1, len(payout.top) + 1)
        ]


async def test_the_preview_writes_nothing(world: World) -> None:
    wallets = world.users.wallets()
    await world.container.preview_monthly_rewards().execute(DECEMBER)
    assert world.plan.writes == 0
    assert world.plan.log == []
    assert world.jobs.jobs == {} and world.snapshots.snapshots == {} and world.rewards.rewards == {}
    assert world.users.wallets() == wallets
    assert world.runner.spawned == []


async def test_a_month_that_has_a_job_says_so(world: World) -> None:
    await world.start.execute(DECEMBER)
    await world.runner.wait_idle()
    outcome = await world.container.preview_monthly_rewards().execute(DECEMBER)
    assert outcome.job is not None and outcome.job.status.value == "completed"


async def test_a_month_that_has_not_ended_is_refused(world: World) -> None:
    with pytest.raises(PeriodNotEnded):
        await world.container.preview_monthly_rewards().execute(Period(2025, 1))


async def test_anomalies_blank_counters_ties_by_id_and_an_empty_category() -> None:
    blank = [_user(1), _user(2, **{"student.totalTests": None, "student.correctAnswers": None})]
    # Users 10 and 30 tie on score (15 * 1 + 0), xp (10 % 4 == 30 % 4 == 2) and createdAt
    # (day 11): only the _id orders them. Users 11 and 31 tie the same way at ranks 10 and 11,
    # across the ELITE/ACHIEVER boundary.
    tied = [_user(10, **{"student.totalTests": 1}), _user(30, **{"student.totalTests": 1})]
    others = [_user(100 + n, **{"student.totalTests": 20 + n}) for n in range(7)]
    boundary = [_user(11, **{"student.totalTests": 2}), _user(31, **{"student.totalTests": 2})]
    world = with_operator_fakes(build_world([*blank, *tied, *others, *boundary]))
    preview = (await world.container.preview_monthly_rewards().execute(DECEMBER)).preview

    kinds = {(a.kind, a.category): a for a in preview.anomalies}
    missing = kinds[(AnomalyKind.ALL_COUNTERS_MISSING, "students")]
    assert missing.count == 2 and set(missing.user_ids) == {f"{1:024x}", f"{2:024x}"}
    ties = kinds[(AnomalyKind.TIE_BROKEN_BY_ID, "students")]
    assert set(ties.user_ids) >= {f"{10:024x}", f"{30:024x}", f"{11:024x}", f"{31:024x}"}
    assert "1 such tie(s) straddle a tier boundary" in ties.message
    empty = kinds[(AnomalyKind.EMPTY_CATEGORY, "teachers")]
    assert empty.count == 0
    teachers = next(c for c in preview.categories if c.category == "teachers")
    assert teachers.participants == 0 and teachers.coins == 0
    # The blank users still rank (on a score of 0), last.
    students = next(c for c in preview.categories if c.category == "students")
    assert students.participants == len(blank) + len(tied) + len(others) + len(boundary)


async def test_no_anomalies_in_clean_data() -> None:
    people = [_user(n, **{"student.totalTests": n}) for n in range(1, 6)]
    people += [_user(50 + n, "teacher", **{"teacher.totalAttemptsOfStudents": n}) for n in range(3)]
    world = with_operator_fakes(build_world(people))
    preview = (await world.container.preview_monthly_rewards().execute(DECEMBER)).preview
    assert preview.anomalies == ()
    assert preview.total_users == 8


async def test_the_run_of_the_default_world_matches_with_ties_and_nulls() -> None:
    # make_users repeats scores every 7 users and nulls a few counters: the awkward case.
    world = with_operator_fakes(
        build_world(make_users(130, 12, inactive=4, admins=1), batch_size=7)
    )
    preview = (await world.container.preview_monthly_rewards().execute(DECEMBER)).preview
    await world.start.execute(DECEMBER)
    await world.runner.wait_idle()
    job = await world.status.execute(DECEMBER)
    assert job.results.total_coins_awarded == preview.total_coins
    assert job.results.total_rewards_awarded == preview.total_users == 142
