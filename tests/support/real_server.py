"""A real MongoDB-wire server (FerretDB on SQLite) for the integration tests.

mongomock cannot prove behaviour that only a real server shows (unique-index races, wire-level
errors), so integration tests run against FerretDB built by ``tools/test-server``. This module
never imports pytest: the conftest decides whether an unavailable server means skip or fail.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_SERVER = REPO_ROOT / "tools" / "test-server"
FERRETDB_SRC = REPO_ROOT / "tools" / "ferretdb"

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
# The first build downloads modules and compiles for minutes on a fresh machine.
BUILD_TIMEOUT_S = 20 * 60.0

_reason: str | None = None
_checked = False


class RealServerUnavailable(RuntimeError):
    """The server binary cannot be had (no Go toolchain, failed build)."""


class RealServerError(RuntimeError):
    """The server was started but did not come up; the message carries its log tail."""


def _cache_path() -> Path:
    """Where ``tools/test-server`` caches the binary; keep in step with that script."""
    go_mod = (FERRETDB_SRC / "go.mod").read_text()
    match = re.search(r"github\.com/FerretDB/FerretDB\s+(v\S+)", go_mod)
    if match is None:
        raise RealServerUnavailable("tools/ferretdb/go.mod does not require FerretDB")
    digest = hashlib.sha256(
        b"".join((FERRETDB_SRC / name).read_bytes() for name in ("main.go", "go.mod", "go.sum"))
    ).hexdigest()[:12]
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "rewards" / f"ferretdb-{match.group(1)}-{digest}"


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


def server_unavailable_reason() -> str | None:
    """Return why no real server can be started here, or None when one can (builds if needed).

    Checked once per process; a build runs at most once.
    """
    global _checked, _reason
    if not _checked:
        _checked = True
        if binary_path(build=True) is not None:
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


class RealServer:
    """One FerretDB process on a free loopback port with a fresh data folder.

    Use as a context manager; ``url`` is set once the server answers ``ping``. On exit the process
    is stopped (SIGTERM, then SIGKILL) and its folder removed, so runs never share state.
    """

    def __init__(
        self, binary: Path | None = None, start_timeout_s: float = START_TIMEOUT_S
    ) -> None:
        self._binary = binary
        self._start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self.url = ""

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout/stderr, for diagnosing a failed test."""
        return None if self._tmp is None else self._tmp / "server.log"

    def start(self) -> str:
        """Start the server and wait until it answers; return its URL."""
        binary = self._binary or binary_path(build=True)
        if binary is None:
            raise RealServerUnavailable(server_unavailable_reason() or "FerretDB unavailable")
        self._tmp = Path(tempfile.mkdtemp(prefix="rewards-ferretdb-"))
        try:
            for attempt in range(3):
                port = _free_port()
                if self._spawn(binary, port):
                    self.url = f"mongodb://127.0.0.1:{port}/"
                    return self.url
                # Exited early: retry only when another process took the port in the meantime.
                if attempt == 2 or "address already in use" not in self._log_tail().lower():
                    break
            raise RealServerError(f"FerretDB exited during start-up:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, binary: Path, port: int) -> bool:
        """Run the binary and wait for ``ping``; False if it exited early."""
        assert self._tmp is not None
        data = self._tmp / f"data-{port}"
        args = [str(binary), "--listen", f"127.0.0.1:{port}", "--handler", "sqlite"]
        args += ["--data", str(data)]
        with open(self._tmp / "server.log", "ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"mongodb://127.0.0.1:{port}/"
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
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
        return _tail(path.read_text(errors="replace"))

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
        """Stop the process and delete its data; safe to call twice."""
        self._terminate()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.url = ""

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

    Raises RealServerUnavailable when no binary can be had, RealServerError when it won't start.
    """
    with RealServer() as url:
        yield url
