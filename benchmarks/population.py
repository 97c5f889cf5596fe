"""The benchmark's users: N active users, 90% students and 10% teachers, shaped by the service's
own seeding (missing and null counters, null wallets and badges), so every case pays the same
data, including the wallets the service must repair before it can credit them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection

from infrastructure.seeding import make_user

STUDENT_SHARE = 0.9
SEED_BATCH = 5000

Collection = AsyncIOMotorCollection[dict[str, Any]]


@dataclass(frozen=True)
class Population:
    users: int
    seed: int

    @property
    def students(self) -> int:
        return round(self.users * STUDENT_SHARE)

    @property
    def teachers(self) -> int:
        return self.users - self.students

    def generate(self) -> Iterator[dict[str, Any]]:
        """The same documents (but fresh `_id`s) on every call with the same seed."""
        rng = random.Random(self.seed)
        index = 0
        for role, count in (("student", self.students), ("teacher", self.teachers)):
            for _ in range(count):
                index += 1
                yield make_user(rng, role, index, active=True)


async def insert_all(users: Collection, docs: Iterator[dict[str, Any]]) -> int:
    """Seeding, not measured: unordered batches so the server is not the bottleneck."""
    batch: list[dict[str, Any]] = []
    inserted = 0
    for doc in docs:
        batch.append(doc)
        if len(batch) == SEED_BATCH:
            await users.insert_many(batch, ordered=False)
            inserted += len(batch)
            batch = []
    if batch:
        await users.insert_many(batch, ordered=False)
        inserted += len(batch)
    return inserted


@dataclass(frozen=True)
class WalletTotals:
    coins: int
    badges: int


async def wallet_totals(users: Collection) -> WalletTotals:
    """Sums every wallet (null or missing counts as 0): before and after a run, the difference is
    what the run paid, read from the database rather than from the job's own account."""
    coins = badges = 0
    cursor = users.find({}, {"rewards.coins": 1, "badges": 1}).batch_size(SEED_BATCH)
    async for doc in cursor:
        wallet = doc.get("rewards")
        value = wallet.get("coins") if isinstance(wallet, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            coins += int(value)
        listed = doc.get("badges")
        badges += len(listed) if isinstance(listed, list) else 0
    return WalletTotals(coins, badges)


def repairs_needed(doc: dict[str, Any]) -> int:
    """The `$set` repairs the service's wallet sends before it can credit this user (null or
    missing `badges`, `rewards` or `rewards.coins`; see infrastructure/mongo/wallet.py)."""
    wallet = doc.get("rewards")
    coins_missing = not isinstance(wallet, dict) or wallet.get("coins") is None
    return int(doc.get("badges") is None) + int(coins_missing)


def creditable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with empty wallet fields instead of nulls, so plain `$inc`/`$push` apply."""
    if not isinstance(doc.get("badges"), list):
        doc["badges"] = []
    wallet = doc.get("rewards")
    if not isinstance(wallet, dict):
        doc["rewards"] = {"coins": 0}
    elif wallet.get("coins") is None:
        wallet["coins"] = 0
    return doc
