"""The app factory: the one place the HTTP app is assembled from a container."""

from __future__ import annotations

from collections.abc import Awaitable

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from infrastructure.container import Container
from interfaces.http.controllers.health import health
from interfaces.http.controllers.monthly_rewards import MonthlyRewardsController
from interfaces.http.dependencies import dependencies
from interfaces.http.errors import exception_handlers


async def _awaited(result: Awaitable[None] | None) -> None:
    """The container's resource calls return an awaitable only when a resource is async."""
    if result is not None:
        await result


def create_app(container: Container) -> Litestar:
    settings = container.settings()

    async def start_up() -> None:
        await _awaited(container.init_resources())

    async def shut_down() -> None:
        await container.runner().shutdown(settings.shutdown_grace_seconds)
        await _awaited(container.shutdown_resources())

    return Litestar(
        route_handlers=[MonthlyRewardsController, health],
        dependencies=dependencies(container),
        exception_handlers=exception_handlers(settings.debug),  # type: ignore[arg-type]
        on_startup=[start_up],
        on_shutdown=[shut_down],
        state=State({"settings": settings, "db": container.db(), "runner": container.runner()}),
        openapi_config=OpenAPIConfig(title="Monthly Rewards Service", version="0.1.0"),
        debug=False,
    )
