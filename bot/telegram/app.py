"""The Telegram application: Bot and Dispatcher wiring, polling and webhook modes.

Start-up loads the model and index once into the core (`Assistant`) and opens the feedback store; the
Dispatcher injects each into the handlers that name it (`assistant`, `feedback`, `settings`).  Webhook mode
serves the update endpoint (secret token checked), `/healthz`, and shuts down gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import BotCommand, BotCommandScopeDefault, ErrorEvent, Message
from aiogram.utils.i18n import I18n
from aiohttp import web

from bot.core.assistant import Assistant
from bot.core.feedback import FeedbackStore
from bot.core.throttle import MemoryLimiter, ThrottlePolicy
from bot.i18n import DOMAIN, LANGUAGES, LOCALES, gettext_for, translator
from bot.settings import Settings
from bot.telegram.delivery import DeliveryPolicy, ResilientSession
from bot.telegram.handlers import routers
from bot.telegram.middlewares import LanguageMiddleware, ThrottlingMiddleware

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", "Start"), ("help", "How to ask"), ("sources", "Documents"), ("p", "Show a paragraph"),
    ("topics", "Topics"), ("quiz", "Self-check quiz"), ("lang", "Interface language"),
)


# How long the start-up check keeps retrying an unreachable Bot API before the process exits for a restart.
STARTUP_CHECK_SECONDS = 20.0


def create_bot(settings: Settings, *, budget: float | None = None) -> Bot:
    policy = DeliveryPolicy(budget=settings.api_retry_budget if budget is None else budget,
                            outbox=settings.api_outbox_size)
    session = ResilientSession(api=TelegramAPIServer.from_base(settings.telegram_api_url), policy=policy)
    return Bot(settings.token(), session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(assistant: Assistant, feedback: FeedbackStore, settings: Settings) -> Dispatcher:
    """With REDIS_URL, per-user state, ordering, throttling and re-delivery dedup live in Redis (replicas.py)."""
    shared = None
    if settings.redis_url is not None:
        from bot.telegram import replicas

        url = settings.redis_url.get_secret_value()
        redis = replicas.connect(url)
        storage, isolation = replicas.shared_fsm(redis, settings.user_hash_salt.get_secret_value())
        dp = Dispatcher(storage=storage, events_isolation=isolation)
        dp.update.outer_middleware(replicas.DeliveredOnce(redis))
        shared = replicas.RedisThrottle(redis, url, settings.throttle_burst, settings.throttle_per_seconds)
    else:
        dp = Dispatcher()
    dp["assistant"], dp["feedback"], dp["settings"] = assistant, feedback, settings
    i18n = I18n(path=LOCALES, default_locale="kk", domain=DOMAIN)
    i18n.locales.update({lang: translator(lang) for lang in LANGUAGES})  # compiled in memory if no .mo exists
    language = LanguageMiddleware(i18n, feedback)
    limiter = MemoryLimiter(settings.throttle_burst, settings.throttle_per_seconds, settings.throttle_backlog)
    throttle = ThrottlingMiddleware(ThrottlePolicy(limiter), shared=shared, key_of=feedback.user_hash)
    for observer in (dp.message, dp.edited_message, dp.callback_query, dp.inline_query, dp.chosen_inline_result):
        observer.outer_middleware(language)
    for observer in (dp.message, dp.edited_message, dp.callback_query):
        observer.outer_middleware(throttle)
    dp.include_routers(*routers())
    dp.errors.register(on_error)
    dp.startup.register(on_startup)
    return dp


async def on_error(event: ErrorEvent) -> bool:
    """Log the failure with its traceback but never the user's text; apologise to the user."""
    update = event.update
    log.error("handler failed on update %s (%s): %s", update.update_id, update.event_type,
              type(event.exception).__name__, exc_info=event.exception)
    if isinstance(event.exception, (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)):
        return True  # a delivery failure (logged by bot.telegram.delivery): an apology would meet the same fault
    message: Message | None = update.message or update.edited_message
    if message is None and update.callback_query is not None:
        cb_message = update.callback_query.message
        message = cb_message if isinstance(cb_message, Message) else None
    if message is not None:
        try:
            await message.answer(gettext_for("kk")("Sorry, something went wrong. Please try again."))
        except Exception as exc:  # the apology itself may fail (network): nothing more to do
            log.warning("could not send the apology: %s", type(exc).__name__)
    return True


async def on_startup(bot: Bot) -> None:
    me = await bot.me()  # cached on the Bot: handlers read the username from it
    for lang in ("kk", "ru"):
        t = gettext_for(lang)
        commands = [BotCommand(command=c, description=t(d)) for c, d in COMMANDS]
        code = None if lang == "kk" else lang  # kk is the default for everyone else
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
    log.info("bot @%s ready", me.username or "")


def open_core(settings: Settings) -> tuple[Assistant, FeedbackStore]:
    """The assistant (corpus, model, index, study material) and the feedback store, opened once."""
    from bot.core.engine import open_engine
    from bot.core.stores import open_feedback
    from knowledge import load_corpus
    from knowledge.topics import load_quiz, load_topics, validate

    corpus = load_corpus(*settings.corpus_paths())
    topics, quiz = load_topics(), load_quiz()
    validate(topics, quiz, corpus)
    return Assistant(open_engine(settings, corpus), topics, quiz), open_feedback(settings)


# -- webhook ---------------------------------------------------------------------------------------------
def build_webhook_app(dp: Dispatcher, bot: Bot) -> web.Application:
    from aiogram.webhook.aiohttp_server import setup_application

    from bot.telegram.webhook import GuardedRequestHandler

    settings: Settings = dp["settings"]
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()

    async def healthz(request: web.Request) -> web.Response:
        # The server listens only after the model and index are loaded (`open_core` runs first), so
        # answering at all means ready; a process still starting has no port open, which the probe sees.
        return web.json_response({"status": "ok", "index_loaded": True})

    app.router.add_get("/healthz", healthz)
    from bot.web.app import config_from, mount

    # The reading view on the same server and the same core, so the "Full text" Web App button opens it in place.
    mount(app, dp["assistant"], config_from(settings), prefix=settings.web_path)
    # One process answers in the background after a quick 200.  Replicas answer first and acknowledge after:
    # an update whose replica dies mid-way gets no 2xx, so Telegram delivers it again (to another replica),
    # and a user's next update is not sent before this one is answered, which keeps the user's order.
    GuardedRequestHandler(dispatcher=dp, bot=bot, secret_token=secret,
                          handle_in_background=settings.redis_url is None).register(app, path=settings.webhook_path)
    setup_application(app, dp, bot=bot)

    async def set_webhook(_: web.Application) -> None:
        await bot.set_webhook(f"{settings.webhook_url}{settings.webhook_path}", secret_token=secret,
                              drop_pending_updates=settings.drop_pending_updates,
                              allowed_updates=dp.resolve_used_update_types(),
                              max_connections=settings.updates_in_flight)

    if settings.webhook_url:
        app.on_startup.append(set_webhook)
    return app


async def _serve(settings: Settings, assistant: Assistant, feedback: FeedbackStore) -> None:
    bot = create_bot(settings)
    dp = create_dispatcher(assistant, feedback, settings)
    try:
        if settings.bot_mode == "webhook":
            app = build_webhook_app(dp, bot)
            runner = web.AppRunner(app, access_log=None)  # request lines hold search questions: never logged
            await runner.setup()
            site = web.TCPSite(runner, settings.listen_host, settings.listen_port)
            await site.start()
            log.info("webhook listening on %s:%d%s", settings.listen_host, settings.listen_port,
                     settings.webhook_path)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            await runner.cleanup()
        else:
            await bot.delete_webhook(drop_pending_updates=settings.drop_pending_updates)
            await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types(),
                                   tasks_concurrency_limit=settings.updates_in_flight)
    finally:
        await bot.session.close()
        await dp.storage.close()
        assistant.shutdown()
        feedback.close()


async def _check_token(settings: Settings) -> None:
    """Ask Telegram who we are before spending seconds on the model: a rejected token fails at once, and an
    unreachable Bot API after a short retry (exit 1, so a supervisor restarts us), not after the answers' budget."""
    bot = create_bot(settings, budget=min(settings.api_retry_budget, STARTUP_CHECK_SECONDS))
    try:
        await bot.get_me()
    finally:
        await bot.session.close()


async def _check_redis(settings: Settings) -> None:
    """Reach Redis before loading the model, so a wrong REDIS_URL is one line at once, not a late failure."""
    if settings.redis_url is None:
        return
    from bot.telegram.replicas import RedisUnavailable, connect

    redis = connect(settings.redis_url.get_secret_value())
    try:
        await redis.ping()
    except Exception as exc:
        raise RedisUnavailable(f"REDIS_URL: cannot reach Redis ({type(exc).__name__})") from None
    finally:
        await redis.aclose()


def run_bot(settings: Settings) -> int:
    asyncio.run(_check_token(settings))
    asyncio.run(_check_redis(settings))
    assistant, feedback = open_core(settings)
    asyncio.run(_serve(settings, assistant, feedback))
    return 0
