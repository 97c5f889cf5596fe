"""Methods no route declares get 405 with the envelope. Litestar answers OPTIONS itself on every
path (for CORS, which this API does not use, its clients being a scheduler and admins' tools)."""

from __future__ import annotations

from litestar.exceptions import MethodNotAllowedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send


class RefuseUnlistedMethods(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") == "OPTIONS":
            raise MethodNotAllowedException()
        await next_app(scope, receive, send)


refuse_unlisted_methods = RefuseUnlistedMethods()
