"""Fixtures for the browser tests: Debian's Chromium via Playwright, the app on a live server.

Each test gets a fresh app (register and demo people seeded, mail to the real SMTP server of
tests/smtp.py), a live werkzeug server for it, and a fresh browser context. Every page a test
audits is checked by axe at once and kept for one Nu Html Checker run when its module ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from app.db import get_session
from app.services.register_seed import seed_register
from tests.browser.helpers import (
    AXE_JS,
    VNU_JAR,
    Auditor,
    HtmlCollector,
    LiveServer,
    NewPage,
    validate_html,
)
from tests.browser.people import seed_people
from tests.conftest import START, Clock, make_app
from tests.smtp import Mailbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    for needed in (CHROMIUM, AXE_JS, VNU_JAR):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run `make browser-deps`")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def live_server(
    tmp_path: Path, smtp_config: dict[str, Any], mailbox: Mailbox
) -> Iterator[LiveServer]:
    """The portal on 127.0.0.1, seeded, mailing the test SMTP server; links in mail point here.

    The database is a file in tmp_path rather than ``sqlite://``: the in-memory database is one
    connection shared by every thread (StaticPool), so two concurrent requests of a browser (a page
    and its favicon) would share one transaction and one's rollback could undo the other's work.
    """
    clock = Clock(START)
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}", **smtp_config)
    app.extensions["clock"] = clock
    with app.app_context():
        db = get_session()
        seed_register(db)
        people = seed_people(db, now=clock())
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # the verification link in the e-mail opens this server
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, mailbox=mailbox, clock=clock, people=people)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.extensions["db.engine"].dispose()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser context per test; the CSP is bypassed only so that axe can be injected.

    The real CSP is still sent, and checked in test_journey.
    """
    context = browser.new_context(
        base_url=live_server.url, bypass_csp=True, accept_downloads=True, locale="sv-SE"
    )
    # axe-core in every document from the start: much faster than a script tag per page.
    context.add_init_script(path=str(AXE_JS))
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer, audit: Auditor) -> Iterator[NewPage]:
    """A page in a browser context of its own (another person), set up like ``context``."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="sv-SE")
        context.add_init_script(path=str(AXE_JS))
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        audit.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def html_pages(tmp_path_factory: pytest.TempPathFactory, request: Any) -> Iterator[HtmlCollector]:
    """The HTML of every page audited in this module, checked by ONE vnu run at its end.

    Per module (not per session) so that it also holds under pytest-xdist, where each worker
    runs its share of a module's tests and checks what it saw itself.
    """
    collector = HtmlCollector(tmp_path_factory.mktemp(f"html-{request.module.__name__}"))
    yield collector
    errors = validate_html(collector.files)
    if errors:
        pytest.fail(
            f"The Nu Html Checker found {len(errors)} error(s) in the pages of "
            f"{request.module.__name__} (kept in {collector.directory}):\n" + "\n".join(errors),
            pytrace=False,
        )


@pytest.fixture
def audit(html_pages: HtmlCollector, page: Page, request: Any) -> Auditor:
    """``audit(page)`` after each page the test reaches: axe now, vnu at the module's end."""
    auditor = Auditor(html_pages, request.node.name)
    auditor.watch(page)
    return auditor
