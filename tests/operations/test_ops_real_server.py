"""On the real server, two `rewards serve` instances with REWARDS_SELF_SCHEDULE=true start
together on one database whose month just ended is overdue: exactly one job starts and is paid,
and /metrics on either instance says the same of it (with PROMETHEUS_MULTIPROC_DIR shared, the
in-process trigger counts of both are summed)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from prometheus_client.parser import text_string_to_metric_families
from tests.backends import SCHEDULER_KEY, drop_database, settings_for
from tests.support.instances import ServiceInstance

from domain.period import Period
from infrastructure.seeding import seed_users
from infrastructure.settings import Settings

pytestmark = pytest.mark.integration

SCHEDULER = {"x-api-key": SCHEDULER_KEY}


@pytest.fixture
async def real_settings(real_server_url: str) -> AsyncIterator[Settings]:
    settings = settings_for("real", real_server_url, batch_size=500)
    yield settings
    await drop_database(settings)


async def _seed(settings: Settings, students: int, teachers: int) -> None:
    client: Any = AsyncIOMotorClient(settings.mongodb_url, directConnection=True)
    try:
        await seed_users(client[settings.mongodb_db]["users"], students, teachers, 11)
    finally:
        client.close()


async def _until_finished(client: httpx.AsyncClient, period: Period) -> dict[str, Any]:
    params = {"month": period.month, "year": period.year}
    for _ in range(600):
        answer = await client.get(
            "/api/ranking/monthly-rewards/status", headers=SCHEDULER, params=params
        )
        if answer.status_code == 200 and answer.json()["data"]["status"] != "processing":
            data: dict[str, Any] = answer.json()["data"]
            return data
        await asyncio.sleep(0.1)
    raise AssertionError(f"{period} never finished")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_self_scheduling_starts_exactly_one_job_across_two_instances(
    real_settings: Settings,
) -> None:
    await _seed(real_settings, 1800, 200)
    period = Period.just_ended(datetime.now(UTC), UTC)  # type: ignore[arg-type]
    folder = Path(tempfile.mkdtemp(prefix="rewards-self-schedule-"))
    (folder / "metrics").mkdir()
    env = {
        "REWARDS_SELF_SCHEDULE": "true",
        "REWARDS_RUN_DUE_DAY": "1",
        "REWARDS_RUN_DUE_HOUR": "0",  # due as the month ends: overdue now, whatever the day
        "REWARDS_SWEEP_SECONDS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }
    # Both at once, as after a deploy: each checks the schedule as it starts.
    instances = [
        ServiceInstance(real_settings, folder / f"instance-{n}.log", extra_env=env)
        for n in range(2)
    ]
    try:
        for instance in instances:
            instance.wait_healthy()
        clients = [httpx.AsyncClient(base_url=i.base, timeout=30) for i in instances]
        job = await _until_finished(clients[0], period)
        assert job["status"] == "completed"
        assert [a["kind"] for a in job["attemptHistory"]] == ["start"]

        database: Any = AsyncIOMotorClient(real_settings.mongodb_url, directConnection=True)
        jobs = await database[real_settings.mongodb_db]["monthlyrewardjobs"].count_documents({})
        database.close()
        assert jobs == 1
        logs = "".join(i.log_text() for i in instances)
        assert logs.count(f"self-scheduled trigger for {period}: started") == 1
        assert f"no job for {period} by" in logs

        for client in clients:  # one scheduler call to each: both answer "already processed"
            answer = await client.post(
                "/api/ranking/monthly-rewards",
                headers=SCHEDULER,
                params={"month": period.month, "year": period.year},
            )
            assert "were already processed" in answer.json()["message"]
        scraped = [_samples((await c.get("/metrics")).text) for c in clients]
        for found in scraped:
            assert found[("rewards_jobs", (("status", "completed"),))] == 1
            coins = sum(v for k, v in found.items() if k[0] == "rewards_paid_coins_total")
            assert coins == job["results"]["totalCoinsAwarded"]
            assert found[("rewards_run_overdue", (("month", period.key),))] == 0
            # Multiprocess mode: each instance's scrape sums both instances' trigger calls.
            assert found[("rewards_trigger_calls_total", (("outcome", "completed"),))] == 2
        ready = await clients[1].get("/ready")
        assert ready.status_code == 200 and ready.json()["data"]["pendingMigrations"] == []
        for client in clients:
            await client.aclose()
    finally:
        for instance in instances:
            instance.stop()
        shutil.rmtree(folder, ignore_errors=True)
