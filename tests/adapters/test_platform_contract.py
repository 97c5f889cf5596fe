"""Every document the service writes, loaded through the platform's own models (the field tables
of PLATFORM.md, as tests/platform_schema.py), after a whole month and in flight, on mongomock
and on the real server."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from tests.fakes import FixedClock
from tests.platform_schema import (
    MonthlyRankingSnapshot,
    MonthlyRewardJob,
    User,
    assert_platform_accepts,
    problems_of,
)

from domain.job import MonthlyRewardJob as Job
from domain.period import Period
from domain.policy import RewardPolicy
from infrastructure.container import Container
from infrastructure.mongo.job_repository import MongoJobRepository
from infrastructure.mongo.snapshot_repository import MongoSnapshotRepository

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
DECEMBER = Period(2024, 12)


def platform_user(rng: random.Random, role: str, index: int) -> dict[str, Any]:
    """A user as the platform's Mongoose model creates and saves one."""
    created = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 5000))
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "name": f"{role.title()} {index}",
        "email": f"{role}{index}@school.test",
        "role": role,
        "isActive": True,
        "rewards": {"coins": rng.randrange(0, 900), "xp": rng.randrange(0, 30) * 10, "level": 1},
        "badges": [],
        "createdAt": created,
        "updatedAt": created,
        "__v": 0,
    }
    if role == "student":
        doc["student"] = {
            "totalTests": rng.randrange(0, 25),
            "correctAnswers": rng.randrange(0, 90),
        }
    else:
        doc["teacher"] = {"totalAttemptsOfStudents": rng.randrange(0, 120)}
    if index % 7 == 0:  # a badge of an earlier month, as the platform pushed it
        category = f"{role}s"
        doc["badges"].append(
            {
                "_id": ObjectId(),
                "name": "Monthly Performer",
                "category": category,
                "month": 10,
                "year": 2024,
                "tier": "PERFORMER",
                "rank": 77,
                "earnedAt": created,
            }
        )
    return doc


async def seed_platform_users(container: Container) -> tuple[list[dict[str, Any]], ObjectId]:
    rng = random.Random(5)
    users = [platform_user(rng, "student", i) for i in range(160)]
    users += [platform_user(rng, "teacher", i) for i in range(40)]
    users.append({**platform_user(rng, "student", 999), "isActive": False})
    users.append({**platform_user(rng, "student", 998), "role": "admin"})
    # A wallet no update can credit: its reward is recorded `failed`, nobody is paid twice.
    broken = {**platform_user(rng, "student", 997), "badges": "not a list"}
    users.append(broken)
    await container.users().insert_many(users)
    return users, broken["_id"]


async def test_every_document_of_a_paid_month_loads_through_the_platforms_models(
    container: Container,
) -> None:
    users, broken = await seed_platform_users(container)
    valid_before = {u["_id"] for u in users if not problems_of(User, u)}
    assert valid_before == {u["_id"] for u in users} - {broken}

    await container.start_monthly_rewards().execute(DECEMBER)
    await container.runner().wait_idle()

    db = container.db()
    counts = await assert_platform_accepts(db, valid_before=valid_before)
    assert counts == {"users": 202, "rewards": 201, "snapshots": 2, "jobs": 1}
    job = await db["monthlyrewardjobs"].find_one({})
    assert job["status"] == "completed"
    assert job["results"]["totalRewardsAwarded"] == 200
    failed = await db["monthlyrewards"].find_one({"status": "failed"})
    assert failed["userId"] == broken and failed["coinsAwarded"] == 0
    assert "wallet cannot be credited" in failed["errorMessage"]

    for snapshot in await db["monthlyrankingsnapshots"].find({}).to_list(None):
        ranked = {"students": 161, "teachers": 40}[snapshot["category"]]  # active, of the role
        assert snapshot["totalUsers"] == ranked
        assert [line["rank"] for line in snapshot["rankings"]] == list(
            range(1, min(100, snapshot["totalUsers"]) + 1)
        )
        assert {line["role"] for line in snapshot["rankings"]} == {snapshot["category"][:-1]}
        assert snapshot["processed"] is True and snapshot["processedAt"] == job["completedAt"]

    async for reward in db["monthlyrewards"].find({"status": "awarded"}):
        user = await container.users().find_one({"_id": reward["userId"]})
        badge = next(b for b in user["badges"] if b["_id"] == reward["_id"])
        assert (badge["name"], badge["tier"], badge["rank"]) == (
            reward["badgeAwarded"],
            reward["tier"],
            reward["rank"],
        )
        assert user["updatedAt"] > next(u for u in users if u["_id"] == user["_id"])["updatedAt"]


async def test_documents_in_flight_load_through_the_platforms_models_too(
    container: Container,
) -> None:
    """A job processing, then failed; a snapshot still being built: what the admin panel may
    read while a month runs or after it broke."""
    db = container.db()
    jobs = MongoJobRepository(db, FixedClock(T0))
    job = Job.start(jobs.new_id(), DECEMBER, T0, "worker-a", timedelta(seconds=60))
    await jobs.create(job)
    assert problems_of(MonthlyRewardJob, await db["monthlyrewardjobs"].find_one({})) == []
    job.fail("the database stayed unavailable", "Traceback ...", T0 + timedelta(seconds=3))
    assert await jobs.save(job)
    stored = await db["monthlyrewardjobs"].find_one({})
    assert problems_of(MonthlyRewardJob, stored) == []
    assert (stored["status"], stored["errorMessage"]) == (
        "failed",
        "the database stayed unavailable",
    )

    snapshots = MongoSnapshotRepository(db, RewardPolicy.default())
    await snapshots.start_building(DECEMBER, "teachers", T0)
    building = await db["monthlyrankingsnapshots"].find_one({})
    assert problems_of(MonthlyRankingSnapshot, building) == []
    assert (building["totalUsers"], building["rankings"], building["processed"]) == (0, [], False)
