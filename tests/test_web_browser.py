"""The meeting in a real browser: Playwright (sync API) drives Debian's Chromium against
the app served by uvicorn on 127.0.0.1 (a free port, background thread).

Log in, open the round, pin an alternate, re-solve and see the pin kept; record an offer and
its decline (approval lapses), re-solve and see the first alternate get the dwelling; then
an analyst sees no action buttons and gets 403 on a direct POST. Screenshots of the round
page go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from web.fixtures import DEMO_PASSWORD, make_app

CHROMIUM = Path(os.environ.get("ALLOCATOR_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium not found at {CHROMIUM} and not installed (scripts/test-services "
    "installs Debian's 'chromium' package where apt-get is available)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    app = make_app(f"sqlite:///{tmp_path / 'allocator.db'}")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(base_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="nb-NO")
        context.set_default_timeout(30_000)
        yield context.new_page()
        context.close()
        browser.close()


def _login(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/rounds")
    assert "/login" in page.url  # sent to the login page first
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base_url}/rounds")


def _row(page, dwelling: str):  # type: ignore[no-untyped-def]
    return page.locator(f"tr[data-dwelling='{dwelling}']")


def _holder(page, dwelling: str) -> str:  # type: ignore[no-untyped-def]
    return str(_row(page, dwelling).get_attribute("data-household"))


def _resolve(page) -> str:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click("form[action$='/resolve'] button")
    return str(page.locator(".flash-ok").first.inner_text())


def test_meeting_in_the_browser(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    _login(page, base_url, "saksbehandler")
    with page.expect_navigation():
        page.locator("table a[href^='/rounds/']").first.click()
    page.wait_for_selector("#vacancies")
    assert page.locator("#vacancies tbody tr").count() == 24
    page.screenshot(path=str(ARTIFACTS / "round-initial.png"), full_page=False)

    # Pin the first alternate of D03 to D03, re-solve: the pin holds.
    row = _row(page, "D03")
    alternate = str(row.locator("li[data-alternate]").first.get_attribute("data-alternate"))
    assert alternate != _holder(page, "D03")
    with page.expect_navigation():
        row.locator(f"li[data-alternate='{alternate}'] a", has_text="Lås").click()
    with page.expect_navigation():  # the what-if page: consequence first, then confirm
        page.click(".confirm-form button[type=submit]")
    assert "låst" in page.locator(".flash-ok").first.inner_text()
    assert page.locator(".flash-warn").count() == 1  # decisions since the last solve
    message = _resolve(page)
    assert "beholdt" in message
    assert _holder(page, "D03") == alternate
    assert "Låst" in _row(page, "D03").inner_text()

    # Offer D05 to its household, record a decline that lapses the approval, re-solve.
    declining = _holder(page, "D05")
    first = str(
        _row(page, "D05").locator("li[data-alternate]").first.get_attribute("data-alternate")
    )
    with page.expect_navigation():
        _row(page, "D05").locator("button", has_text="Tilbud sendt").click()
    assert "Tilbud sendt" in _row(page, "D05").inner_text()
    with page.expect_navigation():
        _row(page, "D05").locator("a", has_text="Takket nei").click()
    page.locator(".confirm-form input[name=lapse]").check()
    with page.expect_navigation():
        page.click(".confirm-form button[type=submit]")
    assert "bortfalt" in page.locator(".flash-ok").first.inner_text()
    _resolve(page)
    assert _holder(page, "D05") == first  # the first alternate is promoted
    assert _holder(page, "D03") == alternate  # and the pin is still kept
    assert declining not in [_holder(page, f"D{i:02d}") for i in range(1, 25)]
    assert "Endret" in _row(page, "D05").inner_text()
    page.screenshot(path=str(ARTIFACTS / "round-after-decline.png"), full_page=False)
    _row(page, "D05").screenshot(path=str(ARTIFACTS / "round-after-decline-D05.png"))
    page.screenshot(path=str(ARTIFACTS / "round-full.png"), full_page=True)

    # The diff page lists the promoted alternate.
    page.goto(f"{base_url}/rounds/1/diff")
    assert first in page.locator("#diff-dwellings").inner_text()
    page.screenshot(path=str(ARTIFACTS / "diff.png"), full_page=True)

    # The household page shows its ranked dwellings (loaded after the page) and rule-outs.
    page.goto(f"{base_url}/rounds/1/households/{first}")
    page.wait_for_selector("#recommendations")
    page.screenshot(path=str(ARTIFACTS / "household.png"), full_page=True)

    # An analyst reads but cannot act.
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    _login(page, base_url, "analytiker")
    page.goto(f"{base_url}/rounds/1")
    assert page.locator("#vacancies tbody tr").count() == 24
    assert page.locator("form[action^='/rounds/']").count() == 0
    assert page.locator(".cell-actions").count() == 0
    page.screenshot(path=str(ARTIFACTS / "round-analyst.png"), full_page=False)
    token = page.locator("form[action='/logout'] input[name=csrf_token]").get_attribute("value")
    response = page.request.post(
        f"{base_url}/rounds/1/pin",
        form={"csrf_token": str(token), "household": first, "dwelling": "D05"},
    )
    assert response.status == 403
    response = page.request.post(f"{base_url}/rounds/1/resolve", form={"csrf_token": str(token)})
    assert response.status == 403
