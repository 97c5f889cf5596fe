"""The test FerretDB's CPU profile, as `python -m benchmarks.profile` takes it: FerretDB started
with a debug address serves Go's pprof, and the profile is read back as shares of its CPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from benchmarks.profile import FerretdbCpu, ferretdb_cpu_report
from motor.motor_asyncio import AsyncIOMotorClient
from tools.testservers import choose
from tools.testservers.errors import ServerError, ServerUnavailable
from tools.testservers.ferretdb_build import build_ferretdb
from tools.testservers.processes import free_port

_IN_CI = os.environ.get("CI", "").lower() == "true"
_EXTERNAL_URL_ENV = "REWARDS_TEST_MONGODB_URL"  # a server of the user's: not ours to profile


async def test_ferretdb_cpu_is_profiled_while_it_works(tmp_path: Path) -> None:
    choice = choose()
    if os.environ.get(_EXTERNAL_URL_ENV) or choice.kind != "ferretdb":
        pytest.skip("profiles the FerretDB this suite builds; another server was chosen")
    debug_addr = f"127.0.0.1:{free_port()}"
    server = choice.server(debug_addr=debug_addr)
    try:
        server.start()
    except (ServerUnavailable, ServerError) as exc:
        if _IN_CI:
            pytest.fail(f"CI=true and no FerretDB to profile: {exc}")
        pytest.skip(f"no FerretDB to profile: {exc}")
    client: AsyncIOMotorClient[dict[str, object]] = AsyncIOMotorClient(server.url)
    try:
        users = client["profiled"]["users"]
        with FerretdbCpu(debug_addr, tmp_path) as sampler:
            while not sampler.files and sampler.error is None:  # a segment is 5 s long
                await users.insert_many([{"n": n, "tags": ["a", "b"]} for n in range(500)])
                await users.update_many({}, {"$inc": {"n": 1}})
        assert sampler.error is None
        report = ferretdb_cpu_report(build_ferretdb(), sampler.files)
    finally:
        client.close()
        server.stop()

    assert "missing" not in report, report
    activity = report["by_activity"]
    assert activity["update commands"] > 0.05
    assert activity["insert commands"] > 0.0
    assert activity["getMore commands (the ranking read's cursor)"] == 0.0  # no cursor was read
    own = report["own"]
    assert own and all(0.0 <= row["own_share"] <= row["cumulative_share"] <= 1.0 for row in own)
