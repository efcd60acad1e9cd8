"""The webhook endpoint that turns bad bodies away cleanly instead of answering 500 with a traceback.

- A body that is not a JSON object with an integer `update_id` (garbage, binary, a probe) gets **400** and one
  log line: it did not come from Telegram.
- A JSON update of a shape aiogram cannot read gets **200** and a warning naming its `update_id`, and is
  ignored: it did come through the secret-checked endpoint, and any other answer makes Telegram send the
  same update again and again.
- Everything else is handled in the background as before (Telegram gets its 200 at once).
Texts and user ids are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

log = logging.getLogger(__name__)


def _bad_body(reason: str) -> web.Response:
    log.warning("webhook: rejected a request (%s)", reason)
    return web.json_response({"ok": False, "description": f"Bad Request: {reason}"}, status=400)


class GuardedRequestHandler(SimpleRequestHandler):
    """`SimpleRequestHandler` (secret checked, background handling) that validates before it dispatches."""

    async def _parse(self, bot: Bot, request: web.Request) -> Update | web.Response:
        """The update, or the answer to give instead: 400 for what is not an update, 200 for one we cannot read."""
        body = await request.read()
        try:
            data: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _bad_body(f"body of {len(body)} bytes is not JSON")
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return _bad_body("not a Telegram update (no integer update_id)")
        try:
            return Update.model_validate(data, context={"bot": bot})
        except ValidationError as exc:
            log.warning("webhook: update %d has a shape this bot cannot read (%d problem(s)); ignored",
                        data["update_id"], exc.error_count())
            return web.json_response({})

    async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
        update = await self._parse(bot, request)
        if isinstance(update, web.Response):
            return update
        task = asyncio.create_task(self._feed(bot, update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        """Replicas (`handle_in_background=False`): the same checks, then answer before acknowledging."""
        update = await self._parse(bot, request)
        if isinstance(update, web.Response):
            return update
        await self._feed(bot, update)
        return web.json_response({})

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await self.dispatcher.silent_call_request(bot=bot, result=result)
        except Exception:  # the dispatcher's error handler saw it already; never an unretrieved task
            log.exception("webhook: update %d failed", update.update_id)
