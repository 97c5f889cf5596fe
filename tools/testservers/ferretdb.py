"""FerretDB as a test server, on a private PostgreSQL cluster or on SQLite.

FerretDB's SQLite backend pushes down only ``{_id: X}`` filters, so every guarded update
(``{_id: X, field: {$ne: ...}}``) scans the collection in Go; on PostgreSQL each top-level key is
pushed down to SQL, and with ``postgresql-id-index.sql`` lookups by ``_id`` use an index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tools.testservers.errors import ServerUnavailable
from tools.testservers.ferretdb_build import build_ferretdb, ferretdb_version
from tools.testservers.guard import Guard
from tools.testservers.postgresql import PostgresCluster, PostgresInstall, missing_reason
from tools.testservers.server import START_TIMEOUT_S, ProcessServer

Backend = Literal["postgresql", "sqlite"]


class FerretDB(ProcessServer):
    """FerretDB on ``backend``: a private cluster started here unless ``postgresql_url`` names
    one, or SQLite files in ``data_dir`` (kept) or in the server's own folder (deleted). With
    ``debug_addr`` (host:port) it also serves Go's ``/debug/pprof`` there, for profiling."""

    name = "ferretdb"

    def __init__(
        self,
        backend: Backend,
        *,
        postgres: PostgresInstall | None = None,
        postgresql_url: str | None = None,
        data_dir: Path | None = None,
        port: int | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        debug_addr: str | None = None,
    ) -> None:
        super().__init__(port, start_timeout_s)
        self.debug_addr = debug_addr
        self.backend: Backend = backend
        self._postgres = postgres
        self._postgresql_url = postgresql_url
        self._data_dir = data_dir
        self._binary: Path | None = None
        self._cluster: PostgresCluster | None = None

    def describe(self) -> str:
        where = "SQLite"
        if self.backend == "postgresql":
            if self._postgresql_url is not None:
                where = "PostgreSQL (--postgresql-url)"
            elif self._postgres is not None:
                where = self._postgres.version()
            else:
                where = "PostgreSQL (not found)"
        return f"FerretDB {ferretdb_version()} on {where}"

    def _prepare(self) -> None:
        managed_cluster = self.backend == "postgresql" and self._postgresql_url is None
        if managed_cluster and (missing := missing_reason(self._postgres)) is not None:
            raise ServerUnavailable(f"FerretDB's PostgreSQL backend cannot be run: {missing}")
        self._binary = build_ferretdb()

    def _set_up_storage(self, folder: Path, guard: Guard) -> None:
        if self.backend != "postgresql" or self._postgresql_url is not None:
            return
        assert self._postgres is not None  # checked by _prepare
        self._cluster = PostgresCluster(self._postgres, folder, self._start_timeout_s)
        guard.stop_with(self._cluster.stop_argv())
        self._cluster.start()

    def _tear_down_storage(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.stop()

    def _storage_log(self) -> str:
        return "" if self._cluster is None else f"\nPostgreSQL log:\n{self._cluster.log_tail()}"

    def _command(self, port: int, folder: Path) -> list[str]:
        assert self._binary is not None
        argv = [str(self._binary), "--listen", f"127.0.0.1:{port}"]
        if self.debug_addr:
            argv += ["--debug-addr", self.debug_addr]
        if self.backend == "sqlite":
            return [*argv, "--handler", "sqlite", "--data", str(self._data_dir or folder / "data")]
        url = self._postgresql_url or (self._cluster.url if self._cluster else "")
        return [*argv, "--handler", "postgresql", "--postgresql-url", url]
