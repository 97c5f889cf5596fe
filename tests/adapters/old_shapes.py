"""Fixtures in the shapes a database holds before `rewards migrate`: what the previous version
of this service wrote, and what the platform's own old monthly job wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from domain.tiers import DEFAULT_TIERS

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3)


def user(role: str, index: int, **extra: Any) -> dict[str, Any]:
    """A user as the platform's Mongoose model keeps one."""
    created = datetime(2024, 2, 1, tzinfo=UTC) + timedelta(days=index)
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "name": f"{role.title()} {index}",
        "email": f"{role}{index}@school.test",
        "role": role,
        "isActive": True,
        "rewards": {"coins": 10 * index, "xp": 0, "level": 1},
        "badges": [],
        "createdAt": created,
        "updatedAt": created,
        "__v": 0,
    }
    if role == "student":
        doc["student"] = {"totalTests": index, "correctAnswers": 3 * index}
    else:
        doc["teacher"] = {"totalAttemptsOfStudents": index}
    doc.update(extra)
    return doc


# What the previous version of this service wrote.


@dataclass
class OurOldMonth:
    """12/2024 paid by the previous version: string `_id` records, old snapshot headers."""

    users: list[dict[str, Any]]
    job: dict[str, Any]
    snapshot: dict[str, Any]
    entries: list[dict[str, Any]]
    records: list[dict[str, Any]]


def our_old_month(students: int = 12) -> OurOldMonth:
    users = [user("student", i) for i in range(1, students + 1)]
    snapshot_id = ObjectId()
    job = {
        "_id": ObjectId(),
        "month": 12,
        "year": 2024,
        "status": "completed",
        "startedAt": T0,
        "completedAt": LATER,
        "duration": 180.0,
        "results": {
            "categories": {},
            "totalRewardsAwarded": students - 1,
            "totalCoinsAwarded": 0,
            "errors": [],
            "errorsTotal": 1,
        },
        "progress": {"phase": "done", "category": "students", "categories": {}},
        "errorMessage": None,
        "errorStack": None,
        "attempts": 1,
        "lease": None,
        "attemptHistory": [],
        "progressedAt": LATER,
    }
    snapshot = {
        "_id": snapshot_id,
        "month": 12,
        "year": 2024,
        "category": "students",
        "status": "frozen",
        "totalParticipants": students,
        "createdAt": T0,
        "frozenAt": T0,
    }
    entries, records = [], []
    for rank, u in enumerate(users, start=1):
        entries.append(
            {
                "_id": f"{snapshot_id}:{rank:09d}",
                "snapshotId": str(snapshot_id),
                "rank": rank,
                "userId": u["_id"],
                "name": u["name"],
                "email": u["email"],
                "score": 100.0 - rank,
                "xp": 0,
                "createdAt": u["createdAt"],
            }
        )
        tier = DEFAULT_TIERS.tier_for(rank)
        awarded = rank != students  # the last one's wallet could not be credited
        key = f"2024-12:students:{u['_id']}"
        badge = {
            "name": tier.badge_name,
            "category": "students",
            "month": 12,
            "year": 2024,
            "tier": tier.name,
            "rank": rank,
            "earnedAt": T0,
        }
        records.append(
            {
                "_id": key,
                "userId": u["_id"],
                "month": 12,
                "year": 2024,
                "category": "students",
                "rank": rank,
                "tier": tier.name,
                "coins": tier.coins,
                "badge": badge,
                "snapshotId": str(snapshot_id),
                "status": "awarded" if awarded else "failed",
                "createdAt": T0,
                "awardedAt": LATER if awarded else None,
                "failureReason": None if awarded else "wallet cannot be credited",
                "paidByAttempt": 1 if awarded else None,
            }
        )
        if awarded:  # the previous version pushed badges without an _id
            u["badges"].append(badge)
            u["rewards"]["coins"] += tier.coins
            u["monthlyRewardKeys"] = ["2024-12:students"]
    job["results"]["totalCoinsAwarded"] = sum(
        r["coins"] for r in records if r["status"] == "awarded"
    )
    return OurOldMonth(users, job, snapshot, entries, records)


async def insert_our_old_month(db: Any, month: OurOldMonth) -> None:
    await db["users"].insert_many(month.users)
    await db["monthlyrewardjobs"].insert_one(month.job)
    await db["monthlyrankingsnapshots"].insert_one(month.snapshot)
    await db["monthlyrankingsnapshotentries"].insert_many(month.entries)
    await db["monthlyrewards"].insert_many(month.records)


# What the platform's own old job wrote: a month it began and did not finish.


@dataclass
class HalfPaidMonth:
    """12/2024 as the platform's job left it when it failed during the students: ranks
    1..paid-1 credited, badged and recorded; rank `paid` credited and badged but not recorded
    (the crash fell between); rank `paid`+1 recorded `failed` (its user was missing then);
    the rest untouched, teachers not even ranked."""

    students: list[dict[str, Any]]  # in the order of the platform's ranking
    teachers: list[dict[str, Any]]
    job: dict[str, Any]
    snapshot: dict[str, Any]
    records: list[dict[str, Any]]
    paid: int
    platform_results: dict[str, Any] = field(default_factory=dict)


def half_paid_month(students: int = 30, teachers: int = 8, paid: int = 12) -> HalfPaidMonth:
    people = [user("student", i) for i in range(1, students + 1)]
    staff = [user("teacher", i) for i in range(1, teachers + 1)]
    snapshot = {
        "_id": ObjectId(),
        "month": 12,
        "year": 2024,
        "category": "students",
        "rankings": [
            {
                "_id": ObjectId(),
                "userId": u["_id"],
                "rank": rank,
                "score": float(400 - rank),
                "userName": u["name"],
                "userEmail": u["email"],
                "role": "student",
            }
            for rank, u in enumerate(people, start=1)
        ],
        "totalUsers": students,
        "snapshotDate": T0,
        "processed": False,
        "processedAt": None,
        "createdAt": T0,
        "updatedAt": T0,
        "__v": 0,
    }
    records = []
    for rank, u in enumerate(people[: paid + 1], start=1):
        tier = DEFAULT_TIERS.tier_for(rank)
        if rank <= paid:
            u["rewards"]["coins"] += tier.coins
            u["badges"].append(
                {
                    "_id": ObjectId(),
                    "name": tier.badge_name,
                    "category": "students",
                    "month": 12,
                    "year": 2024,
                    "tier": tier.name,
                    "rank": rank,
                    "earnedAt": T0,
                }
            )
        if rank == paid:
            continue  # credited, but the job died before it wrote the record
        awarded = rank < paid
        records.append(
            {
                "_id": ObjectId(),
                "month": 12,
                "year": 2024,
                "category": "students",
                "userId": u["_id"],
                "rank": rank,
                "tier": tier.name,
                "coinsAwarded": tier.coins if awarded else 0,
                "xpAwarded": 0,
                "badgeAwarded": tier.badge_name,
                "snapshotId": snapshot["_id"],
                "status": "awarded" if awarded else "failed",
                "errorMessage": None if awarded else "User not found",
                "awardedAt": T0 if awarded else None,
                "createdAt": T0,
                "updatedAt": T0,
                "__v": 0,
            }
        )
    results = {
        "categories": {"students": {"rewardsAwarded": paid - 1, "coins": "a tally of its own"}},
        "totalRewardsAwarded": paid - 1,
        "totalCoinsAwarded": sum(r["coinsAwarded"] for r in records),
        "errors": [{"userId": str(people[paid]["_id"]), "error": "User not found"}],
    }
    job = {
        "_id": ObjectId(),
        "month": 12,
        "year": 2024,
        "status": "failed",
        "startedAt": T0,
        "completedAt": LATER,
        "duration": 180,
        "results": results,
        "errorMessage": "Operation `users.updateOne()` buffering timed out after 10000ms",
        "errorStack": "MongooseError: Operation `users.updateOne()` buffering timed out ...",
        "createdAt": T0,
        "updatedAt": LATER,
        "__v": 0,
    }
    return HalfPaidMonth(people, staff, job, snapshot, records, paid, results)


async def insert_half_paid_month(db: Any, month: HalfPaidMonth) -> None:
    await db["users"].insert_many(month.students + month.teachers)
    await db["monthlyrewardjobs"].insert_one(month.job)
    await db["monthlyrankingsnapshots"].insert_one(month.snapshot)
    await db["monthlyrewards"].insert_many(month.records)


def per_category_jobs() -> list[dict[str, Any]]:
    """The platform's later design: one job per month and category."""
    return [
        {
            "_id": ObjectId(),
            "month": 12,
            "year": 2024,
            "category": category,
            "status": "completed",
            "startedAt": T0,
            "results": {"totalRewardsAwarded": 0, "totalCoinsAwarded": 0, "errors": []},
        }
        for category in ("global", "students", "teachers")
    ]


async def dump(db: Any) -> dict[str, Any]:
    """Every document and index of the database, to compare before and after."""
    names = sorted(await db.list_collection_names())
    everything: dict[str, Any] = {}
    for name in names:
        docs = [d async for d in db[name].find({})]
        everything[name] = sorted(docs, key=lambda d: str(d["_id"]))
        everything[f"{name} indexes"] = sorted(await db[name].index_information())
    return everything
