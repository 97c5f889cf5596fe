"""The serverless mode over HTTP: the trigger answers and leaves nothing running; repeated calls
of the step endpoint pay the month; each answer says how far it is."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import container_for, settings_for
from tests.http.conftest import SCHEDULER

from infrastructure.container import Container
from infrastructure.seeding import seed_users
from interfaces.http.app import create_app

URL = "/api/ranking/monthly-rewards"


@pytest.fixture
def stepped() -> Container:
    settings = settings_for(
        "mongomock", None, execution="steps", step_seconds=0.05, batch_size=10, lease_seconds=30
    )
    return container_for(settings)


@pytest.fixture
async def stepped_client(stepped: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(stepped)) as test_client:
        yield test_client


async def test_steps_drive_the_month_to_completion(
    stepped_client: AsyncTestClient, stepped: Container
) -> None:  # type: ignore[type-arg]
    await seed_users(stepped.users(), 120, 15, seed=3)
    started = await stepped_client.post(URL, headers=SCHEDULER, json={"month": 12, "year": 2024})
    assert started.json()["message"] == "Monthly rewards processing started for 12/2024"
    assert stepped.runner().running == 0  # nothing works after the answer
    answers: list[dict[str, Any]] = []
    for _ in range(200):
        response = await stepped_client.post(f"{URL}/process", headers=SCHEDULER)
        assert response.status_code == 200
        answers.append(response.json())
        if answers[-1]["data"]["step"] == "idle":
            break
    worked = [a["data"] for a in answers if a["data"]["step"] == "worked"]
    assert len(worked) > 2 and worked[-1]["status"] == "completed"
    assert sum(w["paidThisStep"] for w in worked) == 135
    assert worked[-1]["remaining"] == 0
    assert worked[-1]["categories"] == {
        "students": {"processed": 120, "total": 120},
        "teachers": {"processed": 15, "total": 15},
    }
    assert "Nothing to process" in answers[-1]["message"]
    status = (await stepped_client.get(f"{URL}/status", headers=SCHEDULER)).json()["data"]
    assert status["results"]["totalRewardsAwarded"] == 135
    kinds = {a["kind"] for a in status["attemptHistory"]}
    assert kinds == {"start", "step"}


async def test_the_step_endpoint_needs_a_key_and_the_steps_mode(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    assert (await client.post(f"{URL}/process")).status_code == 401
    refused = await client.post(f"{URL}/process", headers=SCHEDULER)
    assert refused.status_code == 409
    assert "REWARDS_EXECUTION=steps" in refused.json()["message"]
