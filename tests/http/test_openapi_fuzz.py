"""Schemathesis against the OpenAPI document a running `rewards serve` publishes: requests drawn
from the document (valid ones, and ones it says are invalid), with a scheduler key and with none.
No answer may be a 5xx, every answer must be one the document declares, with the declared body
and content type, and what the document calls invalid must be refused with a 4xx.

Bounded for CI: REWARDS_FUZZ_EXAMPLES examples per operation and mode (default 50) with a key,
a quarter of that without, on the embedded database: under a minute and a half here."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.backends import settings_for
from tests.http.conftest import SCHEDULER
from tests.support.instances import ServiceInstance

EXAMPLES = int(os.environ.get("REWARDS_FUZZ_EXAMPLES") or 50)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """`rewards serve` on the embedded database; rate limits off, or the fuzzer meets 429s."""
    folder = Path(tempfile.mkdtemp(prefix="rewards-fuzz-"))
    instance = ServiceInstance(
        settings_for("mongomock", None),
        folder / "serve.log",
        {"REWARDS_RATE_LIMIT_POSTS": "0", "REWARDS_RATE_LIMIT_AUTH_FAILURES": "0"},
    )
    try:
        yield instance.wait_healthy().base
    finally:
        instance.stop()
        if "Traceback" in instance.log_text():
            print(instance.log_text()[-4000:])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def api_schema(served: str) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{served}/schema/openapi.json")


def fuzz(
    operation: APIOperation, mode: GenerationMode, headers: dict[str, str], examples: int
) -> int:
    """Runs one operation's examples; returns how many were sent."""
    sent = 0
    checks = CHECKS if mode is GenerationMode.NEGATIVE else CHECKS[:4]

    @given(case=operation.as_strategy(generation_mode=mode))
    # Derandomized: every run sends the same examples, so CI is reproducible, not a lottery.
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(case: Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE and sent == 0, operation.label
    return sent


@pytest.mark.parametrize("keyed", [True, False], ids=["scheduler key", "no key"])
def test_every_answer_matches_the_document(
    api_schema: BaseSchema, keyed: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 13, [op.label for op in operations]
    started = time.monotonic()
    total = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if keyed:
                total += fuzz(operation, mode, dict(SCHEDULER), EXAMPLES)
            else:  # every one is a 401: fewer suffice
                total += fuzz(operation, mode, {}, max(EXAMPLES // 4, 5))
    with capsys.disabled():
        print(
            f"\n[fuzz] {total} requests over {len(operations)} operations "
            f"({'with' if keyed else 'without'} a key) in {time.monotonic() - started:.1f}s"
        )


def test_the_served_answers_name_no_server_and_carry_the_headers(served: str) -> None:
    answer = httpx.get(f"{served}/health")
    assert answer.status_code == 200
    assert "server" not in answer.headers  # uvicorn's name and version: nothing to match
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
