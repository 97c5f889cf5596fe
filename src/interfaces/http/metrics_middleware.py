"""Request latency for every route, observed once the answer is sent, and the trigger's outcome
for each call of it, counted before its answer starts to leave: a caller holding the answer finds
it counted (another instance's scrape, right after, included). Each request's arrival is told to
the month (application/foreground.py).
The outcome is what the trigger's handler told (its use case's answer) or, for an answer its
handler never told (a refused key, a bad month, an error), the status code: reading it back from
the JSON answer was a second parse of every trigger."""

from __future__ import annotations

import functools
from time import perf_counter
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

from application.foreground import Foreground
from application.use_cases.start_monthly_rewards import StartKind
from infrastructure.metrics import REQUEST_LATENCY, TRIGGER_CALLS
from interfaces.http.errors import answer_status

TRIGGER_ROUTE = "/api/ranking/monthly-rewards"
# The trigger's handler names its outcome here, in the request's scope (`told_outcome`).
TRIGGER_OUTCOME = "rewards.trigger_outcome"
_OUTCOME_OF_KIND = {
    StartKind.STARTED: "started",
    StartKind.RESUMED: "resumed",
    StartKind.ALREADY_PROCESSING: "underway",
    StartKind.ALREADY_COMPLETED: "completed",
    StartKind.PREVIOUSLY_FAILED: "failed",
}


def told_outcome(scope: Scope, kind: StartKind) -> None:
    """Called by the trigger's handler with the use case's answer."""
    cast(dict[str, Any], scope)[TRIGGER_OUTCOME] = _OUTCOME_OF_KIND[kind]


def trigger_outcome(status: int, told: str | None) -> str:
    """The label of one trigger call: what its handler told, for an answer that went out as
    a 200; otherwise what the status code says."""
    if status == 401:
        return "unauthorised"
    if status in (400, 422):
        return "invalid"
    if status != 200 or told is None:
        return "error"
    return told


# prometheus-client's `labels` takes a lock and checks the labels on every call; the children are
# kept here by their labels instead (a few dozen: route templates, methods, statuses).
@functools.lru_cache(maxsize=512)
def _latency(method: str, route: str, status: int) -> Histogram:
    return REQUEST_LATENCY.labels(method, route, str(status))


@functools.lru_cache(maxsize=64)
def _trigger_calls(outcome: str) -> Counter:
    return TRIGGER_CALLS.labels(outcome)


class MetricsMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, foreground: Foreground) -> None:
        self._foreground = foreground

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        self._foreground.arrived()
        started = perf_counter()
        route = str(scope.get("path_template") or "unmatched")  # a template: bounded labels
        method = str(scope.get("method", ""))
        is_trigger = method == "POST" and route.rstrip("/") == TRIGGER_ROUTE
        status = 500
        counted = not is_trigger

        def count_trigger() -> None:
            nonlocal counted
            if not counted:
                counted = True
                told = cast(dict[str, Any], scope).get(TRIGGER_OUTCOME)
                _trigger_calls(trigger_outcome(status, told)).inc()

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                count_trigger()
            await send(message)

        try:
            await next_app(scope, receive, observe)
        except Exception as exc:
            status = answer_status(exc)  # raised by a middleware; answered outside this one
            raise
        finally:
            _latency(method, route, status).observe(perf_counter() - started)
            count_trigger()  # an answer that never started here: counted with the status it gets
