"""The reading view as an aiohttp application: routes, headers, and the one way in from the rest of the system.

It depends only on the application core: the `Assistant` handed in gives the knowledge base (to render documents)
and answers searches (`Assistant.ask_async`, the same decision the bot renders), so the same routes run alone
(``cassbot web``) or mounted on the bot's webhook application.
Every response carries a strict Content-Security-Policy: the pages run no script at all, load only their own
stylesheet and icon, and may be framed only by Telegram's web client (the Web App view).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web

from bot.core.assistant import Assistant
from bot.core.links import document_path
from bot.i18n import gettext_for
from bot.settings import Settings
from bot.web.pages import context_view, document_view, first_words, search_view
from bot.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
COMPRESSIBLE = ("text/html", "text/css", "image/svg+xml")  # gzip: a whole document's HTML shrinks ~8x

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'self' https://web.telegram.org")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
ALLOWED_METHODS = ("GET", "HEAD")


@dataclass
class WebConfig:
    """The few settings the reading view reads (built from `Settings` by the caller)."""

    max_question_chars: int = 1000
    search_burst: int = 10
    search_per_seconds: float = 60.0
    behind_proxy: bool = False  # take the client address from the proxy's X-Forwarded-For (last hop)


def config_from(settings: Settings) -> WebConfig:
    return WebConfig(max_question_chars=settings.max_question_chars, search_burst=settings.web_search_burst,
                     search_per_seconds=settings.web_search_per_seconds, behind_proxy=settings.web_behind_proxy)


def templates(root: str = "", max_question: int = 1000) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every text is escaped, including templates without an .html suffix
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(kk=gettext_for("kk"), ru=gettext_for("ru"), first_words=first_words, root=root,
                       max_question=max_question,
                       doc_path=lambda doc_id: root + document_path(doc_id),
                       static_url=lambda name: f"{root}/static/{name}")
    return env


APP_KEY = web.AppKey("reading_room", object)


class ReadingRoom:
    """The handlers, holding the core, the templates and the search limiter."""

    def __init__(self, assistant: Assistant, config: WebConfig | None = None, root: str = "") -> None:
        self.assistant, self.corpus, self.root = assistant, assistant.corpus, root
        self.config = config or WebConfig()
        self.env = templates(root, self.config.max_question_chars)
        self.limiter = RateLimiter(self.config.search_burst, self.config.search_per_seconds)
        self.static = {name: (STATIC / name).read_bytes() for name in ("style.css", "icon.svg")}

    def page(self, template: str, status: int = 200, **context: object) -> web.Response:
        html = self.env.get_template(template).render(**context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def not_found(self) -> web.Response:
        return self.page("error.html", status=404, message="Page not found.")

    def client(self, request: web.Request) -> str:
        if self.config.behind_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            if forwarded:
                return forwarded.rsplit(",", 1)[-1].strip()
        return request.remote or "unknown"

    # -- routes ------------------------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        return self.page("index.html", documents=self.corpus.documents)

    async def document(self, request: web.Request) -> web.Response:
        page = document_view(self.corpus, request.match_info["doc"], self.root)
        return self.page("document.html", page=page) if page else self.not_found()

    async def paragraph(self, request: web.Request) -> web.Response:
        found = context_view(self.corpus, request.match_info["doc"], request.match_info["number"],
                             self.root)
        if found is None:
            return self.not_found()
        page, around = found
        current = next(v for v in around if v.number == request.match_info["number"])
        return self.page("paragraph.html", page=page, around=around, current=current)

    async def search(self, request: web.Request) -> web.Response:
        question = " ".join(request.query.get("q", "").split())
        limit = self.config.max_question_chars
        shortened = len(question) > limit
        question = question[:limit]
        if not question:
            return self.page("search.html", result=search_view("", None, self.assistant.heading), limited=False)
        if not self.limiter.allow(self.client(request)):
            return self.page("search.html", status=429, result=search_view(question, None, self.assistant.heading),
                             limited=True)
        reply = await self.assistant.ask_async(question)
        result = search_view(question, reply, self.assistant.heading, shortened=shortened, root=self.root)
        return self.page("search.html", result=result, limited=False)

    async def static_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = self.static.get(name)
        if body is None:
            return self.not_found()
        kind = "text/css" if name.endswith(".css") else "image/svg+xml"
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": "public, max-age=86400"})


@web.middleware
async def guard(request: web.Request, handler):
    """Only GET and HEAD; the security headers on every reading-view response, errors included; text gzipped
    for clients that accept it (aiohttp picks the coding from Accept-Encoding)."""
    if request.method not in ALLOWED_METHODS:
        response: web.StreamResponse = web.Response(
            status=405, text=gettext_for("kk")("Only GET and HEAD requests are accepted."),
            headers={"Allow": ", ".join(ALLOWED_METHODS)})
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status == 404:
                room: ReadingRoom = request.app[APP_KEY]  # type: ignore[assignment]
                response = room.not_found()
            else:
                raise
    response.headers.update(HEADERS)
    if isinstance(response, web.Response) and response.content_type in COMPRESSIBLE:
        response.headers["Vary"] = "Accept-Encoding"
        response.enable_compression()
    return response


def add_routes(router: web.UrlDispatcher, room: ReadingRoom) -> None:
    """Register the reading view's GET routes (aiohttp answers HEAD for them too, and 405 for other methods)."""
    router.add_get("/", room.index, name="web-index")
    router.add_get("/search", room.search, name="web-search")
    router.add_get("/doc/{doc}", room.document, name="web-document")
    router.add_get("/doc/{doc}/{number}", room.paragraph, name="web-paragraph")
    router.add_get("/static/{name}", room.static_file, name="web-static")


def create_web_app(assistant: Assistant, config: WebConfig | None = None, root: str = "") -> web.Application:
    """The reading view alone (``cassbot web``, tests); ``root`` is the path it is mounted at, if any."""
    room = ReadingRoom(assistant, config, root)
    app = web.Application(middlewares=[guard])
    app[APP_KEY] = room
    add_routes(app.router, room)
    return app


def mount(app: web.Application, assistant: Assistant, config: WebConfig | None = None, prefix: str = "/read") -> None:
    """Add the reading view under ``prefix`` of an existing application (the webhook's): one server, one port."""
    app.add_subapp(prefix, create_web_app(assistant, config, root=prefix.rstrip("/")))


def serve(settings: Settings, assistant: Assistant) -> None:
    """`cassbot web`: the reading view alone over the given core, until interrupted."""
    app = create_web_app(assistant, config_from(settings))
    try:
        web.run_app(app, host=settings.web_host, port=settings.web_port, access_log=None,
                    print=lambda _: print(f"reading view on http://{settings.web_host}:{settings.web_port}/"))
    finally:
        assistant.shutdown()
