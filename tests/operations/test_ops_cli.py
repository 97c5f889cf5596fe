"""The CLI as a user runs it: `rewards ...` in-process, each command opening the database anew
(one shared in-memory server here), reading what it prints: tables, and --json for scripts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from dependency_injector import providers
from mongomock_motor import AsyncMongoMockClient
from tests.browser.server import ScriptedWallet

from domain.period import Period
from infrastructure.container import Container
from infrastructure.mongo.wallet import MongoWallet
from infrastructure.settings import Settings
from interfaces.cli import runtime
from interfaces.cli.main import main

pytestmark = pytest.mark.adapter

SEPTEMBER = Period(2026, 9)
OCTOBER = Period(2026, 10)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Each `main` sets up logging for a process; the test session's own comes back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


@pytest.fixture
def shared_database(monkeypatch: pytest.MonkeyPatch, restore_logging: None) -> ScriptedWallet:
    """Every command's container on one in-memory server, as commands on one MongoDB would be;
    the wallet can be told to fail once for a month."""
    client = AsyncMongoMockClient(tz_aware=True)
    wallet: ScriptedWallet | None = None

    def build(settings: Settings) -> Container:
        nonlocal wallet
        container = Container()
        container.settings.override(providers.Object(settings))
        container.client.override(providers.Object(client))
        if wallet is None:
            wallet = ScriptedWallet(MongoWallet(users=container.users()))
        container.wallet.override(providers.Object(wallet))
        return container

    monkeypatch.setattr(runtime, "build_container", build)
    monkeypatch.setenv("REWARDS_MONGODB_DB", "cli_test")
    monkeypatch.delenv("REWARDS_MONGODB_URL", raising=False)
    build(Settings.from_env())  # the wallet, on the database the commands use
    assert wallet is not None
    return wallet


def rewards(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def rewards_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out = rewards(capsys, *argv, "--json")
    return code, json.loads(out)


def month(period: Period) -> list[str]:
    return ["--month", str(period.month), "--year", str(period.year)]


def test_preview_run_status_jobs_and_retry(
    shared_database: ScriptedWallet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = rewards(capsys, "seed", "--students", "60", "--teachers", "8")
    assert code == 0 and "seeded 60 active students, 8 active teachers" in out

    code, preview = rewards_json(capsys, "preview", *month(OCTOBER))
    assert code == 0 and preview["dryRun"] and preview["totalUsers"] == 68
    code, out = rewards(capsys, "preview", *month(OCTOBER))
    assert code == 0 and "Dry run for 10/2026" in out and f"{preview['totalCoins']:,}" in out

    code, job = rewards_json(capsys, "run", *month(OCTOBER))
    assert code == 0 and job["status"] == "completed"
    assert job["results"]["totalCoinsAwarded"] == preview["totalCoins"]

    code, out = rewards(capsys, "run", *month(OCTOBER))
    assert code == 0 and "10/2026 was already paid; nothing was paid again" in out

    shared_database.fail_once.add(SEPTEMBER)
    code, failed = rewards_json(capsys, "run", *month(SEPTEMBER))
    assert code == 1 and failed["status"] == "failed"
    assert "refused the batch" in failed["errorMessage"]

    code, status = rewards_json(capsys, "status", *month(SEPTEMBER))
    assert code == 0 and status["job"]["status"] == "failed"
    assert status["schedule"]["month"] and "overdue" in status["schedule"]
    code, out = rewards(capsys, "status", *month(SEPTEMBER))
    assert "Job 9/2026" in out and "failed" in out and "refused the batch" in out

    code, out = rewards(capsys, "retry", *month(SEPTEMBER))
    assert code == 0 and "retrying job" in out and "completed" in out
    assert "Paid by category and tier" in out

    code, history = rewards_json(capsys, "jobs")
    assert code == 0 and [(j["month"], j["status"]) for j in history["jobs"]] == [
        (10, "completed"),
        (9, "completed"),
    ]
    code, out = rewards(capsys, "jobs", "--limit", "5")
    assert code == 0 and "10/2026" in out and "9/2026" in out and "completed" in out


def test_refusals_exit_2_and_say_why(
    shared_database: ScriptedWallet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--month", "13", "--year", "2026"]) == 2
    assert "month must be between 1 and 12" in capsys.readouterr().err
    assert main(["preview", "--month", "10"]) == 2
    assert "--month and --year must be given together" in capsys.readouterr().err
    assert main(["retry", *month(OCTOBER)]) == 2
    assert "no job for 10/2026" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["jobs", "--limit", "0"])
    code, missing = rewards_json(capsys, "status", *month(OCTOBER))
    assert code == 1 and missing["job"] is None


@pytest.mark.usefixtures("restore_logging")
def test_the_demo_proves_it_paid_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = rewards(capsys, "demo", "--students", "50", "--teachers", "6")
    assert code == 0, out
    assert "OK: paid exactly once" in out and "MISMATCH" not in out
    assert "coins: dry run = job" in out and "Trigger #2 -> already_completed" in out
    assert "Top 5 students of 50" in out


def test_run_works_in_the_foreground_where_serve_runs_in_steps(
    shared_database: ScriptedWallet,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REWARDS_EXECUTION", "steps")
    assert rewards(capsys, "seed", "--students", "12", "--teachers", "3")[0] == 0
    code, job = rewards_json(capsys, "run", *month(OCTOBER))
    assert code == 0 and job["status"] == "completed"
    assert job["results"]["totalRewardsAwarded"] == 15
