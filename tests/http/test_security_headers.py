"""Security headers on every kind of answer, from the one before_send hook; an HTML page added
to the app (as the admin page will be) gets a Content-Security-Policy too."""

from __future__ import annotations

import pytest
from litestar import Litestar, MediaType, get
from litestar.testing import AsyncTestClient
from tests.http.conftest import SCHEDULER

from interfaces.http.security_headers import HTML_CSP, add_security_headers

BASE = "/api/ranking/monthly-rewards"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", f"{BASE}/jobs", SCHEDULER, 200),
        ("GET", f"{BASE}/jobs", {}, 401),
        ("GET", f"{BASE}/jobs?limit=99", SCHEDULER, 400),
        ("GET", "/nowhere", {}, 404),
        ("DELETE", f"{BASE}/jobs", SCHEDULER, 405),
        ("GET", "/health", {}, 200),
        ("GET", "/schema/openapi.json", {}, 200),
    ],
)
async def test_every_answer_carries_the_security_headers(
    client: AsyncTestClient,  # type: ignore[type-arg]
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    answer = await client.request(method, path, headers=headers)
    assert answer.status_code == status
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in answer.headers  # JSON: nothing to run


async def test_an_html_page_gets_a_content_security_policy() -> None:
    @get("/admin", media_type=MediaType.HTML)
    async def page() -> str:
        return "<h1>Admin</h1>"

    app = Litestar([page], before_send=[add_security_headers])
    async with AsyncTestClient(app=app) as client:
        answer = await client.get("/admin")
    assert answer.headers["content-security-policy"] == HTML_CSP
    assert "frame-ancestors 'none'" in HTML_CSP and "default-src 'self'" in HTML_CSP
    assert answer.headers["x-frame-options"] == "DENY"


async def test_a_refused_method_names_the_ones_the_path_takes(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    answer = await client.delete(f"{BASE}/jobs", headers=SCHEDULER)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert answer.json()["message"] == "DELETE is not allowed here; use GET"
