"""A watchdog that cleans up after a process that dies without stopping its test servers.

:class:`Guard` starts ``python -m tools.testservers.guard FOLDER`` in its own session, so it
outlives its parent even when a ``timeout`` kills the parent's whole process group. The parent
tells it, one line at a time on its stdin, which processes to stop (``pid N``) and which command
stops storage that runs detached (``stop ["pg_ctl", ...]``: pg_ctl starts PostgreSQL with
setsid, so nothing else would stop it). At EOF without a ``done`` line first, the parent died:
the guard stops all of it and removes the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from tools.testservers.cache import REPO_ROOT
from tools.testservers.processes import STOP_TIMEOUT_S, tool_env


@dataclass
class Orders:
    """What the parent asked the guard to clean up, read from its stdin."""

    pids: list[int] = field(default_factory=list)
    stop_commands: list[list[str]] = field(default_factory=list)
    released: bool = False

    @classmethod
    def read(cls, lines: Iterable[str]) -> Orders:
        orders = cls()
        for line in lines:
            word, _, arg = line.strip().partition(" ")
            if word == "pid":
                orders.pids.append(int(arg))
            elif word == "stop":
                orders.stop_commands.append([str(part) for part in json.loads(arg)])
            orders.released = word == "done"
        return orders


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def clean_up(folder: Path, orders: Orders) -> None:
    for pid in filter(_alive, orders.pids):
        with suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(map(_alive, orders.pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in filter(_alive, orders.pids):
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for argv in orders.stop_commands:
        with suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    folder = Path(argv[0])
    orders = Orders.read(sys.stdin)
    if not orders.released:
        clean_up(folder, orders)
    return 0


class Guard:
    """The parent's end: start the watchdog, tell it what to clean, release it when done."""

    def __init__(self, folder: Path) -> None:
        env = tool_env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tools.testservers.guard", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=folder,  # readable by the PostgreSQL user, whose stop command runs here
            env=env,
            start_new_session=True,
        )

    def _send(self, line: str) -> None:
        if self._proc.stdin is None:
            return
        with suppress(OSError):
            self._proc.stdin.write(f"{line}\n".encode())
            self._proc.stdin.flush()

    def watch(self, pid: int) -> None:
        self._send(f"pid {pid}")

    def stop_with(self, argv: Sequence[str]) -> None:
        self._send(f"stop {json.dumps(list(argv))}")

    def release(self) -> None:
        """Everything is cleaned up: let the guard exit without acting."""
        self._send("done")
        if self._proc.stdin is not None:
            with suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
