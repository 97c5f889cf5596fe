"""The unique indexes that make the job lock, the frozen snapshot and exactly-once rewards hold."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from infrastructure.mongo.documents import ALL_DOCUMENTS

VERSION = 1
DESCRIPTION = (
    "unique indexes: job (year, month), snapshot (year, month, category), "
    "entry (snapshot, rank), reward (user, year, month, category)"
)


async def up(db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
    # The indexes the documents declare, one createIndexes call each: FerretDB 1.24 panics on a
    # call naming two or more indexes that already exist (two instances migrating at once).
    # Creating an index that exists is a no-op on MongoDB, so re-running this is harmless.
    for document in ALL_DOCUMENTS:
        settings = getattr(document, "Settings", None)
        collection = db[settings.name]  # type: ignore[union-attr]
        for index in getattr(settings, "indexes", []):
            await collection.create_indexes([index])
