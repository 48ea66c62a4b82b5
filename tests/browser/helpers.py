"""Checks and small steps shared by the browser tests: axe-core, the Nu Html Checker, e-mail."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response

from tests.browser.people import People
from tests.conftest import Clock
from tests.smtp import Mailbox

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class LiveServer:
    """The portal served on 127.0.0.1 for one test, and what the test needs to know about it."""

    url: str
    app: Flask
    mailbox: Mailbox
    clock: Clock
    people: People


# --- accessibility: axe-core -------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page (the context must bypass the CSP to inject it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
                summaries: v.nodes.map(n => n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for target, summary in zip(v["targets"], v["summaries"], strict=False):
            detail = " ".join((summary or "").split())
            lines.append(f"    at {target}: {detail}")
    return "\n".join(lines)


def check_axe(page: Page) -> None:
    """Assert that axe finds no WCAG 2.0/2.1 A or AA violation on the current page."""
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


def check_fragment_links(page: Page) -> None:
    """Every in-page link (skip link, error summary) must point at an element that exists."""
    missing = page.evaluate(
        """() => [...document.querySelectorAll('a[href^="#"]')]
            .map(a => a.getAttribute('href').slice(1))
            .filter(id => id && !document.getElementById(decodeURIComponent(id)))"""
    )
    assert not missing, f"in-page links to missing ids on {page.url}: {missing}"


# --- HTML validity: the Nu Html Checker ----------------------------------------------------------


def validate_html(files: list[Path]) -> list[str]:
    """Check every file in ONE vnu run (a JVM start costs about 1.3 s); return the errors."""
    if not files:
        return []
    result = subprocess.run(  # noqa: S603  (fixed command, our own temp files)
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout"]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        return [f"vnu gave no JSON (exit {result.returncode}): {result.stdout}{result.stderr}"]
    errors = []
    for message in report.get("messages", []):
        if message.get("type") == "info":
            continue
        where = Path(urlsplit(message.get("url", "")).path).name
        line = message.get("lastLine", "?")
        extract = " ".join((message.get("extract") or "").split())
        errors.append(f"{where}:{line}: {message.get('message')}  [{extract}]")
    if result.returncode != 0 and not errors:
        errors.append(f"vnu failed (exit {result.returncode}): {result.stderr.strip()}")
    return errors


class HtmlCollector:
    """Keeps the HTML of every page a test module visits, for one vnu run at the module's end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: list[Path] = []

    def save(self, name: str, html: str) -> Path:
        name = re.sub(r"/verify/[^/]+", "/verify", name)  # not the token
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]
        path = self.directory / f"{len(self.files):03d}-{slug}.html"
        path.write_text(html, encoding="utf-8")
        self.files.append(path)
        return path


class Auditor:
    """``audit(page)``: keep the page's HTML for vnu, then run axe and the in-page link check.

    The HTML kept is what the server sent (the main document's response body), not the DOM as
    Chromium repaired it, so that parse errors are not hidden; ``page.content()`` is the fallback.
    """

    def __init__(self, collector: HtmlCollector, test_name: str) -> None:
        self.collector = collector
        self.test_name = test_name
        self.documents: list[Response] = []
        self.audited: list[str] = []

    def watch(self, page: Page) -> None:
        def remember(response: Response) -> None:
            if response.request.resource_type == "document" and response.frame == page.main_frame:
                self.documents.append(response)

        page.on("response", remember)

    def _source(self, page: Page) -> str:
        for response in reversed(self.documents):
            if response.url == page.url and "text/html" in response.headers.get("content-type", ""):
                try:
                    return response.body().decode("utf-8")
                except PlaywrightError:  # body no longer kept: fall back to the DOM
                    break
        return page.content()

    def __call__(self, page: Page) -> None:
        path = urlsplit(page.url).path
        self.collector.save(f"{self.test_name}{path}", self._source(page))
        self.audited.append(path)
        check_fragment_links(page)
        check_axe(page)


# --- the verification e-mail -------------------------------------------------------------------

_CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")
_LINK = re.compile(r"https?://\S+/verify/\S+")


def wait_for_mail(
    mailbox: Mailbox, address: str, count: int, timeout: float = 5.0
) -> list[EmailMessage]:
    """The e-mails to ``address`` once there are at least ``count`` (delivery is after commit)."""
    deadline = time.monotonic() + timeout
    while True:
        found = mailbox.to(address)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, (
                f"expected {count} e-mail(s) to {address}, got {len(found)}: "
                f"{[m['Subject'] for m in mailbox.messages]}"
            )
            return found
        time.sleep(0.05)


def verification_link(message: EmailMessage) -> str:
    found = _LINK.search(Mailbox.text(message))
    assert found, f"no verification link in: {Mailbox.text(message)}"
    return found.group(0)


def verification_code(message: EmailMessage) -> str:
    found = _CODE.search(Mailbox.text(message))
    assert found, f"no code in: {Mailbox.text(message)}"
    return found.group(1)


Audit = Callable[[Page], None]


NewPage = Callable[[], Page]  # the ``new_page`` fixture: a page in a browser context of its own
