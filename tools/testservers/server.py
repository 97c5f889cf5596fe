"""The handle every test server gives: a URL, stop, and (where the storage allows) an outage.

:class:`TestServer` is what the tests, the benchmarks and ``tools/test-server`` hold.
:class:`ProcessServer` is the machinery the servers share: one process on a free (or given)
loopback port, a private folder for its log and storage, a wait for ``ping``, a retry when the
port was taken in the meantime, and a :class:`~tools.testservers.guard.Guard` that cleans up if
the caller dies first.
"""

from __future__ import annotations

import abc
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from tools.testservers.errors import ServerError
from tools.testservers.guard import Guard
from tools.testservers.processes import accepts, free_port, log_tail, port_taken, terminate

START_TIMEOUT_S = 30.0
_PORT_TRIES = 3


class TestServer(abc.ABC):
    """A MongoDB-wire server with fresh storage, for tests; use as a context manager."""

    # Not a test class, whatever pytest's collector thinks of the name.
    __test__ = False

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """``mongodb://127.0.0.1:PORT/`` once started, else empty."""

    @abc.abstractmethod
    def start(self) -> str:
        """Start (building first if needed) and wait until it answers ``ping``; return the URL."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the server and delete its storage; safe to call twice."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Which server this is, e.g. ``FerretDB v1.24.2 on PostgreSQL 15.18``."""

    @abc.abstractmethod
    def running(self) -> bool:
        """Whether the wire server's process is up."""

    @abc.abstractmethod
    def restart_refusal(self) -> str | None:
        """Why :meth:`kill` then :meth:`restart` would lose the data, or None when it would not."""

    @abc.abstractmethod
    def kill(self) -> None:
        """SIGKILL the wire server only: an outage; its storage stays."""

    @abc.abstractmethod
    def restart(self) -> None:
        """Start the wire server again after :meth:`kill`, on the same port and storage."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ProcessServer(TestServer):
    """One server process in a private folder; subclasses say how to build and run it."""

    def __init__(self, port: int | None = None, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self._fixed_port = port
        self._start_timeout_s = start_timeout_s
        self._folder: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._guard: Guard | None = None
        self._port = 0

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """A short name for folders and messages, e.g. ``ferretdb``."""

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Have what running needs (build or locate the binary); ServerUnavailable if it can't."""

    @abc.abstractmethod
    def _command(self, port: int, folder: Path) -> list[str]:
        """The command line that serves the wire protocol on 127.0.0.1:``port``."""

    def _set_up_storage(self, folder: Path, guard: Guard) -> None:
        """Start what the server stores into, if that is a process of its own."""

    def _tear_down_storage(self) -> None:
        """Stop what :meth:`_set_up_storage` started."""

    def _storage_log(self) -> str:
        return ""

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self._port}/" if self._port else ""

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout and stderr, for diagnosing a failed test."""
        return None if self._folder is None else self._folder / "server.log"

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        if self._folder is not None:
            raise ServerError(f"{self.name} is already started")
        self._prepare()
        self._folder = Path(tempfile.mkdtemp(prefix=f"rewards-{self.name}-"))
        try:
            self._guard = Guard(self._folder)
            self._set_up_storage(self._folder, self._guard)
            for attempt in range(1, _PORT_TRIES + 1):
                port = self._fixed_port or free_port()
                if self._spawn(port):
                    self._port = port
                    return self.url
                # Exited early: retry only when another process took the port in the meantime.
                if self._fixed_port or attempt == _PORT_TRIES or not port_taken(self._log_tail()):
                    break
            raise ServerError(f"{self.name} exited during start-up:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, port: int) -> bool:
        """Run the server and wait for ``ping``; False if it exited early."""
        assert self._folder is not None and self._guard is not None
        if accepts(port):  # someone else's server would answer our ping
            raise ServerError(f"127.0.0.1:{port} is already in use")
        with open(self._folder / "server.log", "ab") as log:
            self._proc = subprocess.Popen(
                self._command(port, self._folder),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._guard.watch(self._proc.pid)
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if accepts(port) and _answers_ping(port):  # accepts: cheaper than a failed ping
                return self._proc.poll() is None
            time.sleep(0.05)
        terminate(self._proc)
        self._proc = None
        raise ServerError(
            f"{self.name} did not answer ping within {self._start_timeout_s:.0f} s:\n"
            + self._log_tail()
        )

    def _log_tail(self) -> str:
        return log_tail(self.log_path) + self._storage_log()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        terminate(proc)
        self._tear_down_storage()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        guard, self._guard = self._guard, None
        if guard is not None:
            guard.release()
        self._port = 0

    def restart_refusal(self) -> str | None:
        return None

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def restart(self) -> None:
        if (refusal := self.restart_refusal()) is not None:
            raise ServerError(refusal)
        if self._proc is not None or not self._port:
            raise ServerError("restart needs a started server whose process is down (kill it)")
        if not self._spawn(self._port):
            raise ServerError(f"{self.name} did not come back:\n{self._log_tail()}")


def _answers_ping(port: int) -> bool:
    client: MongoClient[dict[str, Any]] = MongoClient(
        f"mongodb://127.0.0.1:{port}/", directConnection=True, serverSelectionTimeoutMS=500
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()
