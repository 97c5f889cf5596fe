"""The serverless mode on a real server: a month driven only by repeated step calls to `rewards
serve` instances started with REWARDS_EXECUTION=steps, some of them SIGKILLed mid-call, as a
serverless host may freeze or kill a request. Every wallet is checked from the database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tests.expectations import assert_paid_exactly_once
from tests.faults.conftest import Deployment
from tests.faults.test_faults import BIG, MONTH, PERIOD, URL, job_doc, post, report, seed
from tests.http.conftest import SCHEDULER
from tests.support.sizing import lease_seconds

LEASE_S = lease_seconds(4.0, slow=10.0)
STEP_S = LEASE_S / 8  # short steps: a month takes several of them even on a fast machine
STEPS_ENV = {
    "REWARDS_EXECUTION": "steps",
    "REWARDS_STEP_SECONDS": str(STEP_S),
    "REWARDS_LEASE_SECONDS": str(LEASE_S),
}
KILLS = 3  # the call after each worked step is killed, this many times; then the month finishes
CALL_LIMIT = 400


async def step(base: str) -> dict[str, Any] | None:
    """One scheduler call; None when the instance died under it."""
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            response = await client.post(f"{URL}/process", headers=SCHEDULER)
    except httpx.HTTPError:
        return None
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def resumed_since(deployment: Deployment, killed_at: datetime) -> float:
    """Seconds from a kill to the start of the first attempt after it, by the job's own record
    (not by when its step's answer came back: that adds the step's work and the machine's load)."""
    doc = await job_doc(deployment)
    assert doc is not None
    starts = [
        a["startedAt"].replace(tzinfo=UTC) if a["startedAt"].tzinfo is None else a["startedAt"]
        for a in doc["attemptHistory"]
    ]
    later = [start for start in starts if start > killed_at]
    assert later, f"no attempt began after the kill at {killed_at}: {starts}"
    return (min(later) - killed_at).total_seconds()


async def test_steps_with_kills_mid_call_pay_a_month_exactly_once(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await seed(deployment, BIG, seed_no=31)
    live = [deployment.start_instance(**STEPS_ENV), deployment.start_instance(**STEPS_ENV)]
    started = await post(live[0].base)
    assert started.json()["data"]["status"] == "processing"
    assert (await job_doc(deployment) or {}).get("lease", {}).get("expiresAt") is not None
    counts = {"worked": 0, "busy": 0, "idle": 0, "killed": 0}
    paid_per_step: list[int] = []
    resumed_after: list[float] = []
    killed_at: datetime | None = None
    began = time.monotonic()
    dead: int | None = None  # the killed instance's place, until the month moved on without it
    last_worked = False
    for call in range(1, CALL_LIMIT + 1):
        index = call % 2 if dead is None else 1 - dead
        instance = live[index]
        # Kills follow progress, not call numbers: a fast machine finishes the month in fewer
        # calls, and a schedule by call number could then end it after a single kill.
        if last_worked and dead is None and counts["killed"] < KILLS:
            last_worked = False
            pending = asyncio.ensure_future(step(instance.base))
            await asyncio.sleep(STEP_S / 2)  # mid-step, lease held, batches in flight
            instance.kill()
            killed_at, dead = datetime.now(UTC), index
            await pending
            counts["killed"] += 1
            continue
        data = await step(instance.base)
        assert data is not None, deployment.logs()
        counts[data["step"]] += 1
        last_worked = data["step"] == "worked"
        if last_worked:
            paid_per_step.append(data["paidThisStep"])
            if killed_at is not None and dead is not None:
                resumed_after.append(await resumed_since(deployment, killed_at))
                live[dead] = deployment.start_instance(**STEPS_ENV)  # the host's next instance
                killed_at, dead = None, None
        if data["status"] == "completed":
            break
        if data["step"] == "busy":
            await asyncio.sleep(0.5)  # the scheduler's next minute, compressed
    elapsed = time.monotonic() - began
    doc = await job_doc(deployment)
    assert doc is not None and doc["status"] == "completed", deployment.logs()
    paid = await assert_paid_exactly_once(deployment.db, before, PERIOD)
    assert doc["results"]["totalCoinsAwarded"] == sum(paid.values())
    assert counts["killed"] >= 2
    # A killed step's lease lapses; a later call resumes within two leases at most.
    assert resumed_after and max(resumed_after) <= 2 * LEASE_S, resumed_after
    full_steps = paid_per_step[:-1] or paid_per_step
    assert all(paid > 0 for paid in full_steps), paid_per_step  # every step moved it on
    report(
        capsys,
        f"6. Serverless steps ({STEP_S:g} s), {BIG} users, two instances",
        f"{counts['killed']} instances SIGKILLed mid-step (the call after a worked step)",
        f"completed in {elapsed:.1f}s over {counts['worked']} steps ({counts['busy']} busy "
        f"answers); users paid per step: median {sorted(full_steps)[len(full_steps) // 2]}, "
        f"max {max(paid_per_step)}; a killed step was resumed after at most "
        f"{max(resumed_after):.1f}s; every wallet exact ({sum(paid.values())} coins)",
    )
    assert {"month": PERIOD.month, "year": PERIOD.year} == MONTH
