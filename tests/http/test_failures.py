"""When things break behind the edge: an unexpected error answers the envelope with an error id
that is also in the log line and leaks nothing (unless debug); a database that does not answer
gives 503 within the request deadline, while a finished month is still answered from memory;
and work a request starts in the background does not inherit its deadline."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import _csot
from tests.backends import container_for, settings_for
from tests.http.conftest import ADMIN, SCHEDULER, wait_until_finished
from tests.http.hostile import assert_refused

from application.ports.job_repository import JobRepository
from application.use_cases.run_processing_step import RunProcessingStep, StepKind, StepOutcome
from domain.job import MonthlyRewardJob
from domain.period import Period
from infrastructure.cached_jobs import CachedJobs
from infrastructure.container import Container
from infrastructure.mongo.deadline import request_deadline
from infrastructure.mongo.job_repository import MongoJobRepository
from infrastructure.runner import AsyncioTaskRunner
from interfaces.http.app import create_app

BASE = "/api/ranking/monthly-rewards"
DEADLINE_S = 1.0


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broken(JobRepository):
    """A repository in front of the real one that fails on demand: with a bug, or by waiting on
    a server nobody listens on (the driver's own server selection, 30 s unless bounded)."""

    def __init__(self, inner: JobRepository) -> None:
        self._inner = inner
        self.bug: Exception | None = None
        self.away: Any = None

    async def _trouble(self) -> None:
        if self.bug is not None:
            raise self.bug
        if self.away is not None:
            await self.away.rewards.jobs.find_one({})

    def new_id(self) -> str:
        return self._inner.new_id()

    async def create(self, job: MonthlyRewardJob) -> None:
        await self._trouble()
        await self._inner.create(job)

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        await self._trouble()
        return await self._inner.get(job_id)

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        await self._trouble()
        return await self._inner.find(period)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        await self._trouble()
        return await self._inner.recent(limit)

    async def processing(self) -> list[MonthlyRewardJob]:
        await self._trouble()
        return await self._inner.processing()

    async def save(self, job: MonthlyRewardJob) -> bool:
        await self._trouble()
        return await self._inner.save(job)

    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        await self._trouble()
        return await self._inner.save_progress(job)

    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        await self._trouble()
        return await self._inner.save_lease(job)


def broken_container(debug: bool = False) -> tuple[Container, Broken]:
    settings = settings_for(
        "mongomock", None, debug=debug, request_timeout_seconds=DEADLINE_S, sweep_seconds=3600
    )
    container = container_for(settings)
    broken = Broken(MongoJobRepository(container.db(), container.clock()))
    container.jobs.override(providers.Singleton(CachedJobs, inner=broken, clock=container.clock))
    return container, broken


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "REWARDS_DEBUG"])
async def test_an_unexpected_error_answers_with_an_id_that_is_in_the_log(debug: bool) -> None:
    container, broken = broken_container(debug)
    async with AsyncTestClient(app=create_app(container)) as client:
        lines = Lines()
        logging.getLogger("rewards.http").addHandler(lines)
        broken.bug = KeyError("users.password_hash in /srv/app/secret.py")
        try:
            answer = await client.get(f"{BASE}/status", headers=SCHEDULER)
        finally:
            logging.getLogger("rewards.http").removeHandler(lines)
    assert answer.status_code == 500
    body = answer.json()
    error_id = body["data"]["errorId"]
    assert error_id in body["message"]
    assert any(error_id in line for line in lines.lines), lines.lines
    if debug:
        assert "KeyError" in "".join(body["data"]["errorStack"])
    else:
        assert_refused(body, "internal server error")
        assert "password_hash" not in answer.text and "secret.py" not in answer.text


async def test_while_the_database_is_away_every_endpoint_answers_503_within_the_deadline() -> None:
    container, broken = broken_container()
    await_away = AsyncIOMotorClient(f"mongodb://127.0.0.1:{unused_port()}", tz_aware=True)
    async with AsyncTestClient(app=create_app(container)) as client:
        # A month finished before the outage: answered from memory during it.
        await client.post(BASE, headers=SCHEDULER, json={"month": 10, "year": 2024})
        assert (await wait_until_finished(client, 10, 2024))["status"] == "completed"
        broken.away = await_away
        calls = [
            ("POST", BASE, SCHEDULER, {"month": 11, "year": 2024}),
            ("POST", f"{BASE}/retry", ADMIN, {"month": 11, "year": 2024}),
            ("GET", f"{BASE}/status", SCHEDULER, None),
            ("GET", f"{BASE}/status?month=11&year=2024", SCHEDULER, None),
            ("GET", f"{BASE}/jobs", SCHEDULER, None),
        ]
        for method, path, headers, body in calls:
            started = time.monotonic()
            answer = await client.request(method, path, headers=headers, json=body)
            took = time.monotonic() - started
            assert answer.status_code == 503, (path, answer.text)
            assert_refused(answer.json(), "database is unavailable")
            assert answer.headers["retry-after"]
            assert took < DEADLINE_S + 1.5, (path, took)
        remembered = await client.post(BASE, headers=SCHEDULER, json={"month": 10, "year": 2024})
        assert remembered.status_code == 200
        assert "already processed" in remembered.json()["message"]
        status = await client.get(f"{BASE}/status?month=10&year=2024", headers=SCHEDULER)
        assert status.json()["data"]["status"] == "completed"
        broken.away = None
        assert (await client.get(f"{BASE}/jobs", headers=SCHEDULER)).status_code == 200
    await_away.close()


async def test_background_work_does_not_inherit_a_request_deadline() -> None:
    runner = AsyncioTaskRunner()
    seen: list[float | None] = []

    async def work() -> None:
        seen.append(_csot.get_timeout())  # PyMongo's deadline, as its operations read it

    with request_deadline(0.5):
        inside = _csot.get_timeout()
        runner.spawn("work", work())
    await runner.wait_idle()
    assert inside == 0.5
    assert seen == [None]
    await asyncio.sleep(0)


class RecordingStep(RunProcessingStep):
    """Answers 'idle' and remembers the database deadline its work would run under."""

    def __init__(self) -> None:
        self.deadlines: list[float | None] = []

    async def execute(self) -> StepOutcome:
        self.deadlines.append(_csot.get_timeout())
        return StepOutcome(StepKind.IDLE, None)


async def test_the_step_endpoint_keeps_the_workers_patience() -> None:
    """In steps mode the month's work runs inside the step request: the request deadline would
    turn a slow step's retries into instant failures, so that route has none."""
    settings = settings_for(
        "mongomock", None, execution="steps", step_seconds=5, request_timeout_seconds=DEADLINE_S
    )
    container = container_for(settings)
    step = RecordingStep()
    container.run_processing_step.override(providers.Object(step))
    async with AsyncTestClient(app=create_app(container)) as client:
        answer = await client.post(f"{BASE}/process", headers=SCHEDULER)
    assert answer.status_code == 200, answer.text
    assert step.deadlines == [None]
