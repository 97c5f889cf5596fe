"""A real MongoDB-wire server (FerretDB on PostgreSQL or SQLite) for the integration tests.

mongomock cannot prove behaviour that only a real server shows (unique-index races, wire-level
errors), so integration tests run against FerretDB built by ``tools/test-server``. This module
never imports pytest: the conftest decides whether an unavailable server means skip or fail.

Backend: PostgreSQL when its server binaries are installed (a private, throw-away cluster on a
free port), else SQLite. FerretDB's SQLite backend pushes down only ``{_id: X}`` filters, so every
guarded update (``{_id: X, field: {$ne: ...}}``) scans the collection in Go; on PostgreSQL each
top-level key is pushed down to SQL. Both still read every row per query (FerretDB 1.24's
``_jsonb -> $1 @> $2`` cannot use its ``_id`` index), but PostgreSQL does it far faster.
``REWARDS_TEST_FERRETDB_BACKEND=postgresql|sqlite`` forces a choice; :func:`describe` says which.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_SERVER = REPO_ROOT / "tools" / "test-server"
FERRETDB_SRC = REPO_ROOT / "tools" / "ferretdb"

BACKEND_ENV = "REWARDS_TEST_FERRETDB_BACKEND"
Backend = Literal["postgresql", "sqlite"]

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
# The first build downloads modules and compiles for minutes on a fresh machine.
BUILD_TIMEOUT_S = 20 * 60.0

# PostgreSQL refuses to run as root; as root we run its tools as this user.
PG_OS_USER = "postgres"
PG_SUPERUSER = "postgres"
PG_DATABASE = "ferretdb"
# FerretDB 1.24 keeps the cursor of every matched statement of an `update` command open until the
# command ends, each holding a pooled PostgreSQL connection; with its default pool of 50 a bulk of
# 50 matching UpdateOne never answers (SQLite's fixed pool of 100 does the same at 100). So a
# larger pool (pgx's `pool_max_conns`), and a server that allows it; backends start on demand.
PG_POOL_MAX_CONNS = 400
PG_MAX_CONNECTIONS = PG_POOL_MAX_CONNS + 20
_PG_TOOLS = ("initdb", "pg_ctl", "postgres", "createdb", "psql")
# Makes FerretDB's lookups by _id use an index (see the file); applied to every fresh cluster.
PG_ID_INDEX_SQL = FERRETDB_SRC / "postgresql-id-index.sql"
# Throw-away cluster: durability off for speed.
_PG_SETTINGS = (
    "listen_addresses=127.0.0.1",
    f"max_connections={PG_MAX_CONNECTIONS}",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
)
# Unix socket paths are limited to 107 bytes; ".s.PGSQL.65535" takes 15 of them.
_MAX_SOCKET_DIR = 90

_reason: str | None = None
_checked = False


class RealServerUnavailable(RuntimeError):
    """The server cannot be had (no Go toolchain, failed build, forced backend missing)."""


class RealServerError(RuntimeError):
    """The server was started but did not come up; the message carries its log tail."""


def _ferretdb_version() -> str:
    go_mod = (FERRETDB_SRC / "go.mod").read_text()
    match = re.search(r"github\.com/FerretDB/FerretDB\s+(v\S+)", go_mod)
    if match is None:
        raise RealServerUnavailable("tools/ferretdb/go.mod does not require FerretDB")
    return match.group(1)


def _cache_path() -> Path:
    """Where ``tools/test-server`` caches the binary; keep in step with that script."""
    version = _ferretdb_version()
    digest = hashlib.sha256(
        b"".join((FERRETDB_SRC / name).read_bytes() for name in ("main.go", "go.mod", "go.sum"))
    ).hexdigest()[:12]
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "rewards" / f"ferretdb-{version}-{digest}"


def binary_path(build: bool) -> Path | None:
    """Return the FerretDB binary, building it first if ``build``; None if it cannot be had.

    The reason for a None is kept for :func:`server_unavailable_reason`, so a skipped or failed
    integration run says why instead of just "no server".
    """
    global _reason
    if not build:
        try:
            path = _cache_path()
        except (OSError, RealServerUnavailable) as exc:
            _reason = f"cannot locate the FerretDB binary: {exc}"
            return None
        if path.is_file() and os.access(path, os.X_OK):
            return path
        _reason = f"FerretDB binary not built yet ({path}); run `tools/test-server --build`"
        return None
    try:
        done = subprocess.run(
            [str(TEST_SERVER), "--path"],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _reason = f"`tools/test-server --path` could not run: {exc}"
        return None
    if done.returncode != 0:
        tail = _tail(done.stderr)
        if done.returncode == 3:
            _reason = f"no Go toolchain to build FerretDB: {tail}"
        else:
            _reason = f"`tools/test-server --path` failed (exit {done.returncode}): {tail}"
        return None
    path = Path(done.stdout.strip().splitlines()[-1])
    if not path.is_file():
        _reason = f"`tools/test-server --path` printed a missing file: {path}"
        return None
    return path


# --- Backend choice ------------------------------------------------------------------------------


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` -> (15,); ``.../9.6/bin`` -> (9, 6)."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _has_pg_tools(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in _PG_TOOLS)


@functools.cache
def postgres_bindir() -> Path | None:
    """The directory holding PostgreSQL's server binaries (initdb, pg_ctl, postgres), or None.

    ``pg_config --bindir`` first when it names a directory with the server binaries, then the
    highest version under ``/usr/lib/postgresql/*/bin`` (Debian's layout).
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            done = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
            if done.returncode == 0 and done.stdout.strip():
                candidates.append(Path(done.stdout.strip()))
        except (OSError, subprocess.TimeoutExpired):
            pass
    debian = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    candidates += sorted(debian, key=_version_key, reverse=True)
    return next((bindir for bindir in candidates if _has_pg_tools(bindir)), None)


def _postgres_missing_reason() -> str | None:
    """Why a private PostgreSQL cluster cannot be run here, or None when it can."""
    if postgres_bindir() is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres, createdb, psql) under "
            "`pg_config --bindir` or /usr/lib/postgresql/*/bin; install Debian's `postgresql`"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_OS_USER)
        except KeyError:
            return f"running as root and there is no `{PG_OS_USER}` user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return (
                "running as root and `runuser` is missing (needed to run PostgreSQL unprivileged)"
            )
    return None


def _backend_choice() -> tuple[Backend, str | None, str]:
    """Return (backend, why it cannot be used or None, why it was chosen)."""
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced in ("", "auto"):
        missing = _postgres_missing_reason()
        if missing is None:
            return "postgresql", None, "default"
        return "sqlite", None, f"PostgreSQL not used: {missing}"
    if forced in ("postgresql", "postgres", "pg"):
        missing = _postgres_missing_reason()
        if missing is not None:
            missing = f"{BACKEND_ENV}={forced} but PostgreSQL cannot be run: {missing}"
        return "postgresql", missing, f"forced by {BACKEND_ENV}"
    if forced == "sqlite":
        return "sqlite", None, f"forced by {BACKEND_ENV}"
    bad = f"{BACKEND_ENV} must be `postgresql` or `sqlite` (or unset for auto), not {forced!r}"
    return "sqlite", bad, bad


def selected_backend() -> Backend:
    """The backend :func:`start_real_server` will use; RealServerUnavailable if it cannot."""
    backend, missing, _ = _backend_choice()
    if missing is not None:
        raise RealServerUnavailable(missing)
    return backend


@functools.cache
def _postgres_version(bindir: Path) -> str:
    try:
        done = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "PostgreSQL"
    match = re.search(r"(\d+(?:\.\d+)*)", done.stdout)
    return f"PostgreSQL {match.group(1)}" if match else "PostgreSQL"


def describe(backend: Backend | None = None) -> str:
    """One line saying which server the integration tests use, e.g. for a report header.

    Does not build or start anything. ``backend`` describes that backend instead of the choice.
    """
    try:
        ferretdb = f"FerretDB {_ferretdb_version()}"
    except (OSError, RealServerUnavailable):
        ferretdb = "FerretDB"
    chosen, missing, why = _backend_choice()
    if backend is None and missing is not None:
        return f"{ferretdb}: no usable backend ({missing})"
    backend = backend or chosen
    if backend == "postgresql":
        bindir = postgres_bindir()
        where = "PostgreSQL (not found)" if bindir is None else _postgres_version(bindir)
        return f"{ferretdb} on {where} ({why})"
    return f"{ferretdb} on SQLite ({why})"


def server_unavailable_reason() -> str | None:
    """Return why no real server can be started here, or None when one can (builds if needed).

    Checked once per process; a build runs at most once.
    """
    global _checked, _reason
    if not _checked:
        _checked = True
        _, missing, _ = _backend_choice()
        if missing is not None:
            _reason = missing
        elif binary_path(build=True) is not None:
            _reason = None
    return _reason


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def _free_port() -> int:
    """Ask the kernel for a free loopback port (it may be taken again before use: we retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _port_taken(log: str) -> bool:
    text = log.lower()
    return "address already in use" in text or "could not bind" in text


# --- PostgreSQL ----------------------------------------------------------------------------------


class _PostgresCluster:
    """A private PostgreSQL cluster in ``root`` (initdb, pg_ctl start/stop), trust auth on TCP.

    As root, the folder is handed to ``postgres`` and initdb/pg_ctl run through ``runuser``.
    """

    def __init__(self, bindir: Path, root: Path, start_timeout_s: float) -> None:
        self._bindir = bindir
        self._root = root
        self._data = root / "pgdata"
        self._start_timeout_s = start_timeout_s
        self._as_root = os.geteuid() == 0
        self.log_path = root / "postgresql.log"
        self.port = 0
        # No PG* variables from the caller (PGOPTIONS, PGHOST...); English messages for _port_taken.
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self._env["LC_ALL"] = "C"

    @property
    def url(self) -> str:
        return (
            f"postgres://{PG_SUPERUSER}@127.0.0.1:{self.port}/{PG_DATABASE}"
            f"?pool_max_conns={PG_POOL_MAX_CONNS}"
        )

    @property
    def env(self) -> dict[str, str]:
        return dict(self._env)

    def argv(self, args: Sequence[str], as_pg_user: bool = True) -> list[str]:
        """The command line running PostgreSQL tool ``args[0]`` (through runuser as root)."""
        argv = [str(self._bindir / args[0]), *args[1:]]
        if as_pg_user and self._as_root:
            argv = ["runuser", "-u", PG_OS_USER, "--", *argv]
        return argv

    def stop_argv(self) -> list[str]:
        return self.argv(
            ["pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "-t", "10", "stop"]
        )

    def _run(self, args: Sequence[str], timeout: float, as_pg_user: bool = True) -> str:
        """Run a PostgreSQL tool; return its output; RealServerError on failure."""
        try:
            done = subprocess.run(
                self.argv(args, as_pg_user),
                cwd=self._root,  # the caller's folder may be unreadable to `postgres`
                env=self._env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RealServerError(f"`{args[0]}` could not run: {exc}") from exc
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise RealServerError(
                f"`{shlex.join(args)}` failed (exit {done.returncode}):\n{_tail(output)}"
            )
        return output

    def start(self) -> None:
        if self._as_root:
            os.chown(self._root, pwd.getpwnam(PG_OS_USER).pw_uid, -1)
        self._run(
            [
                "initdb",
                "-D",
                str(self._data),
                "-A",
                "trust",
                "-U",
                PG_SUPERUSER,
                "--no-sync",
                "--locale=C",
                "--encoding=UTF8",
            ],
            timeout=self._start_timeout_s,
        )
        socket_dir = self._root / "sock"
        socket_dir.mkdir()
        if self._as_root:
            os.chown(socket_dir, pwd.getpwnam(PG_OS_USER).pw_uid, -1)
        socket_opt = str(socket_dir) if len(str(socket_dir)) <= _MAX_SOCKET_DIR else ""
        for attempt in range(3):
            self.port = _free_port()
            # pg_ctl hands -o to /bin/sh, hence the quoting.
            options = [f"-p {self.port}", f"-k {shlex.quote(socket_opt)}"]
            options += [f"-c {setting}" for setting in _PG_SETTINGS]
            try:
                self._run(
                    [
                        "pg_ctl",
                        "-D",
                        str(self._data),
                        "-o",
                        " ".join(options),
                        "-l",
                        str(self.log_path),
                        "-w",
                        "-t",
                        str(int(self._start_timeout_s)),
                        "start",
                    ],
                    timeout=self._start_timeout_s + 10,
                )
                break
            except RealServerError as exc:
                self.stop()
                if attempt == 2 or not _port_taken(self.log_tail()):
                    raise RealServerError(f"{exc}\nPostgreSQL log:\n{self.log_tail()}") from exc
        self._run(
            ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER, PG_DATABASE],
            timeout=self._start_timeout_s,
            as_pg_user=False,  # trust auth over TCP: any OS user may connect
        )
        self._run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                PG_SUPERUSER,
                "-d",
                PG_DATABASE,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-f",
                str(PG_ID_INDEX_SQL),
            ],
            timeout=self._start_timeout_s,
            as_pg_user=False,
        )

    def log_tail(self) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return _tail(self.log_path.read_text(errors="replace"))

    def stop(self) -> None:
        """Immediate shutdown (the data is thrown away); safe to call when not running."""
        pid_file = self._data / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            done = subprocess.run(
                self.stop_argv(),
                cwd=self._root,
                env=self._env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=20,
                check=False,
            )
            if done.returncode == 0:
                return
        except (OSError, subprocess.TimeoutExpired):
            pass
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


# --- Clean-up guard ------------------------------------------------------------------------------

# Runs in its own session, so it outlives this process even when a `timeout` kills the whole
# process group. It reads "pid N" lines (FerretDB) until EOF; without a "done" line first (this
# process died before RealServer.stop finished) it stops FerretDB and PostgreSQL (which pg_ctl
# detaches with setsid, so nothing else would stop it) and removes the folder.
_GUARD = """
import os, shutil, signal, subprocess, sys, time
tmp, stop = sys.argv[1], sys.argv[2:]
pids, done = [], False
for line in sys.stdin:
    word, _, arg = line.strip().partition(" ")
    if word == "pid":
        pids.append(int(arg))
    done = word == "done"
if done:
    sys.exit(0)
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
for pid in pids:
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
deadline = time.monotonic() + 5
while any(map(alive, pids)) and time.monotonic() < deadline:
    time.sleep(0.05)
for pid in filter(alive, pids):
    os.kill(pid, signal.SIGKILL)
if stop and os.path.exists(os.path.join(tmp, "pgdata", "postmaster.pid")):
    try:
        subprocess.run(stop, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, check=False)
    except Exception:
        pass
shutil.rmtree(tmp, ignore_errors=True)
"""


class _Guard:
    """Cleans up after this process if it dies without :meth:`RealServer.stop` (see _GUARD)."""

    def __init__(self, tmp: Path, stop_argv: Sequence[str], env: dict[str, str] | None) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _GUARD, str(tmp), *stop_argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp,
            env=env,
            start_new_session=True,
        )

    def _send(self, line: str) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(f"{line}\n".encode())
            self._proc.stdin.flush()
        except OSError:
            pass

    def watch(self, pid: int) -> None:
        self._send(f"pid {pid}")

    def release(self) -> None:
        """Everything is cleaned up: let the guard exit without acting."""
        self._send("done")
        assert self._proc.stdin is not None
        with suppress(OSError):
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# --- FerretDB ------------------------------------------------------------------------------------


class RealServer:
    """One FerretDB process on a free loopback port with fresh storage.

    Use as a context manager; ``url`` is set once the server answers ``ping``. On PostgreSQL a
    private cluster is started first (its own free port). On exit FerretDB is stopped (SIGTERM,
    then SIGKILL), then PostgreSQL (immediate mode), and the folder removed: runs never share state.

    ``backend`` is the one asked for, or None until :meth:`start` resolves the default.
    """

    def __init__(
        self,
        binary: Path | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        backend: Backend | None = None,
    ) -> None:
        self._binary = binary
        self._start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self._pg: _PostgresCluster | None = None
        self._guard: _Guard | None = None
        self.backend: Backend | None = backend
        self.url = ""

    @property
    def log_path(self) -> Path | None:
        """FerretDB's combined stdout/stderr, for diagnosing a failed test."""
        return None if self._tmp is None else self._tmp / "server.log"

    @property
    def postgres_log_path(self) -> Path | None:
        """PostgreSQL's log on the postgresql backend."""
        return None if self._pg is None else self._pg.log_path

    def describe(self) -> str:
        """Which server this is, e.g. ``FerretDB v1.24.2 on PostgreSQL 15.18 (default)``."""
        return describe(self.backend)

    def start(self) -> str:
        """Start the server and wait until it answers; return its URL."""
        if self.backend is None:
            self.backend = selected_backend()
        elif self.backend == "postgresql" and (missing := _postgres_missing_reason()) is not None:
            raise RealServerUnavailable(
                f"PostgreSQL backend asked for but cannot be run: {missing}"
            )
        binary = self._binary or binary_path(build=True)
        if binary is None:
            raise RealServerUnavailable(server_unavailable_reason() or "FerretDB unavailable")
        self._tmp = Path(tempfile.mkdtemp(prefix="rewards-ferretdb-"))
        try:
            if self.backend == "postgresql":
                bindir = postgres_bindir()
                assert bindir is not None  # checked by _postgres_missing_reason
                self._pg = _PostgresCluster(bindir, self._tmp, self._start_timeout_s)
                self._guard = _Guard(self._tmp, self._pg.stop_argv(), self._pg.env)
                self._pg.start()
            else:
                self._guard = _Guard(self._tmp, [], None)
            for attempt in range(3):
                port = _free_port()
                if self._spawn(binary, port):
                    self.url = f"mongodb://127.0.0.1:{port}/"
                    return self.url
                # Exited early: retry only when another process took the port in the meantime.
                if attempt == 2 or not _port_taken(self._log_tail()):
                    break
            raise RealServerError(f"FerretDB exited during start-up:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, binary: Path, port: int) -> bool:
        """Run the binary and wait for ``ping``; False if it exited early."""
        assert self._tmp is not None
        args = [str(binary), "--listen", f"127.0.0.1:{port}"]
        if self._pg is not None:
            args += ["--handler", "postgresql", "--postgresql-url", self._pg.url]
        else:
            args += ["--handler", "sqlite", "--data", str(self._tmp / f"data-{port}")]
        with open(self._tmp / "server.log", "ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if self._guard is not None:
            self._guard.watch(self._proc.pid)
        url = f"mongodb://127.0.0.1:{port}/"
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if not _accepts(port):  # cheaper than a failed ping (server selection waits)
                time.sleep(0.02)
                continue
            client: MongoClient[dict[str, Any]] = MongoClient(
                url, directConnection=True, serverSelectionTimeoutMS=500
            )
            try:
                client.admin.command("ping")
                return True
            except PyMongoError:
                time.sleep(0.1)
            finally:
                client.close()
        self._terminate()
        raise RealServerError(
            f"FerretDB did not answer ping within {self._start_timeout_s:.0f} s:\n"
            + self._log_tail()
        )

    def _log_tail(self) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        tail = _tail(path.read_text(errors="replace"))
        if self._pg is not None:
            tail += f"\nPostgreSQL log:\n{self._pg.log_tail()}"
        return tail

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Stop FerretDB, then PostgreSQL, and delete the data; safe to call twice."""
        self._terminate()
        pg, self._pg = self._pg, None
        if pg is not None:
            pg.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        guard, self._guard = self._guard, None
        if guard is not None:
            guard.release()
        self.url = ""

    def kill_frontend(self) -> None:
        """SIGKILL the MongoDB-wire server (FerretDB) only; its storage stays: an outage."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def restart_frontend(self) -> None:
        """Start FerretDB again on the same port and storage after :meth:`kill_frontend`."""
        if self._proc is not None or not self.url:
            raise RealServerError("restart_frontend needs a started server whose frontend is down")
        port = int(self.url.rstrip("/").rsplit(":", 1)[1])
        binary = self._binary or binary_path(build=False)
        if binary is None or not self._spawn(binary, port):
            raise RealServerError(f"FerretDB did not come back:\n{self._log_tail()}")

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def start_real_server() -> Iterator[str]:
    """Yield the URL of a fresh FerretDB server, stopped and deleted afterwards.

    The backend is :func:`selected_backend` (see :func:`describe`). Raises RealServerUnavailable
    when no binary or forced backend can be had, RealServerError when the server won't start.
    """
    with RealServer() as url:
        yield url
