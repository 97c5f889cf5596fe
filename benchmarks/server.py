"""The server under test: REWARDS_MONGODB_URL when set, else a throw-away test server (FerretDB on
PostgreSQL when its binaries are installed) started and removed by tools.testservers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import MongoClient


def describe_url(url: str) -> str:
    """Names the server from its buildInfo; never repeats the URL, which may hold credentials."""
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=10_000)
    try:
        info = client.admin.command("buildInfo")
    finally:
        client.close()
    if "ferretdbVersion" in info:
        return f"FerretDB {info['ferretdbVersion']} (reports MongoDB {info['version']}), configured URL"
    return f"MongoDB {info['version']}, configured URL"


@contextmanager
def database_server() -> Iterator[tuple[str, str]]:
    """Yields (url, description); a server started here is stopped and deleted on exit."""
    url = os.environ.get("REWARDS_MONGODB_URL")
    if url:
        yield url, describe_url(url)
        return
    from tools.testservers import choose  # only when we start the server ourselves

    with choose().server() as server:
        yield server.url, server.describe()
