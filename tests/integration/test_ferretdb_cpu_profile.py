"""FerretDB's CPU profile, as `python -m benchmarks.profile` takes it: the test FerretDB started
with a debug address serves Go's pprof, and the profile is read back as shares of its CPU."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from benchmarks.ferretdb_cpu import FerretdbCpu, ferretdb_cpu_report, pprof_rows
from motor.motor_asyncio import AsyncIOMotorClient
from tools.testservers import choose
from tools.testservers.processes import free_port
from tools.testservers.server import TestServer

_EXTERNAL_URL_ENV = "REWARDS_TEST_MONGODB_URL"  # a server of the user's: not ours to profile
_LOAD_DEADLINE_S = 60


async def test_ferretdb_cpu_is_profiled_while_it_works(
    tmp_path: Path, start_test_server: Callable[..., TestServer]
) -> None:
    if os.environ.get(_EXTERNAL_URL_ENV) or choose().kind != "ferretdb":
        pytest.skip("profiles the FerretDB this suite builds; another server was chosen")
    debug_addr = f"127.0.0.1:{free_port()}"
    server = start_test_server("the FerretDB profile", debug_addr=debug_addr)
    client: AsyncIOMotorClient[dict[str, object]] = AsyncIOMotorClient(server.url)
    try:
        users = client["profiled"]["users"]
        deadline = time.monotonic() + _LOAD_DEADLINE_S
        batch = 0
        with FerretdbCpu(debug_addr, tmp_path, segment_s=1) as sampler:
            while len(sampler.files) < 2 and sampler.error is None:
                assert time.monotonic() < deadline, "no profile segment came back"
                batch += 1
                await users.insert_many([{"batch": batch, "n": n} for n in range(200)])
                await users.update_many({"batch": batch}, {"$inc": {"n": 1}})
                await users.delete_many({"batch": batch})
        report = ferretdb_cpu_report(sampler)
    finally:
        client.close()
        server.stop()  # now: its cluster need not wait for the session's end

    assert "error" not in report, report
    assert report["segments"] >= 2 and report["seconds_covered"] == report["segments"]
    activity = report["by_activity"]
    # Names that were wrong (or gone after a FerretDB upgrade) would read None here.
    assert activity["update commands"] > 0.05
    assert activity["insert commands"] > 0.0
    assert activity["decoding stored documents (sjson)"] > 0.0
    assert activity["FerretDB's resource tracking (a stack capture per iterator)"] > 0.0
    assert report["own"] and report["cumulative"]


def test_pprof_top_rows_are_read_as_shares() -> None:
    text = """File: ferretdb
Type: cpu
Showing nodes accounting for 6.16s, 60.93% of 10.11s total
      flat  flat%   sum%        cum   cum%
     0.82s  8.11%  8.11%      1.22s 12.07%  runtime.tryDeferToSpanScan
         0     0%  8.11%      5.35s 68.59%  github.com/FerretDB/FerretDB/internal/handler.(*Handler).MsgUpdate
     0.01s 0.099%  8.21%      1.09s 10.78%  github.com/FerretDB/FerretDB/internal/types.newDocumentIterator (inline)
"""
    assert pprof_rows(text) == [
        {"function": "runtime.tryDeferToSpanScan", "own_share": 0.0811, "cumulative_share": 0.1207},
        {"function": "handler.(*Handler).MsgUpdate", "own_share": 0.0, "cumulative_share": 0.6859},
        {"function": "types.newDocumentIterator", "own_share": 0.001, "cumulative_share": 0.1078},
    ]
