"""Addresses of a paragraph: the Telegram deep-link payload and the reading view's page and anchor.

A passage id is ``<doc>:<number>`` ("2025-cassation:5", "1998-1:4-1", "1998-1:preamble").  Telegram allows only
``[A-Za-z0-9_-]`` (at most 64 characters) in a ``/start`` payload, and document ids contain '-', so the payload
joins the two parts with '_' instead of ':' and is split at its *last* '_': paragraph numbers never contain one.
Anything that does not decode is treated as no payload at all (the plain ``/start``).

They live in the core because both faces use them: the bot links its quotes here, the reading view lays out
the pages these addresses name.
"""

from __future__ import annotations

import re
from urllib.parse import quote

MAX_PAYLOAD = 64
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{3,64}")
_NUMBER = re.compile(r"[A-Za-z0-9-]+")


def encode_payload(passage_id: str) -> str | None:
    """"2016-1:5" → "2016-1_5"; None when the id cannot travel in a payload (it never happens in our corpus)."""
    doc, sep, number = passage_id.partition(":")
    payload = f"{doc}_{number}"
    if not sep or not doc or not _NUMBER.fullmatch(number) or not _PAYLOAD.fullmatch(payload):
        return None
    return payload


def decode_payload(payload: str | None) -> str | None:
    """"2016-1_5" → "2016-1:5"; None for anything malformed (too long, foreign characters, no separator)."""
    if not payload or not _PAYLOAD.fullmatch(payload):
        return None
    doc, sep, number = payload.rpartition("_")
    if not sep or not doc or not number:
        return None
    return f"{doc}:{number}"


def deep_link(bot_username: str, passage_id: str) -> str | None:
    payload = encode_payload(passage_id)
    if not bot_username or payload is None:
        return None
    return f"https://t.me/{bot_username}?start={payload}"


def anchor(number: str) -> str:
    """The fragment of a paragraph on its document's page: "p5", "p4-1", "preamble"."""
    return "preamble" if number == "preamble" else f"p{number}"


def document_path(doc_id: str) -> str:
    return f"/doc/{quote(doc_id, safe='')}"


def paragraph_url(base_url: str, doc_id: str, number: str) -> str:
    """The reading view's address of one paragraph, e.g. https://example.org/doc/2016-1#p5."""
    return f"{base_url.rstrip('/')}{document_path(doc_id)}#{anchor(number)}"


def paragraph_page_url(base_url: str, doc_id: str, number: str) -> str:
    """The page of one paragraph in its context (what the "Full text" Web App button opens; a Web App's own URL
    fragment belongs to Telegram, so the paragraph is chosen by path, not by anchor)."""
    return f"{base_url.rstrip('/')}{document_path(doc_id)}/{quote(number, safe='')}"
