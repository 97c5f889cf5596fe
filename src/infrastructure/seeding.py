"""Synthetic `users` for demos, tests and benchmarks, shaped like the main app's data at its worst:
missing and null counters, null badges and wallets, inactive users, admins and many ties."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorCollection

_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SeedSummary:
    students: int
    teachers: int
    admins: int
    inactive: int


def _counter(rng: random.Random, doc: dict[str, Any], key: str, value: int) -> None:
    """About 3 in 100 counters are missing and 3 in 100 null, as in the main app's data."""
    roll = rng.random()
    if roll < 0.03:
        return  # missing
    doc[key] = None if roll < 0.06 else value


def make_user(rng: random.Random, role: str, index: int, active: bool) -> dict[str, Any]:
    created = _EPOCH + timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "role": role,
        "isActive": active,
        "name": f"{role.title()} {index:06d}",
        "email": f"{role}{index:06d}@example.test",
        "createdAt": created,
        "updatedAt": created,
    }
    _add_wallet(rng, doc)
    _add_standing(rng, doc, role)
    _add_badges(rng, doc, role)
    return doc


def _add_wallet(rng: random.Random, doc: dict[str, Any]) -> None:
    # Scores from a narrow range so that equal scores, and equal xp, are common.
    wallet: dict[str, Any] = {}
    _counter(rng, wallet, "coins", rng.randrange(0, 5000))
    _counter(rng, wallet, "xp", rng.randrange(0, 50) * 10)
    roll = rng.random()
    if roll < 0.02:
        doc["rewards"] = None
    elif roll > 0.04:
        doc["rewards"] = wallet


_COUNTERS = {
    "student": (("totalTests", 40), ("correctAnswers", 400)),
    "teacher": (("totalAttemptsOfStudents", 300),),
}


def _add_standing(rng: random.Random, doc: dict[str, Any], role: str) -> None:
    if role not in _COUNTERS:
        return
    standing: dict[str, Any] = {}
    for counter, upper in _COUNTERS[role]:
        _counter(rng, standing, counter, rng.randrange(0, upper))
    if rng.random() > 0.02:
        doc[role] = standing


def _add_badges(rng: random.Random, doc: dict[str, Any], role: str) -> None:
    roll = rng.random()
    if roll < 0.05:
        doc["badges"] = None
    elif roll < 0.5:
        doc["badges"] = []
    elif roll < 0.9:
        doc["badges"] = [
            {
                "_id": ObjectId(),  # the platform gives every pushed badge its own
                "name": "Monthly Unplaced",
                "category": f"{role}s",
                "month": 1,
                "year": 2023,
                "tier": "UNPLACED",
                "rank": 500,
                "earnedAt": _EPOCH,
            }
        ]


def generate_users(students: int, teachers: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """`students` and `teachers` active users (plus ~8% inactive ones and a few admins)."""
    rng = random.Random(seed)
    index = 0
    for role, count in (("student", students), ("teacher", teachers)):
        for _ in range(count):
            index += 1
            yield make_user(rng, role, index, active=True)
        for _ in range(count * 8 // 100):
            index += 1
            yield make_user(rng, role, index, active=False)
    for _ in range(max(1, (students + teachers) // 500)):
        index += 1
        yield make_user(rng, "admin", index, active=True)


async def seed_users(
    users: AsyncIOMotorCollection[dict[str, Any]],
    students: int,
    teachers: int,
    seed: int = 0,
    batch_size: int = 5000,
) -> SeedSummary:
    batch: list[dict[str, Any]] = []
    counts = {"student": 0, "teacher": 0, "admin": 0, "inactive": 0}
    for doc in generate_users(students, teachers, seed):
        if doc["isActive"]:
            counts[doc["role"]] += 1
        else:
            counts["inactive"] += 1
        batch.append(doc)
        if len(batch) >= batch_size:
            await users.insert_many(batch, ordered=False)
            batch = []
    if batch:
        await users.insert_many(batch, ordered=False)
    return SeedSummary(counts["student"], counts["teacher"], counts["admin"], counts["inactive"])
