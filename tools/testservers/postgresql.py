"""A private, throw-away PostgreSQL cluster for FerretDB's ``postgresql`` backend.

initdb and pg_ctl in a fresh folder, trust authentication on TCP, a free port, durability off
(nothing in it outlives the test run), and ``tools/ferretdb/postgresql-id-index.sql`` applied.
PostgreSQL refuses to run as root, so as root its tools run as ``postgres`` through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from tools.testservers.cache import TOOLS
from tools.testservers.errors import ServerError
from tools.testservers.processes import (
    STOP_TIMEOUT_S,
    free_port,
    log_tail,
    port_taken,
    run_checked,
    tool_env,
)

OS_USER = "postgres"
SUPERUSER = "postgres"
DATABASE = "ferretdb"
# FerretDB 1.24 keeps the cursor of every matched statement of an `update` command open until the
# command ends, each holding a pooled PostgreSQL connection; with its default pool of 50 a bulk of
# 50 matching UpdateOne never answers (SQLite's fixed pool of 100 does the same at 100). So a
# larger pool (pgx's `pool_max_conns`), and a server that allows it; backends start on demand.
POOL_MAX_CONNS = 400
MAX_CONNECTIONS = POOL_MAX_CONNS + 20
ID_INDEX_SQL = TOOLS / "ferretdb" / "postgresql-id-index.sql"
_TOOLS = ("initdb", "pg_ctl", "postgres", "createdb", "psql")
_SETTINGS = (
    "listen_addresses=127.0.0.1",
    f"max_connections={MAX_CONNECTIONS}",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
)
# Unix socket paths are limited to 107 bytes; ".s.PGSQL.65535" takes 15 of them.
_MAX_SOCKET_DIR = 90
_PORT_TRIES = 3


@dataclass(frozen=True)
class PostgresInstall:
    """The directory holding PostgreSQL's server binaries."""

    bindir: Path

    @classmethod
    def find(cls) -> PostgresInstall | None:
        """``pg_config --bindir`` when it holds the server binaries, else the highest version
        under ``/usr/lib/postgresql/*/bin`` (Debian's layout), else None."""
        candidates: list[Path] = []
        if (pg_config := shutil.which("pg_config")) is not None:
            with suppress(ServerError):
                candidates.append(Path(run_checked([pg_config, "--bindir"], timeout=10)))
        debian = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
        candidates += sorted(debian, key=_version_key, reverse=True)
        return next((cls(bindir) for bindir in candidates if _has_tools(bindir)), None)

    def version(self) -> str:
        """E.g. ``PostgreSQL 15.18``."""
        try:
            output = run_checked([str(self.bindir / "postgres"), "--version"], timeout=10)
        except ServerError:
            return "PostgreSQL"
        match = re.search(r"(\d+(?:\.\d+)*)", output)
        return f"PostgreSQL {match.group(1)}" if match else "PostgreSQL"


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` -> (15,); ``.../9.6/bin`` -> (9, 6)."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _has_tools(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in _TOOLS)


def missing_reason(install: PostgresInstall | None) -> str | None:
    """Why a private cluster cannot be run here, or None when it can."""
    if install is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres, createdb, psql) under "
            "`pg_config --bindir` or /usr/lib/postgresql/*/bin; install Debian's `postgresql`"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no `{OS_USER}` user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return (
                "running as root and `runuser` is missing (needed to run PostgreSQL unprivileged)"
            )
    return None


class PostgresCluster:
    """One private cluster in ``folder``; :meth:`start`, then :attr:`url` names its database."""

    def __init__(self, install: PostgresInstall, folder: Path, start_timeout_s: float) -> None:
        self._bindir = install.bindir
        self._folder = folder
        self._data = folder / "pgdata"
        self._start_timeout_s = start_timeout_s
        self._as_root = os.geteuid() == 0
        self._env = tool_env()
        self.log_path = folder / "postgresql.log"
        self.port = 0

    @property
    def url(self) -> str:
        """FerretDB's ``--postgresql-url``, with a pool large enough for our bulks."""
        return (
            f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
            f"?pool_max_conns={POOL_MAX_CONNS}"
        )

    def _argv(self, args: Sequence[str], as_os_user: bool = True) -> list[str]:
        argv = [str(self._bindir / args[0]), *args[1:]]
        if as_os_user and self._as_root:
            argv = ["runuser", "-u", OS_USER, "--", *argv]
        return argv

    def stop_argv(self) -> list[str]:
        """Immediate shutdown: the data is thrown away anyway."""
        return self._argv(
            ["pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "-t", "10", "stop"]
        )

    def _run(self, args: Sequence[str], as_os_user: bool = True) -> str:
        # cwd: the caller's folder may be unreadable to `postgres`.
        return run_checked(
            self._argv(args, as_os_user), self._start_timeout_s + 10, self._folder, self._env
        )

    def _give_to_os_user(self, path: Path) -> None:
        if self._as_root:
            os.chown(path, pwd.getpwnam(OS_USER).pw_uid, -1)

    def start(self) -> None:
        self._give_to_os_user(self._folder)
        initdb = ["initdb", "-D", str(self._data), "-A", "trust", "-U", SUPERUSER]
        self._run([*initdb, "--no-sync", "--locale=C", "--encoding=UTF8"])
        socket_dir = self._folder / "sock"
        socket_dir.mkdir()
        self._give_to_os_user(socket_dir)
        socket_opt = str(socket_dir) if len(str(socket_dir)) <= _MAX_SOCKET_DIR else ""
        for attempt in range(1, _PORT_TRIES + 1):
            self.port = free_port()
            # pg_ctl hands -o to /bin/sh, hence the quoting.
            options = [f"-p {self.port}", f"-k {shlex.quote(socket_opt)}"]
            options += [f"-c {setting}" for setting in _SETTINGS]
            try:
                wait = ["-w", "-t", str(int(self._start_timeout_s))]
                log = ["-l", str(self.log_path)]
                self._run(
                    ["pg_ctl", "-D", str(self._data), "-o", " ".join(options), *log, *wait, "start"]
                )
                break
            except ServerError as exc:
                self.stop()
                if attempt == _PORT_TRIES or not port_taken(self.log_tail()):
                    raise ServerError(f"{exc}\nPostgreSQL log:\n{self.log_tail()}") from exc
        # Trust auth over TCP: any OS user may connect, so these run as the caller.
        connect = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]
        self._run(["createdb", *connect, DATABASE], as_os_user=False)
        self._run(
            [
                "psql",
                *connect,
                "-d",
                DATABASE,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-f",
                str(ID_INDEX_SQL),
            ],
            as_os_user=False,
        )

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def stop(self) -> None:
        """Immediate shutdown; safe to call when not running."""
        pid_file = self._data / "postmaster.pid"
        if not pid_file.exists():
            return
        with suppress(ServerError):
            run_checked(self.stop_argv(), timeout=20, cwd=self._folder, env=self._env)
            return
        # pg_ctl failed: signal the postmaster ourselves (SIGQUIT = immediate shutdown).
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
        except (OSError, ValueError, IndexError):
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)
