"""The admin page in a real headless browser: Debian's chromium driven by Playwright (Playwright's
own browser download is not used). Without chromium these tests skip with the reason, except
under CI=true, where .ci/run installs it and they must run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = (
    os.environ.get("REWARDS_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)


# Module scope, not session: while Playwright's sync API is open it holds an event loop on the
# main thread, and the asyncio tests that run after the browser's must find none.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and no chromium at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("admin-screenshots")
    print(f"\nscreenshots of the admin page: {folder}")
    return folder
