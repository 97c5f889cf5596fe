"""Request latency for every route, and the trigger's outcome for each call of it, counted as
the answers leave; each request's arrival is told to the month (application/foreground.py). The outcome is read from the status code and, for a 200, the answer's
`data.status` (SPEC §7's shapes), so the trigger's controller stays as it is."""

from __future__ import annotations

import json
from time import perf_counter

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.foreground import Foreground
from infrastructure.metrics import REQUEST_LATENCY, TRIGGER_CALLS

TRIGGER_ROUTE = "/api/ranking/monthly-rewards"


def trigger_outcome(status: int, body: bytes) -> str:
    if status == 401:
        return "unauthorised"
    if status in (400, 422):
        return "invalid"
    if status != 200:
        return "error"
    try:
        data = json.loads(body).get("data") or {}
    except (ValueError, AttributeError):
        return "error"
    job_status = data.get("status")
    if job_status == "processing":
        if "note" not in data:
            return "underway"
        return "resumed" if "attempt" in data else "started"
    return job_status if job_status in ("completed", "failed") else "error"


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
        body = bytearray()

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif is_trigger and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await next_app(scope, receive, observe)
        finally:
            REQUEST_LATENCY.labels(method, route, str(status)).observe(perf_counter() - started)
            if is_trigger:
                TRIGGER_CALLS.labels(trigger_outcome(status, bytes(body))).inc()
