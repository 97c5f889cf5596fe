"""A deadline for one request's database work, and what counts as the database being away.

PyMongo waits up to 30 s to select a server; a request that waits that long during an outage
holds a connection and tells the caller nothing. Within `request_deadline` every operation (server
selection included) shares one budget, PyMongo's client-side operation timeout, so a request gives
up after a few seconds. The background worker runs outside it and keeps its own retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymongo
from pymongo.errors import PyMongoError

from infrastructure.mongo.errors import is_transient


class DatabaseUnavailable(Exception):
    """The database did not answer within a request's deadline: down, unreachable or overloaded."""


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bounds every database operation awaited inside (a context variable: it follows awaits in
    this task, and tasks created here unless they are given a fresh context)."""
    with pymongo.timeout(seconds):
        yield


def as_unavailable(exc: BaseException, seconds: float) -> DatabaseUnavailable | None:
    """The outage this driver error means, or None when it means something else (a bug, a
    refused write). The driver's own message stays in the log, never in an answer."""
    if isinstance(exc, PyMongoError) and (exc.timeout or is_transient(exc)):
        return DatabaseUnavailable(
            f"The database is unavailable: it did not answer within {seconds:g} s. "
            "Try again in a minute; the month's work is not lost"
        )
    return None
