from datetime import UTC, datetime

import pytest
from bson import ObjectId

from domain.errors import InvalidJobTransition
from domain.period import Period
from domain.policy import RewardPolicy
from domain.ranking import RankedEntry
from domain.reward import Reward, RewardStatus
from domain.tiers import DEFAULT_TIERS
from infrastructure.mongo.reward_repository import MongoRewardRepository
from infrastructure.mongo.snapshot_repository import MongoSnapshotRepository

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
P = Period(2024, 12)
SNAPSHOT_ID = str(ObjectId())


def entries(n: int) -> list[RankedEntry]:
    return [
        RankedEntry(r, f"{r:024x}", f"user {r}", None, 100 - r, 0, None if r % 2 else T0)
        for r in range(1, n + 1)
    ]


async def test_snapshot_entries_stream_back_in_rank_order(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoSnapshotRepository(db, RewardPolicy.default())
    snapshot = await repo.start_building(P, "students", T0)
    await repo.add_entries(snapshot.id, entries(7)[4:])
    await repo.add_entries(snapshot.id, entries(7)[:4])
    await repo.freeze(snapshot.frozen(7, T0))
    found = await repo.find(P, "students")
    assert found is not None and found.is_frozen and found.total_participants == 7
    batches = [b async for b in repo.entries(snapshot.id, 3)]
    assert [[e.rank for e in b] for b in batches] == [[1, 2, 3], [4, 5, 6], [7]]
    assert batches[0][1] == entries(7)[1]
    with pytest.raises(InvalidJobTransition):
        await repo.start_building(P, "students", T0)


async def test_an_unfinished_snapshot_is_emptied_before_a_rebuild(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoSnapshotRepository(db, RewardPolicy.default())
    first = await repo.start_building(P, "teachers", T0)
    await repo.add_entries(first.id, entries(5))
    again = await repo.start_building(P, "teachers", T0)
    assert again.id == first.id
    assert [b async for b in repo.entries(again.id, 10)] == []
    assert await db["monthlyrankingsnapshots"].count_documents({}) == 1


def reward(rank: int) -> Reward:
    entry = entries(rank)[-1]
    return Reward.for_entry(
        entry, period=P, category="students", tiers=DEFAULT_TIERS, snapshot_id=SNAPSHOT_ID, now=T0
    )


async def test_a_record_is_written_once_and_only_a_failure_later_paid_changes(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoRewardRepository(db)
    await repo.record([reward(1).awarded(T0, 1), reward(2).failed("user no longer exists")])
    later = T0.replace(hour=3)
    # A resumed batch records the same rewards again: the first stays, the paid failure changes.
    await repo.record(
        [reward(1).awarded(later, 2), reward(2).awarded(later, 2), reward(3).awarded(later, 2)]
    )
    assert await db["monthlyrewards"].count_documents({}) == 3
    stored = sorted(await repo.for_period(P, "students"), key=lambda r: r.rank)
    assert [(r.rank, r.tier, r.coins, r.status, r.paid_by_attempt) for r in stored] == [
        (1, "CHAMPION", 1000, RewardStatus.AWARDED, 1),
        (2, "ELITE", 500, RewardStatus.AWARDED, 2),
        (3, "ELITE", 500, RewardStatus.AWARDED, 2),
    ]
    assert stored[0].awarded_at == T0 and stored[1].failure_reason is None


async def test_one_reward_per_user_month_and_category_is_enforced_by_index(db) -> None:  # type: ignore[no-untyped-def]
    from pymongo.errors import DuplicateKeyError

    await MongoRewardRepository(db).record([reward(1).awarded(T0)])
    raw = await db["monthlyrewards"].find_one({})
    raw["_id"] = "another-id"
    with pytest.raises(DuplicateKeyError):
        await db["monthlyrewards"].insert_one(raw)
