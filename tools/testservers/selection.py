"""Which test server the tests get, read from the environment in one place.

``REWARDS_TEST_SERVER=ferretdb|mongo-java-server`` (default ``ferretdb``) picks the server;
``REWARDS_TEST_FERRETDB_BACKEND=postgresql|sqlite`` forces FerretDB's backend, else PostgreSQL
when its server binaries are installed (far faster), else SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from tools.testservers.errors import ServerUnavailable
from tools.testservers.ferretdb import Backend, FerretDB
from tools.testservers.ferretdb_build import build_ferretdb, ferretdb_version
from tools.testservers.mongo_java_server import (
    MongoJavaServer,
    build_mongo_java_server,
    mongo_java_server_version,
)
from tools.testservers.postgresql import PostgresInstall, missing_reason
from tools.testservers.server import TestServer

SERVER_ENV = "REWARDS_TEST_SERVER"
BACKEND_ENV = "REWARDS_TEST_FERRETDB_BACKEND"
ServerKind = Literal["ferretdb", "mongo-java-server"]
SERVER_KINDS: tuple[ServerKind, ...] = get_args(ServerKind)
_BACKEND_NAMES: dict[str, Backend | None] = {
    "": None,
    "auto": None,
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pg": "postgresql",
    "sqlite": "sqlite",
}


@dataclass(frozen=True)
class Choice:
    """A server kind (and FerretDB's backend), why it was chosen, and what stops it here."""

    kind: ServerKind
    backend: Backend | None
    why: str
    problem: str | None
    postgres: PostgresInstall | None
    forced_backend: Backend | None = None  # None: PostgreSQL when it can be run, else SQLite

    def describe(self) -> str:
        """One line for a report header; builds and starts nothing."""
        if self.problem is not None:
            return f"{self.kind}: not usable ({self.problem})"
        if self.kind == "mongo-java-server":
            return f"mongo-java-server {mongo_java_server_version()} (memory backend; {self.why})"
        where = "SQLite" if self.backend == "sqlite" else "PostgreSQL"
        if self.backend == "postgresql" and self.postgres is not None:
            where = self.postgres.version()
        return f"FerretDB {ferretdb_version()} on {where} ({self.why})"

    @property
    def slow_reason(self) -> str | None:
        """Why full-size suites would take too long on this server, or None when they would not."""
        if self.kind == "mongo-java-server":
            # Measured here: 3.5 ms per guarded update at 2,000 documents, 9.9 ms at 20,000.
            return "mongo-java-server's memory backend scans the collection for a guarded update"
        if self.backend == "sqlite":
            return "FerretDB's SQLite backend scans the collection for every filter but a bare _id"
        return None

    def server(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        postgresql_url: str | None = None,
        debug_addr: str | None = None,
    ) -> TestServer:
        """A server to start; ServerUnavailable when this choice cannot be had here.
        ``debug_addr``: where FerretDB serves Go's /debug/pprof (FerretDB only)."""
        if self.problem is not None:
            raise ServerUnavailable(self.problem)
        if self.kind == "mongo-java-server":
            return MongoJavaServer(port=port)
        return FerretDB(
            self.backend or "sqlite",
            postgres=self.postgres,
            postgresql_url=postgresql_url,
            data_dir=data_dir,
            port=port,
            debug_addr=debug_addr,
        )

    def build(self) -> Path:
        """Build the server once (cached); return the binary or jar. ServerUnavailable when
        this choice cannot be had here: a build would not make it usable."""
        if self.problem is not None:
            raise ServerUnavailable(self.problem)
        if self.kind == "mongo-java-server":
            return build_mongo_java_server()
        return build_ferretdb()


def choose(
    environ: Mapping[str, str] = os.environ,
    kind: str | None = None,
    backend: str | None = None,
) -> Choice:
    """The choice ``environ`` makes, unless ``kind`` or ``backend`` (e.g. from a command line)
    say otherwise."""
    raw_kind = (kind or environ.get(SERVER_ENV) or "ferretdb").strip().lower()
    if raw_kind not in SERVER_KINDS:
        problem = f"{SERVER_ENV} must be one of {', '.join(SERVER_KINDS)}, not {raw_kind!r}"
        return Choice("ferretdb", None, problem, problem, None)
    if raw_kind == "mongo-java-server":
        why = "chosen by the caller" if kind is not None else f"chosen by {SERVER_ENV}"
        return Choice("mongo-java-server", None, why, None, None)
    return _ferretdb_choice(backend or environ.get(BACKEND_ENV) or "", backend is not None)


def _ferretdb_choice(raw_backend: str, from_caller: bool) -> Choice:
    forced = raw_backend.strip().lower()
    source = "the caller" if from_caller else BACKEND_ENV
    if forced not in _BACKEND_NAMES:
        bad = f"{BACKEND_ENV} must be `postgresql` or `sqlite` (or unset for auto), not {forced!r}"
        return Choice("ferretdb", "sqlite", bad, bad, None)
    postgres = PostgresInstall.find()
    missing = missing_reason(postgres)
    wanted = _BACKEND_NAMES[forced]
    if wanted is None:
        if missing is None:
            return Choice("ferretdb", "postgresql", "default", None, postgres)
        return Choice("ferretdb", "sqlite", f"PostgreSQL not used: {missing}", None, postgres)
    if wanted == "sqlite":
        return Choice("ferretdb", "sqlite", f"forced by {source}", None, postgres, "sqlite")
    problem = None if missing is None else f"{source} asks for PostgreSQL: {missing}"
    return Choice("ferretdb", "postgresql", f"forced by {source}", problem, postgres, "postgresql")
