import asyncio
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from tests.backends import SCHEDULER_KEY
from tests.fakes import RecordingTaskRunner
from tests.http.conftest import NEXT_KEY, SCHEDULER, THIS_MONTH, wait_until_finished

from infrastructure.container import Container
from infrastructure.seeding import seed_users

URL = "/api/ranking/monthly-rewards"


def assert_envelope(body: dict[str, Any], success: bool) -> None:
    assert set(body) == {"success", "message", "data"}
    assert body["success"] is success
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in str(body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": ""},
        {"x-api-key": "wrong"},
        {"x-api-key": SCHEDULER_KEY + " "},
        {"authorization": SCHEDULER_KEY},
    ],
)
async def test_a_missing_or_wrong_key_is_refused(
    client: AsyncTestClient, headers: dict[str, str]
) -> None:  # type: ignore[type-arg]
    response = await client.post(URL, headers=headers)
    assert response.status_code == 401
    assert_envelope(response.json(), success=False)
    assert "x-api-key" in response.json()["message"]


async def test_the_key_is_not_accepted_from_the_query_string(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.post(URL, params={"x-api-key": SCHEDULER_KEY, "apiKey": SCHEDULER_KEY})
    assert response.status_code == 401


async def test_the_answer_comes_before_the_work(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 30, 5, seed=1)
    runner = RecordingTaskRunner()
    with container.runner.override(providers.Object(runner)):
        response = await client.post(URL, headers=SCHEDULER, json={"month": 12, "year": 2024})
        assert response.status_code == 200
        body = response.json()
        assert_envelope(body, success=True)
        assert body["message"] == "Monthly rewards processing started for 12/2024"
        assert body["data"]["status"] == "processing"
        assert {"month", "year", "jobId", "note"} <= set(body["data"])
        underway = await client.post(URL, headers=SCHEDULER, params={"month": 12, "year": 2024})
        assert "already underway" in underway.json()["message"]
        assert underway.json()["data"]["startedAt"].endswith("Z")
        assert await container.db()["monthlyrewards"].count_documents({}) == 0  # nothing paid yet
        await runner.wait_idle()
    done = await client.post(URL, headers=SCHEDULER, json={"month": 12, "year": 2024})
    data = done.json()["data"]
    assert "already processed" in done.json()["message"]
    assert data["status"] == "completed"
    assert data["results"]["totalRewardsAwarded"] == 35
    assert {"startedAt", "completedAt", "duration"} <= set(data)


async def test_a_rotated_second_key_works(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.post(
        URL, headers={"x-api-key": NEXT_KEY}, params={"month": 11, "year": 2024}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "body", "status", "fragment"),
    [
        ({"month": 13, "year": 2024}, None, 400, "month must be a whole number from 1 to 12"),
        ({"month": 12, "year": 99999}, None, 400, "year must be a whole number from 2020 to"),
        ({"month": "twelve", "year": 2024}, None, 400, "month must be a whole number"),
        ({"month": 12}, None, 400, "month and year must be given together"),
        (THIS_MONTH, None, 422, "has not ended"),
        (None, b"{not json", 400, "not valid JSON"),
        (None, b"[12, 2024]", 400, "must be an object"),
        ({"month": 11, "year": 2024}, b'{"month": 10, "year": 2024}', 400, "differs"),
    ],
)
async def test_bad_periods_get_a_clear_4xx_and_change_nothing(
    client: AsyncTestClient,
    container: Container,  # type: ignore[type-arg]
    params: dict[str, Any] | None,
    body: bytes | None,
    status: int,
    fragment: str,
) -> None:
    response = await client.post(
        URL, headers={**SCHEDULER, "content-type": "application/json"}, params=params, content=body
    )
    assert response.status_code == status
    assert_envelope(response.json(), success=False)
    assert fragment in response.json()["message"]
    assert await container.db()["monthlyrewardjobs"].count_documents({}) == 0


async def test_fifty_concurrent_triggers_make_one_job(
    client: AsyncTestClient, container: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(container.users(), 40, 4, seed=2)
    responses = await asyncio.gather(
        *(
            client.post(URL, headers=SCHEDULER, params={"month": 10, "year": 2024})
            for _ in range(50)
        )
    )
    assert {r.status_code for r in responses} == {200}
    messages = [r.json()["message"] for r in responses]
    assert sum(m.startswith("Monthly rewards processing started") for m in messages) == 1
    assert all("started" in m or "already" in m for m in messages)
    assert (await wait_until_finished(client, 10, 2024))["status"] == "completed"
    assert await container.db()["monthlyrewardjobs"].count_documents({}) == 1
    assert await container.db()["monthlyrewards"].count_documents({}) == 44


async def test_serving_collects_young_garbage_less_often(container: Container) -> None:
    """The app's start-up freezes what it built and raises the young generation's threshold
    (interfaces/http/app.py: the answers' tail at 100 clients)."""
    import gc

    from interfaces.http.app import SERVING_GC_THRESHOLDS, create_app

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        async with AsyncTestClient(app=create_app(container)):
            assert gc.get_threshold() == SERVING_GC_THRESHOLDS
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
