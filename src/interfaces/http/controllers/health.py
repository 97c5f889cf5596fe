"""Liveness and database reachability, without a key (for load balancers)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from interfaces.http.openapi import errors
from interfaces.http.presenters import Envelope, envelope


@get(
    "/health",
    operation_id="health",
    summary="Liveness and database reachability",
    responses=errors(500, 503),
)
async def health(request: Request[Any, Any, Any]) -> Response[Envelope]:
    state = request.app.state
    try:
        await state.db.command("ping")
        database = "up"
    except Exception:  # any failure to ping means not ready; the detail is not the client's
        database = "down"
    limits = state.write_limits  # asked of the server at start-up (server_profile.py)
    data = {
        "database": database,
        "embedded": state.settings.embedded,
        "server": limits.profile.describe() if limits.profile else None,
        "writeLimits": limits.current.as_status() if limits.current else None,
        "runningTasks": state.runner.running,
    }
    status = 200 if database == "up" else 503
    return Response(
        envelope("ok" if status == 200 else "database unreachable", data, status == 200),
        status_code=status,
    )
