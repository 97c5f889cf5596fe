"""The operator surfaces through the real app on mongomock: the reads, the dry run (writes
nothing; pays what the run then pays), /metrics after a run, /ready, the alarm, the page."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.backends import container_for, settings_for
from tests.fakes import FakeDatabaseProbe, FixedClock
from tests.operations.conftest import ADMIN, SCHEDULER

from application.use_cases.gather_job_metrics import GatherJobMetrics, JobMetrics
from infrastructure.container import Container
from infrastructure.seeding import seed_users

pytestmark = pytest.mark.http

BASE = "/api/ranking/monthly-rewards"
OCTOBER = {"month": 10, "year": 2026}


async def _seed(container: Container, students: int = 140, teachers: int = 14) -> None:
    await seed_users(container.users(), students, teachers, 3)


async def _pay(client: AsyncTestClient[Any], month: dict[str, int] = OCTOBER) -> dict[str, Any]:
    started = await client.post(BASE, headers=SCHEDULER, params=month)
    assert started.status_code == 200, started.text
    for _ in range(600):
        status = await client.get(f"{BASE}/status", headers=SCHEDULER, params=month)
        data: dict[str, Any] = status.json()["data"]
        if data["status"] != "processing":
            return data
        await asyncio.sleep(0.02)
    raise AssertionError("the month did not finish")


async def _fingerprint(container: Container) -> dict[str, str]:
    """A hash of every document of every collection: any write shows."""
    db = container.db()
    prints = {}
    for name in sorted(await db.list_collection_names()):
        digest = hashlib.sha256()
        async for doc in db[name].find({}).sort("_id", 1):
            digest.update(json.dumps(doc, default=str, sort_keys=True).encode())
        prints[name] = f"{await db[name].count_documents({})}:{digest.hexdigest()}"
    return prints


async def test_a_dry_run_writes_nothing_and_pays_what_the_run_then_pays(
    client: AsyncTestClient[Any], container: Container
) -> None:
    await _seed(container)
    before = await _fingerprint(container)
    assert "users" in before and "schema_migrations" in before
    answer = await client.post(f"{BASE}/preview", headers=ADMIN, json=OCTOBER)
    assert answer.status_code == 200, answer.text
    preview = answer.json()["data"]
    assert await _fingerprint(container) == before

    assert preview["dryRun"] is True and preview["existingJob"] is None
    assert preview["totalUsers"] == 154
    job = await _pay(client)
    assert job["status"] == "completed"
    assert await _fingerprint(container) != before  # the fingerprint does see writes
    assert job["results"]["totalCoinsAwarded"] == preview["totalCoins"]
    assert job["results"]["totalRewardsAwarded"] == preview["totalUsers"]
    for name, category in preview["categories"].items():
        paid = job["results"]["categories"][name]
        assert paid["coinsAwarded"] == category["coins"]
        for tier in category["tiers"]:
            tally = paid["tiers"].get(tier["tier"], {"count": 0, "coins": 0})
            assert (tally["count"], tally["coins"]) == (tier["users"], tier["coins"])

    again = await client.post(f"{BASE}/preview", headers=ADMIN, params=OCTOBER)
    assert again.json()["data"]["existingJob"]["status"] == "completed"
    assert "already completed" in again.json()["message"]


async def test_the_dry_run_takes_an_admin_key_and_a_valid_month(
    client: AsyncTestClient[Any],
) -> None:
    assert (await client.post(f"{BASE}/preview", headers=SCHEDULER)).status_code == 401
    assert (await client.post(f"{BASE}/preview")).status_code == 401
    bad = await client.post(f"{BASE}/preview", headers=ADMIN, params={"month": 13, "year": 2026})
    assert bad.status_code == 400
    half = await client.post(f"{BASE}/preview", headers=ADMIN, json={"month": 10})
    assert half.status_code == 400 and "together" in half.json()["message"]
    clash = await client.post(
        f"{BASE}/preview", headers=ADMIN, params={"month": 9, "year": 2026}, json=OCTOBER
    )
    assert clash.status_code == 400 and "differs" in clash.json()["message"]
    future = await client.post(f"{BASE}/preview", headers=ADMIN, json={"month": 1, "year": 2099})
    assert future.status_code == 422


async def test_the_reads_filter_page_and_map_the_stored_records(
    client: AsyncTestClient[Any], container: Container
) -> None:
    await _seed(container)
    await _pay(client)
    rewards = await client.get(
        f"{BASE}/rewards",
        headers=SCHEDULER,
        params={**OCTOBER, "category": "students", "pageSize": 20, "page": 2},
    )
    assert rewards.status_code == 200, rewards.text
    data = rewards.json()["data"]
    assert data["total"] == 140 and data["pages"] == 7 and data["page"] == 2
    assert [r["rank"] for r in data["rewards"]] == list(range(21, 41))
    first = data["rewards"][0]
    assert first["tier"] == "ACHIEVER" and first["coinsAwarded"] == 200
    assert first["badgeAwarded"] == "Monthly Achiever" and first["status"] == "awarded"

    elite = await client.get(f"{BASE}/rewards", headers=ADMIN, params={**OCTOBER, "tier": "ELITE"})
    assert elite.json()["data"]["total"] == 18  # 9 students, 9 teachers

    user = first["userId"]
    mine = await client.get(
        f"{BASE}/rewards", headers=SCHEDULER, params={**OCTOBER, "userId": user}
    )
    assert [r["userId"] for r in mine.json()["data"]["rewards"]] == [user]
    history = await client.get(f"{BASE}/users/{user}/rewards", headers=SCHEDULER)
    assert history.status_code == 200
    assert [(r["month"], r["year"], r["rank"]) for r in history.json()["data"]["rewards"]] == [
        (10, 2026, 21)
    ]

    ranking = await client.get(
        f"{BASE}/snapshot",
        headers=SCHEDULER,
        params={**OCTOBER, "category": "teachers", "pageSize": 5, "page": 3},
    )
    body = ranking.json()["data"]
    assert ranking.status_code == 200 and body["status"] == "frozen"
    assert body["totalParticipants"] == 14 and body["pages"] == 3
    assert [e["rank"] for e in body["entries"]] == [11, 12, 13, 14]
    assert body["entries"][0]["tier"] == "ACHIEVER"


async def test_the_reads_refuse_bad_input_and_missing_keys(client: AsyncTestClient[Any]) -> None:
    assert (await client.get(f"{BASE}/rewards", params=OCTOBER)).status_code == 401
    no_month = await client.get(f"{BASE}/rewards", headers=SCHEDULER)
    assert no_month.status_code == 400 and "required" in no_month.json()["message"]
    for params in ({**OCTOBER, "pageSize": 500}, {**OCTOBER, "page": 0}, {"month": "x", "year": 1}):
        answer = await client.get(f"{BASE}/rewards", headers=SCHEDULER, params=params)
        assert answer.status_code == 400, (params, answer.text)
    missing = await client.get(
        f"{BASE}/snapshot", headers=SCHEDULER, params={**OCTOBER, "category": "students"}
    )
    assert missing.status_code == 404 and "does not exist" in missing.json()["message"]


async def test_the_reads_are_in_the_openapi_document(client: AsyncTestClient[Any]) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/rewards", "/users/{user_id}/rewards", "/snapshot", "/schedule", "/preview"):
        assert f"{BASE}{path}" in paths, path
    assert {"/metrics", "/ready"} <= set(paths)
    assert not any(p.startswith("/admin") for p in paths)
    names = {p["name"] for p in paths[f"{BASE}/rewards"]["get"]["parameters"]}
    assert {"month", "year", "category", "tier", "userId", "page", "pageSize"} <= names


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _trigger_counts(client: AsyncTestClient[Any]) -> dict[str, float]:
    found = _samples((await client.get("/metrics")).text)
    return {
        labels[0][1]: value
        for (name, labels), value in found.items()
        if name == "rewards_trigger_calls_total"
    }


async def test_metrics_after_a_run_say_what_the_job_says(
    client: AsyncTestClient[Any], container: Container
) -> None:
    await _seed(container)
    before = await _trigger_counts(client)
    job = await _pay(client)
    await client.post(BASE, headers=SCHEDULER, params=OCTOBER)  # completed
    await client.post(BASE, headers={"x-api-key": "wrong"}, params=OCTOBER)
    await client.post(BASE, headers=SCHEDULER, params={"month": 13, "year": 2026})

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = _samples(response.text)
    assert found[("rewards_jobs", (("status", "completed"),))] == 1
    coins = {k: v for k, v in found.items() if k[0] == "rewards_paid_coins_total"}
    assert sum(coins.values()) == job["results"]["totalCoinsAwarded"]
    for name, category in job["results"]["categories"].items():
        for tier, tally in category["tiers"].items():
            labels = (("category", name), ("tier", tier))
            assert found[("rewards_paid_rewards_total", labels)] == tally["count"]
            assert found[("rewards_paid_coins_total", labels)] == tally["coins"]
    duration = (
        "rewards_last_run_duration_seconds",
        (("month", "2026-10"), ("status", "completed")),
    )
    assert found[duration] == pytest.approx(job["duration"])

    after = await _trigger_counts(client)
    delta = {k: after[k] - before.get(k, 0) for k in after}
    assert delta == {
        "started": 1,
        "resumed": 0,
        "underway": 0,
        "completed": 1,
        "failed": 0,
        "unauthorised": 1,
        "invalid": 1,
        "error": 0,
    }
    latency = (
        "rewards_http_request_duration_seconds_count",
        (("method", "POST"), ("route", BASE), ("status", "401")),
    )
    assert found[latency] >= 1


async def test_answers_refused_by_a_middleware_are_counted_with_their_status() -> None:
    """The key check, the rate limits and the method refusal raise before Litestar answers; the
    latency metric still records 401, 429 and 405 (it counted them as 500 before)."""
    settings = settings_for("mongomock", None, rate_limit_auth_failures=1)
    status_route = f"{BASE}/status"

    def counts(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, float]:
        return {
            dict(labels)["status"]: value
            for (name, labels), value in found.items()
            if name == "rewards_http_request_duration_seconds_count"
            and dict(labels)["route"] == status_route
        }

    async with AsyncTestClient(app=_app(container_for(settings))) as client:
        before = counts(_samples((await client.get("/metrics")).text))
        answers = [
            (await client.get(status_route, headers={"x-api-key": "wrong"})).status_code,
            (await client.get(status_route, headers={"x-api-key": "wrong"})).status_code,
            (await client.options(status_route)).status_code,
        ]
        after = counts(_samples((await client.get("/metrics")).text))
    assert answers == [401, 429, 405]
    delta = {code: after[code] - before.get(code, 0) for code in after}
    assert {code: n for code, n in delta.items() if n} == {"401": 1, "429": 1, "405": 1}


async def test_the_alarm_in_the_api_and_the_metrics(container: Container) -> None:
    clock = FixedClock(datetime(2026, 11, 1, 5, 59, tzinfo=UTC))
    container.clock.override(providers.Object(clock))
    async with AsyncTestClient(app=_app(container)) as client:
        early = (await client.get(f"{BASE}/schedule", headers=SCHEDULER)).json()
        assert early["data"]["overdue"] is False and "no job yet" in early["message"]
        clock.current = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
        late = (await client.get(f"{BASE}/schedule", headers=SCHEDULER)).json()
        assert late["data"]["overdue"] is True and late["message"].startswith("OVERDUE")
        assert late["data"]["dueAt"] == "2026-11-01T06:00:00.000Z"
        found = _samples((await client.get("/metrics")).text)
        assert found[("rewards_run_overdue", (("month", "2026-10"),))] == 1
        page = await client.get("/admin/fragments/overview", headers=SCHEDULER)
        assert 'class="alarm overdue"' in page.text


def _app(container: Container) -> Any:
    from interfaces.http.app import create_app

    return create_app(container)


async def test_ready_says_why_not(client: AsyncTestClient[Any], container: Container) -> None:
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["data"]["ready"] is True
    records = container.db()["schema_migrations"]
    newest = await records.find_one({}, sort=[("_id", -1)])
    await records.delete_one({"_id": newest["_id"]})  # as if this code were newer than the data
    pending = await client.get("/ready")
    assert pending.status_code == 503
    assert pending.json()["data"]["pendingMigrations"] == [newest["name"]]
    assert pending.json()["message"] == f"not ready: migrations not applied: {newest['name']}"
    assert (await client.get("/health")).status_code == 200  # the process is alive all the same


async def test_ready_is_503_when_the_database_is_unreachable(container: Container) -> None:
    probe = FakeDatabaseProbe()
    container.database_probe.override(providers.Object(probe))
    async with AsyncTestClient(app=_app(container)) as client:
        probe.reachable = False
        answer = await client.get("/ready")
        assert answer.status_code == 503
        assert answer.json()["data"]["database"] == "down"
        assert "unreachable" in answer.json()["message"]


async def test_the_page_is_a_shell_without_a_key(
    client: AsyncTestClient[Any], container: Container
) -> None:
    await _seed(container, 30, 4)
    job = await _pay(client)
    shell = await client.get("/admin")
    assert shell.status_code == 200 and shell.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in shell.headers["content-security-policy"]
    assert job["jobId"] not in shell.text and '<script src="/admin/assets/admin.js"' in shell.text
    assert "<style" not in shell.text and "onclick" not in shell.text  # nothing inline
    assert (await client.get("/admin/fragments/overview")).status_code == 401
    assert (await client.get("/admin/fragments/user", params={"userId": "x"})).status_code == 401
    overview = await client.get("/admin/fragments/overview", headers=SCHEDULER)
    assert overview.status_code == 200 and job["jobId"] in overview.text
    refused = await client.post("/admin/fragments/preview", headers=SCHEDULER)
    assert refused.status_code == 401
    preview = await client.post("/admin/fragments/preview", headers=ADMIN, params=OCTOBER)
    assert preview.status_code == 200
    assert f'data-total-coins="{job["results"]["totalCoinsAwarded"]}"' in preview.text
    assets = await client.get("/admin/assets/admin.css")
    assert assets.status_code == 200 and "progress" in assets.text


async def test_metrics_answer_when_the_job_documents_cannot_be_read(container: Container) -> None:
    class Unreadable(GatherJobMetrics):  # Litestar checks an injected value's type
        async def execute(self) -> JobMetrics:
            raise ConnectionError("the database is away")

    real = container.gather_job_metrics()
    container.gather_job_metrics.override(
        providers.Object(Unreadable(real._jobs, real._schedule, real._clock))
    )
    async with AsyncTestClient(app=_app(container)) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    found = _samples(answer.text)
    assert found[("rewards_job_documents_readable", ())] == 0
    assert not any(name == "rewards_jobs" for name, _ in found)
    assert ("rewards_trigger_calls_total", (("outcome", "started"),)) in found
