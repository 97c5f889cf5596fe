"""The unique indexes that make the job lock, the frozen snapshot and exactly-once rewards hold."""

from __future__ import annotations

from typing import Any

from beanie import init_beanie
from motor.motor_asyncio import AsyncIOMotorDatabase

from infrastructure.mongo.documents import ALL_DOCUMENTS

VERSION = 1
DESCRIPTION = "unique indexes: job (year, month), snapshot (year, month, category), entry (snapshot, rank), reward (user, year, month, category)"


async def up(db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
    # Creating the indexes the documents declare; create_index is a no-op when one exists.
    await init_beanie(database=db, document_models=ALL_DOCUMENTS)
