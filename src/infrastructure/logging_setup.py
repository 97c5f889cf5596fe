"""Logging for every entry point: structlog renders each record, ours and the libraries' stdlib
`logging` calls alike, as one line with the job id and attempt when a job is running. Human
readable by default; JSON lines with REWARDS_LOG_FORMAT=json."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from application.log_context import current_job


def _job_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    job = current_job()
    if job is not None:
        event.setdefault("job_id", job.job_id)
        event.setdefault("attempt", job.attempt)
    return event


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the moment, so that a live display that redirects
    it (the CLI's progress bars) prints log lines above itself instead of through itself."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _renderer(log_format: str, stream: TextIO | _CurrentStderr) -> list[Processor]:
    if log_format == "json":
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    colors = isinstance(stream, _CurrentStderr) and sys.stderr.isatty()
    return [structlog.dev.ConsoleRenderer(colors=colors)]


def configure_logging(
    log_format: str = "console", level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Replaces the root logger's handlers with one structlog-formatted handler."""
    target: TextIO | _CurrentStderr = stream if stream is not None else _CurrentStderr()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        # A job's own log (application/job_log.py) passes its id and attempt as record extras;
        # lines from elsewhere in a job's task get them from the job context.
        structlog.stdlib.ExtraAdder(allow=("job_id", "attempt", "period")),
        _job_fields,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_renderer(log_format, target),
        ],
    )
    handler = logging.StreamHandler(target)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
