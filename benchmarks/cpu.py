"""CPU seconds spent by the server under test (FerretDB, and PostgreSQL behind it) and by this
process: on a machine shared with other work, wall times swing with its load, but the CPU a
case costs the server does not, so ratios of CPU seconds stay comparable (Linux /proc)."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

CpuReader = Callable[[], dict[str, float]]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_reader(server: Any) -> CpuReader | None:
    """A reader of the CPU seconds so far of a FerretDB test server started by tools.testservers
    (and of its private PostgreSQL: the postmaster and its backends), or None for another
    server. Reads private attributes of that helper: a benchmark's view, not an API."""
    proc = getattr(server, "_proc", None)
    if proc is None:
        return None
    cluster = getattr(server, "_cluster", None)

    def read() -> dict[str, float]:
        found = {"ferretdb": process_cpu_seconds(proc.pid)}
        if cluster is not None:
            postmaster = int((cluster._data / "postmaster.pid").read_text().split()[0])
            postgres = process_cpu_seconds(postmaster)
            for child in _children(postmaster):
                try:
                    postgres += process_cpu_seconds(child)
                except OSError:  # a backend that ended in between
                    continue
            found["postgresql"] = postgres
        return found

    return read


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in after}
