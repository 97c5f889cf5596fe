"""`rewards migrate` on databases in earlier shapes: ours, and the platform's own old job's."""

import ast
import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from tests.adapters.old_shapes import (
    dump,
    half_paid_month,
    insert_half_paid_month,
    insert_our_old_month,
    our_old_month,
    per_category_jobs,
)
from tests.backends import SCHEDULER_KEY
from tests.platform_schema import assert_platform_accepts

from domain.job import JobStatus
from domain.period import Period
from domain.reward import wallet_key
from domain.tiers import DEFAULT_TIERS
from infrastructure.container import Container, start_container
from infrastructure.mongo.client import (
    IncompatibleDatabase,
    check_database,
    run_migrations,
)
from infrastructure.mongo.documents import ALL_DOCUMENTS
from infrastructure.mongo.mappers import reward_id
from infrastructure.settings import Settings

DECEMBER = Period(2024, 12)
ROOT = Path(__file__).resolve().parents[2]


async def test_records_of_our_old_shape_are_converted_in_place_and_a_second_run_changes_nothing(
    raw_db: Any,
) -> None:
    old = our_old_month()
    await insert_our_old_month(raw_db, old)
    applied = await run_migrations(raw_db, Settings())
    assert [m.name for m in applied] == ["m0001_initial_indexes", "m0002_platform_shapes"]

    records = {r["_id"]: r async for r in raw_db["monthlyrewards"].find({})}
    assert set(records) == {reward_id(r["_id"]) for r in old.records}  # the live code's ids
    for before in old.records:
        after = records[reward_id(before["_id"])]
        assert not {"coins", "badge", "failureReason"} & set(after)
        assert after["snapshotId"] == old.snapshot["_id"]
        assert after["badgeAwarded"] == before["badge"]["name"]
        assert after["coinsAwarded"] == (before["coins"] if before["status"] == "awarded" else 0)
        assert (after["errorMessage"], after["paidByAttempt"]) == (
            before["failureReason"],
            before["paidByAttempt"],
        )
    header = await raw_db["monthlyrankingsnapshots"].find_one({})
    assert (header["totalUsers"], header["processed"]) == (12, True)
    assert header["processedAt"] == old.job["completedAt"]
    assert [line["rank"] for line in header["rankings"]] == list(range(1, 13))
    assert "totalParticipants" not in header
    await assert_platform_accepts(raw_db)

    settled = await dump(raw_db)
    for migration in applied:  # as when a second instance runs them again
        from migrations.runner import discover

        (again,) = [m for m in discover() if m.name == migration.name]
        await again.up(raw_db, raw_db["users"])
    assert await run_migrations(raw_db, Settings()) == []
    assert await dump(raw_db) == settled


async def test_a_conversion_stopped_half_way_is_finished_by_the_next_run(raw_db: Any) -> None:
    """A crash after a batch was moved into the journal and removed from the records."""
    old = our_old_month()
    await insert_our_old_month(raw_db, old)
    moved = old.records[:5]
    await raw_db["monthlyrewards_m0002_journal"].insert_many(moved)
    await raw_db["monthlyrewards"].delete_many({"_id": {"$in": [r["_id"] for r in moved]}})
    await run_migrations(raw_db, Settings())
    ids = {r["_id"] async for r in raw_db["monthlyrewards"].find({}, {"_id": 1})}
    assert ids == {reward_id(r["_id"]) for r in old.records}
    assert await raw_db["monthlyrewards_m0002_journal"].count_documents({}) == 0


async def test_records_that_cannot_be_converted_stop_the_migration_naming_them(
    raw_db: Any,
) -> None:
    old = our_old_month()
    old.records[0]["tier"] = "LEGEND"
    del old.records[1]["badge"]
    await insert_our_old_month(raw_db, old)
    before = await dump(raw_db)
    with pytest.raises(IncompatibleDatabase) as refused:
        await run_migrations(raw_db, Settings())
    message = str(refused.value)
    assert "tier 'LEGEND'" in message and repr(old.records[0]["_id"]) in message
    assert "missing badge" in message and repr(old.records[1]["_id"]) in message
    assert "Nothing was changed" in message
    assert await dump(raw_db) == before


async def test_a_month_half_paid_by_the_platforms_job_is_completed_by_retry_paying_nobody_twice(
    unstarted: Container,
) -> None:
    month = half_paid_month()
    db = unstarted.db()
    await insert_half_paid_month(db, month)
    before = {u["_id"]: u for u in await db["users"].find({}).to_list(None)}
    await start_container(unstarted)  # migrates: derives the wallet keys, adopts the snapshot

    job = await unstarted.get_job_status().execute(DECEMBER)  # a foreign job maps
    assert (job.status, job.epoch, job.results.total_rewards_awarded) == (JobStatus.FAILED, 0, 0)
    await unstarted.retry_monthly_rewards().execute(DECEMBER)
    await unstarted.runner().wait_idle()
    job = await unstarted.get_job_status().execute(DECEMBER)
    assert job.status is JobStatus.COMPLETED, job.error_message

    after = {u["_id"]: u async for u in db["users"].find({})}
    for rank, student in enumerate(month.students, start=1):
        paid_before = rank <= month.paid
        coins = (
            after[student["_id"]]["rewards"]["coins"] - before[student["_id"]]["rewards"]["coins"]
        )
        assert coins == (0 if paid_before else DEFAULT_TIERS.tier_for(rank).coins), rank
        assert _month_badges(after[student["_id"]]) == ["students"], rank
    for rank, teacher in enumerate(_by_rank(month.teachers), start=1):
        coins = (
            after[teacher["_id"]]["rewards"]["coins"] - before[teacher["_id"]]["rewards"]["coins"]
        )
        assert coins == DEFAULT_TIERS.tier_for(rank).coins
        assert _month_badges(after[teacher["_id"]]) == ["teachers"]

    records = await db["monthlyrewards"].find({}).to_list(None)
    assert Counter((r["userId"], r["category"]) for r in records).most_common(1)[0][1] == 1
    assert len(records) == len(month.students) + len(month.teachers)
    assert all(r["status"] == "awarded" for r in records)
    kept = {r["_id"] for r in month.records}
    assert kept <= {r["_id"] for r in records}  # the platform's own records stay, re-keyed none
    upgraded = next(r for r in records if r["userId"] == month.students[month.paid]["_id"])
    assert (upgraded["coinsAwarded"], upgraded["errorMessage"]) == (200, None)

    stored_job = await db["monthlyrewardjobs"].find_one({})
    assert stored_job["platformResults"] == month.platform_results
    assert stored_job["results"]["totalCoinsAwarded"] == sum(r["coinsAwarded"] for r in records)
    await assert_platform_accepts(db)


async def test_a_half_paid_month_whose_failed_job_was_deleted_is_paid_once_by_a_new_run(
    unstarted: Container,
) -> None:
    """The seed's own advice for a failed month was to delete its job and trigger again: its
    records and snapshot still say which month the platform's job worked on."""
    month = half_paid_month(students=14, teachers=3, paid=5)
    db = unstarted.db()
    await insert_half_paid_month(db, month)
    await db["monthlyrewardjobs"].delete_many({})
    before = {u["_id"]: u["rewards"]["coins"] for u in await db["users"].find({}).to_list(None)}
    await start_container(unstarted)
    await unstarted.start_monthly_rewards().execute(DECEMBER)
    await unstarted.runner().wait_idle()
    assert (await unstarted.get_job_status().execute(DECEMBER)).status is JobStatus.COMPLETED
    for rank, student in enumerate(month.students, start=1):
        user = await db["users"].find_one({"_id": student["_id"]})
        expected = 0 if rank <= month.paid else DEFAULT_TIERS.tier_for(rank).coins
        assert user["rewards"]["coins"] - before[student["_id"]] == expected, rank
        assert _month_badges(user) == ["students"]
    await assert_platform_accepts(db)


async def test_badges_of_months_the_platforms_job_never_touched_change_nothing(
    raw_db: Any,
) -> None:
    month = half_paid_month(students=6, teachers=0, paid=3)
    await raw_db["users"].insert_many(month.students)  # badges, but no job, snapshot or record
    before = await dump(raw_db)
    await run_migrations(raw_db, Settings())
    after = await dump(raw_db)
    assert after["users"] == before["users"]


def _month_badges(user: dict[str, Any]) -> list[str]:
    return [b["category"] for b in user["badges"] if (b["year"], b["month"]) == (2024, 12)]


def _by_rank(teachers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The teachers' ranking as the service computes it: attempts desc, then seniority."""
    return sorted(
        teachers, key=lambda t: (-t["teacher"]["totalAttemptsOfStudents"], t["createdAt"])
    )


async def test_the_platforms_per_category_jobs_stop_migrate_and_change_nothing(
    raw_db: Any,
) -> None:
    await raw_db["monthlyrewardjobs"].insert_many(per_category_jobs())
    await raw_db["users"].insert_one({"_id": ObjectId(), "email": "a@school.test"})
    before = await dump(raw_db)
    for step in (check_database(raw_db), run_migrations(raw_db, Settings())):
        with pytest.raises(IncompatibleDatabase) as refused:
            await step
        message = str(refused.value)
        assert "per month and category" in message and "12/2024" in message
        assert "global, students, teachers" in message and "Nothing was changed" in message
    assert await dump(raw_db) == before


async def test_rewards_migrate_and_serve_print_the_conflict_and_exit(real_server_url: str) -> None:
    """From outside, as an operator runs them: a message, exit status 2, no stack trace."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    client: Any = AsyncIOMotorClient(real_server_url, tz_aware=True, directConnection=True)
    db = client[name]
    try:
        await db["monthlyrewardjobs"].insert_many(per_category_jobs())
        before = await dump(db)
        env = {**os.environ, "REWARDS_MONGODB_URL": real_server_url, "REWARDS_MONGODB_DB": name}
        for command in (["migrate"], ["serve", "--port", str(_free_port())]):
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "interfaces.cli.main", *command],
                env={**env, "REWARDS_API_KEYS": SCHEDULER_KEY},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 2, done.stdout + done.stderr
            assert "per month and category" in done.stderr
            assert "Traceback" not in done.stdout + done.stderr
        assert await dump(db) == before
    finally:
        await client.drop_database(name)
        client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_index_the_platform_made_under_its_own_name_does_the_job(raw_db: Any) -> None:
    await raw_db["monthlyrewardjobs"].create_index([("year", 1), ("month", 1)], unique=True)
    await run_migrations(raw_db, Settings())
    names = set(await raw_db["monthlyrewardjobs"].index_information())
    assert "year_month_unique" not in names and "year_1_month_1" in names


async def test_every_index_the_documents_declare_is_made_by_the_migrations(raw_db: Any) -> None:
    await run_migrations(raw_db, Settings())
    for document in ALL_DOCUMENTS:
        made = {
            (tuple((k, int(d)) for k, d in info["key"]), bool(info.get("unique")))
            for info in (await raw_db[document.collection].index_information()).values()
        }
        for index in document.indexes:
            spec = index.document
            wanted = (tuple((k, int(d)) for k, d in spec["key"].items()), bool(spec.get("unique")))
            assert wanted in made, (document.collection, spec["name"])


def test_the_migration_derives_the_ids_and_keys_the_live_code_uses() -> None:
    from migrations import m0002_platform_shapes as m0002

    key = "2024-12:students:65a1b2c3d4e5f60718293a4b"
    assert m0002._reward_id(key) == reward_id(key)
    badge = {"year": 2024, "month": 3, "category": "teachers"}
    assert m0002._key(badge) == wallet_key(Period(2024, 3), "teachers")
    assert m0002._key({"year": 2024.0, "month": 3.0, "category": "teachers"}) == "2024-03:teachers"
    assert m0002._key({"year": 2024, "category": "teachers"}) is None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _module_level_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_migrations_are_history_and_src_does_not_import_them_at_module_level() -> None:
    service = {"domain", "application", "infrastructure", "interfaces"}
    for path in (ROOT / "migrations").glob("*.py"):
        assert not _imports(path) & service, path
    for path in (ROOT / "src").rglob("*.py"):
        assert "migrations" not in _module_level_imports(path), path
