"""The reading view over HTTP (aiohttp's test client): pages from the knowledge base, escaping, the
Content-Security-Policy, GET/HEAD only, the per-client search limit, deep-link payloads and colour contrast.

The pages are served over the real core (`Assistant` over the real engine), as `cassbot web` serves them.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.assistant import Assistant
from bot.core.links import MAX_PAYLOAD, anchor, decode_payload, encode_payload, paragraph_page_url
from bot.web.app import CSP, STATIC, WebConfig, create_web_app
from knowledge import Corpus
from tests.fake_bot_api import async_test


@asynccontextmanager
async def client(assistant: Assistant, **config: object) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(assistant, WebConfig(**config)))) as c:  # type: ignore[arg-type]
        yield c


def visible(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# -- deep-link payloads ------------------------------------------------------------------------------------
def test_every_passage_id_round_trips_through_a_payload(corpus: Corpus) -> None:
    for p in corpus.passages:
        payload = encode_payload(p.id)
        assert payload is not None and len(payload) <= MAX_PAYLOAD, p.id
        assert re.fullmatch(r"[A-Za-z0-9_-]+", payload), payload
        assert decode_payload(payload) == p.id
    assert encode_payload("2025-cassation:5") == "2025-cassation_5"
    assert decode_payload("1998-1_4-1") == "1998-1:4-1"
    assert decode_payload("1998-1_preamble") == "1998-1:preamble"


@pytest.mark.parametrize("payload", ["", None, "x" * 65, "2016-1:5", "2016-1 5", "../etc/passwd", "2016-1_",
                                     "_5", "2016-1", "ж_5", "2016-1_5\n"])
def test_malformed_payloads_decode_to_nothing(payload: str | None) -> None:
    assert decode_payload(payload) is None


def test_anchors_and_page_urls() -> None:
    assert anchor("5") == "p5" and anchor("4-1") == "p4-1" and anchor("preamble") == "preamble"
    assert paragraph_page_url("https://x.org/read/", "2016-1", "5") == "https://x.org/read/doc/2016-1/5"


# -- pages -----------------------------------------------------------------------------------------------
@pytest.mark.slow
@async_test(timeout=120)
async def test_document_page_is_the_knowledge_base(corpus: Corpus, assistant: Assistant) -> None:
    async with client(assistant) as c:
        r = await c.get("/doc/1998-1")
        assert r.status == 200 and r.content_type == "text/html"
        page = await r.text()
    doc = corpus.document("1998-1")
    text = visible(page)
    assert doc.title in text and "1998-05-14" in text
    for note in doc.notes:  # document-level amendment notes, verbatim
        assert html.escape(note, quote=True).replace("&#x27;", "&#39;") in page or note in text
    for p in corpus.of("1998-1"):
        assert f'id="{anchor(p.number)}"' in page and f'href="#{anchor(p.number)}"' in page
        for line in p.text.split("\n"):
            assert " ".join(line.split()) in " ".join(text.split()), (p.id, line[:60])
        for note in p.notes:
            assert " ".join(note.split()) in " ".join(text.split())
    assert re.search(r"<main\b", page) and re.search(r"<nav\b", page) and "<h1>" in page
    assert page.count("<h1") == 1


@pytest.mark.slow
@async_test(timeout=120)
async def test_commentary_is_marked_not_law(corpus: Corpus, assistant: Assistant) -> None:
    async with client(assistant) as c:
        page = await (await c.get("/doc/history")).text()
        law = await (await c.get("/doc/2016-1")).text()
    assert "заң нормасы емес" in page and 'class="not-law' in page
    assert page.count('class="not-law"') == len(corpus.of("history"))
    assert "заң нормасы емес" not in law


@pytest.mark.slow
@async_test(timeout=120)
async def test_paragraph_in_context_and_unknown_pages(corpus: Corpus, assistant: Assistant) -> None:
    async with client(assistant) as c:
        r = await c.get("/doc/2025-cassation/5")
        page = await r.text()
        assert r.status == 200
        assert 'id="p4"' in page and 'id="p5"' in page and 'id="p6"' in page and 'id="p7"' not in page
        assert 'href="/doc/2025-cassation#p5"' in page
        for path in ("/doc/nope", "/doc/2016-1/99", "/doc/2016", "/nothing", "/static/../app.py"):
            r = await c.get(path)
            assert r.status == 404, path
            assert "Бет табылмады" in await r.text() and r.headers["Content-Security-Policy"] == CSP


# -- security --------------------------------------------------------------------------------------------
@pytest.mark.slow
@async_test(timeout=120)
async def test_every_response_carries_a_strict_csp(corpus: Corpus, assistant: Assistant) -> None:
    assert "default-src 'none'" in CSP and "script-src" not in CSP and "unsafe" not in CSP
    async with client(assistant) as c:
        for path in ("/", "/doc/2016-1", "/doc/2016-1/1", "/search", "/static/style.css", "/nope"):
            r = await c.get(path)
            assert r.headers["Content-Security-Policy"] == CSP, path
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Referrer-Policy"] == "no-referrer"
            assert "Set-Cookie" not in r.headers  # no user data: no cookies, no sessions
        page = await (await c.get("/doc/2016-1")).text()
    assert "<script" not in page and " style=" not in page and not re.search(r"<[^>]+\son\w+=", page)


@pytest.mark.slow
@async_test(timeout=120)
async def test_only_get_and_head(corpus: Corpus, assistant: Assistant) -> None:
    async with client(assistant) as c:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            for path in ("/", "/search?q=x", "/doc/2016-1", "/nope"):
                r = await c.request(method, path)
                assert r.status == 405, (method, path)
                assert r.headers["Allow"] == "GET, HEAD"
                assert r.headers["Content-Security-Policy"] == CSP
        head = await c.head("/doc/2016-1")
        assert head.status == 200 and await head.read() == b""


@pytest.mark.slow
@async_test(timeout=120)
async def test_text_is_gzipped_for_clients_that_accept_it(assistant: Assistant) -> None:
    import gzip

    async with client(assistant) as c:
        plain = await (await c.get("/doc/2025-cassation", headers={"Accept-Encoding": "identity"})).read()
        r = await c.get("/doc/2025-cassation", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        packed = await r.read()
        assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
        assert gzip.decompress(packed) == plain and len(packed) * 4 < len(plain)
        assert r.headers["Content-Security-Policy"] == CSP
        css = await c.get("/static/style.css", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        assert css.headers["Content-Encoding"] == "gzip"


@pytest.mark.slow
@async_test(timeout=120)
async def test_search_escapes_the_question_and_shows_the_outcome(assistant: Assistant) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)> кассациялық шағым қай тілде жазылады'
    async with client(assistant) as c:
        r = await c.get("/search", params={"q": hostile})
        page = await r.text()
        assert r.status == 200
        assert "<script>" not in page and "<img src=x" not in page
        assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in page
        assert "/doc/2025-cassation#p7" in page  # the paragraph on the language (direct or closest) shown
        direct = await (await c.get("/search", params={"q": "кассациялық шағым қай тілде жазылады"})).text()
        assert 'class="outcome outcome-direct"' in direct and "<mark>" in direct
        far = await (await c.get("/search", params={"q": "борщ рецепті қандай"})).text()
        assert 'class="outcome outcome-not_found"' in far and "<blockquote" not in far
        long = await (await c.get("/search", params={"q": "kassaciyalyk shagym " * 60})).text()
        assert 'maxlength="1000"' in long and "1000" in visible(long)


@pytest.mark.slow
@async_test(timeout=120)
async def test_searches_are_limited_per_client(assistant: Assistant) -> None:
    async with client(assistant, search_burst=3, search_per_seconds=3600) as c:
        codes = [(await c.get("/search", params={"q": f"кассациялық шағым {n}"})).status for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = await (await c.get("/search", params={"q": "кассация"})).text()
        assert "Іздеу тым жиі" in limited and "<blockquote" not in limited
        assert (await c.get("/doc/2016-1")).status == 200  # reading is never limited
        assert (await c.get("/search")).status == 200  # nor is the empty search form


# -- accessibility: contrast of every colour pair the stylesheet uses --------------------------------------
PAIRS = [("text", "bg"), ("muted", "bg"), ("link", "bg"), ("text", "mark-bg"), ("note-text", "note-bg"),
         ("link", "note-bg"), ("muted", "note-bg"), ("warn-text", "warn-bg"), ("bg", "link"), ("text", "note-bg")]


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_of_every_text_colour_is_at_least_4_5() -> None:
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    palettes = re.findall(r":root\s*{([^}]*)}", css)
    assert len(palettes) == 2  # light, and dark (prefers-color-scheme)
    for palette in palettes:
        colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", palette))
        for fg, bg in PAIRS:
            ratio = contrast(colours[fg], colours[bg])
            assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f}"
    used = set(re.findall(r"var\(--([\w-]+)\)", css))
    assert used <= set(dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", palettes[0])))
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


def test_templates_autoescape() -> None:
    from bot.web.app import templates

    env = templates()
    assert env.autoescape is True
    assert "&lt;b&gt;" in env.from_string("{{ x }}").render(x="<b>")
    assert Path(STATIC / "style.css").stat().st_size < 8000


@pytest.mark.slow
def test_each_outcome_of_the_core_has_its_layout(corpus: Corpus, assistant: Assistant) -> None:
    """The page lays out the core's reply: a direct quote, the closest paragraphs named by the core's heading and
    said not to be an answer, or "not found" with questions worth asking instead."""
    from bot.core.assistant import CLOSEST, NOT_FOUND, Reply, Suggestion
    from bot.web.app import templates
    from bot.web.pages import search_view

    env = templates()

    def render(reply: Reply) -> str:
        return env.get_template("search.html").render(result=search_view("q", reply, assistant.heading),
                                                      limited=False)

    near = [corpus.get(pid) for pid in ("2025-cassation:7", "2016-1:3")]
    closest = render(Reply("q", CLOSEST, 0.3, closest=near))
    assert "outcome-closest" in closest and "тікелей жауап емес" in closest and "<blockquote" not in closest
    for p in near:
        assert html.escape(assistant.heading(p, "kk"), quote=True).replace("&#x27;", "&#39;") in closest
        assert f'href="/doc/{p.doc_id}#p{p.number}"' in closest
    assert "басқа елдің соттары" not in closest  # no reason known: none given
    abroad = render(Reply("q", CLOSEST, 0.3, closest=near, outside="foreign"))
    assert "басқа елдің соттары туралы сұраққа жауап бермейді" in abroad and "о судах другой страны" in abroad
    stage = render(Reply("q", CLOSEST, 0.3, closest=near, outside="stage"))
    assert "бірінші сатыдағы сот немесе апелляция туралы емес" in stage and "басқа елдің" not in stage
    hint = Suggestion("Кассациялық шағым қай тілде жазылады?", near[0], 0)
    nothing = render(Reply("q", NOT_FOUND, 0.1, suggestions=[hint]))
    assert "outcome-not_found" in nothing and "<blockquote" not in nothing
    assert "Негізгі ұғымды атап" in nothing and 'href="/search?q=%D0%9A' in nothing
    # a greeting or thanks alone is answered in kind (both languages), not with "nothing found"
    hello = render(Reply("Сәлем", NOT_FOUND, 0.0, courtesy="greeting"))
    assert "Сұрағыңызды қазақша немесе орысша жазыңыз." in hello and "Напишите вопрос" in hello
    assert "Негізгі ұғымды атап" not in hello
    thanks = render(Reply("Рахмет", NOT_FOUND, 0.0, courtesy="thanks"))
    assert "Оқасы жоқ!" in thanks and "Пожалуйста!" in thanks and "Негізгі ұғымды атап" not in thanks


def test_rate_limit_window_slides_and_its_table_stays_bounded() -> None:
    from bot.web import ratelimit

    now = [0.0]
    limiter = ratelimit.RateLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")] == [True, True, False, True]
    now[0] = 10.0
    assert limiter.allow("a")  # the window moved on
    for n in range(ratelimit.MAX_CLIENTS + 10):
        limiter.allow(f"client-{n}")
    assert len(limiter._seen) <= ratelimit.MAX_CLIENTS


def test_cassbot_web_rejects_a_bad_port_in_one_line() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bot.cli", "web", "--port", "99999"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "is not a port number" in done.stderr.strip().splitlines()[-1]
