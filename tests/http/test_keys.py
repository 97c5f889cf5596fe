"""Keys: rotation, what a scheduler key may not do, what `serve` refuses to start with, and keys
never showing in answers, the OpenAPI document or the logs."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import ADMIN_KEY, SCHEDULER_KEY, container_for, settings_for
from tests.http.conftest import ADMIN, SCHEDULER, wait_until_finished
from tests.http.test_status_jobs_retry import failed_job

from domain.period import Period
from infrastructure.settings import Settings, SettingsError
from interfaces.http.app import create_app
from interfaces.http.server import MIN_KEY_LENGTH, prepare_serve

BASE = "/api/ranking/monthly-rewards"
OLD_KEY = "old-scheduler-key-2025"
NEW_KEY = "new-scheduler-key-2026"
REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(container_for(settings))) as client:
        yield client


async def test_rotation_old_and_new_keys_both_work_then_the_old_one_is_refused() -> None:
    during = settings_for("mongomock", None, api_keys=(OLD_KEY, NEW_KEY))
    async with serving(during) as client:
        for key in (OLD_KEY, NEW_KEY):
            answer = await client.get(f"{BASE}/jobs", headers={"x-api-key": key})
            assert answer.status_code == 200, key
    # The old key is removed from REWARDS_API_KEYS and the service restarted.
    after = settings_for("mongomock", None, mongodb_db=during.mongodb_db, api_keys=(NEW_KEY,))
    async with serving(after) as client:
        refused = await client.get(f"{BASE}/jobs", headers={"x-api-key": OLD_KEY})
        assert refused.status_code == 401
        assert "x-api-key" in refused.json()["message"]
        assert (await client.get(f"{BASE}/jobs", headers={"x-api-key": NEW_KEY})).status_code == 200


async def test_a_scheduler_key_cannot_retry_and_an_admin_key_can_do_everything() -> None:
    settings = settings_for("mongomock", None)
    container = container_for(settings)
    async with AsyncTestClient(app=create_app(container)) as client:
        await failed_job(container, Period(2024, 12))
        month = {"month": 12, "year": 2024}
        refused = await client.post(f"{BASE}/retry", headers=SCHEDULER, json=month)
        assert refused.status_code == 401
        assert (
            refused.json()["message"]
            == "this action needs an admin API key in the x-api-key header"
        )
        assert (await client.get(f"{BASE}/status", headers=SCHEDULER)).json()["data"][
            "status"
        ] == "failed"  # refused, nothing changed
        assert (await client.post(f"{BASE}/retry", headers=ADMIN, json=month)).status_code == 200
        assert (await wait_until_finished(client, 12, 2024))["status"] == "completed"
        for method, path in (("POST", BASE), ("GET", f"{BASE}/status"), ("GET", f"{BASE}/jobs")):
            params = month if not path.endswith("jobs") else {"limit": 5}
            answer = await client.request(method, path, headers=ADMIN, params=params)
            assert answer.status_code == 200, (method, path, answer.text)


def real(**overrides: object) -> Settings:
    return settings_for("real", "mongodb://127.0.0.1:1/", **overrides)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (real(api_keys=(), admin_api_keys=()), "REWARDS_API_KEYS is not set"),
        (real(api_keys=("short-key",)), "REWARDS_API_KEYS: key #1 is 9 characters"),
        (
            real(api_keys=(SCHEDULER_KEY, "0123456789abcde")),
            "REWARDS_API_KEYS: key #2 is 15 characters",
        ),
        (real(admin_api_keys=("admin",)), "REWARDS_ADMIN_API_KEYS: key #1 is 5 characters"),
        (real(api_keys=("a key with spaces inside",)), "cannot carry"),
        (real(trigger_hmac_secret="tiny-secret"), "REWARDS_TRIGGER_HMAC_SECRET is 11 characters"),
    ],
)
def test_serve_refuses_missing_or_weak_keys_on_a_real_database(
    settings: Settings, says: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        prepare_serve(settings)
    message = str(refused.value)
    assert says in message
    for key in (*settings.api_keys, *settings.admin_api_keys, settings.trigger_hmac_secret):
        if key and len(key) > 3:
            assert key not in message  # the message names the key's position, never the key


def test_the_embedded_default_generates_a_key_and_accepts_short_ones() -> None:
    generated = prepare_serve(settings_for("mongomock", None, api_keys=(), admin_api_keys=()))
    assert len(generated.settings.api_keys) == 1
    assert len(generated.settings.api_keys[0]) >= MIN_KEY_LENGTH
    assert generated.notice is not None and generated.settings.api_keys[0] in generated.notice
    demo = prepare_serve(settings_for("mongomock", None, api_keys=("demo",)))
    assert demo.settings.api_keys == ("demo",) and demo.notice is None
    assert demo.uvicorn_options["limit_concurrency"] >= 1
    assert demo.uvicorn_options["timeout_keep_alive"] > 0


def test_rewards_serve_stops_at_once_with_a_clear_message() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "REWARDS_MONGODB_URL": "mongodb://127.0.0.1:1/rewards",
        "REWARDS_API_KEYS": "changeme",
    }
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "REWARDS_API_KEYS: key #1 is 8 characters" in done.stderr
    assert "changeme" not in done.stdout + done.stderr


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(("httpx", "httpcore")):  # the test client's own lines
            self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")


async def test_keys_appear_in_no_answer_no_schema_and_no_log_line() -> None:
    settings = settings_for("mongomock", None)
    texts = []
    lines = Lines()
    async with serving(settings) as client:
        # Attached after start-up: Litestar configures the root logger when the app starts.
        root = logging.getLogger()
        root.addHandler(lines)
        previous_level, root.level = root.level, logging.DEBUG
        for headers, method, path in [
            (SCHEDULER, "POST", f"{BASE}?month=10&year=2024"),
            (SCHEDULER, "GET", f"{BASE}/status"),
            (SCHEDULER, "POST", f"{BASE}/retry"),
            ({"x-api-key": ADMIN_KEY + "x"}, "POST", f"{BASE}/retry"),
            ({}, "GET", f"{BASE}/jobs?x-api-key={SCHEDULER_KEY}"),
            (SCHEDULER, "GET", f"{BASE}/jobs?x-api-key={SCHEDULER_KEY}"),
            ({}, "GET", "/schema/openapi.json"),
            ({}, "GET", "/health"),
        ]:
            answer = await client.request(method, path, headers=headers)
            texts.append(answer.text + str(answer.headers))
        root.removeHandler(lines)
        root.level = previous_level
    schema = texts[-2]
    assert '"apiKey"' in schema and '"x-api-key"' in schema  # declared, without a value
    logged = "\n".join(lines.lines)
    assert "refused POST" in logged  # the refusals are logged...
    for key in (SCHEDULER_KEY, ADMIN_KEY):
        assert all(key not in text for text in texts)
        assert key not in logged  # ...without the key


async def test_every_route_that_takes_a_key_refuses_a_request_without_one() -> None:
    """Routes name their key level in `opt`, and the key check refuses every such route without
    it, whatever the method: every route of the app, the operator surfaces' too. A request with
    a key the route does not take is refused as well (a scheduler key on an admin route). The
    failed-key rate limit is off here: it would answer 429 after the tenth refusal."""
    app = create_app(container_for(settings_for("mongomock", None, rate_limit_auth_failures=0)))
    checked = 0
    async with AsyncTestClient(app=app) as client:
        for route in app.routes:
            for handler in getattr(route, "route_handlers", []):
                if "key" not in handler.opt:
                    continue
                path = re.sub(r"\{[^}]*\}", "1", route.path)
                for method in sorted(handler.http_methods - {"OPTIONS"}):  # 405 everywhere
                    answer = await client.request(method, path)
                    assert answer.status_code == 401, (method, path, answer.text)
                    if handler.opt["key"] == "admin":
                        answer = await client.request(method, path, headers=SCHEDULER)
                        assert answer.status_code == 401, (method, path, answer.text)
                    checked += 1
    assert checked >= 10  # the trigger, its reads, the steps, the admin reads...
