"""The real app (create_app) on a container whose database is a fresh mongomock one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import container_for, settings_for

from infrastructure.container import Container
from interfaces.http.app import create_app

SCHEDULER = {"x-api-key": "scheduler-key"}
ADMIN = {"x-api-key": "admin-key"}


async def wait_until_finished(
    client: Any,
    month: int,
    year: int,
    limit_s: float = 30,
) -> dict[str, Any]:
    """Polls the status endpoint as an admin would; the app runs its work on its own loop."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        response = await client.get(
            "/api/ranking/monthly-rewards/status",
            headers=SCHEDULER,
            params={"month": month, "year": year},
        )
        data: dict[str, Any] = response.json()["data"]
        if data.get("status") != "processing":
            return data
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job {month}/{year} still processing after {limit_s}s")
        await asyncio.sleep(0.02)


@pytest.fixture
def container() -> Container:
    return container_for(settings_for("mongomock", None, api_keys=("scheduler-key", "next-key")))


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(container)) as test_client:
        yield test_client
