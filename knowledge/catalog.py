"""Reads catalog.toml and checks it against the texts on disk, naming the file and the problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.records import KINDS, PROCEEDINGS, STAGES, STATUSES, Document, Part

KNOWLEDGE_DIR = Path(__file__).resolve().parent
CATALOG = KNOWLEDGE_DIR / "catalog.toml"
REQUIRED = ("id", "file", "kind", "title", "short", "status")


def load_catalog(catalog: Path = CATALOG, texts: Path | None = None) -> list[Document]:
    """Documents in catalog order; every entry must have its text and every text its entry."""
    texts = texts or catalog.parent / "texts"
    try:
        data = tomllib.loads(catalog.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(catalog, "catalog file is missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(catalog, f"not valid TOML: {exc}") from None
    entries = data.get("document")
    if not isinstance(entries, list) or not entries:
        raise KnowledgeError(catalog, "no [[document]] entries")
    docs: list[Document] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        where = f"{catalog} [[document]] #{n}"
        if not isinstance(entry, dict):
            raise KnowledgeError(where, "must be a table ([[document]] with fields), not a value")
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise KnowledgeError(where, f"missing required field(s): {', '.join(missing)}")
        wrong = [k for k in REQUIRED if not isinstance(entry[k], str)]
        if wrong:
            raise KnowledgeError(where, f"field(s) {', '.join(wrong)} must be text in quotes")
        doc_id = str(entry["id"])
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", doc_id):
            raise KnowledgeError(where, f"id {doc_id!r} must be lowercase letters, digits and '-'")
        if doc_id in seen:
            raise KnowledgeError(where, f"duplicate id {doc_id!r}")
        seen.add(doc_id)
        if entry["kind"] not in KINDS:
            raise KnowledgeError(where, f"kind must be one of {', '.join(KINDS)}, not {entry['kind']!r}")
        if entry["status"] not in STATUSES:
            raise KnowledgeError(where, f"status must be one of {', '.join(STATUSES)}")
        for field, allowed in (("proceedings", PROCEEDINGS), ("stage", STAGES)):  # "" (the default): every one
            if entry.get(field, "") not in allowed:
                raise KnowledgeError(where, f"{field} must be one of {', '.join(repr(k) for k in allowed)}")
        if not (texts / entry["file"]).is_file():
            raise KnowledgeError(texts / entry["file"], f"text of catalog entry {doc_id!r} is missing")
        parts = tuple(_part(p, f"{where} part #{i}") for i, p in enumerate(_parts(entry, where), 1))
        docs.append(
            Document(
                id=doc_id,
                file=entry["file"],
                kind=entry["kind"],
                title=entry["title"],
                short=entry["short"],
                number=str(entry.get("number", "")),
                date=str(entry.get("date", "")),
                status=entry["status"],
                status_since=str(entry.get("status_since", "")),
                description=entry.get("description", ""),
                proceedings=entry.get("proceedings", ""),
                stage=entry.get("stage", ""),
                authors=tuple(entry.get("authors", ())),
                parts=parts,
            )
        )
    listed = {d.file for d in docs}
    for path in sorted(texts.glob("*.txt")):
        if path.name not in listed:
            raise KnowledgeError(path, "text has no entry in the catalog")
    return docs


def _parts(entry: dict, where: str) -> list:
    parts = entry.get("part", [])
    if not isinstance(parts, list):
        raise KnowledgeError(where, "part must be a list of [[document.part]] tables")
    return parts


def _part(p: object, where: str) -> Part:
    """One [[document.part]]: `starts` (the line it begins with) is required, every field is text."""
    if not isinstance(p, dict):
        raise KnowledgeError(where, "must be a table with at least 'starts'")
    if not isinstance(p.get("starts"), str) or not p["starts"].strip():
        raise KnowledgeError(where, "missing required field 'starts' (the text the part begins with)")
    for key in ("title", "language", "ends"):
        if not isinstance(p.get(key, ""), str):
            raise KnowledgeError(where, f"field {key} must be text in quotes")
    authors = p.get("authors", ())
    if not isinstance(authors, list | tuple) or not all(isinstance(a, str) for a in authors):
        raise KnowledgeError(where, "authors must be a list of names in quotes")
    return Part(title=p.get("title", ""), authors=tuple(authors), language=p.get("language", "kk"),
                starts=p["starts"], ends=p.get("ends", ""))


def read_text(path: Path) -> str:
    """The raw text, strictly UTF-8 and non-empty."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(path, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(path, f"not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise KnowledgeError(path, "file is empty")
    return text
