"""Readiness, for a load balancer: the database answers and holds every migration this code
needs. (Liveness, `/health`, asks only whether the process serves.)"""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.database_probe import DatabaseProbe


@dataclass(frozen=True, slots=True)
class Readiness:
    database_reachable: bool
    pending_migrations: tuple[str, ...]
    reason: str | None  # None when ready

    @property
    def ready(self) -> bool:
        return self.reason is None


class CheckReadiness:
    def __init__(self, probe: DatabaseProbe) -> None:
        self._probe = probe

    async def execute(self) -> Readiness:
        try:
            await self._probe.ping()
            pending = tuple(await self._probe.pending_migrations())
        except Exception as exc:  # any failure to reach it means not ready; the type says why
            return Readiness(False, (), f"database unreachable ({type(exc).__name__})")
        if pending:
            return Readiness(True, pending, f"migrations not applied: {', '.join(pending)}")
        return Readiness(True, (), None)
