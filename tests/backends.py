"""Fresh databases for adapter tests: a new mongomock client, or a new database on the real server,
migrated. Adapters are built on the database they are handed: nothing global to initialise."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dependency_injector import providers
from migrations.runner import migrate
from mongomock_motor import AsyncMongoMockClient
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from infrastructure.container import Container
from infrastructure.settings import Settings

BACKENDS = ["mongomock", "real"]
# `serve` on a real database refuses keys shorter than 16 characters.
SCHEDULER_KEY = "scheduler-key-for-tests"
ADMIN_KEY = "admin-key-for-tests-only"


@asynccontextmanager
async def fresh_database(
    backend: str, real_url: str | None, migrated: bool = True
) -> AsyncIterator[AsyncIOMotorDatabase[dict[str, Any]]]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    if backend == "mongomock":
        client: Any = AsyncMongoMockClient(tz_aware=True)
    else:
        assert real_url is not None
        client = AsyncIOMotorClient(real_url, tz_aware=True, directConnection=True)
    db = client[name]
    if migrated:
        await migrate(db)
    try:
        yield db
    finally:
        if backend != "mongomock":
            await client.drop_database(name)
        client.close()


def settings_for(backend: str, real_url: str | None, **overrides: Any) -> Settings:
    """Settings for a container on a fresh database of the backend."""
    url = None if backend == "mongomock" else real_url
    fields: dict[str, Any] = {
        "mongodb_url": url,
        "mongodb_db": f"test_{uuid.uuid4().hex[:12]}",
        "api_keys": (SCHEDULER_KEY,),
        "admin_api_keys": (ADMIN_KEY,),
    }
    return Settings(**{**fields, **overrides})


def container_for(settings: Settings) -> Container:
    container = Container()
    container.settings.override(providers.Object(settings))
    return container


async def drop_database(settings: Settings) -> None:
    if settings.mongodb_url is None:
        return
    client: Any = AsyncIOMotorClient(settings.mongodb_url, directConnection=True)
    await client.drop_database(settings.mongodb_db)
    client.close()
