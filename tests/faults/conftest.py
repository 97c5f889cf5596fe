"""The fault suite's world: its own real server (so a case may take it down), fresh databases,
and service instances with short leases so takeovers happen in seconds, not minutes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from tests.backends import drop_database, settings_for
from tests.support.instances import ServiceInstance
from tests.support.sizing import lease_seconds
from tools.testservers import TestServer

from infrastructure.settings import Settings

LEASE_S = lease_seconds(2.0, slow=5.0)
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
    server: TestServer | None  # None: an external server (REWARDS_TEST_MONGODB_URL) we cannot stop
    description: str

    def restartable(self) -> TestServer:
        """The server, for a case that takes it down and back up with its data; skips the case
        with the reason when this server cannot do that."""
        if self.server is None:
            pytest.skip("the server is REWARDS_TEST_MONGODB_URL's: this suite cannot stop it")
        if (refusal := self.server.restart_refusal()) is not None:
            pytest.skip(f"{self.description}: {refusal}")
        return self.server


@pytest.fixture(scope="session")
def fault_server(start_test_server: Callable[[str], TestServer]) -> FaultServer:
    """Its own server, not the session's shared one: a case may take it down."""
    external = os.environ.get("REWARDS_TEST_MONGODB_URL")
    if external:
        return FaultServer(external, None, "REWARDS_TEST_MONGODB_URL")
    server = start_test_server("the fault suite")
    return FaultServer(server.url, server, server.describe())


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
        return self.launch_instance(**extra_env).wait_healthy()

    def launch_instance(self, **extra_env: str) -> ServiceInstance:
        """Starts an instance without waiting for it to answer."""
        log = self.folder / f"instance-{len(self.instances)}.log"
        instance = ServiceInstance(self.settings, log, {**FAULT_ENV, **extra_env})
        self.instances.append(instance)
        return instance

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
