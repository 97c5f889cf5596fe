from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from tests.http.conftest import ADMIN, SCHEDULER, wait_until_finished

from domain.job import MonthlyRewardJob
from domain.period import Period
from infrastructure.container import Container
from infrastructure.seeding import seed_users

BASE = "/api/ranking/monthly-rewards"


async def run_month(client: AsyncTestClient, container: Container, month: int, year: int) -> None:  # type: ignore[type-arg]
    response = await client.post(BASE, headers=SCHEDULER, params={"month": month, "year": year})
    assert response.status_code == 200
    assert (await wait_until_finished(client, month, year))["status"] == "completed"


async def failed_job(container: Container, period: Period) -> MonthlyRewardJob:
    jobs = container.jobs()
    job = MonthlyRewardJob.start(
        jobs.new_id(), period, datetime(2025, 1, 1, tzinfo=UTC), "gone:1", timedelta(seconds=60)
    )
    await jobs.create(job)
    job.fail(
        "connection reset by peer",
        "Traceback (most recent call last): ...",
        datetime(2025, 1, 1, 0, 1, tzinfo=UTC),
    )
    await jobs.save(job)
    return job


async def test_status_needs_a_key_and_says_404_when_nothing_ran(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get(f"{BASE}/status")).status_code == 401
    response = await client.get(f"{BASE}/status", headers=SCHEDULER)
    assert response.status_code == 404
    assert response.json()["success"] is False
    missing = await client.get(
        f"{BASE}/status", headers=SCHEDULER, params={"month": 3, "year": 2023}
    )
    assert missing.status_code == 404 and "3/2023" in missing.json()["message"]
    bad = await client.get(f"{BASE}/status", headers=SCHEDULER, params={"month": 0, "year": 2023})
    assert bad.status_code == 400


async def test_status_of_a_completed_month(client: AsyncTestClient, container: Container) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 12, 3, seed=4)
    await run_month(client, container, 11, 2024)
    await run_month(client, container, 12, 2024)
    latest = (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()
    assert latest["message"] == "Job status retrieved successfully"
    data = latest["data"]
    assert (data["month"], data["year"], data["status"]) == (12, 2024, "completed")
    assert data["results"]["totalRewardsAwarded"] == 15
    assert data["results"]["categories"]["students"]["rewardsAwarded"] == 12
    assert data["progress"]["categories"]["students"] == {"processed": 12, "total": 12}
    assert "errorStack" not in data
    named = (
        await client.get(f"{BASE}/status", headers=SCHEDULER, params={"month": 11, "year": 2024})
    ).json()
    assert named["data"]["month"] == 11


async def test_jobs_are_listed_newest_first_with_a_bounded_limit(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    for month in (9, 11, 10):
        await run_month(client, container, month, 2024)
    body = (await client.get(f"{BASE}/jobs", headers=SCHEDULER, params={"limit": 2})).json()
    assert [j["month"] for j in body["data"]["jobs"]] == [11, 10]
    assert body["data"]["total"] == 2
    assert set(body["data"]["jobs"][0]) == {
        "jobId",
        "month",
        "year",
        "status",
        "startedAt",
        "completedAt",
        "duration",
        "totalRewards",
        "totalCoins",
        "hasErrors",
    }
    every = (await client.get(f"{BASE}/jobs", headers=SCHEDULER)).json()
    assert every["data"]["total"] == 3
    for limit in ("0", "51", "abc", "-1"):
        response = await client.get(f"{BASE}/jobs", headers=SCHEDULER, params={"limit": limit})
        assert response.status_code == 400, limit
        assert "limit" in response.json()["message"]


async def test_retry_needs_an_admin_key_and_only_takes_failed_jobs(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 8, 2, seed=5)
    await run_month(client, container, 12, 2024)
    body = {"month": 12, "year": 2024}
    assert (await client.post(f"{BASE}/retry", headers=SCHEDULER, json=body)).status_code == 401
    before = (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()["data"]
    refused = await client.post(f"{BASE}/retry", headers=ADMIN, json=body)
    assert refused.status_code == 409
    assert "only a failed job can be retried" in refused.json()["message"]
    after = (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()["data"]
    assert after == before  # refused, and nothing changed
    missing = await client.post(f"{BASE}/retry", headers=ADMIN, json={"month": 1, "year": 2024})
    assert missing.status_code == 404


async def test_a_failed_month_is_reported_and_resumed_by_retry(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 8, 2, seed=6)
    await failed_job(container, Period(2024, 12))
    answer = (await client.post(BASE, headers=SCHEDULER, params={"month": 12, "year": 2024})).json()
    assert answer["data"]["status"] == "failed"
    assert answer["data"]["error"] == "connection reset by peer"
    assert "/retry" in answer["message"]
    status = (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()["data"]
    assert status["errorMessage"] == "connection reset by peer" and "errorStack" not in status
    retry = await client.post(f"{BASE}/retry", headers=ADMIN, json={"month": 12, "year": 2024})
    assert retry.status_code == 200, retry.json()
    assert retry.json()["data"]["attempts"] == 2
    status = await wait_until_finished(client, 12, 2024)
    assert status["status"] == "completed"
    assert status["results"]["totalRewardsAwarded"] == 10
    assert status["errorMessage"] is None
    assert status["health"] == "finished"
    history = [(a["attempt"], a["kind"], a["outcome"]) for a in status["attemptHistory"]]
    assert history == [(1, "start", "failed"), (2, "retry", "completed")]
    assert status["attemptHistory"][0]["errorMessage"] == "connection reset by peer"
    assert status["lease"]["owner"] != "gone:1"


async def test_a_trigger_resumes_a_month_whose_worker_died(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 8, 2, seed=6)
    jobs = container.jobs()
    dead = MonthlyRewardJob.start(
        jobs.new_id(), Period(2024, 12), datetime(2025, 1, 1, tzinfo=UTC), "gone:1", timedelta(1)
    )
    await jobs.create(dead)  # its worker died long ago: the lease expired on 2 January 2025
    status = (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()["data"]
    assert (status["status"], status["health"]) == ("processing", "orphaned")
    assert status["lease"]["owner"] == "gone:1"
    answer = await client.post(BASE, headers=SCHEDULER, json={"month": 12, "year": 2024})
    assert answer.status_code == 200
    assert "resumed" in answer.json()["message"]
    assert answer.json()["data"]["attempt"] == 2
    status = await wait_until_finished(client, 12, 2024)
    assert (status["status"], status["results"]["totalRewardsAwarded"]) == ("completed", 10)
    outcomes = [(a["owner"], a["outcome"]) for a in status["attemptHistory"]]
    assert outcomes[0] == ("gone:1", "lease_expired") and outcomes[1][1] == "completed"


@pytest.mark.parametrize("path", ["/health", "/schema/openapi.json"])
async def test_health_and_openapi_are_served(client: AsyncTestClient, path: str) -> None:  # type: ignore[type-arg]
    response = await client.get(path)
    assert response.status_code == 200


async def test_health_reports_the_database(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    body = (await client.get("/health")).json()
    assert body["data"]["database"] == "up" and body["data"]["embedded"] is True
    # The embedded mongomock gets the cautious limits: one update command at a time.
    assert body["data"]["server"] == "the embedded mongomock (in memory)"
    assert body["data"]["writeLimits"]["concurrency"] == 1


async def test_an_unknown_route_answers_with_the_envelope(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/api/nope", headers=SCHEDULER)
    assert response.status_code == 404
    assert response.json()["success"] is False
