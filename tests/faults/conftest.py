"""The fault suite's world: its own real server (so a case may take it down), fresh databases,
and service instances with short leases so takeovers happen in seconds, not minutes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from tests.backends import drop_database, settings_for
from tests.support.instances import ServiceInstance
from tests.support.real_server import RealServer, RealServerError, RealServerUnavailable

from infrastructure.settings import Settings

_IN_CI = os.environ.get("CI", "").lower() == "true"
LEASE_S = 2.0
# Short leases and sweeps, quick server selection, and enough retries to ride out a few seconds.
FAULT_ENV = {
    "REWARDS_LEASE_SECONDS": str(LEASE_S),
    "REWARDS_SWEEP_SECONDS": "0.5",
    "REWARDS_RETRY_TRIES": "10",
    "REWARDS_RETRY_FIRST_DELAY": "0.25",
    "REWARDS_RETRY_MAX_DELAY": "2",
}


@dataclass
class FaultServer:
    url: str
    server: RealServer | None  # None: an external server (REWARDS_TEST_MONGODB_URL) we cannot stop
    description: str


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    external = os.environ.get("REWARDS_TEST_MONGODB_URL")
    if external:
        yield FaultServer(external, None, "REWARDS_TEST_MONGODB_URL")
        return
    server = RealServer()
    try:
        url = server.start()
    except (RealServerUnavailable, RealServerError) as exc:
        if _IN_CI:
            pytest.fail(f"CI=true and no real server could be started: {exc}")
        pytest.skip(f"no real MongoDB-wire server for the fault suite: {exc}")
    try:
        yield FaultServer(url, server, server.describe())
    finally:
        server.stop()


def _with_quick_selection(url: str) -> str:
    """A down server is noticed in 1.5 s instead of PyMongo's default 30 s."""
    return url + ("&" if "?" in url else "?") + "serverSelectionTimeoutMS=1500"


@dataclass
class Deployment:
    """One fresh database and the service instances started on it."""

    settings: Settings
    folder: Path
    db: Any
    instances: list[ServiceInstance] = field(default_factory=list)

    def start_instance(self, **extra_env: str) -> ServiceInstance:
        log = self.folder / f"instance-{len(self.instances)}.log"
        instance = ServiceInstance(self.settings, log, {**FAULT_ENV, **extra_env})
        self.instances.append(instance)
        return instance.wait_healthy()

    def logs(self) -> str:
        return "\n".join(f"--- {i.log.name} ---\n{i.log_text()[-2500:]}" for i in self.instances)


@pytest.fixture
async def deployment(fault_server: FaultServer) -> AsyncIterator[Deployment]:
    settings = settings_for("real", _with_quick_selection(fault_server.url), batch_size=500)
    folder = Path(tempfile.mkdtemp(prefix="rewards-faults-"))
    client: Any = AsyncIOMotorClient(settings.mongodb_url, tz_aware=True)
    deployment = Deployment(settings, folder, client[settings.mongodb_db])
    try:
        yield deployment
    finally:
        for instance in deployment.instances:
            instance.stop()
        client.close()
        shutil.rmtree(folder, ignore_errors=True)
        await drop_database(settings)
