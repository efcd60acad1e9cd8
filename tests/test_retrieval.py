"""Retrieval: normalisation, the index on disk (staleness, corruption), ranking, abstention, eval floors."""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.engine import CharTfidfBaseline, Engine, index_dir
from embeddings.evaluate import evaluate, is_correct, leave_one_document_out, load_questions
from embeddings.index import (
    GUIDE,
    HINT,
    INDEX_FILE,
    MANIFEST_FILE,
    PASSAGE,
    StaleIndex,
    build_index,
    load_index,
    open_index,
)
from embeddings.model import encoder_id
from embeddings.normalize import Normalizer, find_abbreviations, fold, latin_to_cyrillic, stem, words
from embeddings.question import gives
from knowledge import Corpus

DEV = Path(__file__).parent / "data" / "dev.jsonl"
HOLDOUT = Path(__file__).parent / "data" / "holdout.jsonl"


# -- normalisation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kazakh", "folded"), [
    ("ә", "а"), ("ғ", "г"), ("қ", "к"), ("ң", "н"), ("ө", "о"), ("ұ", "у"), ("ү", "у"), ("һ", "х"), ("і", "и"),
    ("Ә", "а"), ("Қ", "к"), ("І", "и"),
])
def test_each_kazakh_letter_folds_to_its_russian_keyboard_look_alike(kazakh: str, folded: str) -> None:
    assert fold(kazakh) == folded


def test_russian_keyboard_spelling_meets_kazakh_spelling() -> None:
    n = Normalizer()
    assert n.tokens("кассациялык шагым") == n.tokens("Кассациялық шағым")
    assert n.tokens("жабирленушинин кукыгы") == n.tokens("жәбірленушінің құқығы")


@pytest.mark.parametrize(("latin", "cyrillic"), [
    ("şağym", "шағым"), ("qūqyq", "құқық"), ("sot", "сот"), ("äkim", "әкім"), ("öñir", "өңір"),
    ("shagym", "шағым"), ("zhauap", "жауап"), ("chek", "чек"), ("jäbirlenuşi", "жәбірленуші"),
])
def test_latin_script_maps_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert fold(latin_to_cyrillic(latin)) == fold(cyrillic)


def test_dotless_i_reads_as_the_corpus_knows_it() -> None:
    """"ı" is І in the 2021 alphabet ("negız") and Ы in Turkish-style spelling ("qılmıstıq")."""
    assert fold(latin_to_cyrillic("negız")) == fold("негіз")  # official reading without a lexicon
    n = Normalizer()
    n.lexicon = {stem(fold(w)) for w in ("негіз", "қылмыстық", "үкім")}
    assert n.tokens("negız") == n.tokens("негіз") and n.tokens("ükım") == n.tokens("үкім")
    assert n.tokens("qılmıstıq") == n.tokens("қылмыстық")


def test_latin_and_cyrillic_questions_share_stems() -> None:
    n = Normalizer()
    assert set(n.tokens("kassatsiyalyq şağymdy kim beredi")) >= {stem("кассациялык"), stem("шагым")}
    assert set(n.tokens("qylmystyq is")) == set(n.tokens("қылмыстық іс"))


def test_suffixes_are_stripped_consistently() -> None:
    assert stem(fold("шағымды")) == stem(fold("шағымның")) == stem(fold("шағым"))
    assert stem(fold("соттың")) == stem(fold("сотқа"))


def test_abbreviations_come_from_the_texts_own_definitions(corpus: Corpus) -> None:
    found = find_abbreviations(p.text for p in corpus.passages)
    assert "ҚПК" in found and any("процестік" in w for w in found["ҚПК"])
    n = Normalizer(found)
    tokens = n.tokens("ҚПК-нің 485-бабы")
    assert stem(fold("кодексінің")) in tokens and "кпк" in tokens
    assert "нин" not in tokens  # the case ending after an abbreviation is not a word


def test_russian_glossary_bridges_to_kazakh_stems() -> None:
    n = Normalizer()
    q = n.query_tokens("Кто может подать кассационную жалобу?")
    assert stem(fold("шағым")) in q and stem(fold("кассациялық")) in q
    assert set(n.query_tokens("срок")) & {stem(fold("мерзім"))}


def test_a_court_is_not_a_judge() -> None:
    """Stripped of "-ья", "судья" (judge) stemmed to "суд": every Russian question naming a court ("в суде")
    matched Kazakh paragraphs naming judges ("судьялар"), and the glossary read "суда", "суде" as judge, not "сот"."""
    n = Normalizer()
    judge = set(n.tokens("Судьялар Одағына судьяның судья"))
    for court in ("суд", "суда", "в суде", "судом", "судов"):
        asked = n.query_tokens(court)
        assert stem(fold("сот")) in asked and not judge & set(asked), (court, asked)
    for russian_judge in ("судья", "судьи", "судье", "судей", "судьям"):
        assert set(n.query_tokens(russian_judge)) <= judge, russian_judge


def test_glossary_targets_meet_the_texts_inflected_forms() -> None:
    """A target stemmed on its own must stem as the texts' inflected forms do: "одақ" stems to "одак", but the texts
    say "Одағына" ("ода": the consonant alternates), so "союз" met no text."""
    n = Normalizer()
    for russian, kazakh in (("союз", "Судьялар Одағына"), ("содержание", "шағымның мазмұнында"),
                            ("митинг", "митингілерді өткізу")):
        assert set(n.query_tokens(russian)) & set(n.tokens(kazakh)), russian


def test_the_glossary_meets_russian_terms_in_any_inflection() -> None:
    """Real questions inflect: "по каким основаниям", "кассационных жалоб", "в кассационном порядке"."""
    n = Normalizer()
    for inflected, base in (("основаниям", "основание"), ("жалоб", "жалоба"), ("сроков", "срок"),
                            ("полномочиями", "полномочие"), ("кассационных", "кассационный")):
        kazakh = set(n.query_tokens(base)) - set(n.tokens(base))
        assert kazakh and kazakh <= set(n.query_tokens(inflected)), inflected
        assert n.known(inflected, set())
    assert n.query_tokens("сотталған") == n.tokens("сотталған")  # a Kazakh word gains nothing from it


def test_without_keeps_its_word_apart() -> None:
    """"вернуть без рассмотрения" (returned unconsidered) is not "срок рассмотрения" (the time to consider): the
    word "без" governs is its own term on both sides, and gets no glossary bridge to the plain Kazakh word."""
    n = Normalizer()
    plain = set(n.query_tokens("срок рассмотрения жалобы"))
    negated = set(n.query_tokens("жалобу вернут без рассмотрения"))
    assert "рассмотрен" in plain and "рассмотрен" not in negated
    assert n.tokens("без рассмотрения") == n.tokens("оставить без рассмотрения")[-1:] != n.tokens("рассмотрения")
    assert plain - set(n.tokens("срок рассмотрения жалобы")) >= {stem(fold("қарау"))}  # the bridge for the plain word
    assert stem(fold("қарау")) not in negated - set(n.query_tokens("жалобу вернут"))


def test_words_split_compounds_and_drop_numbers() -> None:
    assert words("ҚПК-нің 485-бабы") == ["кпк", "бабы"]


def test_the_corpus_normaliser_tokenises_as_a_fresh_one(corpus: Corpus) -> None:
    """`for_corpus` keeps its first phase's tokens for texts without Latin letters; they must be exactly what the
    finished normaliser would make of them (and a Latin-script text must still be read with the lexicon)."""
    texts = [p.text for p in corpus.passages] + [h for hs in corpus.hints.values() for h in hs]
    built = Normalizer.for_corpus(texts)
    fresh = Normalizer(find_abbreviations(texts), built.lexicon)
    assert all(built.tokens(t) == fresh.tokens(t) for t in texts)
    latin = "kassatsiyalyq shagym qylmystyq is"
    assert built.tokens(latin) == fresh.tokens(latin) == built.tokens("кассациялық шағым қылмыстық іс")


def test_bm25_scores_are_okapi_bm25() -> None:
    """The postings-based scores against the formula written out per document."""
    import math

    from embeddings.lexical import BM25

    docs = [["сот", "шағым", "шағым"], ["кассация"], ["сот", "үкім", "кассация", "мерзім"], []]
    bm25, k1, b = BM25(docs), 1.2, 0.75
    avg = sum(map(len, docs)) / len(docs)
    for query in (["шағым"], ["сот", "кассация", "белгісіз"], ["сот", "сот"], []):
        expected = []
        for d in docs:
            score = 0.0
            for t in set(query):
                df = sum(t in x for x in docs)
                if df:
                    idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                    tf = d.count(t)
                    score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
            expected.append(score)
        np.testing.assert_allclose(bm25.scores(query), expected, rtol=1e-6)


# -- index on disk --------------------------------------------------------------------------------------
def test_units_are_passages_sentences_and_search_aids(corpus: Corpus) -> None:
    from embeddings.index import GUIDE, HINT, PASSAGE, TRANSLATION, units_of

    units, texts = units_of(corpus)
    assert len(units) == len(texts)
    live = [p for p in corpus.passages if not p.deleted]
    assert [u.passage_id for u in units if u.kind == PASSAGE] == [p.id for p in live]
    for kind, aids in ((HINT, corpus.hints), (GUIDE, corpus.guide), (TRANSLATION, corpus.translations)):
        got = [(u.passage_id, t) for u, t in zip(units, texts, strict=True) if u.kind == kind]
        assert got == [(p.id, t) for p in live for t in aids.get(p.id, ())], kind
        assert got, kind


@pytest.mark.slow
def test_index_loads_without_re_embedding(engine: Engine, corpus: Corpus, data_dir: Path) -> None:
    directory = index_dir(data_dir, "embedded")
    loaded = load_index(corpus, encoder_id("embedded"), directory)
    assert loaded.index.ntotal == engine.index.index.ntotal > len(corpus.passages)
    assert loaded.manifest.corpus == corpus.fingerprint and loaded.manifest.model == encoder_id("embedded")


def one_passage(corpus: Corpus) -> Corpus:
    """The first passage of several sentences, with its document and hints: a tiny index built like the whole one."""
    passage = next(p for p in corpus.passages if not p.deleted and len(p.sentences) > 1)
    return Corpus([corpus.document(passage.doc_id)], [passage],
                  hints={passage.id: corpus.hints[passage.id]} if passage.id in corpus.hints else {})


def _copy_index(engine: Engine, data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "idx"
    shutil.copytree(index_dir(data_dir, "embedded"), target)
    return target


@pytest.mark.slow
def test_truncated_index_is_detected_and_rebuilt(engine: Engine, corpus: Corpus, data_dir: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    d = _copy_index(engine, data_dir, tmp_path)
    blob = (d / INDEX_FILE).read_bytes()
    (d / INDEX_FILE).write_bytes(blob[: len(blob) // 2])
    with pytest.raises(StaleIndex, match="truncated or corrupt"):
        load_index(corpus, encoder_id("embedded"), d)
    # The rebuild on a one-passage index: the same detection and code path, without re-embedding the corpus.
    small = one_passage(corpus)
    d = tmp_path / "small"
    built = build_index(small, engine.model, encoder_id("embedded"), d)
    blob = (d / INDEX_FILE).read_bytes()
    (d / INDEX_FILE).write_bytes(blob[: len(blob) // 2])
    with caplog.at_level(logging.WARNING):
        rebuilt = open_index(small, engine.model, encoder_id("embedded"), d)
    assert "rebuilding the index" in caplog.text and "corrupt" in caplog.text
    assert rebuilt.index.ntotal == built.index.ntotal > len(small.passages)
    assert np.allclose(rebuilt.index.reconstruct_n(0, rebuilt.index.ntotal),
                       built.index.reconstruct_n(0, built.index.ntotal), atol=1e-5)
    assert load_index(small, encoder_id("embedded"), d).index.ntotal == rebuilt.index.ntotal


@pytest.mark.slow
def test_index_of_another_model_or_changed_texts_is_stale(engine: Engine, corpus: Corpus, data_dir: Path,
                                                          tmp_path: Path) -> None:
    d = _copy_index(engine, data_dir, tmp_path)
    with pytest.raises(StaleIndex, match="model"):
        load_index(corpus, "BAAI/bge-m3", d)
    manifest = json.loads((d / MANIFEST_FILE).read_text())
    manifest["corpus"] = "0" * 16
    (d / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(StaleIndex, match="knowledge base changed"):
        load_index(corpus, encoder_id("embedded"), d)
    (d / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(StaleIndex, match="manifest unreadable"):
        load_index(corpus, encoder_id("embedded"), d)


# -- answers --------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(("question", "expected"), [
    ("Кассациялық шағымда не көрсетілуі керек?", "2025-cassation:7"),
    ("кассациялык шагым кандай тилде жазылады", "2025-cassation:7"),
    ("Может ли кассационный суд ухудшить положение осуждённого?", "2025-cassation:14"),
    ("Судьяның қызметіне араласуға бола ма?", "1998-1:4"),
])
def test_questions_find_their_paragraph(engine: Engine, question: str, expected: str) -> None:
    answer = engine.ask(question, k=3)
    assert answer.answered
    assert expected in [h.passage.id for h in answer.hits]
    best = answer.hits[0]
    assert best.highlights and all(0 <= i < len(best.passage.sentences) for i in best.highlights)


@pytest.mark.slow
def test_the_time_to_consider_is_not_the_time_to_return(engine: Engine) -> None:
    """Asked how long the cassation court takes, the bot quoted the three days within which a complaint is returned
    unconsidered (2025-cassation:9; its hint says "без рассмотрения") at confidence 1.0: the answer is the six
    months of 2025-cassation:11."""
    answer = engine.ask("Какой срок рассмотрения кассационной жалобы?", k=3)
    assert answer.hits[0].passage.id == "2025-cassation:11"


@pytest.mark.slow
@pytest.mark.parametrize("question", ["Кассациялық шағымды кім бере алады?", "Кто может подать кассационную жалобу?"])
def test_who_may_file_is_answered_by_who_is_entitled(engine: Engine, question: str) -> None:
    """The issue's generic question: paragraphs 1, 3, 5 and 6 answer it; the bot quoted :10 (private rulings may be
    appealed) and :7 (what a complaint contains) with confidence. A sentence that entitles someone to file is now the
    kind of answer "who may file" asks for, and few paragraphs have one."""
    answer = engine.ask(question, k=3)
    assert answer.hits[0].passage.id in {f"2025-cassation:{n}" for n in (1, 3, 5, 6)}
    best = answer.hits[0]
    assert any(gives("entitled", best.passage.sentences[i]) for i in best.highlights)  # "… беруге құқылы/құқығы бар"
    # a generic question: the other paragraphs that entitle someone to file are named in the same answer
    assert answer.answered and answer.also
    assert {h.passage.id for h in answer.also} <= {f"2025-cassation:{n}" for n in (1, 3, 5, 6)}


def test_a_text_near_many_questions_gives_up_its_hubness(engine: Engine) -> None:
    """Hubness (CSLS): each paragraph, sentence and rendering loses `Weights.hubness` times its mean similarity to
    its ten nearest hints (adapted, as a question is), centred; hints and labels, met as asked, lose nothing."""
    r = engine.retriever
    texts = ~r.is_question_like
    assert not r.hub[r.is_question_like].any()
    assert abs(float(r.hub[texts].mean())) < 1e-5 and float(r.hub[texts].std()) > 1e-3
    # one paragraph's offset from its definition, computed here from the vectors on disk
    vectors = r.index.index.reconstruct_n(0, r.index.index.ntotal)
    asked = np.stack([r.adapter.apply(v) for v in vectors[r.aids[HINT].units]])
    nearest = np.sort(vectors[texts] @ asked.T, axis=1)[:, -10:].mean(axis=1)
    unit = next(i for i, u in enumerate(r.index.units) if u.passage_id == "2025-cassation:7" and u.kind == PASSAGE)
    assert r.hub[unit] == pytest.approx(nearest[np.flatnonzero(texts) == unit][0] - nearest.mean(), abs=1e-5)
    # a question's unit scores are lowered by exactly that
    query = r.encode_query("Кассациялық шағымды кім бере алады?")
    adjusted = r.unit_scores(query)
    weights, r.weights = r.weights, replace(r.weights, hubness=0.0)
    try:
        plain = r.unit_scores(query)
    finally:
        r.weights = weights
    np.testing.assert_allclose(plain - adjusted, weights.hubness * r.hub, atol=1e-6)
    # with no hints in use there is nothing to measure nearness against
    assert not engine.without_hints(frozenset(p.doc_id for p in r.passages)).hub.any()


@pytest.mark.slow
def test_a_civil_case_is_not_answered_from_the_criminal_resolution(engine: Engine) -> None:
    """A real exam question about civil cassation was quoted directly from how a criminal cassation complaint is
    filed (2025-cassation:7). The resolution is about criminal cases (catalog `proceedings`): close, not the answer."""
    question = "Азаматтық іс бойынша кассациялық шағым қалай беріледі"
    answer = engine.ask(question, k=3)
    assert answer.hits[0].passage.doc_id == "2025-cassation"
    assert answer.outcome == "closest" and not answer.answered and answer.outside == "proceedings"
    # the same question about criminal cases is answered from the same paragraphs
    assert engine.ask("Қылмыстық іс бойынша кассациялық шағым қалай беріледі", k=3).hits[0].passage.id == \
        answer.hits[0].passage.id


@pytest.mark.slow
def test_another_countrys_court_is_not_answered_from_a_kazakh_resolution(engine: Engine) -> None:
    """Real questions harvested from public pages are often about Russia's courts ("в ВС РФ"). The resolutions are
    Kazakhstan's: the closest paragraph is offered as such, never quoted as the answer."""
    home = engine.ask("Может ли потерпевший обжаловать приговор в кассационном порядке?", k=3)
    assert home.outcome == "direct" and home.hits[0].passage.id == "2025-cassation:6"
    for abroad in ("Может ли потерпевший обжаловать приговор в кассационном порядке в России?",
                   "Жәбірленуші Ресейде кассациялық шағым бере ала ма?"):
        answer = engine.ask(abroad, k=3)
        assert answer.hits[0].passage.id == "2025-cassation:6", abroad  # as close as at home, and offered so
        assert answer.outcome == "closest" and not answer.answered and answer.outside == "foreign", abroad
    # the history of cassation in Russia is commentary about Russia: still answered from the article
    history = engine.ask("Ресейде сот қаулыларын қайта қарау институты қашан пайда болды?", k=3)
    assert history.hits[0].passage.id == "history:6"


@pytest.mark.slow
def test_an_appeal_deadline_is_not_answered_from_the_cassation_resolution(engine: Engine) -> None:
    """The issue's near-domain example: "Апелляциялық шағым беру мерзімі қанша?" was quoted directly from when
    cassation is open (2025-cassation:4). The resolution is about review of acts in force only (catalog `stage`), and
    so is the history of cassation, whose general time limit (history:4) counts from the appeal's judgment."""
    answer = engine.ask("Апелляциялық шағым беру мерзімі қанша?", k=3)
    assert answer.hits[0].passage.doc_id in {"2025-cassation", "history"}
    assert answer.outcome != "direct" and not answer.answered
    assert answer.outcome == "not_found" or answer.outside == "stage"
    # a missed appeal is a question about when cassation is open, which the resolution answers
    missed = engine.ask("Апелляция мерзімін өткізіп алдым, енді кассацияға шағым бере аламын ба?", k=3)
    assert missed.hits[0].passage.id == "2025-cassation:4"


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Ажырасу кезінде алимент қалай өндіріледі?", "Какая погода будет завтра в Алматы?",
    "Как рассчитать налог на имущество?", "борщ рецепт", "Футбол матчы қашан басталады?",
])
def test_out_of_scope_questions_are_refused(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered and answer.best is None


@pytest.mark.slow
@pytest.mark.parametrize("question", ["", "   ", "???", "🙂🙂", "<b>&amp;</b>"])
def test_empty_or_symbol_questions_are_refused(engine: Engine, question: str) -> None:
    assert not engine.ask(question).answered


@pytest.mark.slow
def test_results_are_distinct_paragraphs(engine: Engine) -> None:
    hits = engine.ask("кассациялық шағым", k=5).hits
    assert len({h.passage.id for h in hits}) == len(hits) == 5


# -- the calibration questions: a floor that is raised as retrieval improves -----------------------------------
# dev.jsonl was written with the system; holdout.jsonl was written blind (without the dev set, the hints or the
# system's answers) and first measured untouched. Both now calibrate the weights, so these are in-sample floors;
# `cassbot eval ... --calibrate` prints the cross-validated estimate (README "Evaluation").
FLOORS = {  # (R@1, R@3) per tag over both files; see README "Evaluation" for the current figures
    "kk": (0.94, 0.98), "kk-translit": (0.90, 0.97), "kk-latn": (0.88, 0.95), "ru": (0.88, 0.95),
}
OOS_FLOOR, FALSE_ABSTENTION_CEILING = 0.95, 0.04


@pytest.mark.slow
@pytest.mark.xdist_group("floors")
def test_calibration_set_figures_stay_above_the_floor(engine: Engine) -> None:
    questions = load_questions(DEV) + load_questions(HOLDOUT)
    assert len(questions) >= 300
    engine.warm([q.question for q in questions])  # as `cassbot eval` does
    result = evaluate(questions, engine.ask)
    table = result["table"]
    for tag, (r1, r3) in FLOORS.items():
        assert table[tag]["R@1"] >= r1, (tag, table[tag])
        assert table[tag]["R@3"] >= r3, (tag, table[tag])
    assert result["oos_abstention"] >= OOS_FLOOR
    assert result["false_abstention"] <= FALSE_ABSTENTION_CEILING


# Leave-one-document-out: a document whose curated hints are ignored must still be found (hints are a boost, not
# the ranking). `cassbot eval tests/data/dev.jsonl tests/data/holdout.jsonl --without-hints all` prints every
# document; here the one the issue measured, 2025-cassation (116 questions: R@1 0.672, R@3 0.845, refused 0.138
# before the study-guide labels; 0.707 / 0.897 / 0.147 with the question respelled for the model; refused 0.017
# once the in-scope model was also fitted on questions asked without their document's hints; 0.724 / 0.905 / 0.009
# with the hubness correction, when the floor rose from 0.68 / 0.86).
LODO_DOC, LODO_FLOOR = "2025-cassation", {"R@1": 0.70, "R@3": 0.88, "refused": 0.06}


@pytest.mark.slow
@pytest.mark.xdist_group("floors")
def test_a_document_without_its_hints_keeps_a_floor(engine: Engine) -> None:
    questions = leave_one_document_out(load_questions(DEV) + load_questions(HOLDOUT), engine.retriever.passages,
                                       LODO_DOC)
    assert len(questions) >= 100
    bare = engine.without_hints(frozenset({LODO_DOC}))
    engine.warm([q.question for q in questions])  # shared with `bare`: one model, one table
    # its hints, study-guide labels and Russian renderings are gone, and only its own
    for aid in ("hinted", "guided", "translated"):
        assert not any(getattr(bare, aid)[i] for i, p in enumerate(bare.passages) if p.doc_id == LODO_DOC), aid
        assert any(getattr(engine.retriever, aid)[i] for i, p in enumerate(bare.passages) if p.doc_id == LODO_DOC)
        assert any(getattr(bare, aid)[i] for i, p in enumerate(bare.passages) if p.doc_id != LODO_DOC), aid
    figures = evaluate(questions, lambda q: bare.ask(q, 5))["table"]["in-scope"]
    assert figures["R@1"] >= LODO_FLOOR["R@1"] and figures["R@3"] >= LODO_FLOOR["R@3"], figures
    assert figures["abstain"] <= LODO_FLOOR["refused"], figures


HIGHLIGHT_FLOOR = 0.81  # measured 0.822 with the rarity-weighted overlap, 0.792 with the plain share of stems


@pytest.mark.slow
@pytest.mark.xdist_group("floors")
def test_the_highlighted_sentence_holds_the_expected_phrase(engine: Engine) -> None:
    """A direct answer leads with its highlighted sentence: over dev + holdout, in every paragraph that answers and
    has several sentences, the highlight holds the question's expected phrase at least HIGHLIGHT_FLOOR of the time."""
    def squeeze(text: str) -> str:
        return re.sub(r"\s+", " ", text.lower())

    questions = [q for q in load_questions(DEV) + load_questions(HOLDOUT) if q.in_scope and q.expect]
    engine.warm([q.question for q in questions])
    held = []
    for q in questions:
        for p in engine.retriever.passages:
            has = [any(squeeze(x) in squeeze(s) for x in q.expect) for s in p.sentences]
            if len(has) > 1 and any(has) and is_correct(p, q.expect, q.gold):
                held.append(any(has[i] for i in engine.retriever.highlight(p, q.question)))
    assert len(held) >= 200
    assert sum(held) / len(held) >= HIGHLIGHT_FLOOR, (sum(held), len(held))


@pytest.mark.slow
def test_baseline_runs_on_the_same_questions(corpus: Corpus) -> None:
    questions = load_questions(DEV)[:30]
    result = evaluate(questions, CharTfidfBaseline(corpus).ask)
    assert 0.0 < result["table"]["kk"]["R@5"] <= 1.0


@pytest.mark.slow
def test_calibration_keeps_the_weights_unless_clearly_better_and_learns_without_hints(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--calibrate` on a sample: a grid of the weights in use and one point a hair away keeps the weights in use
    (the grid's optimum is flat: a point must win by a question's worth), and the in-scope model is fitted on the
    questions asked without their document's hints too, within the same false-refusal budget."""
    import embeddings.calibrate as calibration

    questions = load_questions(DEV)[::3] + load_questions(HOLDOUT)[::3]
    engine.warm([q.question for q in questions])
    ranker = engine.without_hints(frozenset())  # a ranker of its own: calibration sets its weights
    in_use = dict(ranker.weights.channels)
    monkeypatch.setattr(calibration, "GRID", {
        "answer_type": (ranker.weights.answer_type,), "commentary_penalty": (ranker.weights.commentary_penalty,),
        "bm25_guide": (in_use["bm25_guide"], in_use["bm25_guide"] + 0.05)})
    weights, report = calibration.calibrate(ranker, questions, engine.without_hints)
    assert dict(weights.channels) == in_use
    # one budget for both: the hint-less rows are refused about as rarely as the others (a fifth, before), and no
    # document without its hints more than a tenth of the time
    assert report["false_refusal_without_hints"] <= 0.10 and report["false_refusal"] <= 0.05, report
    by_document = report["false_refusal_without_hints_by_document"]
    assert "2025-cassation" in by_document and set(by_document) <= {p.doc_id for p in ranker.passages}
    assert max(by_document.values()) <= 0.10, by_document
    _, bare_report = calibration.calibrate(engine.without_hints(frozenset()), questions)
    assert bare_report["false_refusal_without_hints"] is None  # no ranker without hints given: no such rows


def test_the_direct_budget_holds_for_each_kind_of_question() -> None:
    """Pooled, 300 easy questions written from the passages pay for a real question's wrong quote; per kind, the
    threshold rises until the real questions' wrong direct quotes are within the budget too."""
    import embeddings.calibrate as calibration

    n_written, n_real = 300, 25
    probs = np.concatenate([np.full(n_written, 0.9), np.linspace(0.5, 0.8, n_real)])
    right = np.concatenate([np.ones(n_written, dtype=bool), np.arange(n_real) >= 5])  # the 5 least sure are wrong
    kinds = np.array([""] * n_written + ["real"] * n_real)
    quotable = np.ones(len(probs), dtype=bool)
    pooled = calibration._direct_threshold(probs, quotable, right, np.array([""] * len(probs)))
    per_kind = calibration._direct_threshold(probs, quotable, right, kinds)
    assert pooled == 0.5  # 5 wrong of 325 is within 4 %
    wrong_real = ((probs >= per_kind) & ~right)[n_written:].sum()
    assert per_kind > pooled and wrong_real / n_real <= calibration.MAX_WRONG_DIRECT and wrong_real == 1


@pytest.mark.slow
def test_eval_calibrates_on_the_tune_files_and_measures_the_others_untouched(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """`cassbot eval TEST --calibrate-on TUNE`: the weights come from TUNE alone, the table is TEST's alone."""
    import json

    from bot.cli import main

    tune, test = tmp_path / "tune.jsonl", tmp_path / "test.jsonl"
    lines = (DEV.parent / "real-tune.jsonl").read_text(encoding="utf-8").splitlines()
    tune.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    test.write_text("\n".join(lines[40:46]) + "\n", encoding="utf-8")
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    assert main(["eval", str(test), "--calibrate-on", str(tune)]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[: out.index("\nWeights(") + 1])
    assert report["questions"] == 40, report
    assert "Weights(" in out and f"6 questions from {test}" in out


@pytest.mark.slow
def test_calibrating_on_questions_of_one_kind_is_one_clear_line(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Only in-scope questions cannot fit "is it in scope": said in one line, exit 2, no traceback."""
    import json

    from bot.cli import main

    tune = tmp_path / "in-scope-only.jsonl"
    rows = [r for r in (DEV.parent / "basic-tune.jsonl").read_text(encoding="utf-8").splitlines()
            if json.loads(r)["tag"] != "oos"][:15]
    tune.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    assert main(["eval", str(DEV), "--calibrate-on", str(tune)]) == 2  # bad input, as every other command
    err = capsys.readouterr().err
    assert "out of scope (tag oos)" in err and "Traceback" not in err and err.strip().count("\n") == 0, err


def test_a_text_shared_by_several_units_is_embedded_once(engine: Engine, corpus: Corpus, tmp_path: Path) -> None:
    """A study-guide heading labels several paragraphs: the build embeds it once, as a question, and gives each of
    its units that vector."""
    doc = "judicial-bases"
    small = Corpus([corpus.document(doc)], corpus.of(doc)[:3])
    first, second, third = (p.id for p in small.passages[:3])
    label = "Сот билігінің конституциялық негіздері"
    small.guide = {first: [label], second: [label], third: ["басқа тақырып"]}
    seen: list[str] = []

    class Counting:
        def encode(self, texts, **kw):
            seen.extend(texts)
            return engine.model.encode(texts, **kw)

    index = build_index(small, Counting(), encoder_id("embedded"), tmp_path / "index")  # type: ignore[arg-type]
    assert seen.count(label) == 1 and len(seen) == len(set(seen)) == index.index.ntotal - 1
    vectors = index.index.reconstruct_n(0, index.index.ntotal)
    rows = [i for i, u in enumerate(index.units) if u.kind == GUIDE and u.passage_id in (first, second)]
    assert len(rows) == 2 and np.array_equal(vectors[rows[0]], vectors[rows[1]])
    asked = engine.model.encode([label], prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)[0]
    assert float(vectors[rows[0]] @ asked) > 0.999


@pytest.mark.slow
def test_a_rebuild_after_an_edit_embeds_only_what_changed(engine: Engine, corpus: Corpus, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """A hint added to a small corpus: one text embedded, the rest taken from the index it replaces, and the result
    the same as a build from nothing. A damaged previous index, or `reuse=False`, embeds everything again."""
    from embeddings.index import TEXTS_FILE

    doc = "judicial-bases"
    small = Corpus([corpus.document(doc)], corpus.of(doc))
    small.hints = {pid: list(h) for pid, h in corpus.hints.items() if pid.startswith(doc + ":")}
    small.translations = {pid: list(t) for pid, t in corpus.translations.items() if pid.startswith(doc + ":")}
    embedded: list[int] = []

    class Counting:
        def encode(self, texts, **kw):
            embedded.append(len(texts))
            return engine.model.encode(texts, **kw)

    d, fresh = tmp_path / "index", tmp_path / "fresh"
    first = build_index(small, Counting(), encoder_id("embedded"), d)  # type: ignore[arg-type]
    total = sum(embedded)
    assert total == first.index.ntotal > 20
    pid = small.passages[1].id
    small.hints[pid] = [*small.hints.get(pid, []), "судьялар кімге бағынады"]
    embedded.clear()
    with caplog.at_level(logging.WARNING):
        edited = open_index(small, Counting(), encoder_id("embedded"), d)  # type: ignore[arg-type]
    assert "knowledge base changed" in caplog.text
    assert embedded == [1] and edited.index.ntotal == total + 1
    scratch = build_index(small, engine.model, encoder_id("embedded"), fresh)
    assert [(u.passage_id, u.kind, u.n) for u in edited.units] == [(u.passage_id, u.kind, u.n) for u in scratch.units]
    assert np.allclose(edited.index.reconstruct_n(0, edited.index.ntotal),
                       scratch.index.reconstruct_n(0, scratch.index.ntotal), atol=1e-5)
    assert load_index(small, encoder_id("embedded"), d).index.ntotal == total + 1
    # Damaged beside its manifest: nothing is trusted, everything embedded again.
    (d / TEXTS_FILE).write_text("[not json", encoding="utf-8")
    small.hints[pid] = small.hints[pid][:-1]
    embedded.clear()
    open_index(small, Counting(), encoder_id("embedded"), d)  # type: ignore[arg-type]
    assert sum(embedded) == total
    embedded.clear()
    build_index(small, Counting(), encoder_id("embedded"), d, reuse=False)  # type: ignore[arg-type]
    assert sum(embedded) == total


@pytest.mark.slow
def test_a_greeting_and_thanks_change_neither_the_answer_nor_the_outcome(engine: Engine) -> None:
    """A chat message wrapped in courtesy is answered as the question itself. Before `without_courtesy`, dev +
    holdout each with a greeting and a thanks got right direct quotes 0.518 of in-scope (0.779 as asked)."""
    rows = [q for q in load_questions(DEV) if q.in_scope]
    wraps = {"kk": ("Сәлеметсіз бе! ", " Алдын ала рахмет."),
             "ru": ("Здравствуйте! Подскажите, пожалуйста, ", " Спасибо!")}
    picked = [q for q in rows if q.tag == "kk"][:20] + [q for q in rows if q.tag == "ru"][:20]
    same = 0
    for q in picked:
        before, after = wraps["ru" if q.tag == "ru" else "kk"]
        plain, wrapped = engine.ask(q.question), engine.ask(before + q.question + after)
        same += (plain.hits[0].passage.id, plain.outcome) == (wrapped.hits[0].passage.id, wrapped.outcome)
    assert same >= 0.975 * len(picked), f"{same} of {len(picked)} keep their answer and outcome"
