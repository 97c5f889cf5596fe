"""Whether the database can serve: reachable, and its schema migrated to what this code needs."""

from __future__ import annotations

import abc


class DatabaseProbe(abc.ABC):
    @abc.abstractmethod
    async def ping(self) -> None:
        """Returns when the database answers; raises when it cannot be reached."""

    @abc.abstractmethod
    async def pending_migrations(self) -> list[str]:
        """The names of the migrations this code knows and the database has not recorded."""
