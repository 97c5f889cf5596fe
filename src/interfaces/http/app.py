"""The app factory: the one place the HTTP app is assembled from a container."""

from __future__ import annotations

import asyncio
import contextlib

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from infrastructure.container import Container, start_container, stop_container
from interfaces.http.controllers.health import health
from interfaces.http.controllers.monthly_rewards import MonthlyRewardsController
from interfaces.http.controllers.steps import process_step
from interfaces.http.dependencies import dependencies
from interfaces.http.errors import exception_handlers
from interfaces.http.ops_plugin import OpsPlugin


def create_app(container: Container) -> Litestar:
    settings = container.settings()
    sweeps: list[asyncio.Task[None]] = []

    async def start_up() -> None:
        await start_container(container)
        if settings.runs_in_steps:
            return  # no work after an answer: the step endpoint resumes what a step left
        # Resume jobs whose worker died, now and periodically (the first sweep runs at once).
        sweep = container.resume_abandoned_jobs()
        sweeps.append(asyncio.create_task(sweep.run_every(settings.sweep_interval)))

    async def shut_down() -> None:
        for task in sweeps:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await stop_container(container)

    return Litestar(
        route_handlers=[MonthlyRewardsController, process_step, health],
        dependencies=dependencies(container),
        exception_handlers=exception_handlers(settings.debug),  # type: ignore[arg-type]
        on_startup=[start_up],
        on_shutdown=[shut_down],
        state=State({"settings": settings, "db": container.db(), "runner": container.runner()}),
        openapi_config=OpenAPIConfig(title="Monthly Rewards Service", version="0.1.0"),
        plugins=[OpsPlugin(container)],  # the status page, reads, dry run, metrics, /ready
        debug=False,
    )
