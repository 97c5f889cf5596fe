"""Each adapter test runs on mongomock and, as an integration test, on the real server: on a
fresh migrated database (`db`), or through the application's own container (`container`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase
from tests.backends import BACKENDS, container_for, drop_database, fresh_database, settings_for

from infrastructure.container import Container


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest) -> AsyncIterator[AsyncIOMotorDatabase[dict[str, Any]]]:
    url = request.getfixturevalue("real_server_url") if request.param == "real" else None
    async with fresh_database(request.param, url) as database:
        yield database


@pytest.fixture(params=BACKENDS)
async def container(request: pytest.FixtureRequest) -> AsyncIterator[Container]:
    """The real container on a fresh database, started (migrated) and stopped."""
    url = request.getfixturevalue("real_server_url") if request.param == "real" else None
    settings = settings_for(request.param, url, batch_size=97)
    c = container_for(settings)
    await c.init_resources()  # type: ignore[misc]
    yield c
    await c.runner().shutdown(5)
    await drop_database(settings)
    await c.shutdown_resources()  # type: ignore[misc]
