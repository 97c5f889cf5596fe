"""The fault suite: real instances on a real server, faults injected from outside, and every case
checked from the database afterwards (tests/expectations.py): every ranked user holds exactly one
reward and one badge per category for the month, and their coins rose by exactly their tier's
amount. Run it alone with `make faults` (pytest -m faults)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.expectations import assert_paid_exactly_once, snapshot_users
from tests.faults.conftest import LEASE_S, Deployment, FaultServer
from tests.http.conftest import ADMIN, SCHEDULER
from tests.support.sizing import population

from domain.period import Period
from infrastructure.seeding import seed_users

URL = "/api/ranking/monthly-rewards"
MONTH = {"month": 10, "year": 2026}
PERIOD = Period(2026, 10)
# Populations: full size, or reduced on a server that scans for every guarded update.
# Case 1 needs over 500 teachers (two batches) for its last kill point: at least 6,000 users.
BIG = int(os.environ.get("REWARDS_FAULT_USERS") or population(20000, reduced=6000))
MID = population(5000, reduced=2000)  # cases 2 and 4
RACE = population(2000, reduced=1000)  # case 3


def report(capsys: pytest.CaptureFixture[str], case: str, injected: str, checked: str) -> None:
    with capsys.disabled():
        print(f"\n[fault suite] {case}\n  injected: {injected}\n  checked:  {checked}")


async def seed(deployment: Deployment, users: int, seed_no: int) -> dict[Any, dict[str, Any]]:
    teachers = users // 10
    await seed_users(deployment.db["users"], users - teachers, teachers, seed=seed_no)
    return await snapshot_users(deployment.db)


async def job_doc(deployment: Deployment) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await deployment.db["monthlyrewardjobs"].find_one({})
    return doc


async def wait_for(
    deployment: Deployment, what: str, done: Callable[[dict[str, Any]], bool], limit_s: float
) -> dict[str, Any]:
    """Polls the job document itself: the instances may be dead or frozen meanwhile."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        doc = await job_doc(deployment)
        if doc is not None and done(doc):
            return doc
        await asyncio.sleep(0.02)
    raise AssertionError(
        f"not {what} after {limit_s}s; job: {await job_doc(deployment)}\n{deployment.logs()}"
    )


def position(doc: dict[str, Any]) -> tuple[int, int, int]:
    """How far a job has got: (category, phase, processed), comparable."""
    progress = doc.get("progress") or {}
    category = progress.get("category")
    phase = {"queued": 0, "snapshot": 1, "crediting": 2, "done": 3}[progress.get("phase", "queued")]
    index = {None: 0, "students": 1, "teachers": 2}[category]
    processed = ((progress.get("categories") or {}).get(category) or {}).get("processed", 0)
    return index, phase, processed


def where(doc: dict[str, Any]) -> str:
    progress = doc["progress"]
    category = progress.get("category")
    counts = (progress.get("categories") or {}).get(category) or {}
    return (
        f"{category} {progress['phase']} {counts.get('processed', 0)}/{counts.get('total', '?')}"
        f" (attempt {doc['attempts']})"
    )


def finished(doc: dict[str, Any]) -> bool:
    return doc["status"] != "processing"


async def post(base: str, path: str = URL, headers: dict[str, str] = SCHEDULER) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await client.post(path, headers=headers, json=MONTH)


async def test_sigkill_at_five_points_then_takeover_finishes_the_month(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await seed(deployment, BIG, seed_no=21)
    students, teachers = BIG - BIG // 10, BIG // 10
    # Two batches (of 500) from the end: a background run overlaps two batches, so once the
    # second-last is checkpointed the last is already in flight, and one checkpoint later the
    # month is done, too soon for a poll to catch. (A sized-down suite has two teacher batches:
    # the kill then comes as their crediting begins.)
    last_batches = max(teachers - 2 * 500, 0)
    kill_points: list[tuple[str, tuple[int, int, int]]] = [
        ("while building the students' snapshot", (1, 1, 0)),
        ("between the students' snapshot and their first credit", (1, 2, 0)),
        ("mid-crediting the students", (1, 2, students // 2)),
        ("at the teachers' snapshot", (2, 1, 0)),
        ("just before completion (the last batches in flight)", (2, 2, last_batches)),
    ]
    # Two instances on one database, as behind a load balancer; the one holding the lease is
    # killed each time, another live one's sweep takes over. A replacement is started at each
    # kill, so it comes up while the lease runs out: started after the takeover, its start-up
    # (seconds) let a fast server finish the month before the next kill point could be seen.
    live = [deployment.start_instance(), deployment.start_instance()]
    started = time.monotonic()
    assert (await post(live[0].base)).json()["data"]["status"] == "processing"
    killed_at = []
    for label, target in kill_points:
        doc = await wait_for(
            deployment, f"at {label}", lambda d, t=target: finished(d) or position(d) >= t, 300
        )
        assert not finished(doc), f"the job finished before the kill {label}"
        holder = next(i for i in live if f":{i.process.pid}:" in doc["lease"]["owner"])
        holder.kill()
        live.remove(holder)
        live.append(deployment.launch_instance())
        killed_at.append(f"{label}: {where(doc)}")
        attempts = doc["attempts"]
        taken = await wait_for(
            deployment, "taken over", lambda d, a=attempts: d["attempts"] > a, 60
        )
        # Another live instance took over: the survivor, or the replacement if it was up first.
        assert any(f":{i.process.pid}:" in taken["lease"]["owner"] for i in live)
        await asyncio.to_thread(live[-1].wait_healthy)
    doc = await wait_for(deployment, "finished", finished, 600)
    elapsed = time.monotonic() - started
    assert doc["status"] == "completed", deployment.logs()
    paid = await assert_paid_exactly_once(deployment.db, before, PERIOD)
    results = doc["results"]
    assert results["totalRewardsAwarded"] == students + teachers
    assert results["totalCoinsAwarded"] == sum(paid.values())
    history = [(a["attempt"], a["kind"], a["outcome"]) for a in doc["attemptHistory"]]
    assert [h[2] for h in history] == ["lease_expired"] * 5 + ["completed"], history
    assert doc["attempts"] == 6
    assert doc["duration"] >= elapsed - 5  # the duration covers the whole run, not the last leg
    report(
        capsys,
        f"1. SIGKILL of the working instance, {BIG} users, 5 kills",
        "; ".join(killed_at),
        f"another live instance took over each time (a replacement was started at each kill); completed in {elapsed:.1f}s after 6 attempts; "
        f"{students + teachers} users paid exactly once ({sum(paid.values())} coins), "
        "from the database",
    )


async def test_a_database_outage_mid_job_is_ridden_through(
    deployment: Deployment, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fault_server.restartable()  # skips, saying why, on a server that cannot do this
    before = await seed(deployment, MID, seed_no=22)
    instance = deployment.start_instance(REWARDS_LEASE_SECONDS="15")  # outlives the outage
    await post(instance.base)
    doc = await wait_for(deployment, "crediting", lambda d: position(d) >= (1, 2, 1500), 300)
    server.kill()
    down_at = time.monotonic()
    await asyncio.sleep(4)
    server.restart()
    outage = time.monotonic() - down_at
    doc = await wait_for(deployment, "finished", finished, 300)
    path = "rode through on retries"
    if doc["status"] == "failed":  # the other allowed ending: failed, clearly, then retried
        message = doc["errorMessage"]
        assert "unavailable" in message, message
        retry = await post(instance.base, f"{URL}/retry", ADMIN)
        assert retry.status_code == 200, retry.text
        doc = await wait_for(deployment, "finished after retry", finished, 300)
        path = f"failed ({message!r}), then completed on retry"
    assert doc["status"] == "completed", deployment.logs()
    await assert_paid_exactly_once(deployment.db, before, PERIOD)
    retried = instance.log_text().count("transient")
    report(
        capsys,
        f"2. Database server down mid-job, {MID} users",
        f"FerretDB SIGKILLed mid-crediting ({where(doc)} at the end), restarted {outage:.1f}s later",
        f"{path} ({retried} transient errors retried); every wallet exact, from the database",
    )


async def test_two_hundred_concurrent_triggers_on_two_instances_make_one_job(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await seed(deployment, RACE, seed_no=23)
    bases = [deployment.start_instance().base, deployment.start_instance().base]
    clients = [httpx.AsyncClient(base_url=b, timeout=60) for b in bases]
    try:
        answers = await asyncio.gather(
            *(clients[n % 2].post(URL, headers=SCHEDULER, json=MONTH) for n in range(200))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert [a.status_code for a in answers] == [200] * 200
    messages = [a.json()["message"] for a in answers]
    assert sum("started" in m for m in messages) == 1, messages
    assert await deployment.db["monthlyrewardjobs"].count_documents({}) == 1
    doc = await wait_for(deployment, "finished", finished, 300)
    assert (doc["status"], doc["attempts"]) == ("completed", 1)
    await assert_paid_exactly_once(deployment.db, before, PERIOD)
    report(
        capsys,
        f"3. 200 concurrent triggers across two instances, {RACE} users",
        "100 POSTs to each instance at once",
        "all 200 answered 200, exactly 1 'started'; one job document, one attempt; "
        "every wallet exact",
    )


async def test_a_paused_worker_that_lost_its_lease_stops_and_pays_no_one(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await seed(deployment, MID, seed_no=24)
    worker = deployment.start_instance()
    deployment.start_instance()
    await post(worker.base)
    await wait_for(deployment, "crediting", lambda d: position(d) >= (1, 2, 1000), 300)
    worker.pause()  # SIGSTOP: a frozen VM, a long GC pause
    doc = await wait_for(deployment, "taken over", lambda d: d["attempts"] == 2, 60)
    takeover = doc["attemptHistory"][-1]["startedAt"]
    doc = await wait_for(deployment, "finished", finished, 300)
    assert doc["status"] == "completed"
    worker.resume()  # it wakes up and tries to go on
    deadline = time.monotonic() + 10 * LEASE_S
    while "superseded" not in worker.log_text() and time.monotonic() < deadline:  # noqa: ASYNC110 - another process's log
        await asyncio.sleep(0.1)
    assert "superseded" in worker.log_text(), worker.log_text()[-3000:]
    await asyncio.sleep(1)
    late = await deployment.db["monthlyrewards"].count_documents(
        {"paidByAttempt": 1, "awardedAt": {"$gt": takeover}}
    )
    assert late == 0
    after = await job_doc(deployment)
    assert after is not None
    assert (after["status"], after["attempts"], after["results"]) == (
        "completed",
        2,
        doc["results"],
    )
    await assert_paid_exactly_once(deployment.db, before, PERIOD)
    by_attempt = {
        n: await deployment.db["monthlyrewards"].count_documents({"paidByAttempt": n})
        for n in (1, 2)
    }
    report(
        capsys,
        f"4. A paused worker whose lease was taken over, {MID} users",
        "SIGSTOP of the working instance mid-crediting; the other instance took over; SIGCONT "
        "after the month completed",
        f"the woken worker logged 'superseded' and stopped; rewards settled by attempt 1 after "
        f"the takeover: {late}; paid by attempt 1/2: {by_attempt[1]}/{by_attempt[2]}; "
        "job left completed; every wallet exact",
    )


async def test_a_retry_of_a_completed_month_is_refused_and_changes_nothing(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(deployment, 500, seed_no=25)
    instance = deployment.start_instance()
    await post(instance.base)
    await wait_for(deployment, "finished", finished, 120)
    job_before = await job_doc(deployment)
    users_before = await snapshot_users(deployment.db)
    answer = await post(instance.base, f"{URL}/retry", ADMIN)
    assert answer.status_code == 409
    assert "only a failed job can be retried" in answer.json()["message"]
    assert await job_doc(deployment) == job_before
    assert await snapshot_users(deployment.db) == users_before
    assert await deployment.db["monthlyrewardjobattempts"].count_documents({}) == 0
    report(
        capsys,
        "5. Retry of a completed month",
        "POST /retry with the admin key",
        f"409 {answer.json()['message']!r}; job document, wallets and attempt claims unchanged",
    )
