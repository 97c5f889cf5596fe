"""The database goes away mid-job on the real server: while it is down, every endpoint that needs it
answers 503 with the envelope within the request deadline (not the driver's 30 s server
selection); when it is back, the worker (which keeps its own, longer patience) completes the
month, every wallet exact. The server URL has no quick server selection here: the deadline alone
bounds requests.

The instance pays the month and holds its lease throughout, so what is asked of that month (the
trigger, its status, a retry) is answered from its own writes (infrastructure/cached_jobs.py),
truthfully and at once, database or not."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from tests.backends import drop_database, settings_for
from tests.expectations import assert_paid_exactly_once, snapshot_users
from tests.faults.conftest import FaultServer
from tests.http.conftest import ADMIN, SCHEDULER
from tests.support.instances import ServiceInstance

from domain.period import Period
from infrastructure.seeding import seed_users

URL = "/api/ranking/monthly-rewards"
MONTH = {"month": 10, "year": 2026}
DEADLINE_S = 2.0
BOUND_S = DEADLINE_S + 2.0  # the deadline, a failed connection's own wait, and a loaded machine
USERS = 4000


@pytest.fixture
async def world(fault_server: FaultServer) -> AsyncIterator[tuple[Any, ServiceInstance]]:
    fault_server.restartable()  # skips, saying why, on a server that cannot be taken down
    settings = settings_for("real", fault_server.url, batch_size=500)
    folder = Path(tempfile.mkdtemp(prefix="rewards-outage-"))
    client: Any = AsyncIOMotorClient(settings.mongodb_url, tz_aware=True)
    instance = ServiceInstance(
        settings,
        folder / "instance.log",
        {
            "REWARDS_REQUEST_TIMEOUT_SECONDS": str(DEADLINE_S),
            "REWARDS_LEASE_SECONDS": "30",  # outlives the outage: no takeover in this test
        },
    )
    try:
        yield client[settings.mongodb_db], instance.wait_healthy()
    finally:
        instance.stop()
        client.close()
        shutil.rmtree(folder, ignore_errors=True)
        await drop_database(settings)


async def processed(db: Any) -> int:
    doc = await db["monthlyrewardjobs"].find_one({})
    if doc is None:
        return 0
    counts = (doc.get("progress") or {}).get("categories") or {}
    return sum(c.get("processed", 0) for c in counts.values())


async def timed(
    client: httpx.AsyncClient, method: str, path: str, **kw: Any
) -> tuple[str, int, float, dict[str, Any]]:
    started = time.monotonic()
    answer = await client.request(method, path, **kw)
    return f"{method} {path}", answer.status_code, time.monotonic() - started, answer.json()


async def test_every_endpoint_answers_503_within_the_deadline_and_the_month_completes(
    world: tuple[Any, ServiceInstance],
    fault_server: FaultServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, instance = world
    server = fault_server.restartable()
    teachers = USERS // 10
    await seed_users(db["users"], USERS - teachers, teachers, seed=41)
    before = await snapshot_users(db)
    async with httpx.AsyncClient(base_url=instance.base, timeout=60) as client:
        assert (await client.post(URL, headers=SCHEDULER, json=MONTH)).status_code == 200
        deadline = time.monotonic() + 300
        while await processed(db) < 500 and time.monotonic() < deadline:  # noqa: ASYNC110 - another process writes it
            await asyncio.sleep(0.02)
        assert await processed(db) >= 500, instance.log_text()[-3000:]
        server.kill()
        down_at = time.monotonic()
        answers = await asyncio.gather(
            timed(client, "GET", f"{URL}/status", headers=SCHEDULER),
            timed(client, "GET", f"{URL}/jobs", headers=SCHEDULER),
            timed(client, "GET", "/health"),
        )
        own = await asyncio.gather(
            timed(client, "POST", URL, headers=SCHEDULER, json=MONTH),
            timed(client, "GET", f"{URL}/status", headers=SCHEDULER, params=MONTH),
            timed(client, "POST", f"{URL}/retry", headers=ADMIN, json=MONTH),
        )
        await asyncio.sleep(max(0.0, 6 - (time.monotonic() - down_at)))
        server.restart()
        outage = time.monotonic() - down_at
        for what, status, took, body in answers:
            assert status == 503, (what, body)
            assert body["success"] is False
            message = body["message"].lower()
            assert "database" in message and ("unavailable" in message or "unreachable" in message)
            assert took < BOUND_S, (what, took)
        (_, trigger, _, underway), (_, named, _, job), (_, retry, _, refused) = own
        assert (trigger, underway["data"]["status"]) == (200, "processing"), underway
        assert "already underway" in underway["message"]
        assert (named, job["data"]["status"]) == (200, "processing"), job
        assert retry == 409, refused  # only a failed month can be retried
        assert all(took < BOUND_S for _, _, took, _ in own), own
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = await client.get(f"{URL}/status", headers=SCHEDULER, params=MONTH)
            if status.status_code == 200 and status.json()["data"]["status"] != "processing":
                break
            await asyncio.sleep(0.2)
        assert status.json()["data"]["status"] == "completed", instance.log_text()[-3000:]
    await assert_paid_exactly_once(db, before, Period(2026, 10))
    slowest = max(took for _, _, took, _ in answers)
    with capsys.disabled():
        print(
            f"\n[fault suite] outage answers, {USERS} users: {fault_server.description} down {outage:.1f}s "
            f"mid-crediting; latest status, jobs and health 503 "
            f"in at most {slowest:.2f}s (deadline {DEADLINE_S:g}s): "
            + ", ".join(f"{what} {took:.2f}s" for what, _, took, _ in answers)
            + "; the month it pays answered from its own writes: "
            + ", ".join(f"{what} {status} in {took:.3f}s" for what, status, took, _ in own)
            + "; then completed, every wallet exact"
        )
