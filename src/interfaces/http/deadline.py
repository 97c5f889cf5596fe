"""Every request's database work shares one deadline (REWARDS_REQUEST_TIMEOUT_SECONDS): during an
outage an endpoint answers 503 within seconds instead of waiting out the driver's 30 s server
selection. errors.py turns the driver's timeout into that 503."""

from __future__ import annotations

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from infrastructure.mongo.deadline import request_deadline

# A route whose `opt` holds this key does the worker's job inside its request (the step endpoint)
# and keeps the worker's patience.
OWN_DEADLINE = "own_deadline"


class RequestDeadline(ASGIMiddleware):
    exclude_opt_key = OWN_DEADLINE

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # Work a request starts in the background runs in a fresh context, outside this deadline
        # (infrastructure/runner.py).
        with request_deadline(self.seconds):
            await next_app(scope, receive, send)
