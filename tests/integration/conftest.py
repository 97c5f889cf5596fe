"""Two real service instances (`rewards serve` processes) on one fresh database of the real
server: what a deployment behind a load balancer looks like."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tests.backends import drop_database, settings_for
from tests.support.instances import ServiceInstance

from infrastructure.settings import Settings


@pytest.fixture
async def real_settings(real_server_url: str) -> AsyncIterator[Settings]:
    settings = settings_for("real", real_server_url, batch_size=500)
    yield settings
    await drop_database(settings)


@pytest.fixture
def instance_urls(real_settings: Settings) -> Iterator[list[str]]:
    folder = Path(tempfile.mkdtemp(prefix="rewards-instances-"))
    started: list[ServiceInstance] = []
    try:
        for n in range(2):  # one after the other, as a rolling deployment would
            started.append(ServiceInstance(real_settings, folder / f"instance-{n}.log"))
            started[-1].wait_healthy()
        yield [instance.base for instance in started]
    finally:
        for instance in started:
            instance.stop()
            if instance.process.returncode not in (0, -15):
                print(f"--- {instance.log.name} (exit {instance.process.returncode}) ---")
                print(instance.log_text()[-3000:])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def instances(instance_urls: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in instance_urls]
    yield clients
    for client in clients:
        await client.aclose()
