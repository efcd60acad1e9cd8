"""`cassbot`: the command line, a thin peer of the Telegram bot over the same core.

Every subcommand prints one clear line and exits non-zero on bad input (a broken knowledge file, an
unknown paragraph, an unusable setting) — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

from bot.settings import Settings, SettingsError, load_settings
from knowledge import KnowledgeError, load_corpus

log = logging.getLogger("cassbot")

STATUS_LABELS = {"in_force": "қолданыста", "repealed": "күшін жойған", "commentary": "түсініктеме (заң емес)"}


def _fail(message: str, code: int = 2) -> int:
    print(f"cassbot: {message}", file=sys.stderr)
    return code


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    corpus = load_corpus(*settings.corpus_paths())
    rows = []
    for doc in corpus.documents:
        passages = corpus.of(doc.id)
        numbered = [p for p in passages if p.number != "preamble"]
        deleted = [p.number for p in passages if p.deleted]
        status = STATUS_LABELS.get(doc.status, doc.status)
        if doc.status_since:
            status += f" ({doc.status_since} бастап)"
        rows.append({
            "id": doc.id,
            "kind": doc.kind,
            "status": status,
            "title": doc.title or doc.description,
            "paragraphs": len(numbered),
            "preamble": any(p.number == "preamble" for p in passages),
            "deleted": deleted,
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        unit = "тармақ" if r["kind"] == "normative_resolution" else "үзінді"
        extra = " + кіріспе" if r["preamble"] else ""
        if r["deleted"]:
            extra += f"; алып тасталған: {', '.join(r['deleted'])}"
        print(f"{r['id']:<16} {r['kind']:<21} {r['status']:<32} {r['paragraphs']:>3} {unit}{extra}")
        print(f"{'':<16} {r['title']}")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    corpus = load_corpus(*settings.corpus_paths())
    try:
        doc = corpus.document(args.doc)
    except KeyError:
        return _fail(f"unknown document {args.doc!r}; known: {', '.join(d.id for d in corpus.documents)}")
    try:
        passage = corpus.passage(doc.id, args.paragraph)
    except KeyError:
        known = ", ".join(p.number for p in corpus.of(doc.id))
        return _fail(f"document {doc.id!r} has no paragraph {args.paragraph!r}; it has: {known}")
    print(passage.text)
    for note in passage.notes:
        print(f"\n[{note}]")
    print(f"\n— {passage.citation}")
    if passage.deleted:
        print("(бұл тармақ алып тасталған)")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "docs": cmd_docs,
    "show": cmd_show,
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cassbot", description="Kassatsiya: quotes the Supreme Court's resolutions.")
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("docs", help="documents with kind, status and passage counts")
    d.add_argument("--json", action="store_true")
    s = sub.add_parser("show", help="one paragraph: repaired text, amendment notes, citation")
    s.add_argument("doc", help="document id, e.g. 2016-1")
    s.add_argument("paragraph", help="paragraph number, e.g. 5, 4-1, preamble")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        command = args.command or "docs"
        if command == "docs" and not hasattr(args, "json"):
            args.json = False
        return COMMANDS[command](args, settings)
    except KnowledgeError as exc:
        return _fail(str(exc))
    except SettingsError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
