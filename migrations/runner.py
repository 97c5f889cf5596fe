"""Applies pending migrations in version order and records them.

Beanie's own migration tool was the first choice, but it cannot serve here: it opens its own
client from a connection string (so it cannot run on the embedded mongomock database, which has
none), starts a session even without transactions, and keeps only a "current" pointer rather than
a record of each applied version. This runner is those forty lines done our way.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo.errors import DuplicateKeyError

import migrations
from migrations.preflight import check_compatible

RECORDS = "schema_migrations"
log = logging.getLogger("rewards.migrations")


Step = Callable[
    [AsyncIOMotorDatabase[dict[str, Any]], AsyncIOMotorCollection[dict[str, Any]]],
    Awaitable[None],
]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    description: str
    up: Step
    check: Step | None = None  # raises IncompatibleDatabase, changing nothing


def discover() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module: ModuleType = importlib.import_module(f"migrations.{info.name}")
            check = getattr(module, "check", None)
            found.append(Migration(module.VERSION, info.name, module.DESCRIPTION, module.up, check))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


async def applied_versions(db: AsyncIOMotorDatabase[dict[str, Any]]) -> set[int]:
    return {doc["_id"] async for doc in db[RECORDS].find({}, {"_id": 1})}


async def migrate(
    db: AsyncIOMotorDatabase[dict[str, Any]], users_collection: str = "users"
) -> list[Migration]:
    """Checks the database can be shared (raising IncompatibleDatabase, having changed nothing,
    when it cannot), then applies what is pending; returns what this call applied."""
    await check_compatible(db)
    done = await applied_versions(db)
    pending = [m for m in discover() if m.version not in done]
    users = db[users_collection]
    for migration in pending:  # every refusal before the first change
        if migration.check is not None:
            await migration.check(db, users)
    applied = []
    for migration in pending:
        log.info(
            "[MonthlyRewards] applying migration %s: %s", migration.name, migration.description
        )
        await migration.up(db, users)
        try:
            await db[RECORDS].insert_one(
                {
                    "_id": migration.version,
                    "name": migration.name,
                    "description": migration.description,
                    "appliedAt": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            log.info(
                "[MonthlyRewards] migration %s was recorded by another instance", migration.name
            )
        applied.append(migration)
    return applied
