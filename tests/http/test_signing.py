"""Signed triggers (REWARDS_TRIGGER_HMAC_SECRET): a fresh, correct signature passes; a missing,
stale, wrong, reused or tampered one is 401 and changes nothing; reads need none; and the
README's openssl command computes the same signature as the service."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable

import pytest
from litestar.testing import AsyncTestClient
from tests.backends import container_for, settings_for
from tests.http.conftest import ADMIN, SCHEDULER
from tests.http.hostile import assert_refused, database_fingerprint

from infrastructure.container import Container
from interfaces.http.app import create_app
from interfaces.http.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

SECRET = "a-shared-secret-for-signing-0123"
PATH = "/api/ranking/monthly-rewards"
BODY = b'{"month":12,"year":2024}'


def signed(
    body: bytes = BODY, path: str = PATH, at: float | None = None, secret: str = SECRET
) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {
        **SCHEDULER,
        "content-type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, "POST", path, stamp, body),
    }


@pytest.fixture
def container() -> Container:
    return container_for(settings_for("mongomock", None, trigger_hmac_secret=SECRET))


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(container)) as test_client:
        yield test_client


async def test_a_fresh_signature_passes_once(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    headers = signed()
    first = await client.post(PATH, headers=headers, content=BODY)
    assert first.status_code == 200, first.text
    replayed = await client.post(PATH, headers=headers, content=BODY)
    assert replayed.status_code == 401
    assert_refused(replayed.json(), "already used")


async def test_the_query_string_is_signed_too(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    path = f"{PATH}?month=11&year=2024"
    ok = await client.post(path, headers=signed(b"", path))
    assert ok.status_code == 200, ok.text
    moved = await client.post(f"{PATH}?month=10&year=2024", headers=signed(b"", path))
    assert moved.status_code == 401


@pytest.mark.parametrize(
    ("name", "headers", "body", "says"),
    [  # headers are made when the test runs: a timestamp made at collection would age
        (
            "no signature",
            lambda: {**SCHEDULER, "content-type": "application/json"},
            BODY,
            "signed POSTs",
        ),
        (
            "stale by six minutes",
            lambda: signed(at=time.time() - 360),
            BODY,
            "away from the server",
        ),
        ("from the future", lambda: signed(at=time.time() + 360), BODY, "away from the server"),
        ("wrong secret", lambda: signed(secret="another-secret-entirely"), BODY, "does not match"),
        ("tampered body", signed, b'{"month":11,"year":2024}', "does not match"),
        ("other path", lambda: signed(path=f"{PATH}/retry"), BODY, "does not match"),
        (
            "timestamp not a number",
            lambda: {**signed(), TIMESTAMP_HEADER: "yesterday"},
            BODY,
            "Unix",
        ),
    ],
)
async def test_a_bad_signature_is_refused_and_changes_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    container: Container,
    name: str,
    headers: Callable[[], dict[str, str]],
    body: bytes,
    says: str,
) -> None:
    before = await database_fingerprint(container.db())
    answer = await client.post(PATH, headers=headers(), content=body)
    assert answer.status_code == 401, name
    assert_refused(answer.json(), says)
    assert await database_fingerprint(container.db()) == before


async def test_reads_need_no_signature_and_retry_does(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get(f"{PATH}/jobs", headers=SCHEDULER)).status_code == 200
    unsigned = await client.post(
        f"{PATH}/retry", headers={**ADMIN, "content-type": "application/json"}, content=BODY
    )
    assert unsigned.status_code == 401


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_readme_openssl_command_signs_like_the_service() -> None:
    # The README's lines, with a fixed timestamp.
    script = r"""
SECRET='a-shared-secret-for-signing-0123'
BODY='{"month":12,"year":2024}'
TS=1767225900
SIG=$(printf 'POST\n%s\n%s\n%s' /api/ranking/monthly-rewards "$TS" "$BODY" \
  | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
echo "$SIG"
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == signature(SECRET, "POST", PATH, "1767225900", BODY)
