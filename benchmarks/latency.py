"""Trigger latency: `rewards serve` (uvicorn) as a subprocess on a database whose month is done,
hammered by concurrent clients. The POST takes the duplicate fast path (the month exists), so
what is measured is the answer the scheduler waits for, never the background work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from motor.motor_asyncio import AsyncIOMotorDatabase

from benchmarks.ours import JOBS, REPO_ROOT, worker_env
from domain.period import Period
from interfaces.http.auth import HEADER

API_KEY = "benchmark-key-0123456789"  # serve refuses keys under 16 characters
BASE_PATH = "/api/ranking/monthly-rewards"
START_TIMEOUT_S = 60.0
SINGLE_CLIENT_SECONDS = 2.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    base_url: str

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(url: str, db_name: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`rewards serve` on a free port with the benchmark's key (and `env`); stopped (SIGTERM) on
    exit."""
    port = _free_port()
    argv = [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            # The POST rate limit (120 per client per minute) is off: this load is the point.
            env={
                **worker_env(url, db_name),
                "REWARDS_API_KEYS": API_KEY,
                "REWARDS_RATE_LIMIT_POSTS": "0",
                **(env or {}),
            },
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield Server(proc, log, f"http://127.0.0.1:{port}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                break
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"`rewards serve` did not become healthy:\n{server.log_tail()}")


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (no psutil)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU time all cores spent busy (not idle or waiting for I/O), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class _Connection:
    """A minimal HTTP/1.1 keep-alive client: one request at a time on one connection.

    httpx costs the load generator about half a millisecond of CPU per request, which saturated
    its one core at ~1,700 requests/s while the server idled at 0.4 of a core: the figures were
    the generator's queue, not the server's. This costs a few tens of microseconds.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, raw: bytes) -> int:
        """Sends one request; reads the whole answer; returns its status code."""
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self._reader.readexactly(length)
        return int(head[9:12])

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


def _raw_request(host: str, port: int, request: dict[str, Any]) -> bytes:
    target = request["url"]
    if "params" in request:
        target += "?" + urllib.parse.urlencode(request["params"])
    lines = [
        f"{request['method']} {target} HTTP/1.1",
        f"host: {host}:{port}",
        f"{HEADER}: {API_KEY}",
    ]
    body = b""
    if "json" in request:
        body = json.dumps(request["json"]).encode()
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _hammer(
    server: Server, request: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` clients, one connection each, each sending its next request as soon as the
    previous one is answered, for `seconds`; the first request of each is a warm-up. The CPU
    shares (1.0 = one core) say whether the server, this load generator or the machine (database
    included) was the bottleneck."""
    tally = _Tally()
    address = urllib.parse.urlsplit(server.base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    raw = _raw_request(host, port, request)

    async def one(connection: _Connection, deadline: float | None) -> bool:
        start = time.perf_counter()
        try:
            status = str(await connection.exchange(raw))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        if deadline is not None:
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[status] += 1
        return deadline is None or time.perf_counter() < deadline

    async def client_loop(connection: _Connection, deadline: float) -> None:
        while await one(connection, deadline):
            pass

    pool = [await _Connection.open(host, port) for _ in range(clients)]
    try:
        await asyncio.gather(*(one(c, None) for c in pool))
        server_cpu, own_cpu = _cpu_seconds(server.proc.pid), _own_cpu_seconds()
        busy = _machine_busy_seconds()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(client_loop(c, deadline) for c in pool))
        elapsed = time.perf_counter() - start
        server_cpu = _cpu_seconds(server.proc.pid) - server_cpu
        own_cpu = _own_cpu_seconds() - own_cpu
        busy = _machine_busy_seconds() - busy
    finally:
        await asyncio.gather(*(c.close() for c in pool))
    ordered = sorted(tally.latencies)
    return {
        "requests": len(ordered),
        "requests_per_second": len(ordered) / elapsed,
        "p50_ms": _percentile(ordered, 0.50) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
        "statuses": dict(tally.statuses),
        "non_2xx": sum(n for s, n in tally.statuses.items() if not s.startswith("2")),
        "server_cpu_share": server_cpu / elapsed,
        "load_generator_cpu_share": own_cpu / elapsed,
        "machine_busy_cores": busy / elapsed,
    }


async def measure_latency(
    url: str, db_name: str, period: Period, clients: int, seconds: float
) -> dict[str, Any]:
    # Starting and stopping block the loop briefly; nothing else runs on it at those moments.
    with serving(url, db_name) as server:
        await wait_healthy(server)
        body = {"month": period.month, "year": period.year}
        trigger = {"method": "POST", "url": BASE_PATH, "json": body}
        status = {"method": "GET", "url": f"{BASE_PATH}/status", "params": body}
        alone = min(seconds, SINGLE_CLIENT_SECONDS)
        return {
            "server": "`rewards serve`: uvicorn, one process",
            "clients": clients,
            "seconds": seconds,
            "trigger_post": await _hammer(server, trigger, clients, seconds),
            "status_get": await _hammer(server, status, clients, seconds),
            # Service time without queueing, for reading the figures above.
            "one_client": {
                "seconds": alone,
                "trigger_post": await _hammer(server, trigger, 1, alone),
                "status_get": await _hammer(server, status, 1, alone),
            },
        }


RUNNING_TIMEOUT_S = 600.0


async def _crediting(db: AsyncIOMotorDatabase[dict[str, Any]], period: Period) -> dict[str, Any]:
    """The job of the month as stored: status, phase and users paid so far."""
    job = await db[JOBS].find_one({"year": period.year, "month": period.month}) or {}
    progress = job.get("progress") or {}
    paid = sum(c.get("processed", 0) for c in (progress.get("categories") or {}).values())
    return {"status": job.get("status"), "phase": progress.get("phase"), "users_paid": paid}


async def measure_latency_while_running(
    db: AsyncIOMotorDatabase[dict[str, Any]],
    url: str,
    period: Period,
    clients: int,
    seconds: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The same load while `rewards serve` itself pays the month (the scheduler's trigger starts
    it in that process): one POST starts it, the clients start once it is crediting, and the
    job's progress before and after each window shows it kept running throughout, and how fast
    (checkpointed batches: a batch's users count once it is all paid). `env`: the server's."""
    with serving(url, db.name, env) as server:
        await wait_healthy(server)
        body = {"month": period.month, "year": period.year}
        trigger = {"method": "POST", "url": BASE_PATH, "json": body}
        status = {"method": "GET", "url": f"{BASE_PATH}/status", "params": body}
        requests = (("trigger_post", trigger), ("status_get", status))
        address = urllib.parse.urlsplit(server.base_url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        starter = await _Connection.open(host, port)
        try:
            started = await starter.exchange(_raw_request(host, port, trigger))
        finally:
            await starter.close()
        deadline = time.monotonic() + RUNNING_TIMEOUT_S
        state = await _crediting(db, period)
        while state["phase"] != "crediting" or state["users_paid"] == 0:
            if time.monotonic() > deadline or state["status"] not in (None, "processing"):
                raise RuntimeError(f"the month never got to crediting: {state}")
            await asyncio.sleep(0.5)
            state = await _crediting(db, period)
        windows: dict[str, Any] = {"start_answer": started}
        alone = min(seconds, SINGLE_CLIENT_SECONDS)
        # The 100 clients, then one alone: the scheduler's own call, without the queueing.
        cases = [(name, request, clients, seconds) for name, request in requests]
        cases += [(f"one_client_{name}", request, 1, alone) for name, request in requests]
        first, began = await _crediting(db, period), time.perf_counter()
        for name, request, n, how_long in cases:
            before = await _crediting(db, period)
            measured = await _hammer(server, request, n, how_long)
            after = await _crediting(db, period)
            measured["month_running_throughout"] = after["status"] == "processing"
            measured["users_paid_during"] = after["users_paid"] - before["users_paid"]
            measured["users_paid_per_second"] = measured["users_paid_during"] / how_long
            windows[name] = measured
        # Over every window: the month must have moved on (a window may fall between two
        # checkpoints when the month yields to the clients).
        last = await _crediting(db, period)
        windows["users_paid_while_measured"] = last["users_paid"] - first["users_paid"]
        windows["seconds_measured"] = time.perf_counter() - began
        return {
            "server": "`rewards serve`: uvicorn, one process, paying the month in the same process",
            "server_env": env or {},
            "clients": clients,
            "seconds": seconds,
            **windows,
        }
