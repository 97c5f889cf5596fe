"""The key check of every route: a route names the keys it takes in its `opt` (auth.key_level),
and this one middleware refuses (401) a request without such a key, then one without a valid
signature where the route is signed and signing is on (signing.py). A route without a key level
is open (health, the status page's shell, the OpenAPI document).

A middleware rather than a Litestar guard on each route: Litestar hands every guard its own copy
of the route handler, and that copy was 3-4 % of the server's CPU per answer (py-spy of `serve`
at 100 clients). It runs after the rate limits, so a refused key is still counted there, and
before the route's query checks and handler, where the guards ran."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from interfaces.http.auth import KEY, SIGNED, require_key, scope_has_valid_key
from interfaces.http.signing import require_signature


class KeyCheck(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        opt: dict[str, Any] = scope["route_handler"].opt
        if KEY in opt:
            if not scope_has_valid_key(scope):
                require_key(Request(scope, receive))  # logs the refusal and raises
            if opt.get(SIGNED) and scope["app"].state.settings.trigger_hmac_secret is not None:
                # Reads the body; the handler's request reads it again from the scope.
                await require_signature(Request(scope, receive))
        await next_app(scope, receive, send)
