"""Serverless steps: `rewards serve` with REWARDS_EXECUTION=steps pays a month only inside the
scheduler's step calls, each bounded by REWARDS_STEP_SECONDS (20 by default). One trigger, then
step calls back to back until the month is completed; what each call paid is read from its own
answer, and the month from the wallets."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from motor.motor_asyncio import AsyncIOMotorDatabase

from benchmarks.latency import API_KEY, BASE_PATH, serving, wait_healthy
from benchmarks.ours import paid_month
from benchmarks.population import wallet_totals
from domain.period import Period
from interfaces.http.auth import HEADER

STEP_SECONDS = 20.0
CALL_LIMIT = 1000
BUSY_BACKOFF_S = 0.5


async def measure_steps(
    db: AsyncIOMotorDatabase[dict[str, Any]], url: str, period: Period, users: int
) -> dict[str, Any]:
    before = await wallet_totals(db["users"])
    env = {"REWARDS_EXECUTION": "steps", "REWARDS_STEP_SECONDS": f"{STEP_SECONDS:g}"}
    body = {"month": period.month, "year": period.year}
    calls: list[dict[str, Any]] = []
    with serving(url, db.name, env) as server:
        await wait_healthy(server)
        async with httpx.AsyncClient(
            base_url=server.base_url, headers={HEADER: API_KEY}, timeout=STEP_SECONDS * 4
        ) as client:
            began = time.perf_counter()
            (await client.post(BASE_PATH, json=body)).raise_for_status()
            for _ in range(CALL_LIMIT):
                start = time.perf_counter()
                answer = await client.post(f"{BASE_PATH}/process")
                answer.raise_for_status()
                data = answer.json()["data"]
                calls.append(
                    {
                        "step": data["step"],
                        "paid": data["paidThisStep"],
                        "seconds": time.perf_counter() - start,
                        "status": data["status"],
                    }
                )
                if data["status"] != "processing":
                    break
                if data["step"] != "worked":
                    # Another step holds the lease (a scheduler would call again later): one
                    # held after a give-back, as a heartbeat once renewed it, shows here.
                    await asyncio.sleep(BUSY_BACKOFF_S)
            wall = time.perf_counter() - began
    month = await paid_month(db, period, before)
    worked = [c for c in calls if c["step"] == "worked"]
    # The last step pays what was left; the others ran for their full time.
    full = [c["paid"] for c in worked[:-1]] or [c["paid"] for c in worked]
    return {
        "users": users,
        "step_seconds_setting": STEP_SECONDS,
        "steps": len(worked),
        "calls": len(calls),
        "calls_not_worked": len(calls) - len(worked),
        "wall_seconds": wall,
        "users_paid_per_full_step": {
            "median": statistics.median(full) if full else 0,
            "min": min(full, default=0),
            "max": max(full, default=0),
        },
        "step_call_seconds": {
            "median": statistics.median(c["seconds"] for c in worked) if worked else 0,
            "max": max((c["seconds"] for c in worked), default=0),
        },
        "per_step": [{"paid": c["paid"], "seconds": c["seconds"]} for c in worked],
        "job_status": month.status,
        "verified": month.verified,
    }
