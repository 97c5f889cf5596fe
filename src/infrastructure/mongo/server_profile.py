"""Which server we talk to, and the write limits that fit it.

FerretDB 1.24 keeps a pooled backend connection for every matched statement of an `update`
command until the command ends; when the statements in flight reach its pool, no command ever
answers (see bulk.py). Its stock PostgreSQL pool is 50 (`pool_max_conns`; SQLite's is 100), and
the pool cannot be read over the wire, so it is a setting (REWARDS_FERRETDB_POOL). MongoDB has no
such limit: a whole batch goes in one command. (FerretDB's other limit, one index per
`createIndexes`, is kept by the migrations for every server: they run once, and a frozen migration
must not depend on the service's code.)

`limits_for` is a pure function from a `buildInfo` answer and the settings to the limits; the
settings, when given, override what the server suggests. `ServerLimits` asks the server once.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("rewards.database")

# FerretDB's own default `pool_max_conns` on PostgreSQL (internal/backends/postgresql/metadata/
# pool/uri.go in v1.24.2); on SQLite its pool is fixed at 100.
FERRETDB_STOCK_POOL = 50
# Pool connections left to everything but our update commands: the heartbeat, record inserts,
# reads, a find cursor held open between batches, other clients of the same FerretDB.
FERRETDB_POOL_RESERVE = 10
# Two workers can have commands in flight at once for a moment (a takeover while the old one's
# last commands are still running on the server), so each gets half of what is left.
FERRETDB_WRITERS = 2
# Statements per update command on FerretDB when the pool allows it: it spends about the same per
# statement inside a bulk as alone, so bigger commands buy nothing and hold more connections.
FERRETDB_UPDATE_CHUNK = 50
# Update commands in flight: the best of the floor's curve on FerretDB 1.24 / PostgreSQL 15 with
# 2 cores (benchmarks/floor.py, benchmarks/results/), and side by side with 4, a month 3-8% faster.
DEFAULT_WRITE_CONCURRENCY = 8
# The fewest statements per command worth sending concurrently; below it, fewer commands in flight.
MIN_CONCURRENT_CHUNK = 10


class ServerKind(enum.Enum):
    MONGODB = "MongoDB"
    FERRETDB = "FerretDB"
    EMBEDDED = "the embedded mongomock"
    OTHER = "an unrecognised server, version"


@dataclass(frozen=True)
class ServerProfile:
    kind: ServerKind
    version: str  # the server's own version (FerretDB's, not the MongoDB version it mimics)

    def describe(self) -> str:
        return f"{self.kind.value} {self.version}".strip()


@dataclass(frozen=True)
class WriteLimits:
    """How writes are cut up and overlapped. `update_chunk` statements per update command,
    `concurrency` commands in flight; `statement_budget` is the most update statements one worker may have in flight (None: no
    limit) and `source` says where each value came from, for the start-up log and status."""

    update_chunk: int
    concurrency: int
    statement_budget: int | None
    source: str

    def as_status(self) -> dict[str, Any]:
        return {
            "updateChunk": self.update_chunk,
            "concurrency": self.concurrency,
            "statementBudget": self.statement_budget,
            "source": self.source,
        }

    def describe(self) -> str:
        budget = "" if self.statement_budget is None else f", budget {self.statement_budget}"
        return (
            f"{self.update_chunk} statements per update command, {self.concurrency} in flight"
            f"{budget} ({self.source})"
        )


@dataclass(frozen=True)
class LimitSettings:
    """What the operator set (None: let the server decide)."""

    batch_size: int = 1000
    update_chunk: int | None = None
    concurrency: int | None = None
    ferretdb_pool: int = FERRETDB_STOCK_POOL


def detect(build_info: Mapping[str, Any] | None) -> ServerProfile:
    """FerretDB answers `buildInfo` with `ferretdbVersion` (and `ferretdbFeatures`) beside the
    MongoDB version it mimics; MongoDB with `version` and `gitVersion`. No answer: other."""
    if build_info is None:
        return ServerProfile(ServerKind.OTHER, "unknown (no buildInfo)")
    if any(str(key).lower().startswith("ferretdb") for key in build_info):
        version = build_info.get("ferretdbVersion") or build_info.get("ferretdb") or ""
        if isinstance(version, Mapping):
            version = version.get("version", "")
        if str(version) in ("", "unknown"):
            # A FerretDB built with `go install` has no version file and answers "unknown": say
            # so, with the MongoDB version it answers as, rather than "FerretDB unknown".
            mimics = build_info.get("version")
            answers_as = f", answers as MongoDB {mimics}" if mimics else ""
            version = f"(version not reported{answers_as})"
        return ServerProfile(ServerKind.FERRETDB, str(version))
    version = build_info.get("version")
    if isinstance(version, str) and version and "gitVersion" in build_info:
        return ServerProfile(ServerKind.MONGODB, version)
    return ServerProfile(ServerKind.OTHER, str(version or "unknown"))


def ferretdb_statement_budget(pool: int) -> int:
    """Update statements one worker may have in flight on a FerretDB whose pool is `pool`."""
    return max(1, (pool - FERRETDB_POOL_RESERVE) // FERRETDB_WRITERS)


def limits_for(profile: ServerProfile, settings: LimitSettings) -> WriteLimits:
    """The limits for this server; each setting given overrides the server's suggestion, except
    that on FerretDB chunk x concurrency is always kept within the pool's budget (a hang is never
    the better choice): the concurrency is lowered first, then the chunk."""
    chunk, concurrency = settings.update_chunk, settings.concurrency
    named = (("REWARDS_UPDATE_CHUNK", chunk), ("REWARDS_WRITE_CONCURRENCY", concurrency))
    overridden = [name for name, value in named if value is not None]
    source = profile.describe() + (f"; {', '.join(overridden)} set" if overridden else "")
    if profile.kind is ServerKind.MONGODB:
        return WriteLimits(
            update_chunk=chunk or settings.batch_size,
            concurrency=concurrency or DEFAULT_WRITE_CONCURRENCY,
            statement_budget=None,
            source=source,
        )
    if profile.kind is ServerKind.FERRETDB:
        budget = ferretdb_statement_budget(settings.ferretdb_pool)
        wanted = concurrency or DEFAULT_WRITE_CONCURRENCY
        if chunk is None:
            # The preferred concurrency with chunks of at least MIN_CONCURRENT_CHUNK while the
            # budget allows: FerretDB's cost is per statement, so small chunks cost little.
            while concurrency is None and wanted > 1 and budget // wanted < MIN_CONCURRENT_CHUNK:
                wanted //= 2
            chunk = min(FERRETDB_UPDATE_CHUNK, max(1, budget // wanted))
        fitted_chunk = min(chunk, budget)
        fitted = max(1, min(wanted, budget // fitted_chunk))
        if (fitted_chunk, fitted) != (chunk, wanted):
            source += f"; lowered to fit the pool of {settings.ferretdb_pool}"
        return WriteLimits(
            update_chunk=fitted_chunk,
            concurrency=fitted,
            statement_budget=budget,
            source=f"{source}; pool {settings.ferretdb_pool} (REWARDS_FERRETDB_POOL)",
        )
    # Unknown servers and the embedded mongomock: the limits every server had before this
    # module, one command at a time. Cautious, and never slower than before.
    return WriteLimits(
        update_chunk=chunk or FERRETDB_UPDATE_CHUNK,
        concurrency=concurrency or 1,
        statement_budget=None,
        source=source,
    )


class ServerLimits:
    """Asks the server once (`buildInfo`) and keeps the answer; `current` is None until then."""

    def __init__(
        self, client: Any, settings: LimitSettings | None = None, embedded: bool = False
    ) -> None:
        self._client = client
        self._settings = settings or LimitSettings()
        self._embedded = embedded
        self._lock = asyncio.Lock()
        self.profile: ServerProfile | None = None
        self.current: WriteLimits | None = None

    async def get(self) -> WriteLimits:
        if self.current is not None:
            return self.current
        async with self._lock:
            if self.current is None:
                self.profile = (
                    ServerProfile(ServerKind.EMBEDDED, "(in memory)")
                    if self._embedded
                    else detect(await self._build_info())
                )
                self.current = limits_for(self.profile, self._settings)
                log.info(
                    "[MonthlyRewards] server: %s; writes: %s",
                    self.profile.describe(),
                    self.current.describe(),
                )
            return self.current

    async def _build_info(self) -> Mapping[str, Any] | None:
        try:
            info: Mapping[str, Any] = await self._client.admin.command("buildInfo")
        except NotImplementedError:  # a server (or a fake) without buildInfo
            return None
        return info
