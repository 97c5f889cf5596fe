"""Which job the running code works for, so that every log line of a job's run names its job id
and attempt without each call passing them. A task copies the context it was created in, so a
job's background task keeps the value set around its spawn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JobContext:
    job_id: str
    attempt: int


_current: ContextVar[JobContext | None] = ContextVar("rewards_job", default=None)


@contextmanager
def job_context(job_id: str, attempt: int) -> Iterator[None]:
    token = _current.set(JobContext(job_id, attempt))
    try:
        yield
    finally:
        _current.reset(token)


def current_job() -> JobContext | None:
    return _current.get()
