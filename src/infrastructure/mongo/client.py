"""Opens the database: MongoDB from REWARDS_MONGODB_URL, or the embedded in-memory default; and
migrates it at start-up.

The migrations package is imported inside the functions that run it, never at module level:
it is history the composition root and the CLI run, not a library the service is built on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo.errors import ConnectionFailure

from infrastructure.settings import Settings

log = logging.getLogger("rewards.database")

EMBEDDED_BANNER = (
    "\n"
    "************************************************************************\n"
    "*  REWARDS_MONGODB_URL is not set: running on the EMBEDDED IN-MEMORY   *\n"
    "*  database (mongomock). Everything is lost when the process exits.    *\n"
    "*  Fine for a demo; set REWARDS_MONGODB_URL for anything real.         *\n"
    "************************************************************************"
)


STARTUP_ATTEMPTS = 5


class IncompatibleDatabase(Exception):
    """The database holds data this service cannot share or convert (for example the
    platform's per-category jobs); the message names the conflict. Nothing was changed."""


@dataclass(frozen=True)
class AppliedMigration:
    name: str
    description: str


async def _with_retries(step: Callable[[], Awaitable[object]]) -> None:
    """Instances starting together race on the same index builds; FerretDB answers a racing one
    by dropping the connection. Migrations are idempotent, so a bounded retry is safe."""
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            await step()
            return
        except ConnectionFailure:
            if attempt == STARTUP_ATTEMPTS:
                raise
            log.warning(
                "[MonthlyRewards] migration attempt %d lost its connection; retrying", attempt
            )
            await asyncio.sleep(0.2 * 2**attempt)


def open_client(settings: Settings) -> Any:
    """Connects lazily (no I/O here), so the container can build it synchronously."""
    if settings.mongodb_url is None:
        from mongomock_motor import AsyncMongoMockClient  # imported only for the embedded mode

        return AsyncMongoMockClient(tz_aware=True)
    # Majority and journaled by default: an acknowledged credit survives a primary's crash.
    return AsyncIOMotorClient(
        settings.mongodb_url,
        tz_aware=True,
        w=settings.write_concern,
        journal=settings.write_journal,
    )


def database(client: Any, settings: Settings) -> AsyncIOMotorDatabase[dict[str, Any]]:
    db: AsyncIOMotorDatabase[dict[str, Any]] = client[settings.mongodb_db]
    return db


async def check_database(db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
    """Raises IncompatibleDatabase when the database cannot be shared; reads only."""
    from migrations.errors import IncompatibleDatabase as Refused
    from migrations.preflight import check_compatible

    try:
        await check_compatible(db)
    except Refused as exc:
        raise IncompatibleDatabase(str(exc)) from None


async def run_migrations(
    db: AsyncIOMotorDatabase[dict[str, Any]], settings: Settings
) -> list[AppliedMigration]:
    """Applies the pending migrations; raises IncompatibleDatabase (having changed nothing of
    the conflicting data) when the database cannot be migrated."""
    from migrations.errors import IncompatibleDatabase as Refused
    from migrations.runner import migrate

    try:
        applied = await migrate(db, settings.users_collection)
    except Refused as exc:
        raise IncompatibleDatabase(str(exc)) from None
    return [AppliedMigration(m.name, m.description) for m in applied]


async def prepare_database(
    client: Any, db: AsyncIOMotorDatabase[dict[str, Any]], settings: Settings
) -> AsyncIterator[None]:
    """dependency-injector Resource: migrate at start; close the client at stop."""
    if settings.embedded:
        log.warning(EMBEDDED_BANNER)
    else:
        log.info(
            "[MonthlyRewards] using MongoDB database %r, write concern w=%s j=%s",
            settings.mongodb_db,
            settings.write_concern,
            settings.write_journal,
        )
    try:
        await _with_retries(lambda: run_migrations(db, settings))
    except BaseException:
        client.close()
        raise
    try:
        yield None
    finally:
        client.close()
