"""Security headers on every answer the app sends (API, errors, 404s, HTML pages alike): one
`before_send` hook, so a page added to the app later gets them without asking."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

ALWAYS = {
    "x-content-type-options": "nosniff",  # a JSON answer is never run as a script or page
    "x-frame-options": "DENY",  # no page of ours inside someone else's frame
    "referrer-policy": "no-referrer",
}
# Answers are live state (a job's progress) or secrets' neighbours: no cache keeps them.
CACHE_CONTROL = "no-store"
# HTML pages may load their own scripts, styles and images, nothing from elsewhere, and post
# forms only back here.
HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        headers[name] = value
    # A page may choose its own caching or a stricter policy; everything else gets ours.
    if "cache-control" not in headers:
        headers["cache-control"] = CACHE_CONTROL
    if (headers.get("content-type") or "").startswith("text/html") and (
        "content-security-policy" not in headers
    ):
        headers["content-security-policy"] = HTML_CSP
