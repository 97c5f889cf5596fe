"""Small process and port helpers shared by the servers and their builds."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.testservers.errors import ServerError

STOP_TIMEOUT_S = 5.0


def free_port() -> int:
    """Ask the kernel for a free loopback port (it may be taken again before use: callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def port_taken(log: str) -> bool:
    """Whether a server's log says its port was taken (FerretDB, PostgreSQL and Java alike)."""
    text = log.lower()
    return "address already in use" in text or "could not bind" in text


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def log_tail(path: Path | None) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return tail(path.read_text(errors="replace"))


def tool_env() -> dict[str, str]:
    """The caller's environment without PG* variables (PGOPTIONS, PGHOST...) and with English
    messages, which :func:`port_taken` reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def run_checked(
    argv: Sequence[str],
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    error: type[Exception] = ServerError,
) -> str:
    """Run a tool to completion; return its output, or raise ``error`` with its tail."""
    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise error(f"`{Path(argv[0]).name}` could not run: {exc}") from exc
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise error(f"`{shlex.join(argv)}` failed (exit {done.returncode}):\n{tail(output)}")
    return output


def terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT_S."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
