"""Security headers on every answer the app sends (API, errors, 404s, HTML pages alike): one
`before_send` hook, so a page added to the app later gets them without asking."""

from __future__ import annotations

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


_ALWAYS_RAW = [(name.encode(), value.encode()) for name, value in ALWAYS.items()]
_ALWAYS_NAMES = frozenset(name for name, _ in _ALWAYS_RAW)
_CACHE_CONTROL = (b"cache-control", CACHE_CONTROL.encode())
_HTML_CSP = (b"content-security-policy", HTML_CSP.encode())


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    # The raw header list, read once: ours replace any of the same name. Setting them one by
    # one through MutableScopeHeaders scanned the list for each (a few percent of an answer).
    raw = [h for h in message.get("headers") or () if h[0].lower() not in _ALWAYS_NAMES]
    names = {name.lower(): value for name, value in raw}
    raw += _ALWAYS_RAW
    # A page may choose its own caching or a stricter policy; everything else gets ours.
    if b"cache-control" not in names:
        raw.append(_CACHE_CONTROL)
    if names.get(b"content-type", b"").startswith(b"text/html") and (
        b"content-security-policy" not in names
    ):
        raw.append(_HTML_CSP)
    message["headers"] = raw
