import asyncio
import json
import logging
from pathlib import Path

import pytest

from infrastructure.runner import AsyncioTaskRunner
from infrastructure.settings import Settings, SettingsError


async def test_the_runner_keeps_tasks_until_done_and_logs_crashes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = AsyncioTaskRunner()
    gate = asyncio.Event()

    async def waits() -> None:
        await gate.wait()

    async def crashes() -> None:
        raise RuntimeError("boom")

    caplog.set_level(logging.ERROR)
    runner.spawn("waits", waits())
    runner.spawn("crashes", crashes())
    await asyncio.sleep(0.01)
    assert runner.running == 1
    gate.set()
    await runner.wait_idle()
    assert runner.running == 0
    assert "task crashes crashed" in caplog.text


async def test_shutdown_cancels_what_outlives_the_grace_period() -> None:
    runner = AsyncioTaskRunner()
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner.spawn("forever", forever())
    await asyncio.sleep(0)
    await runner.shutdown(grace_seconds=0.01)
    assert cancelled.is_set() and runner.running == 0


def test_settings_from_the_environment(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "tiers": [
                    {
                        "name": "UNPLACED",
                        "firstRank": 1,
                        "lastRank": None,
                        "coins": 5,
                        "badgeName": "Everyone",
                    }
                ]
            }
        )
    )
    settings = Settings.from_env(
        {
            "REWARDS_MONGODB_URL": "mongodb://db:27017/platform",
            "REWARDS_API_KEYS": " a , b,,",
            "REWARDS_TIME_ZONE": "Europe/Berlin",
            "REWARDS_POLICY_FILE": str(policy),
            "REWARDS_BATCH_SIZE": "250",
        }
    )
    assert (
        settings.mongodb_db,
        settings.api_keys,
        settings.time_zone.key,
        settings.batch_size,
    ) == ("platform", ("a", "b"), "Europe/Berlin", 250)
    assert settings.policy.tiers.tier_for(1000).coins == 5
    assert not settings.embedded
    assert Settings.from_env({}).embedded


def test_lease_retry_and_write_safety_settings() -> None:
    defaults = Settings.from_env({})
    assert (defaults.lease_seconds, defaults.sweep_interval, defaults.stall_seconds) == (
        60.0,
        30.0,
        300.0,
    )
    assert (defaults.write_concern, defaults.write_journal) == ("majority", True)
    tuned = Settings.from_env(
        {
            "REWARDS_LEASE_SECONDS": "2.5",
            "REWARDS_SWEEP_SECONDS": "0.5",
            "REWARDS_RETRY_TRIES": "3",
            "REWARDS_WRITE_CONCERN": "2",
            "REWARDS_WRITE_JOURNAL": "false",
        }
    )
    assert (tuned.lease_seconds, tuned.sweep_interval, tuned.retry_tries) == (2.5, 0.5, 3)
    assert (tuned.write_concern, tuned.write_journal) == (2, False)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"REWARDS_TIME_ZONE": "Mars/Olympus"}, "REWARDS_TIME_ZONE"),
        ({"REWARDS_BATCH_SIZE": "0"}, "REWARDS_BATCH_SIZE"),
        ({"REWARDS_UPDATE_CHUNK": "many"}, "REWARDS_UPDATE_CHUNK"),
        ({"REWARDS_POLICY_FILE": "/nonexistent/policy.json"}, "REWARDS_POLICY_FILE"),
        ({"REWARDS_LEASE_SECONDS": "0"}, "REWARDS_LEASE_SECONDS"),
        ({"REWARDS_LEASE_SECONDS": "soon"}, "REWARDS_LEASE_SECONDS"),
        ({"REWARDS_SWEEP_SECONDS": "inf"}, "REWARDS_SWEEP_SECONDS"),
        ({"REWARDS_RETRY_TRIES": "0"}, "REWARDS_RETRY_TRIES"),
        ({"REWARDS_WRITE_CONCERN": "0"}, "REWARDS_WRITE_CONCERN"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)
