"""A fake Telegram Bot API server for testing the bot over real HTTP.

Approach: instead of mocking aiogram internals, tests run a small aiohttp server on 127.0.0.1 (a free port) that
speaks the Bot API wire protocol -- ``POST /bot<token>/<method>`` with JSON, urlencoded or multipart bodies, and
``GET /file/bot<token>/<path>`` for downloads -- and point a *real* aiogram ``Bot`` at it through
``AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))``. Everything the bot does therefore goes through
aiogram's real serialisation, HTTP session, error mapping (``TelegramBadRequest``, ``TelegramRetryAfter`` ...) and,
for polling, the real ``Dispatcher.start_polling`` loop.

The server answers with Telegram-shaped results and enforces Telegram's rules where bots typically get them wrong:
HTML parse_mode parsing (``parse_telegram_html``, following tdlib's parser), 1..4096 UTF-16 code units of visible
text, callback_data of 1..64 bytes, "message is not modified", editing/deleting only messages it knows of, answering
only callback/inline queries it issued and only once, inline query result limits, webhook URL rules, bot command
syntax. Deliberate deviation: a bare ``&`` that does not start an
entity is an error here (Telegram shows it literally) so that forgotten escaping is caught.

Every request is recorded (``api.calls``); faults can be injected per method (error answers such as 429 with
``retry_after``, non-JSON bodies, storms of them, connections dropped before or after the call took effect, delays,
and outages with the port closed); updates are queued with ``push_update`` and served
by ``getUpdates`` with Telegram's offset/limit/timeout/allowed_updates semantics. Builders such as
``message_update`` return Telegram-shaped update dicts (with ``update_id``) without queueing them, so they can also be
POSTed to the bot's webhook app.

pytest-asyncio is not used: write ``async def`` tests decorated with ``@async_test`` (``asyncio.run`` underneath),
and use the server as ``async with FakeBotAPI() as api:``. All methods must be called from the event loop running
the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

if TYPE_CHECKING:
    from aiogram import Dispatcher

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "CallRecord",
    "FakeAPIError",
    "FakeBotAPI",
    "FakeFile",
    "FastCloseAiohttpSession",
    "SentMessage",
    "UploadedFile",
    "async_test",
    "parse_telegram_html",
    "parse_telegram_html_entities",
    "run",
    "utf16_len",
]

DEFAULT_TOKEN = "7000000001:AAFakeTokenForKassatsiyaTests-0123456789"
BOT_USERNAME = "kassatsiya_test_bot"
BOT_FIRST_NAME = "Kassatsiya Test"
DEFAULT_USER_ID = 100001
DEFAULT_GROUP_ID = -1001000000001
DEFAULT_CHANNEL_ID = -1002000000001
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_INLINE_ID_BYTES = 64

T = TypeVar("T")
logger = logging.getLogger(__name__)


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run a coroutine to completion in a fresh event loop (``asyncio.run``) with an overall timeout."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def async_test(fn: Callable[..., Coroutine[Any, Any, Any]] | None = None, *, timeout: float = 30.0) -> Any:
    """Turn an ``async def`` test into a sync one run by ``asyncio.run``; usable bare or as ``@async_test(timeout=5)``.

    pytest fixtures still work: the wrapper keeps the wrapped function's signature.
    """

    def decorate(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run(func(*args, **kwargs), timeout=timeout)

        return wrapper

    return decorate(fn) if fn is not None else decorate


# --------------------------------------------------------------------------------------------------------------------
# Telegram HTML (parse_mode="HTML"), after tdlib's parse_html
# --------------------------------------------------------------------------------------------------------------------

_SPACES = frozenset(" \t\r\n\v\0")  # tdlib's is_space
_TRIM = " \t\r\n\v\f"
_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HEX = "0123456789abcdefABCDEF"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for lengths and entity offsets."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _decode_entity(text: str, pos: int, require_semicolon: bool) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``text[pos] == "&"``: (character, position after it), or None."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        code = 0
        if end < n and text[end] == "x":  # tdlib accepts only a lowercase x
            end += 1
            while end < n and text[end] in _HEX:
                code = code * 16 + int(text[end], 16)
                end += 1
                if code >= 0x10FFFF:
                    return None
        else:
            while end < n and "0" <= text[end] <= "9":
                code = code * 10 + ord(text[end]) - 48
                end += 1
                if code >= 0x10FFFF:
                    return None
        if code == 0 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        decoded = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if decoded is None:
            return None
        char = decoded
    if end < n and text[end] == ";":
        return char, end + 1
    return None if require_semicolon else (char, end)


def _decode_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i, require_semicolon=False)):
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    utf16_offset: int
    out_index: int


def parse_telegram_html_entities(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML: (visible text, Bot API MessageEntity dicts). Raises ValueError with tdlib-like messages.

    Entity offsets/lengths are in UTF-16 code units, computed on the untrimmed visible text.
    """

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    offset = 0  # UTF-16 offset in the visible text
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i, require_semicolon=strict_ampersand)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise ValueError(
                    f'Character "&" at byte offset {byte_offset(i)} does not start an HTML entity; escape it as "&amp;"'
                )
        if char != "<":
            out.append(char)
            offset += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":  # end tag
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            i += 1
            name_start = i
            while i < n and text[i] not in _SPACES and text[i] != ">":
                i += 1
            end_name = text[name_start:i]
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != ">":
                raise ValueError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            i += 1
            tag = stack.pop()
            if end_name and end_name.lower() != tag.name:
                raise ValueError(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag.name}>", '
                    f'found "</{end_name}>"'
                )
            _close_entity(tag, offset, "".join(out[tag.out_index :]), entities)
            continue

        # start tag
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise ValueError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = text[begin + 1 : i].lower()
        if name not in _SUPPORTED_TAGS:
            raise ValueError(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        argument = ""
        expandable = False
        while True:
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[i] == ">":
                i += 1
                break
            attr_start = i
            while i < n and text[i] not in _SPACES and text[i] not in "=>":
                i += 1
            attribute = text[attr_start:i].lower()
            if not attribute:
                raise ValueError(f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}')
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != "=":
                if name == "blockquote" and attribute == "expandable":
                    expandable = True
                    continue
                raise ValueError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {byte_offset(begin)}"
                )
            i += 1
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[i] in "'\"":
                quote = text[i]
                value_start = i + 1
                i = text.find(quote, value_start)
                if i < 0:
                    raise ValueError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                value = _decode_attribute(text[value_start:i])
                i += 1
            else:  # an unquoted name token: letters, digits, periods, hyphens
                token_start = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                    raise ValueError(f"Unexpected end of name token at byte offset {byte_offset(token_start)}")
            if (
                (name == "a" and attribute == "href")
                or (name == "tg-emoji" and attribute == "emoji-id")
                or (name == "code" and attribute == "class" and value.startswith("language-"))
                or (name == "span" and attribute == "class" and value.startswith("tg-"))
            ):
                argument = value
        if name == "span" and argument != "tg-spoiler":
            raise ValueError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
        stack.append(_OpenTag(name, argument, expandable, offset, len(out)))

    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    result = [{k: v for k, v in e.items() if not k.startswith("_")} for e in entities]
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), result


def _close_entity(tag: _OpenTag, end_offset: int, inner_text: str, entities: list[dict[str, Any]]) -> None:
    if tag.name == "tg-emoji" and not (tag.argument.isdigit() and int(tag.argument) > 0):
        raise ValueError("Invalid custom emoji identifier specified")
    length = end_offset - tag.utf16_offset
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": _TAG_ENTITY[tag.name], "offset": tag.utf16_offset, "length": length}
    if tag.name == "a":
        url = tag.argument or inner_text
        if not url:
            return
        entity["url"] = url
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.argument
    elif tag.name == "blockquote" and tag.expandable:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "code" and tag.argument:
        entity["_language"] = tag.argument.removeprefix("language-")
    elif tag.name == "pre" and entities:
        last = entities[-1]
        if last["type"] == "code" and last["offset"] == tag.utf16_offset and last["length"] == length:
            entities.pop()
            if "_language" in last:
                entity["language"] = last["_language"]
    entities.append(entity)


def parse_telegram_html(text: str, *, strict_ampersand: bool = True) -> str:
    """Return the visible text of a parse_mode="HTML" message, or raise ValueError like Telegram would."""
    return parse_telegram_html_entities(text, strict_ampersand=strict_ampersand)[0]


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram, shifting and clipping the entities."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


# --------------------------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------------------------


class FakeAPIError(Exception):
    """An error answer of the fake API; custom handlers (``set_handler``) may raise it too."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(message: str) -> FakeAPIError:
    return FakeAPIError(400, f"Bad Request: {message}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class CallRecord:
    """One Bot API request. ``time`` is ``time.monotonic()`` at arrival; ``status`` is 0 until answered."""

    method: str
    params: dict[str, Any]
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int = 0
    response: dict[str, Any] | None = None
    answered: bool = False
    dropped: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None

    @property
    def description(self) -> str | None:
        return self.response.get("description") if self.response else None


@dataclass(frozen=True)
class SentMessage:
    """A successful sendMessage: the raw ``text`` as sent, and the Message Telegram answered with."""

    chat_id: int | str
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message: dict[str, Any]

    @property
    def visible_text(self) -> str:
        return self.message["text"]


@dataclass
class FakeFile:
    """A file the fake server knows: served by getFile and /file/bot<token>/<file_path>."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class _Fault:
    method: str
    kind: Literal["error", "drop", "drop_after", "delay"]
    times: int
    error_code: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    raw_body: str | None = None
    delay: float = 0.0

    def matches(self, method: str) -> bool:
        return self.method == "*" or self.method.lower() == method.lower()


_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Parameters that are plain strings in the Bot API: never JSON-decoded when they arrive as form fields.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "query",
        "url",
        "secret_token",
        "next_offset",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "parse_mode",
        "caption_parse_mode",
        "action",
        "business_connection_id",
        "message_effect_id",
        "title",
        "description",
        "short_description",
        "name",
        "language_code",
        "emoji",
        "question",
        "file_id",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "certificate",
        "ip_address",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "payload",
        "currency",
        "start_parameter",
        "switch_pm_text",
        "switch_pm_parameter",
        "custom_emoji_id",
        "game_short_name",
        "invite_link",
        "sticker_set_name",
        "custom_title",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
    }
)
# Parameters that are JSON objects/arrays: decoded even inside JSON bodies when a client sends them as strings.
_OBJECT_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "results",
        "commands",
        "scope",
        "menu_button",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "button",
        "options",
        "question_entities",
        "message_ids",
        "rights",
        "permissions",
        "explanation_entities",
        "prices",
    }
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message")
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendSticker": "sticker",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
}
_FILE_KINDS = {  # kind: (file_id prefix, folder, extension, mime type)
    "photo": ("AgACAgIAAxkBAAI", "photos", "jpg", "image/jpeg"),
    "document": ("BQACAgIAAxkBAAI", "documents", "bin", "application/octet-stream"),
    "voice": ("AwACAgIAAxkBAAI", "voice", "oga", "audio/ogg"),
    "sticker": ("CAACAgIAAxkBAAI", "stickers", "webp", "image/webp"),
    "audio": ("CQACAgIAAxkBAAI", "music", "mp3", "audio/mpeg"),
    "video": ("BAACAgIAAxkBAAI", "videos", "mp4", "video/mp4"),
    "animation": ("CgACAgIAAxkBAAI", "animations", "mp4", "video/mp4"),
}
_COMMAND_RE = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

Handler = Callable[[dict[str, Any]], Any]


def _decode_param(key: str, value: str) -> Any:
    """Form fields are strings; aiogram JSON-encodes non-string values. Decode them back, keeping real strings."""
    if key in _STRING_PARAMS or not value:
        return value
    if value[0] in '{["-0123456789' or value in ("true", "false", "null"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _chat_key(value: Any) -> int | str:
    if isinstance(value, bool):
        raise _bad_request("chat not found")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


class FastCloseAiohttpSession(AiohttpSession):
    """aiogram's AiohttpSession minus the 250 ms sleep on close (it waits for TLS shutdown; the fake is plain HTTP)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


# --------------------------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------------------------


class FakeBotAPI:
    """A fake Telegram Bot API over HTTP; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        max_poll_timeout: float = 1.0,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.max_poll_timeout = max_poll_timeout
        bot_id = token.partition(":")[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[CallRecord] = []
        self.filtered_updates: list[dict[str, Any]] = []  # pushed but not allowed by allowed_updates
        self.webhook: dict[str, Any] = {"url": ""}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope JSON, language_code) -> commands
        self.menu_buttons: dict[int | str | None, dict[str, Any]] = {}
        self.files: dict[str, FakeFile] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._pending_outage: float | None = None
        self._outage_tasks: set[asyncio.Task[None]] = set()
        self.outages: list[float] = []  # outages that happened (seconds each)
        self._port: int | None = None
        self._closing = False
        self._changed: asyncio.Event | None = None
        self._queue: list[dict[str, Any]] = []
        self._last_update_id = 10_000
        self._allowed_updates: frozenset[str] | None = None  # None: Telegram's default
        self._poll_generation = 0
        self._faults: list[_Fault] = []
        self._custom: dict[str, Handler] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._last_message_id: dict[int | str, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int | str] = set()
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._inline_queries: dict[str, bool] = {}
        self._query_counter = 0
        self._file_counter = 0
        methods: dict[str, Callable[..., Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "sendLocation": self._send_location,
            "getFile": self._get_file,
            "getChat": self._get_chat,
        }
        for method, kind in _MEDIA_METHODS.items():
            methods[method] = functools.partial(self._send_media, kind=kind)
        self._methods = {name.lower(): (name, handler) for name, handler in methods.items()}

    # ---- lifecycle --------------------------------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        self._port = self._runner.addresses[0][1]
        self._closing = False
        return self

    async def stop(self) -> None:
        for task in list(self._outage_tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server(self) -> TelegramAPIServer:
        return TelegramAPIServer.from_base(self.base_url)

    def session(self, **kwargs: Any) -> AiohttpSession:
        """An aiogram AiohttpSession pointed at this server (closing it skips aiogram's 250 ms TLS grace sleep)."""
        return FastCloseAiohttpSession(api=self.server, **kwargs)

    def make_bot(self, **kwargs: Any) -> Bot:
        """A real aiogram Bot talking to this server (parse_mode HTML by default). Close it: ``async with bot:``."""
        kwargs.setdefault("session", self.session())
        kwargs.setdefault("default", DefaultBotProperties(parse_mode="HTML"))
        return Bot(self.token, **kwargs)

    @contextlib.asynccontextmanager
    async def polling(self, dp: Dispatcher, bot: Bot, *, timeout: float = 10.0, **kwargs: Any) -> AsyncIterator[None]:
        """Run ``dp.start_polling(bot, handle_signals=False)`` in a task until the block exits, then stop it cleanly.

        Entering waits for the first getUpdates request, so the dispatcher is live inside the block.
        Note that aiogram closes the bot's session when polling stops (``close_bot_session=True``).
        """
        kwargs.setdefault("handle_signals", False)
        seen = len(self.calls_of("getUpdates"))
        task = asyncio.create_task(dp.start_polling(bot, **kwargs))
        waiter = asyncio.ensure_future(self.wait_for("getUpdates", count=seen + 1, timeout=timeout, answered=False))
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                waiter.cancel()
                task.result()
                raise RuntimeError("polling stopped before it requested updates")
            waiter.result()
            yield
        finally:
            waiter.cancel()
            if not task.done():
                with contextlib.suppress(RuntimeError):  # "Polling is not started"
                    await dp.stop_polling()
                await asyncio.wait_for(task, timeout)

    # ---- recording --------------------------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[CallRecord]:
        """Recorded calls of ``method`` (case-insensitive), in arrival order."""
        return [r for r in self.calls if r.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | str | None = None) -> list[SentMessage]:
        """Successful sendMessage calls, in order, optionally for one chat."""
        result = []
        for record in self.calls_of("sendMessage"):
            if not record.ok:
                continue
            message = record.result
            chat = _chat_key(record.params["chat_id"])
            if chat_id is not None and _chat_key(chat_id) not in (chat, message["chat"]["id"]):
                continue
            result.append(
                SentMessage(
                    chat_id=chat,
                    message_id=message["message_id"],
                    text=record.params["text"],
                    parse_mode=record.params.get("parse_mode"),
                    reply_markup=record.params.get("reply_markup"),
                    message=message,
                )
            )
        return result

    def clear_calls(self) -> None:
        self.calls.clear()

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 10.0, *, answered: bool = True
    ) -> list[CallRecord]:
        """Wait until at least ``count`` calls of ``method`` were recorded (and answered, unless answered=False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            records = [r for r in self.calls_of(method) if r.answered or not answered]
            if len(records) >= count:
                return records
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = ", ".join(r.method for r in self.calls[-20:]) or "nothing"
                raise TimeoutError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(records)}; last calls: {seen}"
                )
            await self._wait_change(remaining)

    def get_message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits) as the fake server knows it, or None if deleted/unknown."""
        message = self._messages.get((_chat_key(chat_id), message_id))
        return copy.deepcopy(message) if message is not None else None

    # ---- fault injection and customisation ---------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        *,
        retry_after: int | None = None,
        times: int = 1,
        description: str | None = None,
        raw_body: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) with an error.

        429 carries ``parameters.retry_after`` (default 1). ``raw_body`` replaces the JSON (e.g. nginx's HTML 502).
        """
        parameters = None
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif retry_after is not None:
            parameters = {"retry_after": retry_after}
        description = description or _DEFAULT_DESCRIPTIONS.get(error_code, "Unknown error")
        self._faults.append(
            _Fault(method, "error", times, error_code, description, parameters=parameters, raw_body=raw_body)
        )

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method`` ("*" = any)."""
        self._faults.append(_Fault(method, "drop", times))

    def drop_after_next(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method``, then close the connection before the answer is sent.

        The client sees a network error although the call took effect (a message was sent): the case where a
        blind retry would deliver an answer twice.  ``record.dropped`` is set, ``record.response`` kept.
        """
        self._faults.append(_Fault(method, "drop_after", times))

    async def go_down(self) -> None:
        """Start an outage: the port is closed (new connections are refused) and open connections are closed."""
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        server = self._runner.server if self._runner is not None else None
        for protocol in list(getattr(server, "connections", ()) if server is not None else ()):
            if getattr(protocol, "_request_in_progress", False):
                protocol.close()  # a busy connection closes once its answer is written
            else:
                protocol.force_close()  # an idle keep-alive connection closes now, as when the server dies
        self._notify()
        await asyncio.sleep(0.02)  # let clients see their pooled connections close

    async def come_back(self) -> None:
        """End an outage: listen again on the same port."""
        if self._site is not None or self._runner is None:
            return
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()

    def outage_after_updates(self, seconds: float) -> None:
        """The next getUpdates that delivers updates is followed by an outage of ``seconds``: the bot has the
        questions but cannot send the answers until the API is back."""
        self._pending_outage = seconds

    async def _timed_outage(self, seconds: float) -> None:
        await self.go_down()
        self.outages.append(seconds)
        try:
            await asyncio.sleep(seconds)
        finally:
            await self.come_back()

    @contextlib.asynccontextmanager
    async def outage(self) -> AsyncIterator[None]:
        """``async with api.outage():`` the Bot API is unreachable inside the block, back after it."""
        await self.go_down()
        try:
            yield
        finally:
            await self.come_back()

    def storm(self, method: str, error_code: int, times: int, *, retry_after: int | None = None) -> None:
        """A storm of ``times`` error answers (500, 502 as nginx's HTML page, 429 with ``retry_after``)."""
        raw = _NGINX_502 if error_code == 502 else None
        self.fail_next(method, error_code, retry_after=retry_after, times=times, raw_body=raw)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` ("*" = any), e.g. to trigger client timeouts."""
        self._faults.append(_Fault(method, "delay", times, delay=seconds))

    def block_chat(self, chat_id: int | str) -> None:
        """Sending/editing in this chat answers 403, as when the user blocked the bot (or kicked it from a group)."""
        self._blocked.add(_chat_key(chat_id))

    def set_handler(self, method: str, handler: Handler | None) -> None:
        """Serve ``method`` with ``handler(params) -> result`` (may be async, may raise FakeAPIError); None resets."""
        if handler is None:
            self._custom.pop(method.lower(), None)
        else:
            self._custom[method.lower()] = handler

    def add_file(
        self, content: bytes, *, kind: str = "document", file_name: str | None = None, mime_type: str | None = None
    ) -> FakeFile:
        """Register a file servable by getFile and the file download URL."""
        prefix, folder, extension, default_mime = _FILE_KINDS.get(kind, _FILE_KINDS["document"])
        self._file_counter += 1
        number = self._file_counter
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1]
        fake = FakeFile(
            file_id=f"{prefix}{number:08d}FakeFileId",
            file_unique_id=f"AQAD{number:08d}",
            file_path=f"{folder}/file_{number}.{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or default_mime,
        )
        self.files[fake.file_id] = fake
        return fake

    # ---- updates ----------------------------------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (assigning ``update_id`` if missing); returns it.

        Like Telegram, an update whose type is excluded by the last ``allowed_updates`` is not delivered: it goes to
        ``filtered_updates`` instead.
        """
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        else:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._observe(update)
        kind = next((k for k in update if k != "update_id"), "")
        allowed = self._allowed_updates
        if (kind in _DEFAULT_EXCLUDED_UPDATES) if allowed is None else (kind not in allowed):
            self.filtered_updates.append(update)
            return update
        self._queue.append(update)
        self._queue.sort(key=lambda u: u["update_id"])
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._queue)

    def user(self, user_id: int = DEFAULT_USER_ID, **fields: Any) -> dict[str, Any]:
        """The User dict the builders use for ``user_id``; keyword fields update it (first_name, language_code)."""
        user = self._users.setdefault(
            user_id,
            {
                "id": user_id,
                "is_bot": False,
                "first_name": "Test",
                "last_name": "User",
                "username": f"user{user_id}",
                "language_code": "ru",
            },
        )
        user.update(fields)
        return copy.deepcopy(user)

    def chat(self, chat_id: int, chat_type: str = "private", **fields: Any) -> dict[str, Any]:
        """The Chat dict used for ``chat_id``; keyword fields update it (title, username ...)."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.get("type") != chat_type:
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = self.user(chat_id)
                chat.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
            else:
                chat["title"] = {"group": "Test Group", "supergroup": "Test Supergroup"}.get(chat_type, "Test Channel")
            self._chats[chat_id] = chat
        chat.update(fields)
        return copy.deepcopy(chat)

    def message_update(
        self,
        text: str | None = "hello",
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        """A ``message`` update from a user; ``extra`` is merged into the Message (caption, reply_to_message ...).

        Texts with /commands get bot_command entities like Telegram adds. Not queued: pass it to push_update().
        """
        content: dict[str, Any] = {}
        if text is not None:
            content["text"] = text
            entities = [
                {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
                for m in _COMMAND_RE.finditer(text)
            ]
            if entities:
                content["entities"] = entities
        content.update(extra)
        return self._user_message_update("message", content, chat_id, user_id, chat_type)

    def sticker_update(
        self,
        emoji: str = "👍",
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        content: bytes = b"RIFF\x00\x00\x00\x00WEBPVP8 fake",
        **extra: Any,
    ) -> dict[str, Any]:
        fake = self.add_file(content, kind="sticker")
        sticker = {
            **self._file_fields(fake),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "KassatsiyaTestStickers",
        }
        return self._user_message_update("message", {"sticker": sticker, **extra}, chat_id, user_id, chat_type)

    def photo_update(
        self,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"photo": self._photo_sizes(content)}
        if caption is not None:
            body["caption"] = caption
        return self._user_message_update("message", {**body, **extra}, chat_id, user_id, chat_type)

    def voice_update(
        self,
        duration: int = 3,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        content: bytes = b"OggS\x00fake-opus",
        **extra: Any,
    ) -> dict[str, Any]:
        fake = self.add_file(content, kind="voice")
        voice = {**self._file_fields(fake), "duration": duration, "mime_type": "audio/ogg"}
        return self._user_message_update("message", {"voice": voice, **extra}, chat_id, user_id, chat_type)

    def location_update(
        self,
        latitude: float = 51.128207,
        longitude: float = 71.430411,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message_update("message", {"location": location, **extra}, chat_id, user_id, chat_type)

    def document_update(
        self,
        file_name: str = "document.pdf",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        content: bytes = b"%PDF-1.4\n% fake\n",
        **extra: Any,
    ) -> dict[str, Any]:
        fake = self.add_file(content, kind="document", file_name=file_name, mime_type=mime_type)
        body: dict[str, Any] = {"document": self._file_fields(fake, with_name=True)}
        if caption is not None:
            body["caption"] = caption
        return self._user_message_update("message", {**body, **extra}, chat_id, user_id, chat_type)

    def edited_message_update(
        self,
        text: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        """An ``edited_message`` update: the user's message ``message_id`` (default: their last one) now says text."""
        chat = self._default_chat(chat_id, user_id, chat_type)
        if message_id is None:
            message_id = self._newest_from(chat["id"], user_id)
        original = self._messages.get((chat["id"], message_id)) if message_id is not None else None
        message = copy.deepcopy(original) if original else self._new_message(chat, self.user(user_id), {})
        message.pop("entities", None)
        message.update({"text": text, "edit_date": int(time.time()), **extra})
        self._register_message(message)
        return {"update_id": self._next_update_id(), "edited_message": copy.deepcopy(message)}

    def _newest_from(self, chat_id: int, sender_id: int) -> int | None:
        """The newest message ``sender_id`` wrote in the chat, or None."""
        return max((mid for (cid, mid), m in self._messages.items()
                    if cid == chat_id and m.get("from", {}).get("id") == sender_id), default=None)

    def channel_post_update(
        self, text: str = "post", *, chat_id: int = DEFAULT_CHANNEL_ID, title: str = "Test Channel", **extra: Any
    ) -> dict[str, Any]:
        """A ``channel_post`` update (sender_chat, no from) in a channel where the bot is an administrator."""
        chat = self.chat(chat_id, "channel", title=title)
        message = self._new_message(chat, None, {"sender_chat": chat, "text": text, **extra})
        self._register_message(message)
        return {"update_id": self._next_update_id(), "channel_post": copy.deepcopy(message)}

    def callback_update(
        self,
        data: str,
        message_id: int | None = None,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        *,
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A ``callback_query`` from pressing a button with ``data`` under the bot's message ``message_id``.

        Default message: the bot's last message in the chat (a stub bot message is created if there is none).
        """
        chat = self._default_chat(chat_id, user_id, chat_type)
        if message_id is None:
            message_id = self._newest_from(chat["id"], self.bot_user["id"])
        message = self._messages.get((chat["id"], message_id)) if message_id is not None else None
        if message is None:
            message = self._new_message(chat, self._bot_from(), {"text": "…"}, message_id=message_id)
            self._register_message(message)
        query_id = self._next_query_id()
        self._callback_queries[query_id] = False
        query = {
            "id": query_id,
            "from": self.user(user_id),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash(("chat_instance", chat["id"]))) % 10**19),
            "data": data,
        }
        return {"update_id": self._next_update_id(), "callback_query": query}

    def inline_query_update(
        self, query: str, user_id: int = DEFAULT_USER_ID, offset: str = "", *, chat_type: str | None = "sender"
    ) -> dict[str, Any]:
        """An ``inline_query`` update (``@kassatsiya_test_bot query`` typed by the user)."""
        query_id = self._next_query_id()
        self._inline_queries[query_id] = False
        inline: dict[str, Any] = {"id": query_id, "from": self.user(user_id), "query": query, "offset": offset}
        if chat_type is not None:
            inline["chat_type"] = chat_type
        return {"update_id": self._next_update_id(), "inline_query": inline}

    # ---- internals: state ----------------------------------------------------------------------------------------

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def _next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def _next_query_id(self) -> str:
        self._query_counter += 1
        return f"{self.bot_user['id']}{self._query_counter:09d}"

    def _bot_from(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _default_chat(self, chat_id: int | None, user_id: int, chat_type: str) -> dict[str, Any]:
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_ID
        known = self._chats.get(chat_id)
        if known is not None and (chat_type == "private" or known["type"] != "private"):
            return copy.deepcopy(known)
        return self.chat(chat_id, chat_type)

    def _chat_for_send(self, chat_id: int | str) -> dict[str, Any]:
        known = self._chats.get(chat_id)
        if known is not None:
            return copy.deepcopy(known)
        if isinstance(chat_id, str):  # "@channelusername"
            if not chat_id.startswith("@"):
                raise _bad_request("chat not found")
            for chat in self._chats.values():
                if chat.get("username") == chat_id[1:]:
                    return copy.deepcopy(chat)
            synthetic_id = DEFAULT_CHANNEL_ID - 1 - len(self._chats)
            chat = self.chat(synthetic_id, "channel", username=chat_id[1:])
            self._chats[chat_id] = self._chats[synthetic_id]
            return chat
        if chat_id > 0:
            return self.chat(chat_id, "private")
        return self.chat(chat_id, "supergroup" if str(chat_id).startswith("-100") else "group")

    def _new_message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any] | None,
        content: dict[str, Any],
        message_id: int | None = None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        if message_id is None:
            message_id = self._last_message_id.get(chat_id, 0) + 1
        message: dict[str, Any] = {"message_id": message_id}
        if sender is not None:
            message["from"] = sender
        message.update({"chat": chat, "date": int(time.time())})
        message.update(content)
        return message

    def _register_message(self, message: dict[str, Any]) -> None:
        chat = message["chat"]
        chat_id = chat["id"]
        self._chats.setdefault(chat_id, copy.deepcopy(chat))
        sender = message.get("from")
        if sender and not sender.get("is_bot"):
            self._users.setdefault(sender["id"], copy.deepcopy(sender))
        self._messages[(chat_id, message["message_id"])] = copy.deepcopy(message)
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), message["message_id"])

    def _observe(self, update: dict[str, Any]) -> None:
        """Learn chats, users, messages and query ids from an update built by hand."""
        for kind in _MESSAGE_KINDS:
            if isinstance(update.get(kind), dict) and "chat" in update[kind]:
                self._register_message(update[kind])
        callback = update.get("callback_query")
        if isinstance(callback, dict):
            self._callback_queries.setdefault(str(callback.get("id")), False)
            if isinstance(callback.get("message"), dict) and callback["message"].get("date"):
                message = callback["message"]
                if (message["chat"]["id"], message["message_id"]) not in self._messages:
                    self._register_message(message)
        inline = update.get("inline_query")
        if isinstance(inline, dict):
            self._inline_queries.setdefault(str(inline.get("id")), False)

    def _user_message_update(
        self, kind: str, content: dict[str, Any], chat_id: int | None, user_id: int, chat_type: str
    ) -> dict[str, Any]:
        chat = self._default_chat(chat_id, user_id, chat_type)
        message = self._new_message(chat, self.user(user_id), content)
        self._register_message(message)
        return {"update_id": self._next_update_id(), kind: copy.deepcopy(message)}

    @staticmethod
    def _file_fields(fake: FakeFile, *, with_name: bool = False) -> dict[str, Any]:
        fields: dict[str, Any] = {"file_id": fake.file_id, "file_unique_id": fake.file_unique_id}
        if with_name:
            if fake.file_name:
                fields["file_name"] = fake.file_name
            fields["mime_type"] = fake.mime_type
        fields["file_size"] = len(fake.content)
        return fields

    def _photo_sizes(self, content: bytes) -> list[dict[str, Any]]:
        sizes = []
        for width, height in ((90, 67), (320, 240), (1280, 960)):
            fake = self.add_file(content, kind="photo")
            sizes.append({**self._file_fields(fake), "width": width, "height": height})
        return sizes

    # ---- internals: HTTP -----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            if token != self.token:
                return self._json(FakeAPIError(401, "Unauthorized").payload(), 401)
            for fake in self.files.values():
                if fake.file_path == file_path:
                    return web.Response(body=fake.content, content_type="application/octet-stream")
            return self._json(FakeAPIError(404, "Not Found").payload(), 404)
        if not path.startswith("/bot"):
            return self._json(FakeAPIError(404, "Not Found").payload(), 404)
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            return self._json(FakeAPIError(401, "Unauthorized").payload(), 401)
        if not method or "/" in method:
            return self._json(FakeAPIError(404, "Not Found").payload(), 404)
        canonical, handler = self._methods.get(method.lower(), (method, None))

        try:
            params, files = await self._read_params(request)
        except FakeAPIError as error:
            return self._json(error.payload(), error.error_code)
        record = CallRecord(method=canonical, params=params, time=time.monotonic(), files=files)
        self.calls.append(record)
        self._notify()

        try:
            fault = self._take_fault(canonical)
            if fault is not None and fault.kind == "drop":
                record.dropped = record.answered = True
                self._notify()
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never reaches the client: the connection is gone
            if fault is not None and fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.kind == "error":
                error = FakeAPIError(fault.error_code, fault.description, fault.parameters)
                if fault.raw_body is not None:
                    return self._answer(record, error.payload(), error.error_code, raw_body=fault.raw_body)
                raise error
            self._check_blocked(canonical, params)
            custom = self._custom.get(canonical.lower())
            if custom is not None:
                result = custom(params)
            elif handler is not None:
                result = handler(params, record) if _accepts_record(handler) else handler(params)
            else:
                result = True  # unknown method: recorded, answered like a no-op success
            if inspect.isawaitable(result):
                result = await result
            response = self._answer(record, {"ok": True, "result": result}, 200)
            if fault is not None and fault.kind == "drop_after":
                record.dropped = True  # done, but the client never hears so
                if request.transport is not None:
                    request.transport.abort()
            return response
        except FakeAPIError as error:
            return self._answer(record, error.payload(), error.error_code)
        except Exception as error:  # a bug in the fake or in a custom handler: make it visible to the test
            logger.exception("fake Bot API crashed in %s", canonical)
            crash = FakeAPIError(500, f"Internal Server Error: fake Bot API crashed in {canonical}: {error!r}")
            return self._answer(record, crash.payload(), 500)

    def _answer(
        self, record: CallRecord, payload: dict[str, Any], status: int, *, raw_body: str | None = None
    ) -> web.Response:
        record.status = status
        record.response = payload
        record.answered = True
        self._notify()
        if raw_body is not None:
            return web.Response(text=raw_body, status=status, content_type="text/html")
        return self._json(payload, status)

    @staticmethod
    def _json(payload: dict[str, Any], status: int) -> web.Response:
        return web.json_response(payload, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: _decode_param(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.body_exists:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise _bad_request("can't parse JSON encoded request body") from error
            if not isinstance(body, dict):
                raise _bad_request("JSON request body must be an object")
            for key, value in body.items():
                params[key] = _decode_param(key, value) if key in _OBJECT_PARAMS and isinstance(value, str) else value
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
                elif isinstance(value, str):
                    params[key] = _decode_param(key, value)
                else:
                    params[key] = _decode_param(key, bytes(value).decode("utf-8", "replace"))
        return params, files

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_blocked(self, method: str, params: dict[str, Any]) -> None:
        if not self._blocked or "chat_id" not in params:
            return
        if not method.startswith(("send", "edit", "copy", "forward")):
            return
        chat_id = _chat_key(params["chat_id"])
        if chat_id in self._blocked:
            if isinstance(chat_id, int) and chat_id > 0:
                raise FakeAPIError(403, "Forbidden: bot was blocked by the user")
            raise FakeAPIError(403, "Forbidden: bot was kicked from the group chat")

    # ---- internals: validation -------------------------------------------------------------------------------------

    def _format_text(
        self,
        raw: Any,
        parse_mode: Any,
        entities: Any,
        *,
        limit: int,
        caption: bool = False,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Validate a text/caption like Telegram; returns (visible trimmed text, entities)."""
        text = "" if raw is None else str(raw)
        parsed_entities: list[dict[str, Any]] = []
        mode = str(parse_mode or "").lower()
        if isinstance(entities, list) and entities:
            parsed_entities = [dict(e) for e in entities if isinstance(e, dict)]
        elif mode == "html":
            try:
                text, parsed_entities = parse_telegram_html_entities(text)
            except ValueError as error:
                raise _bad_request(f"can't parse entities: {error}") from error
        elif mode not in ("", "markdown", "markdownv2"):
            raise _bad_request("unsupported parse_mode")
        text, parsed_entities = _trim(text, parsed_entities)
        if not text and not caption:
            raise _bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise _bad_request("message caption is too long" if caption else "message is too long")
        return text, parsed_entities

    @staticmethod
    def _inline_markup(markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; returns it if it is an inline keyboard (the only kind echoed in messages)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if not _BUTTON_ACTIONS.intersection(button):
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
        return markup

    def _message_ref(self, params: dict[str, Any], action: str) -> dict[str, Any] | None:
        """The stored message addressed by chat_id+message_id, or None for inline_message_id."""
        if params.get("inline_message_id"):
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise _bad_request("message identifier is not specified")
        key = (_chat_key(params["chat_id"]), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            raise _bad_request(f"message to {action} not found")
        return message

    def _reply_to(self, params: dict[str, Any], chat_id: int | str) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, allow = reply.get("message_id"), reply.get("allow_sending_without_reply", False)
            target_chat = _chat_key(reply.get("chat_id", chat_id))
        elif params.get("reply_to_message_id"):
            message_id, allow = params["reply_to_message_id"], params.get("allow_sending_without_reply", False)
            target_chat = chat_id
        else:
            return None
        message = self._messages.get((target_chat, int(message_id)))
        if message is None and not allow:
            raise _bad_request("message to be replied not found")
        if message is None:
            return None
        replied = copy.deepcopy(message)
        replied.pop("reply_to_message", None)
        return replied

    def _store_bot_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" not in params:
            raise _bad_request("chat_id is empty")
        chat = self._chat_for_send(_chat_key(params["chat_id"]))
        reply_to = self._reply_to(params, chat["id"])
        message = self._new_message(chat, self._bot_from(), content)
        if chat["type"] == "channel":
            message.pop("from")
            message["sender_chat"] = chat
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._register_message(message)
        return message

    # ---- method handlers ---------------------------------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise FakeAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
                "webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), self.max_poll_timeout)
        if isinstance(params.get("allowed_updates"), list):
            allowed = params["allowed_updates"]
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            self._queue = self._queue[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # a newer getUpdates terminates older long polls (409), like Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._queue or self._closing:
                if self._queue and self._pending_outage is not None:
                    task = asyncio.ensure_future(self._timed_outage(self._pending_outage))
                    self._outage_tasks.add(task)
                    task.add_done_callback(self._outage_tasks.discard)
                    self._pending_outage = None
                return copy.deepcopy(self._queue[:limit])
            if generation != self._poll_generation:
                raise FakeAPIError(409, _DEFAULT_DESCRIPTIONS[409])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        match = re.fullmatch(r"https://([^/:?#]+)(?::(\d+))?([/?#].*)?", url)
        if match is None:
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if match.group(2) and match.group(2) not in ("80", "88", "443", "8443"):
            raise _bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = frozenset(params["allowed_updates"]) or None
        self.webhook = {
            "url": url,
            "secret_token": None if secret is None else str(secret),
            "max_connections": int(params.get("max_connections") or 40),
            "allowed_updates": params.get("allowed_updates"),
            "ip_address": params.get("ip_address"),
        }
        self._notify()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {"url": ""}
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if info["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            info["ip_address"] = "127.0.0.1"
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise _bad_request("can't parse menu button JSON object")
        chat = _chat_key(params["chat_id"]) if "chat_id" in params else None
        self.menu_buttons[chat] = button
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = _chat_key(params["chat_id"]) if "chat_id" in params else None
        return copy.deepcopy(self.menu_buttons.get(chat) or self.menu_buttons.get(None) or {"type": "commands"})

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), limit=MAX_MESSAGE_LENGTH
        )
        markup = self._inline_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if markup is not None:
            content["reply_markup"] = markup
        return self._store_bot_message(params, content)

    def _send_media(self, params: dict[str, Any], record: CallRecord, *, kind: str) -> dict[str, Any]:
        reference = params.get(kind)
        if not reference:
            raise _bad_request(f"there is no {kind} in the request")
        reference = str(reference)
        if reference.startswith("attach://"):
            upload = record.files.get(reference[len("attach://") :])
            if upload is None:
                raise _bad_request(f"file must be non-empty: {kind} attachment not found")
            fake = self.add_file(upload.data, kind=kind, file_name=upload.filename, mime_type=upload.content_type)
        elif reference in self.files:
            fake = self.files[reference]
        elif reference.startswith(("http://", "https://")):
            fake = self.add_file(b"", kind=kind, file_name=reference.rsplit("/", 1)[-1] or None)
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        content: dict[str, Any] = {}
        if kind == "photo":
            content["photo"] = [
                {**self._file_fields(self.add_file(fake.content, kind="photo")), "width": w, "height": h}
                for w, h in ((90, 67), (320, 240))
            ] + [{**self._file_fields(fake), "width": 1280, "height": 960}]
        elif kind == "sticker":
            content["sticker"] = {
                **self._file_fields(fake),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": params.get("emoji") or "🙂",
            }
        elif kind in ("voice", "audio"):
            content[kind] = {
                **self._file_fields(fake, with_name=kind == "audio"),
                "duration": int(params.get("duration") or 1),
            }
            if kind == "voice":
                content[kind]["mime_type"] = "audio/ogg"
        elif kind in ("video", "animation"):
            content[kind] = {
                **self._file_fields(fake, with_name=True),
                "width": int(params.get("width") or 640),
                "height": int(params.get("height") or 480),
                "duration": int(params.get("duration") or 1),
            }
            if kind == "animation":
                content["document"] = self._file_fields(fake, with_name=True)
        else:
            content["document"] = self._file_fields(fake, with_name=True)
        if params.get("caption") is not None and kind != "sticker":
            caption, entities = self._format_text(
                params.get("caption"),
                params.get("parse_mode"),
                params.get("caption_entities"),
                limit=MAX_CAPTION_LENGTH,
                caption=True,
            )
            if caption:
                content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        markup = self._inline_markup(params.get("reply_markup"))
        if markup is not None:
            content["reply_markup"] = markup
        return self._store_bot_message(params, content)

    def _send_location(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            latitude, longitude = float(params["latitude"]), float(params["longitude"])
        except (KeyError, TypeError, ValueError) as error:
            raise _bad_request("wrong latitude or longitude specified") from error
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad_request("wrong latitude or longitude specified")
        content: dict[str, Any] = {"location": {"latitude": latitude, "longitude": longitude}}
        markup = self._inline_markup(params.get("reply_markup"))
        if markup is not None:
            content["reply_markup"] = markup
        return self._store_bot_message(params, content)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        text, entities = self._format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), limit=MAX_MESSAGE_LENGTH
        )
        markup = self._inline_markup(params.get("reply_markup"))
        message = self._message_ref(params, "edit")
        if message is None:
            return True
        if message.get("from", {}).get("id") != self.bot_user["id"] and "sender_chat" not in message:
            raise _bad_request("message can't be edited")
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        if (message["text"], message.get("entities", []), message.get("reply_markup")) == (text, entities, markup):
            raise _bad_request(_NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        message.pop("reply_markup", None)
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = self._inline_markup(params.get("reply_markup"))
        message = self._message_ref(params, "edit")
        if message is None:
            return True
        if message.get("from", {}).get("id") != self.bot_user["id"] and "sender_chat" not in message:
            raise _bad_request("message can't be edited")
        if message.get("reply_markup") == markup:
            raise _bad_request(_NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._message_ref(params, "delete")
        if message is not None:
            del self._messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise _bad_request(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if self._inline_queries.get(query_id, True):
            raise _bad_request(_QUERY_INVALID)
        results = params.get("results") or []
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        if len(str(params.get("next_offset") or "").encode("utf-8")) > MAX_INLINE_ID_BYTES:
            raise _bad_request("NEXT_OFFSET_INVALID")
        button = params.get("button")
        if button is not None:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise _bad_request("BUTTON_TEXT_INVALID")
            start = button.get("start_parameter")
            if "web_app" not in button and not (isinstance(start, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start)):
                raise _bad_request("START_PARAM_INVALID")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict):
                raise _bad_request("can't parse InlineQueryResult JSON object")
            result_id = str(result.get("id") or "")
            if not 1 <= len(result_id.encode("utf-8")) <= MAX_INLINE_ID_BYTES:
                raise _bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._format_text(
                    content.get("message_text"),
                    content.get("parse_mode"),
                    content.get("entities"),
                    limit=MAX_MESSAGE_LENGTH,
                )
            self._inline_markup(result.get("reply_markup"))
        self._inline_queries[query_id] = True
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if "chat_id" not in params:
            raise _bad_request("chat_id is empty")
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        fake = self.files.get(str(params.get("file_id") or ""))
        if fake is None:
            raise _bad_request("invalid file_id")
        return fake.as_file()

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" not in params:
            raise _bad_request("chat_id is empty")
        chat = self._chat_for_send(_chat_key(params["chat_id"]))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
                False,
            ),
        }


def _accepts_record(handler: Callable[..., Any]) -> bool:
    return "record" in inspect.signature(handler).parameters
