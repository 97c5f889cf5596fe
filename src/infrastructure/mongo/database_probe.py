"""Readiness of the database: a ping, and the migrations recorded in `schema_migrations`."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from application.ports.database_probe import DatabaseProbe


class MongoDatabaseProbe(DatabaseProbe):
    def __init__(self, db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def ping(self) -> None:
        await self._db.command("ping")

    async def pending_migrations(self) -> list[str]:
        # Imported here: src/ does not load migrations/ when a module is imported.
        from migrations.runner import applied_versions, discover

        done = await applied_versions(self._db)
        return [m.name for m in discover() if m.version not in done]
