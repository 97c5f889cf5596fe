"""Overlapped credits and chunked inserts (infrastructure/mongo/wallet.py, bulk.py), on mongomock
and on the real server: several chunks in flight pay each wallet exactly once, and wallets whose
nulls the ranking read noted are repaired and credited without being read back."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import BulkWriteError
from tests.adapters.test_wallet_and_participants import STUDENTS, insert_users, reward_for

from application.ports.wallet import CreditOutcome, CreditResult
from domain.ranking import DEFAULT_CATEGORIES
from infrastructure.mongo.bulk import insert_chunked
from infrastructure.mongo.participant_source import MongoParticipantSource
from infrastructure.mongo.server_profile import WriteLimits
from infrastructure.mongo.wallet import MongoWallet, WalletShapes

# Small chunks, several in flight: a batch of a dozen users takes many overlapping commands.
OVERLAPPED = WriteLimits(update_chunk=2, concurrency=3, statement_budget=6, source="test")
SHAPES = [
    {"badges": [], "rewards": {"coins": 1}},
    {"badges": None, "rewards": {"coins": 3}},
    {"rewards": None},
    {"rewards": {"coins": None, "xp": 4}, "badges": []},
    {},
    {"badges": [], "rewards": {"coins": 2}},
    {"badges": None},
    {"badges": "oops"},
    {"rewards": {"coins": "12"}},
]
PAID = [CreditOutcome.CREDITED] * 7 + [CreditOutcome.NOT_CREDITABLE] * 2


class CountingWallet(MongoWallet):
    """Counts the wallets read back: the price of not knowing a wallet's shape."""

    reads = 0

    async def _read(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        self.reads += len(user_ids)
        return await super()._read(user_ids)


async def _students(db, shapes: list[dict[str, Any]]) -> list[ObjectId]:  # type: ignore[no-untyped-def]
    return await insert_users(db, *({"role": "student", "isActive": True, **s} for s in shapes))


def _outcomes(results: list[CreditResult]) -> list[CreditOutcome]:
    return [r.outcome for r in results]


async def _wallets(db, ids: list[ObjectId]) -> list[tuple[Any, int]]:  # type: ignore[no-untyped-def]
    users = {u["_id"]: u async for u in db["users"].find({})}
    return [
        ((users[u].get("rewards") or {}).get("coins"), len(users[u].get("badges") or []))
        for u in ids
    ]


async def test_overlapped_chunks_pay_every_wallet_once_whatever_its_shape(db) -> None:  # type: ignore[no-untyped-def]
    ids = await _students(db, SHAPES)
    missing = ObjectId()
    wallet = MongoWallet(db["users"], limits=OVERLAPPED)
    rewards = [reward_for(u, 101) for u in ids] + [reward_for(missing, 102)]
    results = await wallet.credit(rewards)
    assert _outcomes(results) == [*PAID, CreditOutcome.USER_MISSING]
    paid = await _wallets(db, ids)
    assert paid[:7] == [(11, 1), (13, 1), (10, 1), (10, 1), (10, 1), (12, 1), (10, 1)]
    again = await wallet.credit(rewards)
    assert _outcomes(again) == _outcomes(results)
    assert await _wallets(db, ids) == paid  # the rerun paid nobody twice


async def test_wallets_noted_by_the_ranking_read_are_credited_without_reading_them(db) -> None:  # type: ignore[no-untyped-def]
    ids = await _students(db, SHAPES[:7])  # every shape a repair can fix
    shapes = WalletShapes()
    ranked = [p async for p in MongoParticipantSource(db["users"], shapes).stream(STUDENTS)]
    assert len(ranked) == 7
    assert len(shapes) == 5  # the five wallets with a null or missing field
    wallet = CountingWallet(db["users"], limits=OVERLAPPED, shapes=shapes)
    results = await wallet.credit([reward_for(u, 101) for u in ids])
    assert _outcomes(results) == [CreditOutcome.CREDITED] * 7
    assert wallet.reads == 0
    assert len(shapes) == 0  # taken by the credit
    assert await _wallets(db, ids) == [
        (11, 1),
        (13, 1),
        (10, 1),
        (10, 1),
        (10, 1),
        (12, 1),
        (10, 1),
    ]


async def test_the_next_categorys_read_leaves_the_notes_being_credited(db) -> None:  # type: ignore[no-untyped-def]
    """The teachers' ranking is read while the students are credited: it must not forget the
    students' notes (each would cost its chunk a read back)."""
    ids = await _students(db, SHAPES[:7])
    shapes = WalletShapes()
    source = MongoParticipantSource(db["users"], shapes)
    _ = [p async for p in source.stream(STUDENTS)]
    _ = [p async for p in source.stream(DEFAULT_CATEGORIES[1])]  # the teachers, read ahead
    assert len(shapes) == 5
    wallet = CountingWallet(db["users"], limits=OVERLAPPED, shapes=shapes)
    results = await wallet.credit([reward_for(u, 101) for u in ids])
    assert _outcomes(results) == [CreditOutcome.CREDITED] * 7
    assert wallet.reads == 0


async def test_a_stale_note_costs_a_read_never_a_wrong_payment(db) -> None:  # type: ignore[no-untyped-def]
    ids = await _students(
        db,
        [
            {"badges": None, "rewards": {"coins": 5}},
            {"badges": []},
            {"badges": [], "rewards": {"xp": 1}},
            {"badges": [], "rewards": {"coins": 1}},
        ],
    )
    shapes = WalletShapes()
    _ = [p async for p in MongoParticipantSource(db["users"], shapes).stream(STUDENTS)]
    # After the ranking read the main application changes the wallets: a $set on a shape that
    # is no longer there would fail (rewards.coins inside a null rewards), so it must not match.
    changes = [
        {"badges": ["old"]},
        {"badges": None},
        {"rewards": None},
        {"rewards": {"coins": None}},
    ]
    for uid, change in zip(ids, changes, strict=True):
        await db["users"].update_one({"_id": uid}, {"$set": change})
    wallet = CountingWallet(db["users"], limits=OVERLAPPED, shapes=shapes)
    results = await wallet.credit([reward_for(u, 101) for u in ids])
    assert _outcomes(results) == [CreditOutcome.CREDITED] * 4
    assert await _wallets(db, ids) == [(15, 2), (10, 1), (10, 1), (10, 1)]
    assert 0 < wallet.reads <= 4


async def test_chunked_inserts_report_duplicates_by_their_place_in_the_whole_list(db) -> None:  # type: ignore[no-untyped-def]
    collection = db["chunked"]
    await collection.insert_many([{"_id": 3}, {"_id": 6}])
    docs = [{"_id": i} for i in range(8)]
    with pytest.raises(BulkWriteError) as raised:
        await insert_chunked(collection, docs, chunk=3, concurrency=2)
    errors = raised.value.details["writeErrors"]
    assert [e["index"] for e in errors] == [3, 6]
    assert {e["code"] for e in errors} == {11000}
    assert sorted([d["_id"] async for d in collection.find({})]) == list(range(8))
    await insert_chunked(collection, [{"_id": 10}, {"_id": 11}], chunk=None, concurrency=4)
    assert await collection.count_documents({}) == 10


class _CountingUsers:
    """Only `bulk_write`: counts the update commands in flight at once; every wallet matches."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def bulk_write(self, operations: list[Any], ordered: bool) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.002)
        self.in_flight -= 1
        return SimpleNamespace(matched_count=len(operations))


async def test_credits_side_by_side_share_one_limit_of_commands_in_flight() -> None:
    users = _CountingUsers()
    wallet = MongoWallet(users, limits=OVERLAPPED)  # type: ignore[arg-type]
    batches = [[reward_for(ObjectId(), rank) for rank in range(1, 21)] for _ in range(3)]
    results = await asyncio.gather(*(wallet.credit(batch) for batch in batches))
    assert all(r.outcome is CreditOutcome.CREDITED for batch in results for r in batch)
    assert users.peak == OVERLAPPED.concurrency  # three credits, ten chunks each, three at once
