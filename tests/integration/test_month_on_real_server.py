"""The service as the scheduler and admins use it, against a real MongoDB-wire server."""

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
from motor.motor_asyncio import AsyncIOMotorClient
from tests.backends import container_for
from tests.expectations import assert_paid_exactly_once, snapshot_users
from tests.http.conftest import SCHEDULER, THIS_MONTH, wait_until_finished
from tests.support.sizing import population

from domain.job import MonthlyRewardJob
from domain.period import Period
from infrastructure.container import start_container, stop_container
from infrastructure.mongo.job_repository import MongoJobRepository
from infrastructure.seeding import seed_users
from infrastructure.settings import Settings

URL = "/api/ranking/monthly-rewards"


# A few thousand users; fewer on a server that scans the collection per guarded update.
STUDENTS = int(os.environ.get("REWARDS_IT_STUDENTS") or population(2700, reduced=900))
TEACHERS = STUDENTS // 9


def database(settings: Settings):  # type: ignore[no-untyped-def]
    client = AsyncIOMotorClient(settings.mongodb_url, tz_aware=True)
    return client, client[settings.mongodb_db]


async def test_trigger_poll_and_exact_wallets(
    instances: list[httpx.AsyncClient], real_settings: Settings
) -> None:
    client, db = database(real_settings)
    summary = await seed_users(db["users"], STUDENTS, TEACHERS, seed=11)
    before = await snapshot_users(db)
    first, _ = instances
    started = time.perf_counter()
    response = await first.post(URL, headers=SCHEDULER, json={"month": 12, "year": 2024})
    answered = time.perf_counter() - started
    assert response.status_code == 200
    assert response.json()["message"] == "Monthly rewards processing started for 12/2024"
    status = await wait_until_finished(first, 12, 2024, limit_s=900)
    assert status["status"] == "completed", status
    paid = await assert_paid_exactly_once(db, before, Period(2024, 12))
    results = status["results"]
    assert results["totalRewardsAwarded"] == summary.students + summary.teachers
    assert results["totalCoinsAwarded"] == sum(paid.values())
    assert results["categories"]["students"]["rewardsAwarded"] == summary.students
    print(
        f"\n{summary.students + summary.teachers} users paid in {status['duration']}s "
        f"(trigger answered in {answered * 1000:.0f} ms)"
    )

    settled = await snapshot_users(db)
    again = await first.post(URL, headers=SCHEDULER, json={"month": 12, "year": 2024})
    assert "already processed" in again.json()["message"]
    assert await snapshot_users(db) == settled
    client.close()


async def test_fifty_concurrent_triggers_across_two_instances_make_one_job(
    instances: list[httpx.AsyncClient], real_settings: Settings
) -> None:
    client, db = database(real_settings)
    await seed_users(db["users"], 60, 8, seed=12)
    before = await snapshot_users(db)
    responses = await asyncio.gather(
        *(
            instances[i % 2].post(URL, headers=SCHEDULER, params={"month": 11, "year": 2024})
            for i in range(50)
        )
    )
    assert {r.status_code for r in responses} == {200}
    messages = [r.json()["message"] for r in responses]
    assert sum(m.startswith("Monthly rewards processing started") for m in messages) == 1
    assert (await wait_until_finished(instances[0], 11, 2024, limit_s=300))["status"] == "completed"
    assert await db["monthlyrewardjobs"].count_documents({}) == 1
    await assert_paid_exactly_once(db, before, Period(2024, 11))
    client.close()


async def test_bad_keys_and_periods_change_nothing_on_the_real_server(
    instances: list[httpx.AsyncClient], real_settings: Settings
) -> None:
    client, db = database(real_settings)
    first = instances[0]
    assert (await first.post(URL, headers={"x-api-key": "nope"})).status_code == 401
    assert (
        await first.post(URL, headers=SCHEDULER, params={"month": 13, "year": 2024})
    ).status_code == 400
    assert (
        await first.post(URL, headers=SCHEDULER, params=THIS_MONTH)  # not over yet
    ).status_code == 422
    assert await db["monthlyrewardjobs"].count_documents({}) == 0
    client.close()


async def test_rewards_run_after_a_crash_waits_out_the_lease_and_finishes_the_month(
    real_settings: Settings,
) -> None:

    client, db = database(real_settings)
    await seed_users(db["users"], 300, 30, seed=12)
    before = await snapshot_users(db)
    container = container_for(real_settings)
    await start_container(container)
    try:  # a worker that died a moment ago: its lease has 10 s left, enough for the new process
        # to start and find it held even on a loaded machine
        jobs = MongoJobRepository(container.db(), container.clock())
        now = datetime.now(UTC)
        dead = MonthlyRewardJob.start(
            jobs.new_id(), Period(2026, 10), now, "dead:1:x", timedelta(seconds=10)
        )
        await jobs.create(dead)
    finally:
        await stop_container(container)
    env = {
        **os.environ,
        "REWARDS_MONGODB_URL": real_settings.mongodb_url or "",
        "REWARDS_MONGODB_DB": real_settings.mongodb_db,
        "REWARDS_LEASE_SECONDS": "3",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "interfaces.cli.main", "run", "--month", "10", "--year", "2026"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "already_processing" in done.stdout and "held by dead:1:x" in done.stdout
    assert "resumed" in done.stdout and "completed" in done.stdout
    await assert_paid_exactly_once(db, before, Period(2026, 10))
    client.close()
