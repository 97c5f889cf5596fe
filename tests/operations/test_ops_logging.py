"""Logs: one line per event, the job id and attempt on every line of a job's run; JSON lines
with REWARDS_LOG_FORMAT=json, readable lines by default; stdlib `logging` calls rendered too."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from tests.backends import container_for, settings_for

from domain.job import JobStatus
from domain.period import Period
from infrastructure.container import start_container, stop_container
from infrastructure.logging_setup import configure_logging
from infrastructure.seeding import seed_users

pytestmark = pytest.mark.adapter

DECEMBER = Period(2024, 12)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


async def _run_a_month(log_format: str) -> tuple[str, str]:
    stream = io.StringIO()
    configure_logging(log_format, stream=stream)
    container = container_for(settings_for("mongomock", None))
    await start_container(container)
    try:
        await seed_users(container.users(), 30, 5, 1)
        outcome = await container.start_monthly_rewards().execute(DECEMBER)
        await container.runner().wait_idle()
        assert (await container.get_job_status().execute(DECEMBER)).status is JobStatus.COMPLETED
    finally:
        await stop_container(container)
    return stream.getvalue(), outcome.job.id


@pytest.mark.usefixtures("restore_logging")
async def test_json_lines_name_the_job_and_attempt() -> None:
    text, job_id = await _run_a_month("json")
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    run = [line for line in lines if line.get("logger") == "rewards.process"]
    events = [line["event"] for line in run]
    assert any(e.startswith("[MonthlyRewards] Processing category: students") for e in events)
    assert any(e.startswith(f"[MonthlyRewards] Job {job_id} marked as completed") for e in events)
    assert len(run) >= 6
    for line in run:
        assert line["job_id"] == job_id and line["attempt"] == 1
        assert line["level"] == "info" and line["timestamp"].endswith("Z")
    # Lines outside a job (start-up) carry no job fields.
    startup = [line for line in lines if line.get("logger") == "rewards.migrations"]
    assert startup and all("job_id" not in line for line in startup)


@pytest.mark.usefixtures("restore_logging")
async def test_readable_lines_by_default() -> None:
    text, job_id = await _run_a_month("console")
    done = [line for line in text.splitlines() if "marked as completed" in line]
    assert len(done) == 1
    assert f"job_id={job_id}" in done[0] and "attempt=1" in done[0] and "[info" in done[0]
    assert not done[0].lstrip().startswith("{")


@pytest.mark.usefixtures("restore_logging")
def test_an_exception_stays_on_one_json_line() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("rewards.test").exception("it failed")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "it failed" and "RuntimeError: boom" in record["exception"]


@pytest.mark.usefixtures("restore_logging")
async def test_the_app_keeps_the_structlog_handler() -> None:
    """Litestar's default logging config would swap the root handler for its own format."""
    from litestar.testing import AsyncTestClient

    from interfaces.http.app import create_app

    stream = io.StringIO()
    configure_logging("json", stream=stream)
    ours = list(logging.getLogger().handlers)
    async with AsyncTestClient(app=create_app(container_for(settings_for("mongomock", None)))):
        logging.getLogger("rewards.test").info("after start-up")
    assert logging.getLogger().handlers == ours
    assert json.loads(stream.getvalue().splitlines()[-1])["event"] == "after start-up"


@pytest.mark.usefixtures("restore_logging")
def test_lines_inside_a_jobs_task_name_it_even_without_the_job_log() -> None:
    from application.log_context import job_context

    stream = io.StringIO()
    configure_logging("json", stream=stream)
    with job_context("job-7", 3):  # what the launcher sets around a job's task
        logging.getLogger("rewards.retry").warning("transient error; retrying")
    logging.getLogger("rewards.http").info("outside any job")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["job_id"], inside["attempt"]) == ("job-7", 3)
    assert "job_id" not in outside and "attempt" not in outside
