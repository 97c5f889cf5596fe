"""The real app (create_app) on a container whose database is a fresh mongomock one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import ADMIN_KEY, SCHEDULER_KEY, container_for, settings_for

from infrastructure.container import Container
from interfaces.http.app import create_app

SCHEDULER = {"x-api-key": SCHEDULER_KEY}
ADMIN = {"x-api-key": ADMIN_KEY}
NEXT_KEY = "next-scheduler-key-2"  # a second scheduler key, as during a rotation
_NOW = datetime.now(UTC)
THIS_MONTH = {"month": _NOW.month, "year": _NOW.year}  # not over yet, whenever a test runs


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
    return container_for(settings_for("mongomock", None, api_keys=(SCHEDULER_KEY, NEXT_KEY)))


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(container)) as test_client:
        yield test_client
