"""The server under test: REWARDS_MONGODB_URL when set, else a throw-away test server (FerretDB on
PostgreSQL when its binaries are installed) started and removed by tools.testservers."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient

from benchmarks.cpu import CpuReader, server_cpu_reader
from infrastructure.mongo.server_profile import ServerProfile, detect

# FerretDB's SQLite backend has a fixed pool of 100 connections (see bulk.py).
SQLITE_POOL = 100


@dataclass(frozen=True)
class BenchServer:
    url: str
    description: str
    profile: ServerProfile
    # The FerretDB pool when this benchmark started the server (it knows it); None otherwise,
    # when REWARDS_FERRETDB_POOL (or its stock default) applies.
    ferretdb_pool: int | None
    # Reads the server's CPU seconds so far, when it runs here (a FerretDB started by us).
    cpu: CpuReader | None = None


def build_info(url: str) -> Mapping[str, Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=10_000)
    try:
        info: Mapping[str, Any] = client.admin.command("buildInfo")
    finally:
        client.close()
    return info


def describe_url(info: Mapping[str, Any]) -> str:
    """Names the server from its buildInfo; never repeats the URL, which may hold credentials."""
    if "ferretdbVersion" in info:
        return f"FerretDB {info['ferretdbVersion']} (reports MongoDB {info['version']}), configured URL"
    return f"MongoDB {info['version']}, configured URL"


@contextmanager
def database_server() -> Iterator[BenchServer]:
    """A server started here is stopped and deleted on exit."""
    url = os.environ.get("REWARDS_MONGODB_URL")
    if url:
        info = build_info(url)
        yield BenchServer(url, describe_url(info), detect(info), None)
        return
    from tools.testservers import choose  # only when we start the server ourselves
    from tools.testservers.ferretdb import FerretDB
    from tools.testservers.postgresql import POOL_MAX_CONNS

    with choose().server() as server:
        pool = None
        if isinstance(server, FerretDB):
            pool = POOL_MAX_CONNS if server.backend == "postgresql" else SQLITE_POOL
        info = build_info(server.url)
        cpu = server_cpu_reader(server)
        yield BenchServer(server.url, server.describe(), detect(info), pool, cpu)
