"""Two real service instances (`rewards serve` processes) on one fresh database of the real
server: what a deployment behind a load balancer looks like."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tests.backends import drop_database, settings_for

from infrastructure.settings import Settings

START_LIMIT_S = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def real_settings(real_server_url: str) -> AsyncIterator[Settings]:
    settings = settings_for("real", real_server_url, batch_size=500)
    yield settings
    await drop_database(settings)


def _start(settings: Settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "REWARDS_MONGODB_URL": settings.mongodb_url or "",
        "REWARDS_MONGODB_DB": settings.mongodb_db,
        "REWARDS_API_KEYS": ",".join(settings.api_keys),
        "REWARDS_ADMIN_API_KEYS": ",".join(settings.admin_api_keys),
        "REWARDS_BATCH_SIZE": str(settings.batch_size),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"instance exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"instance not healthy after {START_LIMIT_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def instance_urls(real_settings: Settings) -> Iterator[list[str]]:
    folder = Path(tempfile.mkdtemp(prefix="rewards-instances-"))
    started = []
    try:
        for n in range(2):  # one after the other, as a rolling deployment would
            log = folder / f"instance-{n}.log"
            process, base = _start(real_settings, log)
            started.append((process, base, log))
            _wait_healthy(process, base, log)
        yield [base for _, base, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, log in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.returncode not in (0, -15):
                print(f"--- {log.name} (exit {process.returncode}) ---\n{log.read_text()[-3000:]}")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def instances(instance_urls: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in instance_urls]
    yield clients
    for client in clients:
        await client.aclose()
