"""A table of hostile requests, each sent to a fresh app whose database holds users, a completed
month and a failed one: every request is refused with its own 4xx, the envelope, a message that
names what is wrong, nothing leaked, and the database byte-for-byte unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import ADMIN_KEY, SCHEDULER_KEY
from tests.http.conftest import ADMIN, SCHEDULER, wait_until_finished
from tests.http.hostile import assert_refused, database_fingerprint
from tests.http.test_status_jobs_retry import failed_job

from domain.period import Period
from infrastructure.container import Container
from infrastructure.seeding import seed_users
from interfaces.http.app import create_app

BASE = "/api/ranking/monthly-rewards"
NEXT_YEAR = datetime.now(UTC).year + 1
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    url: str
    status: int
    says: str  # a fragment of the message: the field or the fix it names
    headers: dict[str, str] = field(default_factory=lambda: dict(SCHEDULER))
    body: bytes | None = None


def post(name: str, query: str, status: int, says: str, **kw: Any) -> Hostile:
    return Hostile(name, "POST", f"{BASE}{query}", status, says, **kw)


def body(name: str, raw: bytes | str, status: int, says: str, path: str = "") -> Hostile:
    data = raw.encode() if isinstance(raw, str) else raw
    return Hostile(name, "POST", BASE + path, status, says, {**SCHEDULER, **JSON}, data)


def get(name: str, path_and_query: str, status: int, says: str, **kw: Any) -> Hostile:
    return Hostile(name, "GET", f"{BASE}{path_and_query}", status, says, **kw)


KEY_MISTAKES = [
    post("no key", "", 401, "x-api-key", headers={}),
    post("empty key", "", 401, "x-api-key", headers={"x-api-key": ""}),
    post("wrong key", "", 401, "x-api-key", headers={"x-api-key": "not-the-key-at-all-123"}),
    post("key + space", "", 401, "x-api-key", headers={"x-api-key": SCHEDULER_KEY + " "}),
    post("key upper-cased", "", 401, "x-api-key", headers={"x-api-key": SCHEDULER_KEY.upper()}),
    post("key's prefix", "", 401, "x-api-key", headers={"x-api-key": SCHEDULER_KEY[:10]}),
    post(
        "key as bearer", "", 401, "x-api-key", headers={"authorization": f"Bearer {SCHEDULER_KEY}"}
    ),
    post("key in a cookie", "", 401, "x-api-key", headers={"cookie": f"x-api-key={SCHEDULER_KEY}"}),
    post("key in the query only", f"?x-api-key={SCHEDULER_KEY}", 401, "x-api-key", headers={}),
    post("key in the query too", f"?apiKey={SCHEDULER_KEY}", 400, "header only"),
    Hostile(
        "key in the body",
        "POST",
        BASE,
        401,
        "x-api-key",
        dict(JSON),
        b'{"apiKey": "%b"}' % SCHEDULER_KEY.encode(),
    ),
    post(
        "retry with a scheduler key",
        "/retry",
        401,
        "admin",
        body=b'{"month":12,"year":2024}',
        headers={**SCHEDULER, **JSON},
    ),
    post("retry without a key", "/retry", 401, "admin", headers={}),
    get(
        "status with a wrong key",
        "/status",
        401,
        "x-api-key",
        headers={"x-api-key": ADMIN_KEY[:-1]},
    ),
    get("jobs without a key", "/jobs", 401, "x-api-key", headers={}),
]

QUERY_OUT_OF_RANGE_OR_TYPE = [
    post("month 0", "?month=0&year=2024", 400, "month must be a whole number from 1 to 12"),
    post("month 13", "?month=13&year=2024", 400, "month"),
    post("month -1", "?month=-1&year=2024", 400, "month"),
    post("month 1.5", "?month=1.5&year=2024", 400, "month"),
    post("month 12.0", "?month=12.0&year=2024", 400, "month"),
    post("month 1e1", "?month=1e1&year=2024", 400, "month"),
    post("month text", "?month=twelve&year=2024", 400, "month"),
    post("month empty", "?month=&year=2024", 400, "month"),
    post("month leading zero", "?month=012&year=2024", 400, "month"),
    post("month huge", "?month=" + "9" * 40 + "&year=2024", 400, "month"),
    post("month true", "?month=true&year=2024", 400, "month"),
    post("month NUL", "?month=1%00&year=2024", 400, "month"),
    post("month array text", "?month=[1]&year=2024", 400, "month"),
    post("month twice", "?month=1&month=2&year=2024", 400, "more than once"),
    post("month without year", "?month=12", 400, "together"),
    post("year without month", "?year=2024", 400, "together"),
    post("year 2019", "?month=12&year=2019", 400, "year must be a whole number from 2020"),
    post("year next year", f"?month=1&year={NEXT_YEAR}", 400, "current year"),
    post("year 99999", "?month=1&year=99999", 400, "year"),
    get("status month 13", "/status?month=13&year=2024", 400, "month"),
    get("status year text", "/status?month=1&year=20x4", 400, "year"),
    get("limit 0", "/jobs?limit=0", 400, "limit must be a whole number from 1 to 50"),
    get("limit 51", "/jobs?limit=51", 400, "limit"),
    get("limit -5", "/jobs?limit=-5", 400, "limit"),
    get("limit text", "/jobs?limit=all", 400, "limit"),
    get("limit 1e1", "/jobs?limit=1e1", 400, "limit"),
    get("limit NaN", "/jobs?limit=NaN", 400, "limit"),
    get("unknown jobs parameter", "/jobs?status=failed", 400, "unknown query parameter"),
]

INJECTION = [
    post("year[$ne]", "?month=1&year[$ne]=1", 400, "unknown query parameter"),
    post("year[$ne] encoded", "?month=1&year%5B%24ne%5D=1", 400, "unknown query parameter"),
    post("month[$gt]", "?month[$gt]=0&year=2024", 400, "unknown query parameter"),
    post("month=$gt", "?month=$gt&year=2024", 400, "month"),
    post("$where in the query", "?$where=1", 400, "unknown query parameter"),
    get("status month[$ne]", "/status?month[$ne]=1&year=2024", 400, "unknown query parameter"),
    get("jobs limit[$gt]", "/jobs?limit[$gt]=0", 400, "unknown query parameter"),
    body("month {$gt: 0}", '{"month": {"$gt": 0}, "year": 2024}', 400, "month"),
    body("year {$ne: null}", '{"month": 1, "year": {"$ne": null}}', 400, "year"),
    body("$where field", '{"$where": "sleep(1000)"}', 400, "unknown field"),
    body("dotted key", '{"month.x": 1, "year": 2024}', 400, "unknown field"),
    body("$-string month", '{"month": "$gt", "year": 2024}', 400, "month"),
    body("$-string year", '{"month": 1, "year": "$ne"}', 400, "year"),
    body("$set on retry", '{"$set": {"status": "failed"}}', 401, "admin", path="/retry"),
    Hostile(
        "$set on retry (admin)",
        "POST",
        f"{BASE}/retry",
        400,
        "unknown field",
        {**ADMIN, **JSON},
        b'{"month": 12, "year": 2024, "$set": {"status": "completed"}}',
    ),
]

WRONG_BODIES = [
    body(
        "month as text",
        '{"month": "12", "year": 2024}',
        400,
        "month in the JSON body must be a whole number",
    ),
    body("year as text", '{"month": 12, "year": "2024"}', 400, "year"),
    body("body month true", '{"month": true, "year": 2024}', 400, "month"),
    body("month 12.5", '{"month": 12.5, "year": 2024}', 400, "month"),
    body("body month 12.0", '{"month": 12.0, "year": 2024}', 400, "month"),
    body("month 1e400", '{"month": 1e400, "year": 2024}', 400, "month"),
    body("month NaN", '{"month": NaN, "year": 2024}', 400, "not valid JSON"),
    body("month Infinity", '{"month": Infinity, "year": 2024}', 400, "not valid JSON"),
    body("month -Infinity", '{"month": -Infinity, "year": 2024}', 400, "not valid JSON"),
    body("month 4000 digits", '{"month": ' + "9" * 4000 + ', "year": 2024}', 400, "month"),
    body("year -2024", '{"month": 1, "year": -2024}', 400, "year"),
    body("month array", '{"month": [12], "year": 2024}', 400, "month"),
    body("month nested", '{"month": {"value": 12}, "year": 2024}', 400, "month"),
    body("body array", "[12, 2024]", 400, "must be an object"),
    body("body null", "null", 400, "must be an object"),
    body("body string", '"12/2024"', 400, "must be an object"),
    body("body number", "12", 400, "must be an object"),
    body("unknown field", '{"month": 12, "year": 2024, "dryRun": true}', 400, "unknown field"),
    body("repeated key", '{"month": 1, "month": 12, "year": 2024}', 400, "more than once"),
    body(
        "repeated key, escaped",
        '{"month": 1, "\\u006donth": 12, "year": 2024}',
        400,
        "more than once",
    ),
    body("repeated year", '{"year": 2024,"month": 1,"year":2023}', 400, "more than once"),
    body("deep nesting", "[" * 2000 + "]" * 2000, 400, "must be an object"),
    body("deep nesting in a field", '{"month": ' + "[" * 1900 + "]" * 1900 + "}", 400, "month"),
    body("malformed", '{"month": 12, "year": 2024', 400, "not valid JSON"),
    body("trailing garbage", '{"month": 12, "year": 2024} x', 400, "not valid JSON"),
    body("invalid UTF-8 in a string", b'{"month": "\xff\xfe"}', 400, "month"),
    body("invalid UTF-8 document", b'\xff\xfe{"month": 12}', 400, "not valid JSON"),
    body("BOM before JSON", b'\xef\xbb\xbf{"month": 12, "year": 2024}', 400, "not valid JSON"),
    body(
        "query and body differ",
        '{"month": 10, "year": 2024}',
        400,
        "differs",
        path="?month=11&year=2024",
    ),
    body("1 MB body", b'{"month": 12, "pad": "' + b"x" * 1_000_000 + b'"}', 413, "larger than"),
]

WRONG_CONTENT_TYPES = [
    Hostile(
        "form body",
        "POST",
        BASE,
        415,
        "content-type: application/json",
        {**SCHEDULER, "content-type": "application/x-www-form-urlencoded"},
        b"month=12&year=2024",
    ),
    Hostile(
        "JSON as text/plain",
        "POST",
        BASE,
        415,
        "application/json",
        {**SCHEDULER, "content-type": "text/plain"},
        b'{"month": 12, "year": 2024}',
    ),
    Hostile(
        "JSON without content-type",
        "POST",
        BASE,
        415,
        "application/json",
        dict(SCHEDULER),
        b'{"month": 12, "year": 2024}',
    ),
    Hostile(
        "multipart",
        "POST",
        BASE,
        415,
        "application/json",
        {**SCHEDULER, "content-type": "multipart/form-data; boundary=x"},
        b'--x\r\ncontent-disposition: form-data; name="month"\r\n\r\n12\r\n--x--\r\n',
    ),
    Hostile(
        "XML",
        "POST",
        BASE,
        415,
        "application/json",
        {**SCHEDULER, "content-type": "application/xml"},
        b"<month>12</month>",
    ),
]

PATHS_AND_METHODS = [
    get("GET on the trigger", "", 405, "not allowed"),
    Hostile("PUT on the trigger", "PUT", BASE, 405, "not allowed"),
    Hostile("DELETE status", "DELETE", f"{BASE}/status", 405, "not allowed"),
    Hostile("PATCH jobs", "PATCH", f"{BASE}/jobs", 405, "not allowed"),
    Hostile("OPTIONS trigger", "OPTIONS", BASE, 405, "not allowed"),
    Hostile("OPTIONS status", "OPTIONS", f"{BASE}/status", 405, "not allowed"),
    Hostile("TRACE status", "TRACE", f"{BASE}/status", 405, "not allowed"),
    Hostile("HEAD status", "HEAD", f"{BASE}/status", 405, ""),
    Hostile("HEAD health", "HEAD", "/health", 405, ""),
    get("unknown sub-path", "/status/extra", 404, "no such endpoint"),
    get("dot-dot path", "/%2e%2e/%2e%2e/etc/passwd", 404, "no such endpoint"),
    Hostile("unknown path", "GET", "/api/nope", 404, "no such endpoint"),
    Hostile("php probe", "POST", "/admin.php", 404, "no such endpoint"),
    Hostile("NUL in path", "GET", f"{BASE}/status%00", 404, "no such endpoint"),
    post("step without a key", "/process", 401, "x-api-key", headers={}),
    post("step with a query", "/process?month=12&year=2024", 400, "unknown query parameter"),
    body("step with a body", '{"month": 12, "year": 2024}', 400, "takes no body", path="/process"),
]

HOSTILE = (
    KEY_MISTAKES
    + QUERY_OUT_OF_RANGE_OR_TYPE
    + INJECTION
    + WRONG_BODIES
    + WRONG_CONTENT_TYPES
    + PATHS_AND_METHODS
)


@pytest.fixture
async def seeded(container: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """Users, a completed 11/2024 and a failed 12/2024: something a bad request could change."""
    await seed_users(container.users(), 20, 4, seed=31)
    async with AsyncTestClient(app=create_app(container)) as client:
        answer = await client.post(BASE, headers=SCHEDULER, json={"month": 11, "year": 2024})
        assert answer.status_code == 200
        assert (await wait_until_finished(client, 11, 2024))["status"] == "completed"
        await failed_job(container, Period(2024, 12))
        yield client


def test_the_table_is_large_enough() -> None:
    assert len(HOSTILE) >= 50
    assert len({case.name for case in HOSTILE}) == len(HOSTILE), "names must be unique"


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
async def test_a_hostile_request_is_refused_and_changes_nothing(
    seeded: AsyncTestClient,  # type: ignore[type-arg]
    container: Container,
    case: Hostile,
) -> None:
    db = container.db()
    before = await database_fingerprint(db)
    response = await seeded.request(case.method, case.url, headers=case.headers, content=case.body)
    await container.runner().wait_idle()  # anything it started would have run by now
    assert response.status_code == case.status, response.text
    if case.method != "HEAD":  # a HEAD answer has no body by definition
        assert_refused(response.json(), case.says)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert await database_fingerprint(db) == before
