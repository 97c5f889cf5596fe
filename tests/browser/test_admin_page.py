"""The status page against a live server with finished, failed and running jobs: the key prompt,
the history table, a progress bar that moves, the tier chart, the retry button (refused with the
scheduler's key, working with an admin key), the user lookup and the dry run; screenshots at a
laptop's and a phone's width are saved under the test's temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.backends import ADMIN_KEY, SCHEDULER_KEY
from tests.browser.server import AdminServer

from domain.period import Period
from infrastructure.seeding import seed_users

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
STUDENTS, TEACHERS = 400, 40


def _months() -> tuple[Period, Period, Period]:
    """The month just ended (left running), the one before (failed), and before that (paid)."""
    running = Period.just_ended(datetime.now(UTC), UTC)  # type: ignore[arg-type]
    failed = Period(
        running.year - (running.month == 1), 12 if running.month == 1 else running.month - 1
    )
    done = Period(failed.year - (failed.month == 1), 12 if failed.month == 1 else failed.month - 1)
    return running, failed, done


RUNNING, FAILED, DONE = _months()


@pytest.fixture(scope="module")
def server() -> Iterator[AdminServer]:
    live = AdminServer(batch_size=5).start()
    live.call(seed_users(live.container.users(), STUDENTS, TEACHERS, 5))
    live.trigger(DONE)
    live.wait_until(DONE, "completed")
    live.wallet.fail_once.add(FAILED)
    live.trigger(FAILED)
    live.wait_until(FAILED, "failed")
    yield live
    live.wallet.delay.clear()  # let the running month finish rather than be cut off
    live.stop()


def _open(browser: Any, server: AdminServer, viewport: dict[str, int], key: str | None) -> Any:
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{server.base}/admin")
    if key is not None:
        page.fill("#key", key)
        page.click("#gate-form button[type=submit]")
        page.wait_for_selector("#current-job")
    return page


def _until(page: Any, expression: str, limit_s: float = 15) -> Any:
    """Polls a JavaScript expression until it is truthy. (Playwright's wait_for_function
    evaluates a string in the page, which the page's CSP rightly forbids: no 'unsafe-eval'.)"""
    for _ in range(int(limit_s * 10)):
        value = page.evaluate(expression)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {limit_s}s: {expression}")


def _shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would be drawn mid-page otherwise
    page.screenshot(path=str(path), full_page=True)
    return path


def test_without_a_key_the_page_shows_only_the_prompt(
    browser: Any, server: AdminServer, screenshots: Path
) -> None:
    page = _open(browser, server, PHONE, key=None)
    assert page.is_visible("#gate") and not page.is_visible("#app")
    assert page.locator("#overview").inner_html() == ""
    _shot(page, screenshots, "phone-key-prompt")
    page.fill("#key", "not-a-key")
    page.click("#gate-form button[type=submit]")
    page.wait_for_selector("#gate-error:not([hidden])")
    assert "refused" in page.inner_text("#gate-error")
    assert not page.is_visible("#app")
    assert page.evaluate("sessionStorage.length") == 0  # a refused key is not kept
    page.context.close()


def test_history_a_moving_progress_bar_and_the_chart(
    browser: Any, server: AdminServer, screenshots: Path
) -> None:
    # The month just ended has no job yet, and it is past due (the server's deadline is the
    # 1st, 00:00): the alarm says so; when its job starts, the next refresh says that instead.
    page = _open(browser, server, LAPTOP, key=ADMIN_KEY)
    assert page.get_attribute("#alarm", "class") == "alarm overdue"
    assert f"Overdue. {RUNNING} has no job" in page.inner_text("#alarm")
    _shot(page, screenshots, "laptop-overdue")

    # 80 batches of 5 students, two in flight at a time (the worker overlaps them): about 20 s
    server.wallet.delay[RUNNING] = 0.5
    server.trigger(RUNNING)
    expect(page.locator("#alarm")).to_have_class("alarm ok", timeout=20_000)  # the next refresh
    expect(page.locator("#job-status")).to_have_text("processing")

    rows = page.locator("#history tbody tr")
    assert rows.count() == 3
    found = {
        rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).locator(".pill").inner_text()
        for i in range(3)
    }
    assert found == {str(RUNNING): "processing", str(FAILED): "failed", str(DONE): "completed"}
    assert page.inner_text("#job-status") == "processing"
    assert page.inner_text("#job-health") == "running"
    card = page.inner_text("#current-job").lower()
    assert "lease" in card and "expires in" in card and "heartbeat" in card

    bar = '#progress [data-category="students"] progress'
    value = f"document.querySelector('{bar}').value"
    first = _until(page, value)
    # The page refreshes itself every 2 s while the job runs: the bar must move with no click.
    _until(page, f"{value} > {first}")
    later = page.evaluate(value)
    assert later > first
    assert page.get_attribute(bar, "max") == str(STUDENTS)

    bars = page.locator("#tier-chart svg rect[class^=s]")
    assert bars.count() >= 2
    titles = page.locator("#tier-chart svg title").all_text_contents()
    assert "students, CHAMPION: 1 rewards" in titles
    assert page.locator("#tops [data-category=students] tbody tr").count() == 10
    _shot(page, screenshots, "laptop-running")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    _shot(page, screenshots, "phone-running")
    # Nothing overflows the phone's width: the wide tables scroll inside their cards.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def _focus_failed(page: Any) -> None:
    page.click(
        f'#history button[data-action=focus][data-month="{FAILED.month}"][data-year="{FAILED.year}"]'
    )
    expect(page.locator("#job-status")).to_have_text("failed")


def test_retry_is_refused_without_the_admin_key_and_works_with_it(
    browser: Any, server: AdminServer, screenshots: Path
) -> None:
    page = _open(browser, server, LAPTOP, key=SCHEDULER_KEY)
    _focus_failed(page)
    assert "refused the batch" in page.inner_text("#current-job .failure")
    page.click("#current-job button[data-action=retry]")
    page.wait_for_selector("#retry-status:not([hidden])")
    assert page.inner_text("#retry-status").startswith(
        "Refused: this action needs an admin API key"
    )
    assert server.status(FAILED)["status"] == "failed"
    _shot(page, screenshots, "laptop-retry-refused")

    page.click("#forget")
    assert page.is_visible("#gate") and page.evaluate("sessionStorage.length") == 0
    page.fill("#key", ADMIN_KEY)
    page.click("#gate-form button[type=submit]")
    page.wait_for_selector("#current-job")
    _focus_failed(page)
    # The retry's answer is held until a refresh has replaced the overview it was clicked in:
    # its notice must show in the overview on screen then (it was lost in a detached one).
    held: list[Any] = []
    page.route("**/api/ranking/monthly-rewards/retry", lambda route: held.append(route))
    page.click("#current-job button[data-action=retry]")
    for _ in range(500):  # 10 s at most
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the retry was never sent"
    page.evaluate("document.querySelector('#current-job').dataset.replaced = 'no'")
    _focus_failed(page)  # refreshes the overview
    page.wait_for_selector("#current-job:not([data-replaced])")
    held[0].continue_()
    expect(page.locator("#retry-status")).to_have_class("notice done")
    assert f"Retry of monthly rewards for {FAILED} started" in page.inner_text("#retry-status")
    expect(page.locator("#job-status")).to_have_text("completed", timeout=60_000)
    job = server.status(FAILED)
    assert job["status"] == "completed" and job["attempts"] == 2
    assert [a["kind"] for a in job["attemptHistory"]] == ["start", "retry"]
    assert "#2 · retry" in page.inner_text("#current-job")
    _shot(page, screenshots, "laptop-retried")
    page.context.close()


def test_user_lookup_and_dry_run(browser: Any, server: AdminServer, screenshots: Path) -> None:
    paid = server.status(DONE)
    page = _open(browser, server, PHONE, key=ADMIN_KEY)
    champion = page.locator("#tops [data-category=students] tbody tr").first
    assert champion.locator("td").first.inner_text() == "1"

    some_user = server.call(server.container.users().find_one({"role": "student"}))
    page.fill("#user-id", str(some_user["_id"]))
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#lookup-result table")
    months = page.locator("#lookup-result tbody tr td:first-child").all_inner_texts()
    assert str(DONE) in months

    page.fill("#preview-month", str(DONE.month))
    page.fill("#preview-year", str(DONE.year))
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#preview-result .preview")
    total = page.get_attribute("#preview-result .preview", "data-total-coins")
    assert total == str(paid["results"]["totalCoinsAwarded"])
    assert "already has a job (completed)" in page.inner_text("#preview-result")
    assert page.locator("#preview-result svg rect").count() >= 2
    _shot(page, screenshots, "phone-lookup-and-dry-run")

    page.click("#forget")
    page.fill("#key", SCHEDULER_KEY)
    page.click("#gate-form button[type=submit]")
    page.wait_for_selector("#current-job")
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#preview-result .notice.error")
    assert page.inner_text("#preview-result").startswith(
        "Refused: this action needs an admin API key"
    )
    page.context.close()
