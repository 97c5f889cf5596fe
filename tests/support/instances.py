"""Real service instances (`rewards serve` subprocesses) for the integration and fault tests:
start, wait until healthy, and the faults a deployment meets (SIGKILL, SIGSTOP/SIGCONT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from infrastructure.settings import Settings

START_LIMIT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceInstance:
    def __init__(self, settings: Settings, log: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "REWARDS_MONGODB_URL": settings.mongodb_url or "",
            "REWARDS_MONGODB_DB": settings.mongodb_db,
            "REWARDS_API_KEYS": ",".join(settings.api_keys),
            "REWARDS_ADMIN_API_KEYS": ",".join(settings.admin_api_keys),
            "REWARDS_BATCH_SIZE": str(settings.batch_size),
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_healthy(self) -> ServiceInstance:
        deadline = time.monotonic() + START_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"instance exited early:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"instance not healthy after {START_LIMIT_S}s:\n{self.log_text()[-3000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: the process dies mid-write, with no chance to give its lease back."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
