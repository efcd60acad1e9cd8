"""`cassbot`: the command line, a thin peer of the Telegram bot over the same core.

Every subcommand prints one clear line and exits non-zero on bad input (a broken knowledge file, an
unknown paragraph, an unusable setting) — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.core.engine import open_engine
from bot.settings import Settings, SettingsError, load_settings
from knowledge import KnowledgeError, load_corpus
from knowledge.citation import document_citation
from knowledge.repair import RepairStats

log = logging.getLogger("cassbot")



def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("sentence_transformers", "faiss", "transformers", "httpx", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def quiet_command_line(verbosity: int) -> str:
    """Commands are quiet by default: errors only, no progress bars; -v shows INFO logs, -vv DEBUG.

    Long first-run jobs (model conversion, index build) still say in one line what they are doing, through
    the `embeddings.progress` logger, whatever the verbosity.
    """
    level = ("ERROR", "INFO", "DEBUG")[min(verbosity, 2)]
    if verbosity == 0:
        os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' "Loading weights" bar
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    progress = logging.getLogger("embeddings.progress")
    if not progress.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cassbot: %(message)s"))
        progress.addHandler(handler)
        progress.setLevel(logging.INFO)
        progress.propagate = False
    return level


def _fail(message: str, code: int = 2) -> int:
    print(f"cassbot: {message}", file=sys.stderr)
    return code


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.i18n import gettext_for
    from bot.render import status_label

    kk = gettext_for("kk")
    corpus = load_corpus(*settings.corpus_paths())
    if args.repairs:
        from knowledge.repair_report import format_report, repair_report

        try:
            doc = corpus.document(args.repairs)
        except KeyError:
            return _fail(f"unknown document {args.repairs!r}; known: {', '.join(d.id for d in corpus.documents)}")
        print(format_report(repair_report(corpus, doc.id, settings.corpus_paths()[1]),
                            review_only=args.review))
        return 0
    rows = []
    for doc in corpus.documents:
        passages = corpus.of(doc.id)
        numbered = [p for p in passages if p.number != "preamble"]
        deleted = [p.number for p in passages if p.deleted]
        stats = corpus.stats.get(doc.id) or RepairStats()
        status = status_label(doc, kk)
        rows.append({
            "id": doc.id,
            "kind": doc.kind,
            "status": doc.status,  # a code: in_force | repealed | commentary
            "status_label": status,  # as a reader sees it (Kazakh), with the date it holds since
            "status_since": doc.status_since,
            "title": doc.title or doc.description,
            "citation": document_citation(doc, full=True),
            "notes": list(doc.notes),  # amendment notes on the document's title and preamble
            "paragraphs": len(numbered),
            "preamble": any(p.number == "preamble" for p in passages),
            "deleted": deleted,
            "repair": {"fragments_moved": stats.fragments_moved, "lines_left_raw": stats.lines_left_raw,
                       "hyphen_joins": stats.hyphen_joins, "dehyphenated": stats.dehyphenated},
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        unit = "тармақ" if r["kind"] == "normative_resolution" else "үзінді"
        extra = " + кіріспе" if r["preamble"] else ""
        if r["deleted"]:
            extra += f"; алып тасталған: {', '.join(r['deleted'])}"
        print(f"{r['id']:<16} {r['kind']:<21} {r['status_label']:<32} {r['paragraphs']:>3} {unit}{extra}")
        print(f"{'':<16} {r['citation']}")
        for note in r["notes"]:
            print(f"{'':<16} [{note}]")
        fix = r["repair"]
        print(f"{'':<16} repair: {fix['fragments_moved']} displaced link fragments put back, "
              f"{fix['lines_left_raw']} left raw; {fix['dehyphenated']} words de-hyphenated, "
              f"{fix['hyphen_joins']} kept hyphen(s) joined across a line break")
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
    if passage.number == "preamble":  # the document's own amendment notes stand before its preamble
        print(document_citation(doc, full=True))
        for note in doc.notes:
            print(f"[{note}]")
        print()
    print(passage.text)
    for note in passage.notes:
        print(f"\n[{note}]")
    print(f"\n— {passage.citation}")
    if passage.deleted:
        print("(бұл тармақ алып тасталған)")
    return 0


SAMPLE_QUESTION = "Кассациялық шағым қай тілде жазылуы керек?"


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    engine = open_engine(settings, rebuild=True)
    m = engine.index.manifest
    print(f"index: {m.units} vectors (dim {m.dim}) for {len(engine.retriever.passages)} passages, "
          f"model {m.model}, corpus {m.corpus}, built in {m.build_seconds:.1f} s")
    return 0


def _answer_json(reply) -> dict:
    return {
        "question": reply.question,
        "answered": reply.answered,
        "outcome": reply.outcome,
        "confidence": round(reply.confidence, 4),
        "also": [p.id for p in reply.also],
        "closest": [p.id for p in reply.closest],
        "outside": reply.outside,  # why the closest cannot answer: "foreign", "proceedings", "stage" or ""
        "courtesy": reply.courtesy,  # the message was only "greeting" or "thanks" (not_found, nothing ranked), or ""
        "results": [
            {"id": h.passage.id, "citation": h.passage.citation, "text": h.passage.text,
             "highlights": [h.passage.sentences[i] for i in h.highlights], "score": round(h.score, 4)}
            for h in reply.hits
        ],
    }


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.assistant import Assistant
    from bot.i18n import gettext_for
    from bot.render import answer_plain

    question = " ".join(args.question).strip()
    if not question:
        return _fail("ask needs a question, e.g. cassbot ask \"кассациялық шағымды кім бере алады?\"")
    from knowledge.topics import load_topics

    assistant = Assistant(open_engine(settings), load_topics(), workers=1)
    reply = assistant.ask(question[: settings.max_question_chars], k=args.k)
    if args.json:
        print(json.dumps(_answer_json(reply), ensure_ascii=False, indent=2))
        return 0
    t = gettext_for(args.lang)
    print(answer_plain(reply, t, lambda p: assistant.heading(p, args.lang)))
    print("\n" + t("I quote the Supreme Court's normative resolutions; this is not legal advice."))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from embeddings.engine import CharTfidfBaseline
    from embeddings.evaluate import EvalFileError, evaluate, format_table, load_questions

    try:
        questions = [q for name in args.files for q in load_questions(Path(name))]
        tune = [q for name in args.calibrate_on or () for q in load_questions(Path(name))]
    except EvalFileError as exc:
        return _fail(str(exc))
    engine = open_engine(settings)
    engine.warm([q.question for q in questions + tune])  # one batched call: the same vectors
    if args.calibrate or tune:
        from embeddings.calibrate import CalibrationError, calibrate

        # --calibrate-on: fitted on those files, measured on FILE(s) untouched (tune on one half, report the other)
        try:
            weights, report = calibrate(engine.retriever, tune or questions, engine.without_hints)
        except CalibrationError as exc:
            return _fail(str(exc))
        print(json.dumps(report, indent=2))
        print(repr(weights))
    if args.without_hints:
        from embeddings.evaluate import documents_left_out, format_lodo

        docs = [d.id for d in engine.corpus.documents] if args.without_hints == "all" else [args.without_hints]
        unknown = [d for d in docs if d not in {doc.id for doc in engine.corpus.documents}]
        if unknown:
            return _fail(f"unknown document {unknown[0]!r} for --without-hints")
        rows = [(doc_id, evaluate(subset, lambda q: engine.ask(q, args.k), args.k),
                 evaluate(subset, lambda q, r=bare: r.ask(q, args.k), args.k))
                for doc_id, subset, bare in documents_left_out(questions, engine.retriever.passages, docs,
                                                                engine.without_hints)]
        if args.json:
            print(json.dumps({d: {"with_hints": a, "without_hints": b} for d, a, b in rows}, indent=2))
        else:
            print(format_lodo(rows))
        return 0
    results = {"hybrid": evaluate(questions, lambda q: engine.ask(q, args.k), args.k, with_details=args.json)}
    if args.baseline:
        tfidf = CharTfidfBaseline(engine.corpus)
        results["char-tfidf"] = evaluate(questions, lambda q: tfidf.ask(q, args.k), args.k, with_details=args.json)
        results["dense-only"] = evaluate(questions, lambda q: engine.dense_only(q, args.k), args.k,
                                         with_details=args.json)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(f"{len(questions)} questions from {' + '.join(args.files)}, k={args.k}")
        for name, result in results.items():
            print(format_table(name, result))
    return 0


def cmd_default(args: argparse.Namespace, settings: Settings) -> int:
    """The README's main job: the bot when a token is set, otherwise a sample answer and how to start."""
    if settings.bot_token is not None and settings.bot_token.get_secret_value().strip():
        return cmd_run(args, settings)
    cmd_docs(argparse.Namespace(json=False, repairs=None, review=False), settings)
    print(f"\n? {SAMPLE_QUESTION}\n")
    code = cmd_ask(argparse.Namespace(question=[SAMPLE_QUESTION], json=False, k=3, lang="kk"), settings)
    print("\nTo start the Telegram bot, set BOT_TOKEN (in the environment or .env) and run this command again.")
    return code


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    """The topic guide of the bot's /topics, in the terminal: the list, a topic's reading list, one paragraph."""
    from bot.i18n import gettext_for
    from bot.render import passage_plain
    from knowledge.topics import load_quiz, load_topics, validate

    corpus = load_corpus(*settings.corpus_paths())
    topics = load_topics()
    validate(topics, load_quiz(), corpus)
    t, lang = gettext_for(args.lang), args.lang
    if args.topic is None:
        print(t("Choose a topic:"))
        for topic in topics:
            print(f"  {topic.id:<16} {topic.title(lang)} ({len(topic.items)})")
        print("\ncassbot topics TOPIC [N]")
        return 0
    by_id = {topic.id: topic for topic in topics}
    topic = by_id.get(args.topic)
    if topic is None:
        return _fail(f"unknown topic {args.topic!r}; known: {', '.join(by_id)}")
    title = topic.title(lang)
    if args.item is None:
        print(f"{title}\n{topic.summary(lang)}\n")
        for n, item in enumerate(topic.items, 1):
            print(f"  {n:>2}. {item.heading(lang)}  [{item.passage_id}]")
        print(f"\ncassbot topics {topic.id} 1")
        return 0
    if not 1 <= args.item <= len(topic.items):
        return _fail(f"topic {topic.id!r} has items 1-{len(topic.items)}")
    item = topic.items[args.item - 1]
    passage = corpus.get(item.passage_id)
    assert passage is not None  # validate() checked every id
    print(f"{title} · {args.item}/{len(topic.items)}\n{item.heading(lang)}\n")
    print(passage_plain(passage, t))
    if args.item < len(topic.items):
        print(f"\n{t('Next in this topic ▶')} cassbot topics {topic.id} {args.item + 1}")
    else:
        print(f"\n{t('End of the topic.')}")
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from bot.core.db_health import database_problem
    from bot.core.feedback import ALL_TIME
    from bot.core.sqlite_store import DB_FILE, SqliteStore
    from bot.report import FORMATS, build_report

    if args.since:
        try:
            dt.date.fromisoformat(args.since)
        except ValueError:
            return _fail(f"--since must be a date like 2026-01-31, not {args.since!r}")
    if settings.database_url is not None:
        from bot.core.postgres_store import StoreUnavailable
        from bot.core.stores import open_feedback

        try:
            feedback = open_feedback(settings)
        except StoreUnavailable as exc:
            return _fail(str(exc), 1)
        try:
            print(FORMATS[args.format](build_report(feedback, args.since or ALL_TIME)))
        finally:
            feedback.close()
        return 0
    path = settings.data_dir / DB_FILE
    if not path.exists():  # a normal state before the bot has answered anyone: not an error
        print(f"no feedback yet: {path} is created when the bot first answers", file=sys.stderr)
        return 0
    problem = database_problem(path)
    if problem is not None:
        return _fail(f"feedback database {path} is damaged ({problem}); the bot moves it aside and starts a "
                     "new one on its next start")
    # The report reads no user hashes, so it needs no salt (and never creates one).
    feedback = SqliteStore(path, "", writable=False)
    print(FORMATS[args.format](build_report(feedback, args.since or ALL_TIME)))
    return 0


def cmd_migrate_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """SQLite file → the PostgreSQL of DATABASE_URL, every row, checked by counting both sides."""
    from bot.core.migrate_feedback import MigrationError, migrate_feedback
    from bot.core.postgres_store import PostgresStore, StoreUnavailable
    from bot.core.sqlite_store import DB_FILE

    if settings.database_url is None:
        return _fail("DATABASE_URL is not set: it names the PostgreSQL database to copy the feedback into")
    source = Path(args.sqlite) if args.sqlite else settings.data_dir / DB_FILE
    try:
        # The copy keeps the stored hashes as they are; the salt is not needed for it.
        store = PostgresStore(settings.database_url.get_secret_value(), "")
    except StoreUnavailable as exc:
        return _fail(str(exc), 1)
    try:
        copied = migrate_feedback(source, store)
    except MigrationError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    counts = ", ".join(f"{table} {n}" for table, n in copied.target.items())
    print(f"copied {source} into PostgreSQL at {store.where}: {counts} (counts checked on both sides)")
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bench import format_bench, run_bench, targets_met
    from embeddings.evaluate import EvalFileError, load_questions

    if args.questions is None:  # the curated questions of the knowledge base: shipped with the package
        corpus = load_corpus(*settings.corpus_paths())
        questions = [q for hints in corpus.hints.values() for q in hints]
    else:
        try:
            questions = [q.question for q in load_questions(Path(args.questions))]
        except EvalFileError as exc:
            return _fail(str(exc))
    result = run_bench(settings, questions[: args.limit], repeats=args.repeats, quick=args.quick)
    print(json.dumps({**result, "targets_met": targets_met(result)}, indent=2) if args.json else format_bench(result))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.core.postgres_store import StoreUnavailable
    from bot.telegram.app import run_bot
    from bot.telegram.replicas import RedisUnavailable

    settings.token()  # fail fast, before loading the model, on a missing or malformed token
    settings.check_webhook()
    try:
        return run_bot(settings)
    except TelegramUnauthorizedError:
        return _fail("Telegram rejected BOT_TOKEN (401 Unauthorized): check it with @BotFather")
    except TelegramNetworkError as exc:
        # Exit 1, not 2: a supervisor (systemd Restart=on-failure, Docker restart policy) should try again.
        return _fail(f"cannot reach the Bot API at {settings.telegram_api_url} after retries: {exc.message}", 1)
    except (RedisUnavailable, StoreUnavailable) as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return 0


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    """The reading view alone, for a site without a bot (WEB_HOST, WEB_PORT)."""
    from bot.core.assistant import Assistant
    from bot.web.app import serve
    from knowledge.topics import load_topics

    if args.host:
        settings.web_host = args.host
    if args.port:
        settings.web_port = args.port
    try:
        serve(settings, Assistant(open_engine(settings), load_topics()))  # topics: the paragraphs' headings
    except OSError as exc:
        return _fail(f"cannot listen on {settings.web_host}:{settings.web_port}: {exc.strerror or exc}")
    return 0


def cmd_finetune(args: argparse.Namespace, settings: Settings) -> int:
    """Research (README, "Fine-tuning the model"): the embedded model fine-tuned on the aids, saved to OUT."""
    from embeddings.finetune import finetune_embedded

    corpus = load_corpus(*settings.corpus_paths())
    known = {d.id for d in corpus.documents}
    without = frozenset(args.without or ())
    if without - known:
        return _fail(f"unknown document {sorted(without - known)[0]!r} for --without")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail(f"{out} exists and is not empty; give a new folder")
    options = {k: v for k in ("layers", "epochs", "lr", "seed") if (v := getattr(args, k)) is not None}
    losses = finetune_embedded(corpus, settings.data_dir, out, without, progress=print, **options)
    print(f"saved {out} after {len(losses)} steps (last loss {losses[-1]:.3f}); measure it with "
          f"EMBEDDING_MODEL={out} cassbot eval FILE")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "docs": cmd_docs,
    "show": cmd_show,
    "build": cmd_build,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "run": cmd_run,
    "report": cmd_report,
    "migrate-feedback": cmd_migrate_feedback,
    "topics": cmd_topics,
    "bench": cmd_bench,
    "web": cmd_web,
    "finetune": cmd_finetune,
}


MAX_K = 50


def results_count(value: str) -> int:
    """--k: a whole number of results from 1 to MAX_K (0 would "answer" with nothing, negatives wrap)."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_K}, not {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_K}, not {k}")
    return k


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cassbot", description="Kassatsiya: quotes the Supreme Court's resolutions.")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log what happens (-vv: debug)")
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("docs", help="documents with kind, status and passage counts")
    d.add_argument("--json", action="store_true")
    d.add_argument("--repairs", metavar="DOC", help="every repaired line of DOC: fragments, where each went, why")
    d.add_argument("--review", action="store_true", help="with --repairs: only the lines marked for review")
    s = sub.add_parser("show", help="one paragraph: repaired text, amendment notes, citation")
    s.add_argument("doc", help="document id, e.g. 2016-1")
    s.add_argument("paragraph", help="paragraph number, e.g. 5, 4-1, preamble")
    sub.add_parser("build", help="(re)build the dense index for the configured model")
    a = sub.add_parser("ask", help="answer a question with a quote")
    a.add_argument("question", nargs="+")
    a.add_argument("--json", action="store_true")
    a.add_argument("--k", type=results_count, default=5, help=f"results to show, 1-{MAX_K}")
    a.add_argument("--lang", choices=("kk", "ru"), default="kk", help="interface language of the labels")
    e = sub.add_parser("eval", help="Recall@k, MRR and abstention on question files (JSON lines)")
    e.add_argument("files", nargs="+", metavar="FILE", help="one or more question files, evaluated together")
    e.add_argument("--k", type=results_count, default=5, help=f"cut-off for Recall@k, 1-{MAX_K}")
    e.add_argument("--json", action="store_true")
    e.add_argument("--baseline", action="store_true", help="also char TF-IDF and dense-only, side by side")
    e.add_argument("--calibrate", action="store_true",
                   help="tune fusion weights and the abstention threshold on the files; print them and a "
                        "5-fold cross-validated estimate of abstention (then evaluate)")
    e.add_argument("--calibrate-on", nargs="+", metavar="TUNE",
                   help="calibrate on the TUNE files instead, then evaluate FILE(s) with those weights (say, a model "
                        "other than the shipped one: its weights fitted on the tune halves, the test halves measured)")
    e.add_argument("--without-hints", metavar="DOC",
                   help="leave-one-document-out: DOC's questions with and without its curated hints ('all': each)")
    sub.add_parser("run", help="start the Telegram bot (needs BOT_TOKEN)")
    tp = sub.add_parser("topics", help="the study guide: topics, a topic's paragraphs, one paragraph quoted")
    tp.add_argument("topic", nargs="?", help="topic id (omit to list the topics)")
    tp.add_argument("item", nargs="?", type=int, help="paragraph number within the topic, from 1")
    tp.add_argument("--lang", choices=("kk", "ru"), default="kk")
    r = sub.add_parser("report", help="unanswered questions, voted-down passages, answer rate by day")
    r.add_argument("--since", help="YYYY-MM-DD")
    r.add_argument("--format", choices=("text", "csv", "json"), default="text")
    mf = sub.add_parser("migrate-feedback", help="copy the SQLite feedback file into the PostgreSQL of DATABASE_URL")
    mf.add_argument("sqlite", nargs="?", help="the SQLite file (default: DATA_DIR/feedback.sqlite3)")
    b = sub.add_parser("bench", help="cold start, memory, latency, throughput and index build, beside their floors")
    b.add_argument("--questions", help="question file (JSON lines) for latency; default: the knowledge base's"
                                       " curated questions (knowledge/hints.toml)")
    b.add_argument("--limit", type=int, default=200)
    b.add_argument("--repeats", type=int, default=3, help="fresh processes per cold-start measurement")
    b.add_argument("--json", action="store_true")
    b.add_argument("--quick", action="store_true", help="smoke run: every figure measured on less work")
    w = sub.add_parser("web", help="serve the reading view alone (WEB_HOST:WEB_PORT), without the bot")
    w.add_argument("--host", help="listen address (default WEB_HOST)")
    w.add_argument("--port", type=_port, help="listen port (default WEB_PORT)")
    ft = sub.add_parser("finetune", help="research: fine-tune the embedded model's top layers on the search aids")
    ft.add_argument("out", help="a new folder for the fine-tuned model (use it with EMBEDDING_MODEL=OUT)")
    ft.add_argument("--without", action="append", metavar="DOC",
                    help="leave DOC's aids out of training (repeatable), for leave-one-document-out")
    # Defaults live in embeddings/finetune.py, not imported here: `cassbot docs` must not pay for numpy.
    ft.add_argument("--layers", type=int, help="top transformer layers that learn (default 2)")
    ft.add_argument("--epochs", type=int, help="passes over the pairs (default 1)")
    ft.add_argument("--lr", type=float, help="learning rate (default 1.5e-5)")
    ft.add_argument("--seed", type=int, help="shuffle and initialisation seed (default 0)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from bot.core.salt import SaltError
    from embeddings.convert import ModelConversionError
    from embeddings.datadir import DataDirError
    from embeddings.onnx_export import OnnxExportError

    try:
        settings = load_settings()
        runs_bot = args.command == "run" or (args.command is None and settings.bot_token is not None)
        # The bot logs at LOG_LEVEL (a service's log); a command is quiet unless asked (-v).
        quiet = quiet_command_line(args.verbose)
        configure_logging(settings.log_level if runs_bot else quiet)
        code = cmd_default(args, settings) if args.command is None else COMMANDS[args.command](args, settings)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return code
    except (KnowledgeError, SettingsError, SaltError, ModelConversionError, OnnxExportError, DataDirError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # `cassbot docs | head -3`: the reader has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush does not fail again on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
