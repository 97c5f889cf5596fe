"""Metrics computed from the job documents, rendered in the Prometheus text format and parsed
back: they say what the jobs say. Transient retries are counted through retrying's hook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.fakes import Transient
from tests.unit.conftest import World

from application.retrying import RetryPolicy, retrying
from application.use_cases.start_monthly_rewards import StartKind
from domain.period import Period
from infrastructure import metrics
from interfaces.http.metrics_middleware import TRIGGER_OUTCOME, told_outcome, trigger_outcome

pytestmark = pytest.mark.unit

DECEMBER = Period(2024, 12)
NOVEMBER = Period(2024, 11)


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


async def _scrape(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return samples(metrics.render(await world.container.gather_job_metrics().execute()))


async def test_the_figures_are_the_jobs(world: World) -> None:
    for period in (NOVEMBER, DECEMBER):
        await world.start.execute(period)
        await world.runner.wait_idle()
    world.clock.current = datetime(2025, 1, 2, tzinfo=UTC)
    found = await _scrape(world)
    jobs = [await world.status.execute(p) for p in (NOVEMBER, DECEMBER)]

    assert found[("rewards_jobs", (("status", "completed"),))] == 2
    assert found[("rewards_jobs", (("status", "failed"),))] == 0
    for category in ("students", "teachers"):
        tiers = {t for j in jobs for t in j.results.categories[category].tiers}
        for tier in tiers:
            key = (("category", category), ("tier", tier))
            expected = [j.results.categories[category].tiers[tier] for j in jobs]
            assert found[("rewards_paid_rewards_total", key)] == sum(t.count for t in expected)
            assert found[("rewards_paid_coins_total", key)] == sum(t.coins for t in expected)
    coins = sum(v for (name, _), v in found.items() if name == "rewards_paid_coins_total")
    assert coins == sum(j.results.total_coins_awarded for j in jobs)
    newest = jobs[1]
    label = (("month", "2024-12"), ("status", "completed"))
    assert found[("rewards_last_run_duration_seconds", label)] == newest.duration
    assert found[("rewards_job_attempts_total", (("kind", "start"),))] == 2
    assert found[("rewards_takeovers_total", ())] == 0
    assert found[("rewards_run_overdue", (("month", "2024-12"),))] == 0
    processed = ("rewards_current_job_processed", (("category", "students"), ("month", "2024-12")))
    assert found[processed] == 23
    health = ("rewards_current_job_health", (("health", "finished"), ("month", "2024-12")))
    assert found[health] == 1


async def test_a_takeover_is_counted_from_the_attempt_history(world: World) -> None:
    await world.start.execute(DECEMBER)
    await world.runner.shutdown(0)  # the first worker dies before doing anything
    world.expire_lease()
    taken = await world.sweep.execute()
    assert len(taken) == 1
    await world.runner.wait_idle()
    found = await _scrape(world)
    assert found[("rewards_takeovers_total", ())] == 1
    assert found[("rewards_lease_expiries_total", ())] == 1
    assert found[("rewards_job_attempts_total", (("kind", "takeover"),))] == 1


async def test_the_overdue_flag_flips_with_the_clock(world: World) -> None:
    world.clock.current = datetime(2025, 1, 1, 5, 59, tzinfo=UTC)
    assert (await _scrape(world))[("rewards_run_overdue", (("month", "2024-12"),))] == 0
    world.clock.current = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
    assert (await _scrape(world))[("rewards_run_overdue", (("month", "2024-12"),))] == 1
    await world.start.execute()
    assert (await _scrape(world))[("rewards_run_overdue", (("month", "2024-12"),))] == 0


def _retries() -> float:
    value = metrics.PROCESS_REGISTRY.get_sample_value("rewards_transient_retries_total")
    return value or 0.0


async def test_transient_retries_are_counted_through_the_hook() -> None:
    metrics.install()
    metrics.install()  # once per process, however many apps are built
    before = _retries()
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Transient("connection reset")
        return "done"

    policy = RetryPolicy(tries=5, first_delay=0.0, max_delay=0.0)
    assert await retrying(flaky, policy, lambda e: isinstance(e, Transient), "a test") == "done"
    assert _retries() - before == 2


@pytest.mark.parametrize(
    ("status", "kind", "outcome"),
    [
        (401, None, "unauthorised"),
        (400, None, "invalid"),
        (422, None, "invalid"),
        (200, StartKind.STARTED, "started"),
        (200, StartKind.RESUMED, "resumed"),
        (200, StartKind.ALREADY_PROCESSING, "underway"),
        (200, StartKind.ALREADY_COMPLETED, "completed"),
        (200, StartKind.PREVIOUSLY_FAILED, "failed"),
        (500, None, "error"),
        (200, None, "error"),  # a 200 its handler never told of
        (503, StartKind.STARTED, "error"),  # told, then failed on the way out
    ],
)
def test_trigger_outcomes_are_what_the_handler_told_or_the_status(
    status: int, kind: StartKind | None, outcome: str
) -> None:
    scope: dict[str, Any] = {}
    if kind is not None:
        told_outcome(scope, kind)  # type: ignore[arg-type]
    assert trigger_outcome(status, scope.get(TRIGGER_OUTCOME)) == outcome


def _yielded() -> float:
    value = metrics.PROCESS_REGISTRY.get_sample_value("rewards_month_yielded_seconds_total")
    return value or 0.0


async def test_the_months_waits_under_a_flood_are_counted() -> None:
    from tests.backends import container_for, settings_for

    from application.foreground import month_work

    container = container_for(
        settings_for("mongomock", None, yield_above_rps=10, yield_pace_seconds=0.01)
    )
    foreground = container.foreground()  # as the container hands it to the adapters
    before = _yielded()
    for _ in range(4):  # bursts of ceil(10 x 0.1) = 1 request, in far less than a window
        foreground.arrived()
    with month_work():
        await foreground.turn()  # the first turn is free
        await foreground.turn()  # the next waits a pace
    assert _yielded() - before == pytest.approx(0.01, abs=0.005)


def test_every_kind_of_trigger_answer_has_its_own_label() -> None:
    labels = set()
    for kind in StartKind:
        scope: dict[str, Any] = {}
        told_outcome(scope, kind)  # type: ignore[arg-type]
        labels.add(scope[TRIGGER_OUTCOME])
    assert len(labels) == len(StartKind) and labels <= set(metrics.TRIGGER_OUTCOMES)


def _trigger_calls(outcome: str) -> float:
    value = metrics.PROCESS_REGISTRY.get_sample_value(
        "rewards_trigger_calls_total", {"outcome": outcome}
    )
    return value or 0.0


@pytest.mark.parametrize("raises", [False, True])
async def test_a_trigger_call_is_counted_before_its_answer_leaves(raises: bool) -> None:
    """A caller holding the answer finds its call counted. Counted after the body was sent, a
    scrape of a second instance right after a call there once saw one call of two (CI, two
    instances sharing a multiprocess folder). A call answered outside this middleware (a
    refusal raised) is counted once, with its status."""
    from application.foreground import Foreground, YieldPolicy
    from interfaces.http.metrics_middleware import TRIGGER_ROUTE, MetricsMiddleware

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path_template": TRIGGER_ROUTE}
    seen: list[float] = []
    before = {o: _trigger_calls(o) for o in ("completed", "unauthorised")}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen.append(_trigger_calls("completed") - before["completed"])

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        if raises:
            from litestar.exceptions import NotAuthorizedException

            raise NotAuthorizedException("no key")
        told_outcome(scope, StartKind.ALREADY_COMPLETED)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    middleware = MetricsMiddleware(Foreground(YieldPolicy(above_rps=0)))
    if raises:
        with pytest.raises(Exception, match="no key"):
            await middleware.handle(scope, None, send, handler)  # type: ignore[arg-type]
        assert _trigger_calls("unauthorised") - before["unauthorised"] == 1
        assert seen == []
    else:
        await middleware.handle(scope, None, send, handler)  # type: ignore[arg-type]
        assert seen == [1]  # counted when the answer started, before it left
    assert _trigger_calls("completed") - before["completed"] == (0 if raises else 1)
