"""The operator surfaces as one Litestar plugin: the status page, the reads, the dry run,
/metrics and /ready, request metrics, and self-scheduling for `serve`. app.py adds it in one
line, so the trigger's app stays as it is."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from infrastructure import metrics
from infrastructure.container import Container
from interfaces.http.admin_views import FILTERS
from interfaces.http.controllers.admin import admin_routes
from interfaces.http.controllers.metrics import metrics as metrics_handler
from interfaces.http.controllers.metrics import ready
from interfaces.http.controllers.preview import PreviewController
from interfaces.http.controllers.read_api import ReadApiController
from interfaces.http.metrics_middleware import MetricsMiddleware
from interfaces.http.ops_dependencies import ops_dependencies

log = logging.getLogger("rewards.schedule")
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _with_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(FILTERS)


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_with_filters
    )


class OpsPlugin(InitPluginProtocol):
    def __init__(self, container: Container) -> None:
        self._container = container
        self._tasks: list[asyncio.Task[None]] = []

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        metrics.install()
        app_config.route_handlers.extend(
            [*admin_routes(), ReadApiController, PreviewController, metrics_handler, ready]
        )
        app_config.dependencies.update(ops_dependencies(self._container))
        # Outermost: times all of it, and tells the month of every request.
        app_config.middleware.insert(0, MetricsMiddleware(self._container.foreground()))
        app_config.template_config = templates()
        # Logging is set up once per process by infrastructure/logging_setup.py (structlog, one
        # line per event); Litestar's default config would replace the root handlers with its
        # own format at start-up.
        app_config.logging_config = None
        app_config.on_startup.append(self._start_scheduling)  # after the container started
        app_config.on_shutdown.insert(0, self._stop_scheduling)  # before it stops
        return app_config

    async def _start_scheduling(self) -> None:
        settings = self._container.settings()
        if not settings.self_schedule:
            return
        log.info(
            "[MonthlyRewards] self-scheduling on: the month that has just ended starts by "
            "itself if it has no job by day %d, %02d:00 (%s)",
            settings.run_deadline.day,
            settings.run_deadline.hour,
            settings.time_zone.key,
        )
        check = self._container.start_overdue_month()
        self._tasks.append(asyncio.create_task(check.run_every(settings.sweep_interval)))

    async def _stop_scheduling(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
