"""A real `rewards serve`-like server in a background thread (uvicorn on a free loopback port,
the real app on a container with the embedded database), with a wallet the test can slow down or
make fail for a month: so a page can be shown finished, failed and running jobs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import httpx
import uvicorn
from dependency_injector import providers
from tests.backends import ADMIN_KEY, SCHEDULER_KEY, container_for, settings_for
from tests.support.instances import free_port

from application.ports.wallet import CreditResult, Wallet
from domain.period import Period
from domain.reward import Reward
from domain.schedule import RunDeadline
from infrastructure.container import Container
from interfaces.http.app import create_app

T = TypeVar("T")
SCHEDULER = {"x-api-key": SCHEDULER_KEY}
ADMIN = {"x-api-key": ADMIN_KEY}


class ScriptedWallet(Wallet):
    """The real wallet, slowed down per batch for some months, or failing once for others."""

    def __init__(self, inner: Wallet) -> None:
        self._inner = inner
        self.delay: dict[Period, float] = {}
        self.fail_once: set[Period] = set()

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        if rewards:
            period = rewards[0].period
            if period in self.fail_once:
                self.fail_once.discard(period)
                raise RuntimeError("the wallet service refused the batch (injected by the test)")
            await asyncio.sleep(self.delay.get(period, 0.0))
        return await self._inner.credit(rewards)


class AdminServer:
    def __init__(self, batch_size: int = 5) -> None:
        settings = settings_for(
            "mongomock",
            None,
            batch_size=batch_size,
            # Due the moment the month ends: "overdue" whenever the month just ended has no job.
            run_deadline=RunDeadline(day=1, hour=0),
        )
        self.container: Container = container_for(settings)
        self.wallet = ScriptedWallet(self.container.wallet())
        self.container.wallet.override(providers.Object(self.wallet))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(self.container), host="127.0.0.1", port=self.port, log_config=None
        )
        self._server = uvicorn.Server(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="admin-server", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._server.serve())

    def start(self) -> AdminServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the admin server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Runs a coroutine on the server's own loop (its database client lives there)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def trigger(self, period: Period) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/api/ranking/monthly-rewards",
            headers=SCHEDULER,
            params={"month": period.month, "year": period.year},
            timeout=30,  # the server shares a loaded machine with the browser
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def status(self, period: Period) -> dict[str, Any]:
        response = httpx.get(
            f"{self.base}/api/ranking/monthly-rewards/status",
            headers=SCHEDULER,
            params={"month": period.month, "year": period.year},
            timeout=30,  # the server shares a loaded machine with the browser
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data

    def wait_until(self, period: Period, status: str, limit_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + limit_s
        while True:
            data = self.status(period)
            if data["status"] == status:
                return data
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{period} is {data['status']}, not {status}, after {limit_s}s"
                )
            time.sleep(0.05)
