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


@pytest.fixture(params=BACKENDS)
async def raw_db(
    request: pytest.FixtureRequest,
) -> AsyncIterator[AsyncIOMotorDatabase[dict[str, Any]]]:
    """A fresh database nothing has migrated: for data in earlier shapes."""
    url = request.getfixturevalue("real_server_url") if request.param == "real" else None
    async with fresh_database(request.param, url, migrated=False) as database:
        yield database


@pytest.fixture(params=BACKENDS)
async def unstarted(request: pytest.FixtureRequest) -> AsyncIterator[Container]:
    """The real container on a fresh database it has not migrated yet: a test puts the data
    a platform database already holds in place, then starts it."""
    url = request.getfixturevalue("real_server_url") if request.param == "real" else None
    settings = settings_for(request.param, url, batch_size=7)
    c = container_for(settings)
    yield c
    await c.runner().shutdown(5)
    await drop_database(settings)
    await c.shutdown_resources()  # type: ignore[misc]
    c.client().close()  # opened even when the start failed
