from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from application.ports.wallet import CreditOutcome
from domain.period import Period
from domain.ranking import DEFAULT_CATEGORIES, RankedEntry
from domain.reward import Reward
from domain.tiers import DEFAULT_TIERS
from infrastructure.mongo.mappers import reward_id
from infrastructure.mongo.participant_source import MongoParticipantSource
from infrastructure.mongo.wallet import KEYS_FIELD, MongoWallet

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
P = Period(2024, 12)
STUDENTS = DEFAULT_CATEGORIES[0]


def reward_for(user_id: ObjectId, rank: int, category: str = "students") -> Reward:
    entry = RankedEntry(rank, str(user_id), None, None, 0, 0, None)
    return Reward.for_entry(
        entry, period=P, category=category, tiers=DEFAULT_TIERS, snapshot_id="s", now=T0
    )


async def insert_users(db, *docs: dict[str, Any]) -> list[ObjectId]:  # type: ignore[no-untyped-def]
    ids = [ObjectId() for _ in docs]
    await db["users"].insert_many([{"_id": i, **d} for i, d in zip(ids, docs, strict=True)])
    return ids


async def test_a_credit_adds_coins_badge_and_key_once(db) -> None:  # type: ignore[no-untyped-def]
    (uid,) = await insert_users(db, {"rewards": {"coins": 5, "xp": 7}, "badges": []})
    wallet = MongoWallet(db["users"])
    rewards = [reward_for(uid, 1)]
    assert [r.outcome for r in await wallet.credit(rewards)] == [CreditOutcome.CREDITED]
    assert [r.outcome for r in await wallet.credit(rewards)] == [CreditOutcome.CREDITED]
    user = await db["users"].find_one({"_id": uid})
    assert user["rewards"] == {"coins": 1005, "xp": 7}
    assert user[KEYS_FIELD] == ["2024-12:students"]
    assert user["updatedAt"] == T0  # the platform's timestamp moves with the credit
    assert user["badges"] == [
        {
            "_id": reward_id(rewards[0].key),  # the record's: one badge per reward, every time
            "name": "Monthly Champion",
            "category": "students",
            "month": 12,
            "year": 2024,
            "tier": "CHAMPION",
            "rank": 1,
            "earnedAt": T0,
        }
    ]


async def test_the_same_month_in_another_category_is_a_separate_credit(db) -> None:  # type: ignore[no-untyped-def]
    (uid,) = await insert_users(db, {"rewards": {"coins": 0}, "badges": []})
    wallet = MongoWallet(db["users"])
    await wallet.credit([reward_for(uid, 1, "students")])
    assert [r.outcome for r in await wallet.credit([reward_for(uid, 11, "teachers")])] == [
        CreditOutcome.CREDITED
    ]
    user = await db["users"].find_one({"_id": uid})
    assert user["rewards"]["coins"] == 1200 and len(user["badges"]) == 2


async def test_null_and_missing_wallet_fields_are_repaired_then_credited(db) -> None:  # type: ignore[no-untyped-def]
    ids = await insert_users(
        db,
        {"badges": None, "rewards": {"coins": 3}},
        {"rewards": None},
        {"rewards": {"coins": None, "xp": 4}, "badges": []},
        {},
        {"badges": [], "rewards": {"coins": 1}},
    )
    wallet = MongoWallet(db["users"])
    results = await wallet.credit([reward_for(u, 101) for u in ids])
    assert [r.outcome for r in results] == [CreditOutcome.CREDITED] * 5
    users = {u["_id"]: u async for u in db["users"].find({})}
    assert [users[u]["rewards"]["coins"] for u in ids] == [13, 10, 10, 10, 11]
    assert all(len(users[u]["badges"]) == 1 for u in ids)
    assert users[ids[2]]["rewards"]["xp"] == 4
    again = await wallet.credit([reward_for(u, 101) for u in ids])
    assert {r.outcome for r in again} == {CreditOutcome.CREDITED}
    after = {u["_id"]: u async for u in db["users"].find({})}
    assert after == users  # the second credit changed nothing


async def test_missing_users_and_unusable_wallets_are_reported_not_paid(db) -> None:  # type: ignore[no-untyped-def]
    ok, bad_badges, bad_coins = await insert_users(
        db,
        {"badges": [], "rewards": {"coins": 0}},
        {"badges": "oops"},
        {"rewards": {"coins": "12"}},
    )
    wallet = MongoWallet(db["users"])
    results = await wallet.credit(
        [
            reward_for(ok, 1),
            reward_for(ObjectId(), 2),
            reward_for(bad_badges, 3),
            reward_for(bad_coins, 4),
        ]
    )
    assert [r.outcome for r in results] == [
        CreditOutcome.CREDITED,
        CreditOutcome.USER_MISSING,
        CreditOutcome.NOT_CREDITABLE,
        CreditOutcome.NOT_CREDITABLE,
    ]
    assert "badges is a str" in (results[2].reason or "")
    assert await db["users"].find_one({"_id": bad_badges}) == {"_id": bad_badges, "badges": "oops"}


async def test_participants_are_active_users_of_the_role_with_nulls_as_none(db) -> None:  # type: ignore[no-untyped-def]
    ids = await insert_users(
        db,
        {
            "role": "student",
            "isActive": True,
            "name": "Ann",
            "email": "a@x",
            "createdAt": T0,
            "rewards": {"xp": 30},
            "student": {"totalTests": 2, "correctAnswers": None},
            "badges": [1] * 50,
        },
        {"role": "student", "isActive": True},
        {"role": "student", "isActive": False, "student": {"totalTests": 99}},
        {"role": "teacher", "isActive": True},
        {"role": "admin", "isActive": True},
        {"role": "student", "isActive": "true"},  # not the boolean true: not ranked
    )
    found = {p.user_id: p async for p in MongoParticipantSource(db["users"]).stream(STUDENTS)}
    assert set(found) == {str(ids[0]), str(ids[1])}
    ann = found[str(ids[0])]
    assert (ann.name, ann.email, ann.created_at, ann.xp, ann.counters) == (
        "Ann",
        "a@x",
        T0,
        30,
        (2, None),
    )
    assert found[str(ids[1])].counters == (None, None)
