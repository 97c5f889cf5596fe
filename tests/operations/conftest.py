"""The operator surfaces' tests: use cases on the unit tests' world of fakes (plus fakes of the
new ports), the HTTP surfaces on the real app over a fresh mongomock database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from tests.backends import ADMIN_KEY, SCHEDULER_KEY, container_for, settings_for
from tests.fakes import (
    FakeDatabaseProbe,
    InMemoryRewardQueries,
    InMemoryWalletAudit,
    make_users,
)
from tests.unit.conftest import World, build_world

from infrastructure.container import Container
from interfaces.http.app import create_app

SCHEDULER = {"x-api-key": SCHEDULER_KEY}
ADMIN = {"x-api-key": ADMIN_KEY}


def with_operator_fakes(world: World) -> World:
    """The unit world, its new ports overridden by fakes over the same storage."""
    overrides = {
        world.container.reward_queries: InMemoryRewardQueries(world.rewards),
        world.container.wallet_audit: InMemoryWalletAudit(world.users),
        world.container.database_probe: FakeDatabaseProbe(),
    }
    for provider, fake in overrides.items():
        provider.override(providers.Object(fake))
    return world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = with_operator_fakes(build_world(make_users(23, 6, inactive=3, admins=2)))
    yield w
    await w.runner.shutdown(0)


@pytest.fixture
def container() -> Container:
    return container_for(settings_for("mongomock", None))


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(container)) as test_client:
        yield test_client
