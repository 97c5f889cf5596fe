"""The platform's shapes for what earlier versions, and the platform's own old job, wrote.

- reward records of ours in the old shape (a string `_id` key, `coins`, `badge`,
  `failureReason`, a string `snapshotId`) become the platform's MonthlyReward: an ObjectId `_id`
  derived from the key, `coinsAwarded`, `xpAwarded`, `badgeAwarded`, `errorMessage`, an
  ObjectId `snapshotId`, `updatedAt`. An `_id` cannot be updated, so each batch is copied to a
  journal collection, removed, and re-inserted converted; a run stopped anywhere finishes the
  journal first. Records that cannot be converted stop the migration before anything changes,
  each named with the reason.
- our snapshot headers get `totalUsers`, `snapshotDate`, `processed`, `processedAt` and the
  head of the ranking (ranks 1-100) in `rankings`; the platform's own snapshots (no `status`)
  have their `rankings` copied into our entries and count as frozen.
- jobs get `createdAt`/`updatedAt`; a job the platform's old code created gets our epoch 0,
  and, unless it completed, its results are kept under `platformResults` and reset: our run
  pays each category from rank 1 again and counts what it finds paid.
- wallets: for every month the platform's own job worked on (its job, snapshot or records),
  each user's `monthlyRewardKeys` gets the key of each category they hold a badge of that month
  for, or a record `awarded` by that job. The key is the proof of payment our credit refuses to
  pay twice: without it, a month the platform's job half paid would be paid again on `retry` to
  the users it had paid. Jobs and snapshots of the platform's are marked `platformOrigin`, so a
  run stopped before this step still finds their months.

Run it once the platform's own monthly job is switched off: keys are derived from what it had
written when this ran.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from migrations.errors import IncompatibleDatabase

VERSION = 2
DESCRIPTION = (
    "platform shapes: reward records, snapshot headers and jobs; wallet keys of months the "
    "platform's own job paid"
)

REWARDS = "monthlyrewards"
JOURNAL = "monthlyrewards_m0002_journal"
SNAPSHOTS = "monthlyrankingsnapshots"
ENTRIES = "monthlyrankingsnapshotentries"
JOBS = "monthlyrewardjobs"
KEYS_FIELD = "monthlyRewardKeys"
PLATFORM_ORIGIN = "platformOrigin"  # marks a job or snapshot the platform's old job wrote

CATEGORIES = ("global", "students", "teachers")
TIERS = ("CHAMPION", "ELITE", "ACHIEVER", "PERFORMER", "UNPLACED")
STATUSES = ("pending", "awarded", "failed")
RANKED_ROLES = ("student", "teacher")
ROLE_OF_CATEGORY = {"students": "student", "teachers": "teacher"}
FIRST_YEAR = 2020
HEAD = 100
BATCH = 500
CHUNK = 50  # update statements per command (FerretDB 1.24 hangs at 100)
_SHOWN = 5
_DUPLICATE_KEY = 11000
EMPTY_RESULTS: dict[str, Any] = {
    "categories": {},
    "totalRewardsAwarded": 0,
    "totalCoinsAwarded": 0,
    "errors": [],
    "errorsTotal": 0,
}

Db = AsyncIOMotorDatabase[dict[str, Any]]
Collection = AsyncIOMotorCollection[dict[str, Any]]


async def check(db: Db, users: Collection) -> None:
    """Run before any pending migration: what cannot be converted stops everything unchanged."""
    await _refuse_what_cannot_be_converted(db)


async def up(db: Db, users: Collection) -> None:
    await _refuse_what_cannot_be_converted(db)  # also when run by itself
    await _snapshots(db, users)
    await _rewards(db)
    await _jobs(db)
    await _wallet_keys(db, users)


# What cannot be converted stops everything, before the first write.


async def _refuse_what_cannot_be_converted(db: Db) -> None:
    problems: list[str] = []
    async for doc in db[REWARDS].find({"_id": {"$type": "string"}}):
        problems.extend(f"{REWARDS} {doc['_id']!r}: {p}" for p in _reward_problems(doc))
    async for doc in db[SNAPSHOTS].find({"status": {"$exists": False}}):
        problems.extend(f"{SNAPSHOTS} {doc['_id']}: {p}" for p in _ranking_problems(doc))
    if problems:
        shown = "; ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise IncompatibleDatabase(
            f"{len(problems)} document(s) cannot be converted to the platform's shapes: "
            f"{shown}{more}. Nothing was changed; correct or remove them and migrate again."
        )


def _reward_problems(doc: Mapping[str, Any]) -> list[str]:
    required = ("userId", "month", "year", "category", "rank", "tier", "coins", "badge")
    missing = [f for f in (*required, "snapshotId", "status", "createdAt") if doc.get(f) is None]
    if missing:
        return [f"missing {', '.join(missing)}"]
    problems = []
    if not _whole(doc["year"]) or doc["year"] < FIRST_YEAR:
        problems.append(f"year {doc['year']!r} is before {FIRST_YEAR} or not a whole number")
    if not _whole(doc["month"]) or not 1 <= doc["month"] <= 12:
        problems.append(f"month {doc['month']!r} is not 1-12")
    if doc["category"] not in CATEGORIES:
        problems.append(f"category {doc['category']!r} is not one of {', '.join(CATEGORIES)}")
    if doc["tier"] not in TIERS:
        problems.append(f"tier {doc['tier']!r} is not one of {', '.join(TIERS)}")
    if doc["status"] not in STATUSES:
        problems.append(f"status {doc['status']!r} is not one of {', '.join(STATUSES)}")
    if not _whole(doc["rank"]) or doc["rank"] < 1:
        problems.append(f"rank {doc['rank']!r} is not a whole number from 1")
    if not _whole(doc["coins"]) or doc["coins"] < 0:
        problems.append(f"coins {doc['coins']!r} is not a whole number from 0")
    badge = doc["badge"]
    if (
        not isinstance(badge, Mapping)
        or not isinstance(badge.get("name"), str)
        or not badge["name"]
    ):
        problems.append(f"badge {badge!r} has no name")
    if not ObjectId.is_valid(str(doc["snapshotId"])):
        problems.append(f"snapshotId {doc['snapshotId']!r} is not an ObjectId")
    return problems


def _ranking_problems(doc: Mapping[str, Any]) -> list[str]:
    rankings = doc.get("rankings") or []
    if not isinstance(rankings, list):
        return [f"rankings is a {type(rankings).__name__}, not a list"]
    ranks: list[Any] = [r.get("rank") if isinstance(r, Mapping) else None for r in rankings]
    bad = [r for r in ranks if not (_whole(r) and r >= 1)]
    if bad:
        return [f"{len(bad)} line(s) of rankings without a whole rank from 1, e.g. {bad[0]!r}"]
    if len(set(ranks)) != len(ranks):
        return ["rankings holds the same rank twice"]
    if any(r.get("userId") is None for r in rankings):
        return ["a line of rankings has no userId"]
    return []


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Snapshots


async def _snapshots(db: Db, users: Collection) -> None:
    for doc in await db[SNAPSHOTS].find({"status": {"$exists": False}}).to_list(None):
        await _adopt_platform_snapshot(db, doc)
    ours = {"status": {"$exists": True}, "totalUsers": {"$exists": False}}
    for doc in await db[SNAPSHOTS].find(ours).to_list(None):
        await _complete_our_header(db, users, doc)


async def _adopt_platform_snapshot(db: Db, doc: Mapping[str, Any]) -> None:
    """The platform's job kept the whole ranking in the snapshot: it becomes our entries, and the
    snapshot a frozen one (a month it began is resumed from this very ranking)."""
    snapshot_id = str(doc["_id"])
    rankings = doc.get("rankings") or []
    entries = [
        {
            "_id": f"{snapshot_id}:{line['rank']:09d}",
            "snapshotId": snapshot_id,
            "rank": line["rank"],
            "userId": line["userId"],
            "name": line.get("userName"),
            "email": line.get("userEmail"),
            "score": line.get("score") or 0,
            "xp": 0,
            "createdAt": None,
        }
        for line in rankings
    ]
    for start in range(0, len(entries), BATCH):
        await _insert_new(db[ENTRIES], entries[start : start + BATCH])
    taken = doc.get("snapshotDate") or doc.get("createdAt") or _made_at(doc)
    fields: dict[str, Any] = {"status": "frozen", "frozenAt": taken, PLATFORM_ORIGIN: True}
    defaults = {
        "totalUsers": len(rankings),
        "snapshotDate": taken,
        "processed": False,
        "processedAt": None,
        "createdAt": taken,
        "updatedAt": taken,
    }
    fields.update({name: value for name, value in defaults.items() if name not in doc})
    await db[SNAPSHOTS].update_one({"_id": doc["_id"]}, {"$set": fields})


async def _complete_our_header(db: Db, users: Collection, doc: Mapping[str, Any]) -> None:
    frozen = doc.get("status") == "frozen"
    total = doc.get("totalParticipants") or 0
    head = await _head(db, users, doc, total) if frozen else []
    job = await db[JOBS].find_one({"year": doc["year"], "month": doc["month"]})
    processed = job is not None and job.get("status") == "completed"
    taken = doc.get("frozenAt") or doc.get("createdAt") or _made_at(doc)
    await db[SNAPSHOTS].update_one(
        {"_id": doc["_id"]},
        {
            "$set": {
                "totalUsers": total,
                "snapshotDate": taken,
                "processed": processed,
                "processedAt": job.get("completedAt") if job is not None and processed else None,
                "rankings": head,
                "updatedAt": taken,
            },
            "$unset": {"totalParticipants": ""},
        },
    )


async def _head(db: Db, users: Collection, doc: Mapping[str, Any], total: int) -> list[Any]:
    snapshot_id = str(doc["_id"])
    ids = [f"{snapshot_id}:{rank:09d}" for rank in range(1, min(HEAD, total) + 1)]
    entries = sorted(
        await db[ENTRIES].find({"_id": {"$in": ids}}).to_list(None), key=lambda e: e["rank"]
    )
    role = ROLE_OF_CATEGORY.get(doc["category"])
    roles: dict[Any, Any] = {}
    if role is None:  # a category of another name: each user's own role
        found = users.find({"_id": {"$in": [e["userId"] for e in entries]}}, {"role": 1})
        roles = {user["_id"]: user.get("role") async for user in found}
    head = []
    for entry in entries:
        line_role = role or roles.get(entry["userId"])
        if line_role not in RANKED_ROLES:
            continue  # the platform refuses a line of another role; the entry stays ranked
        head.append(
            {
                "userId": entry["userId"],
                "rank": entry["rank"],
                "score": max(entry.get("score") or 0, 0),
                "userName": entry.get("name"),
                "userEmail": entry.get("email"),
                "role": line_role,
            }
        )
    return head


# Reward records


async def _rewards(db: Db) -> None:
    records, journal = db[REWARDS], db[JOURNAL]
    await _replay(records, journal)  # a batch a previous run left half moved
    while batch := await records.find({"_id": {"$type": "string"}}).limit(BATCH).to_list(None):
        await _insert_new(journal, batch)
        await records.delete_many({"_id": {"$in": [doc["_id"] for doc in batch]}})
        await _replay(records, journal)


async def _replay(records: Collection, journal: Collection) -> None:
    moved = await journal.find({}).to_list(None)
    if not moved:
        return
    await _insert_new(records, [_converted(doc) for doc in moved])
    await journal.delete_many({"_id": {"$in": [doc["_id"] for doc in moved]}})


def _converted(old: Mapping[str, Any]) -> dict[str, Any]:
    key = f"{old['year']:04d}-{old['month']:02d}:{old['category']}:{old['userId']}"
    awarded = old["status"] == "awarded"
    new = {k: v for k, v in old.items() if k not in ("_id", "coins", "badge", "failureReason")}
    new.update(
        {
            "_id": _reward_id(key),
            "coinsAwarded": old["coins"] if awarded else 0,
            "xpAwarded": 0,
            "badgeAwarded": old["badge"]["name"],
            "errorMessage": old.get("failureReason"),
            "snapshotId": ObjectId(str(old["snapshotId"])),
            "updatedAt": old.get("awardedAt") or old["createdAt"],
        }
    )
    return new


def _reward_id(key: str) -> ObjectId:
    """First 12 bytes of sha256 of '<yyyy-mm>:<category>:<userId>': the live code's rule when
    this migration was written (a test keeps the two equal)."""
    return ObjectId(hashlib.sha256(key.encode()).digest()[:12])


# Jobs


async def _jobs(db: Db) -> None:
    lacking = {"$or": [{"attempts": {"$exists": False}}, {"createdAt": {"$exists": False}}]}
    for doc in await db[JOBS].find(lacking).to_list(None):
        started = doc.get("startedAt") or doc.get("createdAt") or _made_at(doc)
        fields: dict[str, Any] = {}
        for name, value in (
            ("startedAt", started),
            ("createdAt", started),
            ("updatedAt", doc.get("completedAt") or started),
        ):
            if name not in doc:
                fields[name] = value
        if "attempts" not in doc:  # the platform's own job: no attempt of ours has run
            fields.update(
                {"attempts": 0, "attemptHistory": [], "lease": None, PLATFORM_ORIGIN: True}
            )
            if doc.get("status") != "completed":
                fields.update(
                    {
                        "platformResults": doc.get("results"),
                        "results": EMPTY_RESULTS,
                        "progress": {},
                    }
                )
        await db[JOBS].update_one({"_id": doc["_id"]}, {"$set": fields})


# Wallet keys


async def _wallet_keys(db: Db, users: Collection) -> None:
    """Only months the platform's own job touched (a job, snapshot or record of its own): a badge
    of any other month was not paid by a job this service could resume, and a database without
    such months (a fresh one, ours) is not scanned at all."""
    months, paid_by_platform = await _platform_months(db)
    if not months:
        return
    updates: list[UpdateOne] = []
    async for user in users.find({}, {"badges": 1, KEYS_FIELD: 1}):
        held = user.get(KEYS_FIELD)
        badges = user.get("badges")
        wanted = set(paid_by_platform.get(user["_id"], ()))
        if isinstance(badges, list):
            wanted.update(
                k
                for b in badges
                if isinstance(b, Mapping) and (b.get("year"), b.get("month")) in months
                if (k := _key(b)) is not None
            )
        missing = sorted(wanted - set(held if isinstance(held, list) else ()))
        if not missing:
            continue
        update: dict[str, Any] = (
            {"$addToSet": {KEYS_FIELD: {"$each": missing}}}
            if isinstance(held, list)
            else {"$set": {KEYS_FIELD: missing}}  # $addToSet fails on a null field
        )
        updates.append(UpdateOne({"_id": user["_id"]}, update))
        if len(updates) == CHUNK:
            await users.bulk_write(updates, ordered=False)
            updates = []
    if updates:
        await users.bulk_write(updates, ordered=False)


async def _platform_months(db: Db) -> tuple[set[tuple[Any, Any]], dict[Any, set[str]]]:
    """The (year, month)s the platform's own job worked on, and the keys of what its records
    say it awarded, by user."""
    months: set[tuple[Any, Any]] = set()
    marked = {PLATFORM_ORIGIN: True}
    for collection in (JOBS, SNAPSHOTS):
        async for doc in db[collection].find(marked, {"year": 1, "month": 1}):
            months.add((doc.get("year"), doc.get("month")))
    paid: dict[Any, set[str]] = defaultdict(set)
    fields = {"userId": 1, "year": 1, "month": 1, "category": 1, "status": 1}
    async for record in db[REWARDS].find({"paidByAttempt": {"$exists": False}}, fields):
        months.add((record.get("year"), record.get("month")))
        if record.get("status") == "awarded" and (key := _key(record)) is not None:
            paid[record["userId"]].add(key)
    return months, paid


def _key(doc: Mapping[str, Any]) -> str | None:
    """The wallet key of a badge or record: '<yyyy-mm>:<category>'."""
    year, month, category = doc.get("year"), doc.get("month"), doc.get("category")
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    if isinstance(month, float) and month.is_integer():
        month = int(month)
    if not (_whole(year) and _whole(month) and isinstance(category, str) and category):
        return None
    return f"{year:04d}-{month:02d}:{category}"


# Helpers


async def _insert_new(collection: Collection, docs: Sequence[Mapping[str, Any]]) -> None:
    """Inserts what is not there yet: a document already inserted (by an earlier run) stays."""
    if not docs:
        return
    try:
        await collection.insert_many([dict(d) for d in docs], ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise


def _made_at(doc: Mapping[str, Any]) -> datetime:
    made = doc["_id"]
    return made.generation_time if isinstance(made, ObjectId) else datetime.now(UTC)
