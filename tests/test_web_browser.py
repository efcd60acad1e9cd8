"""The reading view in a real browser: Debian's headless Chromium driven by playwright.

One browser and one server for the module (a real TCP port, the real engine behind its search).  The tests follow a
deep anchor, run a search, check that the text the browser shows equals the bot's quote of the same paragraph,
watch for console errors, and keep a phone-width screenshot and the page weight under tests/artifacts/.
Without the browser the tests skip locally, and fail under CI=true: scripts/setup installs it there.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.i18n import gettext_for
from bot.render import passage_html
from bot.web.app import create_web_app

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
T = gettext_for("kk")
PHONE = {"width": 390, "height": 844}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: the browser tests must run in CI (scripts/setup installs chromium as root)")
    pytest.skip(f"{reason} (as root: apt-get install chromium)")


def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


class ServerThread:
    """The reading view on 127.0.0.1 in a thread of its own (playwright's sync API owns the test thread)."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, name="reading-view", daemon=True)

    def _run(self) -> None:
        from aiohttp import web

        asyncio.set_event_loop(self.loop)

        async def start() -> web.AppRunner:
            runner = web.AppRunner(create_web_app(self.assistant), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return runner

        self.runner = self.loop.run_until_complete(start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())

    def __enter__(self) -> str:
        self.thread.start()
        assert self.ready.wait(30), "the reading view did not start"
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser():
    """One browser for all the browser tests.  Module-scoped, not session-scoped: while playwright's sync API is
    open it keeps an event loop on this thread, and the other modules' asyncio.run() would refuse to start."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    if not Path(chromium_path()).exists():
        _missing("chromium is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(assistant) -> Iterator[str]:
    with ServerThread(assistant) as url:
        yield url


@pytest.fixture
def page(browser):
    """A phone-sized page that records console errors, page errors, failed and non-2xx requests."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
          else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    pg.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    pg.problems = problems  # type: ignore[attr-defined]
    yield pg
    context.close()


def quote_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def bot_quote(message_html: str) -> list[str]:
    """The lines of the quote in a bot message, as a reader sees them (tags gone, entities decoded)."""
    body = re.search(r"<blockquote[^>]*>(.*?)</blockquote>", message_html, re.S)
    assert body, message_html[:200]
    return quote_lines(html.unescape(re.sub(r"<[^>]+>", "", body.group(1))))


def test_deep_anchor_shows_the_bots_quote(page, site, corpus) -> None:
    passage = corpus.get("2025-cassation:5")
    page.goto(f"{site}/doc/2025-cassation#p5")
    target = page.locator(":target")
    assert target.get_attribute("id") == "p5"
    # scrolled to it: the paragraph's heading is in the viewport
    assert target.locator("h2").is_visible() and page.evaluate("window.scrollY") > 0
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"]
    shown = quote_lines(target.locator("blockquote").inner_text())
    assert shown == bot_quote(passage_html(passage, T).text)
    assert target.locator(".cite").inner_text() == passage.citation

    # the table of contents leads to the same place, with link text a screen reader can follow
    page.goto(f"{site}/doc/1998-1")
    toc = page.get_by_role("navigation").get_by_role("link", name=re.compile(r"^4-1-тармақ"))
    toc.click()
    assert page.url.endswith("#p4-1") and page.locator(":target").get_attribute("id") == "p4-1"
    note = page.locator("#p4-1 aside.notes")
    assert note.count() == 1 and "Ескерту" in note.inner_text()
    assert quote_lines(page.locator("#p4-1 blockquote").inner_text()) == \
        bot_quote(passage_html(corpus.get("1998-1:4-1"), T).text)
    assert page.problems == []  # type: ignore[attr-defined]


def test_search_answers_with_the_bots_quote(page, site, assistant) -> None:
    question = "Кассациялық шағым қай тілде жазылуы керек?"
    page.goto(site + "/")
    page.get_by_role("searchbox").fill(question)
    page.get_by_role("button", name=re.compile("Іздеу")).click()
    page.wait_for_load_state()
    assert "/search?q=" in page.url
    reply = assistant.ask(question)
    assert reply.outcome == "direct" and reply.best is not None
    section = page.locator(".outcome-direct section").first
    assert section.get_by_role("heading", level=2).inner_text().startswith("Жауап беретін тармақ")
    shown = section.locator("article blockquote").first
    assert quote_lines(shown.inner_text()) == bot_quote(passage_html(reply.best, T, reply.highlights).text)
    marked = [m.inner_text() for m in shown.locator("mark").all()]
    assert marked == [reply.best.sentences[i] for i in reply.highlights]
    assert page.get_by_role("searchbox").input_value() == question
    # from the answer to the paragraph's place in its document
    section.get_by_role("link", name=re.compile("Құжаттың толық мәтінінен оқу")).first.click()
    assert page.locator(":target").get_attribute("id") == f"p{reply.best.number}"

    # a question the documents do not answer: said so, nothing quoted
    page.goto(f"{site}/search?q=" + "борщ рецепті қандай")
    assert page.locator(".outcome-not_found h2").inner_text().startswith("Бұл құжаттардан")
    assert page.locator("blockquote").count() == 0
    assert page.problems == []  # type: ignore[attr-defined]


def weigh(browser, url: str) -> dict:
    """Requests and bytes of one page loaded with an empty cache, as a first-time reader gets it."""
    context = browser.new_context(viewport=PHONE)
    pg = context.new_page()
    responses = []
    pg.on("response", lambda r: responses.append(r))
    pg.goto(url, wait_until="networkidle")
    sizes = {r.url: len(r.body()) for r in responses}
    context.close()
    return {"requests": len(sizes), "bytes": sum(sizes.values()), "by_url": sizes}


def test_phone_screenshot_and_page_weight(browser, page, site) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site}/doc/2025-cassation", wait_until="load")
    page.screenshot(path=str(ARTIFACTS / "reading-view-phone-top.png"))
    page.goto(f"{site}/doc/2025-cassation#p7", wait_until="load")
    # readable on a phone: nothing wider than the screen, text at a readable size
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert float(page.evaluate("getComputedStyle(document.querySelector('blockquote p')).fontSize")[:-2]) >= 16
    shot = ARTIFACTS / "reading-view-phone.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.problems == []  # type: ignore[attr-defined]

    weight = {path: weigh(browser, site + path) for path in ("/doc/2025-cassation", "/doc/2025-cassation/5",
                                                              "/doc/1998-1", "/")}
    for w in weight.values():
        assert all(u.startswith(site) for u in w["by_url"])  # nothing from anywhere else
        assert 2 <= w["requests"] <= 3  # the page, its stylesheet (and its icon, if the browser asks)
        w["by_url"] = {u.replace(site, ""): n for u, n in w["by_url"].items()}
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(weight, indent=2), encoding="utf-8")
    print(json.dumps(weight, indent=2))
