"""The platform's Mongoose models (`../shared/PLATFORM.md`) as a test-side schema, written once
and apart from the service's own documents.py, so a mistake there cannot hide here.

Mongoose semantics mirrored: a Number is an int or a float (never a bool or text), a Date a
datetime, an ObjectId an ObjectId (a hex string would not populate); a required String must be
non-empty; enums and min/max as the field tables say; unknown fields are kept and ignored.
`assert_platform_accepts` loads every document of the four collections through these models and
checks what Mongoose's populate and the admin's reads rely on across documents.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Category = Literal["global", "students", "teachers"]
Tier = Literal["CHAMPION", "ELITE", "ACHIEVER", "PERFORMER", "UNPLACED"]
Month = Annotated[int, Field(ge=1, le=12)]
Year = Annotated[int, Field(ge=2020)]
NonNegative = Annotated[float, Field(ge=0)]
Rank = Annotated[float, Field(ge=1)]
RequiredText = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="allow", arbitrary_types_allowed=True, populate_by_name=True
    )


class Badge(Model):
    # Mongoose gives every element it pushes one; one pushed otherwise may lack it (not
    # required), but one that has it must be an ObjectId. Ours carry it: test_platform_contract.
    id: ObjectId | None = Field(default=None, alias="_id")
    name: RequiredText
    category: Category
    month: Month
    year: Year
    tier: Tier
    rank: Rank
    earnedAt: datetime | None = None


class Wallet(Model):
    coins: NonNegative = 0
    xp: NonNegative = 0
    level: Annotated[float, Field(ge=1)] = 1


class StudentStats(Model):
    totalTests: NonNegative = 0
    correctAnswers: NonNegative = 0


class TeacherStats(Model):
    totalAttemptsOfStudents: NonNegative = 0


class User(Model):
    id: ObjectId = Field(alias="_id")
    name: str | None = None
    email: RequiredText
    role: Literal["student", "teacher", "admin"] = "student"
    isActive: bool = True
    rewards: Wallet = Field(default_factory=Wallet)
    student: StudentStats | None = None
    teacher: TeacherStats | None = None
    badges: list[Badge] = Field(default_factory=list)
    createdAt: datetime | None = None
    updatedAt: datetime | None = None


class MonthlyReward(Model):
    id: ObjectId = Field(alias="_id")
    month: Month
    year: Year
    category: Category
    userId: ObjectId
    rank: Rank
    tier: Tier
    coinsAwarded: NonNegative
    xpAwarded: NonNegative
    badgeAwarded: RequiredText
    snapshotId: ObjectId
    status: Literal["pending", "awarded", "failed"]
    errorMessage: str | None = None
    awardedAt: datetime | None = None
    createdAt: datetime
    updatedAt: datetime


class RankingLine(Model):
    userId: ObjectId
    rank: Rank
    score: NonNegative
    userName: str | None = None
    userEmail: str | None = None
    role: Literal["student", "teacher"]


class MonthlyRankingSnapshot(Model):
    id: ObjectId = Field(alias="_id")
    month: Month
    year: Year
    category: Category
    rankings: list[RankingLine] = Field(default_factory=list)
    totalUsers: NonNegative
    snapshotDate: datetime
    processed: bool = False
    processedAt: datetime | None = None
    createdAt: datetime
    updatedAt: datetime


class JobResults(Model):
    categories: dict[str, Any] = Field(default_factory=dict)  # free-form in the model
    totalRewardsAwarded: NonNegative
    totalCoinsAwarded: NonNegative
    errors: list[Any]


class MonthlyRewardJob(Model):
    id: ObjectId = Field(alias="_id")
    month: Month
    year: Year
    status: Literal["processing", "completed", "failed"]
    startedAt: datetime
    completedAt: datetime | None = None
    duration: NonNegative | None = None
    results: JobResults
    errorMessage: str | None = None
    errorStack: str | None = None
    createdAt: datetime
    updatedAt: datetime


def problems_of(model: type[Model], doc: dict[str, Any]) -> list[str]:
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return [f"{model.__name__} {doc.get('_id')}: {e['loc']} {e['msg']}" for e in exc.errors()]
    return []


async def assert_platform_accepts(
    db: Any, users: str = "users", valid_before: set[Any] | None = None
) -> dict[str, int]:
    """Every user (of `valid_before`, when given: users the platform accepted before the run),
    reward, snapshot and job loads through the platform's models, and what its readers join
    holds together. Returns how many documents of each kind were checked."""
    user_docs = [u async for u in db[users].find({})]
    rewards = [r async for r in db["monthlyrewards"].find({})]
    snapshots = [s async for s in db["monthlyrankingsnapshots"].find({})]
    jobs = [j async for j in db["monthlyrewardjobs"].find({})]
    checked_users = [u for u in user_docs if valid_before is None or u["_id"] in valid_before]
    problems = [p for u in checked_users for p in problems_of(User, u)]
    problems += [p for r in rewards for p in problems_of(MonthlyReward, r)]
    problems += [p for s in snapshots for p in problems_of(MonthlyRankingSnapshot, s)]
    problems += [p for j in jobs for p in problems_of(MonthlyRewardJob, j)]
    problems += _joins(user_docs, rewards, snapshots, jobs)
    assert not problems, "the platform would refuse:\n" + "\n".join(problems[:20])
    return {
        "users": len(checked_users),
        "rewards": len(rewards),
        "snapshots": len(snapshots),
        "jobs": len(jobs),
    }


def _joins(
    users: list[dict[str, Any]],
    rewards: list[dict[str, Any]],
    snapshots: list[dict[str, Any]],
    jobs: list[dict[str, Any]],
) -> list[str]:
    """What populate() and the admin's reads rely on: references that resolve, the unique
    keys, and the job's totals equal to the month's records."""
    problems = []
    user_ids = {u["_id"] for u in users}
    by_id = {s["_id"]: s for s in snapshots}
    for reward in rewards:
        snapshot = by_id.get(reward["snapshotId"])
        if snapshot is None:
            problems.append(
                f"reward {reward['_id']}: snapshotId {reward['snapshotId']} resolves to no snapshot"
            )
        elif [snapshot[k] for k in ("year", "month", "category")] != [
            reward[k] for k in ("year", "month", "category")
        ]:
            problems.append(f"reward {reward['_id']}: its snapshot is of another month or category")
        if reward["userId"] not in user_ids and reward["status"] == "awarded":
            problems.append(
                f"reward {reward['_id']}: awarded to user {reward['userId']}, who does not exist"
            )
    problems += _duplicates("rewards", rewards, ("userId", "year", "month", "category"))
    problems += _duplicates("snapshots", snapshots, ("year", "month", "category"))
    problems += _duplicates("jobs", jobs, ("year", "month"))
    for user in users:
        badges = user.get("badges")
        ids = (
            [b["_id"] for b in badges if isinstance(b, dict) and "_id" in b]
            if isinstance(badges, list)
            else []
        )
        if len(ids) != len(set(map(str, ids))):
            problems.append(f"user {user['_id']}: two badges share an _id")
    for job in jobs:
        month = [r for r in rewards if (r["year"], r["month"]) == (job["year"], job["month"])]
        results = job.get("results") or {}
        if job["status"] == "completed" and results.get("totalCoinsAwarded") != sum(
            r["coinsAwarded"] for r in month
        ):
            problems.append(
                f"job {job['month']}/{job['year']}: totalCoinsAwarded {results.get('totalCoinsAwarded')} "
                f"but the month's records award {sum(r['coinsAwarded'] for r in month)}"
            )
        if job["status"] == "completed" and results.get("totalRewardsAwarded") != sum(
            r["status"] == "awarded" for r in month
        ):
            problems.append(
                f"job {job['month']}/{job['year']}: totalRewardsAwarded differs from its records"
            )
    return problems


def _duplicates(kind: str, docs: list[dict[str, Any]], key: tuple[str, ...]) -> list[str]:
    counts = Counter(tuple(str(d.get(k)) for k in key) for d in docs)
    return [
        f"{kind}: {n} documents share {dict(zip(key, k, strict=True))}"
        for k, n in counts.items()
        if n > 1
    ]
