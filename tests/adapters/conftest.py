"""Each adapter test runs on mongomock and, as an integration test, on the real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorDatabase
from tests.backends import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest) -> AsyncIterator[AsyncIOMotorDatabase[dict[str, Any]]]:
    url = request.getfixturevalue("real_server_url") if request.param == "real" else None
    async with fresh_database(request.param, url) as database:
        yield database
