"""The per-client rate limits trip, answer 429 with the envelope and Retry-After, change nothing,
and recover when the window has passed (the limiter's clock is moved, not waited for)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from litestar.middleware import rate_limit
from litestar.testing import AsyncTestClient
from tests.backends import SCHEDULER_KEY, container_for, settings_for
from tests.http.conftest import SCHEDULER
from tests.http.hostile import assert_refused, database_fingerprint

from infrastructure.container import Container
from interfaces.http.app import create_app

BASE = "/api/ranking/monthly-rewards"
LIMIT = 3
WRONG = {"x-api-key": "a-wrong-key-of-some-length"}


@pytest.fixture
def limited() -> Container:
    return container_for(
        settings_for("mongomock", None, rate_limit_posts=LIMIT, rate_limit_auth_failures=LIMIT)
    )


@pytest.fixture
async def client(limited: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(limited)) as test_client:
        yield test_client


def a_minute_later(monkeypatch: pytest.MonkeyPatch) -> None:
    later = time.time() + 61
    monkeypatch.setattr(rate_limit, "time", lambda: later)


async def test_posts_per_client_trip_and_recover(
    client: AsyncTestClient,  # type: ignore[type-arg]
    limited: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(LIMIT):
        answer = await client.post(BASE, headers=SCHEDULER, params={"month": 10, "year": 2024})
        assert answer.status_code == 200
    await limited.runner().wait_idle()
    before = await database_fingerprint(limited.db())
    tripped = await client.post(BASE, headers=SCHEDULER, params={"month": 9, "year": 2024})
    assert tripped.status_code == 429
    assert_refused(tripped.json(), "too many requests")
    assert int(tripped.headers["retry-after"]) > 0
    assert await database_fingerprint(limited.db()) == before  # 9/2024 was not started
    # Reads are not POSTs: still answered.
    assert (await client.get(f"{BASE}/jobs", headers=SCHEDULER)).status_code == 200
    a_minute_later(monkeypatch)
    recovered = await client.post(BASE, headers=SCHEDULER, params={"month": 9, "year": 2024})
    assert recovered.status_code == 200
    assert "started" in recovered.json()["message"]


async def test_failed_keys_per_client_trip_and_recover_without_locking_out_the_right_key(
    client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(LIMIT):
        assert (await client.get(f"{BASE}/jobs", headers=WRONG)).status_code == 401
    tripped = await client.get(f"{BASE}/jobs", headers=WRONG)
    assert tripped.status_code == 429
    assert_refused(tripped.json(), "without a valid key")
    missing = await client.get(f"{BASE}/status")  # no key at all counts the same
    assert missing.status_code == 429
    # Only failures are counted: the scheduler's own key still works meanwhile.
    assert (await client.get(f"{BASE}/jobs", headers=SCHEDULER)).status_code == 200
    a_minute_later(monkeypatch)
    assert (await client.get(f"{BASE}/jobs", headers=WRONG)).status_code == 401


async def test_every_request_is_told_to_the_month_and_a_flood_makes_it_yield() -> None:
    """Foreground first (application/foreground.py): the app counts each request a route takes,
    whatever its answer; a flood above REWARDS_YIELD_ABOVE_RPS turns yielding on."""
    settings = settings_for("mongomock", None, api_keys=(SCHEDULER_KEY,), yield_above_rps=20)
    container = container_for(settings)
    foreground = container.foreground()
    async with AsyncTestClient(app=create_app(container)) as client:
        await client.get("/health")
        assert not foreground.yielding()  # one request is no flood
        # Blocks of 2 requests: any two ends of a block within 0.1 s make a flood.
        for _ in range(40):
            await client.get("/api/ranking/monthly-rewards/status", headers=SCHEDULER)
        assert foreground.yielding()
