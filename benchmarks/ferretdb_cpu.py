"""FerretDB's own CPU, from Go's profiler: `pg_stat_statements` shows PostgreSQL's share of a
month's server time, and this shows the rest, which is FerretDB's.

The test FerretDB serves `/debug/pprof` when started with a debug address
(tools/ferretdb/main.go). A Go CPU profile covers a span asked for up front, so `FerretdbCpu`
fetches segments back to back while the work runs, and `ferretdb_cpu_report` reads them all with
`go tool pprof -top`.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any

from tools.testservers.errors import ServerUnavailable
from tools.testservers.ferretdb_build import go_toolchain

SEGMENT_S = 5
_TOP = 15
_FILES = "ferretdb-cpu-*.pprof"

# What FerretDB's CPU went to, by the functions under which it all runs (one share can hold
# another: the stored documents are decoded inside the commands). Names are FerretDB v1.24's.
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "update commands": ("handler.(*Handler).MsgUpdate",),
    "insert commands": ("handler.(*Handler).MsgInsert",),
    "find commands": ("handler.(*Handler).MsgFind",),
    "getMore commands (a read's cursor)": ("handler.(*Handler).MsgGetMore",),
    "decoding stored documents (sjson)": ("handler/sjson.Unmarshal",),
    "Go's garbage collector (background marking and assists)": (
        "runtime.gcBgMarkWorker",
        "runtime.gcAssistAlloc",
    ),
    "FerretDB's resource tracking (a stack capture per iterator)": ("util/resource.Track",),
}


class FerretdbCpu:
    """Profiles of FerretDB taken `segment_s` at a time, back to back, from entering to leaving
    the `with` block (the last segment may run up to `segment_s` past it). Earlier segments in
    `out` are removed first, so the folder holds this run's only."""

    def __init__(self, debug_addr: str, out: Path, segment_s: int = SEGMENT_S) -> None:
        self._url = f"http://{debug_addr}/debug/pprof/profile?seconds={segment_s}"
        self._segment_s = segment_s
        self._out = out
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="ferretdb-pprof", daemon=True)
        self.files: list[Path] = []
        self.error: str | None = None

    def __enter__(self) -> FerretdbCpu:
        for stale in self._out.glob(_FILES):
            stale.unlink()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds_covered(self) -> int:
        return len(self.files) * self._segment_s

    def _sample(self) -> None:
        while not self._stop.is_set():
            target = self._out / f"ferretdb-cpu-{len(self.files):03d}.pprof"
            try:
                with urllib.request.urlopen(self._url, timeout=self._segment_s + 30) as answer:
                    target.write_bytes(answer.read())
            except (OSError, http.client.HTTPException) as exc:
                self.error = f"FerretDB's debug handler did not answer: {exc!r}"
                return
            self.files.append(target)


def ferretdb_cpu_report(sampler: FerretdbCpu) -> dict[str, Any]:
    """The functions FerretDB spent its CPU in, as shares of all its samples: `own` (flat),
    `cumulative` (with what they called) and `by_activity` (None: the function was not seen)."""
    report: dict[str, Any] = {
        "segments": len(sampler.files),
        "seconds_covered": sampler.seconds_covered,
        "profiles": [str(p) for p in sampler.files],
    }
    if sampler.error:
        report["error"] = sampler.error
    if not sampler.files:
        return report
    try:
        go = go_toolchain()
    except ServerUnavailable as exc:
        report["error"] = f"`go tool pprof` reads the profiles: {exc}"
        return report
    # One listing of every node (pprof drops those under 0.5 % by default: a small share is not
    # 0), sorted here both ways. Go CPU profiles carry their symbols: no binary is needed.
    argv = [go, "tool", "pprof", "-top", "-nodefraction=0", "-nodecount=1000000"]
    done = subprocess.run(argv + [str(p) for p in sampler.files], capture_output=True, text=True)
    if done.returncode != 0:
        report["error"] = f"go tool pprof failed: {done.stderr.strip()[-300:]}"
        return report
    rows = pprof_rows(done.stdout)
    shares = {row["function"]: row["cumulative_share"] for row in rows}
    report["by_activity"] = {
        what: _sum_found([shares.get(fn) for fn in functions])
        for what, functions in ACTIVITIES.items()
    }
    report["own"] = sorted(rows, key=lambda row: -row["own_share"])[:_TOP]
    report["cumulative"] = sorted(rows, key=lambda row: -row["cumulative_share"])[: _TOP * 2]
    return report


def pprof_rows(text: str) -> list[dict[str, Any]]:
    """Rows of `pprof -top` (flat flat% sum% cum cum% function) as shares of all samples, the
    function named without FerretDB's module prefix or pprof's inlining note."""
    rows = []
    for line in text.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) != 6 or not parts[1].endswith("%") or not parts[4].endswith("%"):
            continue
        function = parts[5].replace("github.com/FerretDB/FerretDB/internal/", "")
        for note in (" (inline)", " (partial-inline)"):
            function = function.removesuffix(note)
        rows.append(
            {
                "function": function,
                "own_share": round(float(parts[1][:-1]) / 100, 4),
                "cumulative_share": round(float(parts[4][:-1]) / 100, 4),
            }
        )
    return rows


def _sum_found(shares: list[float | None]) -> float | None:
    found = [share for share in shares if share is not None]
    return round(sum(found), 4) if found else None
