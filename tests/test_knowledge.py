"""The knowledge base: structure, faithful repair of the PDF artifacts, and the no-word-lost invariant."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from knowledge import Corpus
from knowledge.catalog import CATALOG

# (passage id, a raw line fragment as extracted, the repaired reading that must appear in the passage)
GOLDEN = [
    # displaced link text, one gap
    ("2016-1:1", "Конституцияның  1-тармағымен кепілдендірілген заң алдында тең болу 14-бабының",
     "Конституцияның 14-бабының 1-тармағымен кепілдендірілген заң алдында тең болу принципі"),
    ("2025-cassation:1", "(бұдан әрі – ҚПК)  бірінші 472-бабы", "(бұдан әрі – ҚПК) 472-бабы бірінші бөлігіне"),
    ("2016-1:6", "Конституциясының  сәйкес, осы нормативтік 4-бабына",
     "Қазақстан Республикасы Конституциясының 4-бабына сәйкес, осы нормативтік қаулы"),
    # two gaps, sub-points kept in their order
    ("2025-cassation:2", "бөлігінің  және  санамаланған заңды 2) 3) тармақтарында",
     "ҚПК-нің 484-бабы екінші бөлігінің 2) және 3) тармақтарында санамаланған заңды"),
    # four gaps, including spaces left before commas
    ("2025-cassation:9", "бөлігінің , , ,  көзделген 1) 2) 3) 5) тармақтарында",
     "489-бабы бірінші бөлігінің 1), 2), 3), 5) тармақтарында көзделген"),
    # three gaps of two kinds on one line
    ("2025-cassation:15", "бөлігі  талаптарына сәйкес ҚПК-нің ,  5) тармағының 476 477-баптарында",
     "бөлігі 5) тармағының талаптарына сәйкес ҚПК-нің 476, 477-баптарында"),
    # link text glued to sentence punctuation at the line end
    ("2025-cassation:17", "Жоғарғы Сотының  күші жойылды деп танылсын.нормативтік қаулысының",
     "Жоғарғы Сотының нормативтік қаулысының күші жойылды деп танылсын."),
    ("2025-cassation:7", "мазмұны ҚПК-нің  талаптарына сәйкес келуге тиіс.488-бабының",
     "ҚПК-нің 488-бабының талаптарына сәйкес келуге тиіс."),
    ("2016-1:5", "(бұдан әрі – ӘҚБтК)  бесінші бөлігінің 3) тармақшасы);851-бабы",
     "(бұдан әрі – ӘҚБтК) 851-бабы бесінші бөлігінің 3) тармақшасы);"),
    # across a page break: the gap opens the next page's first line, the number before it is on the last page
    ("2025-cassation:8", " бойынша қайтаруға негіз болған кемшіліктер жойылғаннан кейін шағым тармағы",
     "бірінші бөлігінің 1) тармағы бойынша қайтаруға негіз болған кемшіліктер жойылғаннан кейін шағым кассациялық"),
    # a deleted paragraph: the amending act's number had left its date (no gap marks the spot)
    ("1998-1:2", "22.12.2022 (алғашқы ресми № 10", "Сотының 22.12.2022 № 10 (алғашқы ресми жарияланған"),
    # a number sign glued to a bracket; resolution numbers with their word
    ("2016-1:3", "наурыздағы №  және 2000 жылғы 1 қарашадағы № ) 7/2 19-2 қаулылары",
     "наурыздағы № 7/2 және 2000 жылғы 1 қарашадағы № 19-2 қаулылары)"),
    ("2016-1:1", "наурыздағы №  және 2003 жылғы 1 желтоқсандағы № :7/2 12 қаулыларындағы",
     "наурыздағы № 7/2 және 2003 жылғы 1 желтоқсандағы № 12 қаулыларындағы:"),
    # across a page break: the gap is at the start of the line after the break
    ("2025-cassation:1", " талаптарына сәйкес заңды күшіне енген сот үкімдері мен өзге де 3-тармағының",
     "Конституция) 76-бабы 3-тармағының талаптарына сәйкес"),
    ("2016-1:1", " нормасы кез келген адамның және азаматтың бұзылған құқықтары мен тармағының",
     "13-бабы 2-тармағының нормасы кез келген"),
    # a link split across a page break ("484-" + "бабының", each half displaced to its own line's end) is
    # rejoined first; the line's own gap takes the fragment that came before it: 486 (persons), 484 (appeal)
    ("2025-cassation:5", "5. ҚПК-нің  бірінші бөлігінде санамаланған адамдар ҚПК-нің 486-бабының 484-",
     "ҚПК-нің 486-бабының бірінші бөлігінде санамаланған адамдар ҚПК-нің 484-бабының бірінші бөлігінің"),
    # link text glued to the previous word without any separator (split by the corpus vocabulary)
    ("1998-1:6", " (бұдан әрі – Сот жүйесі мен судьяларының мәртебесі туралы Конституциялықзаңының",
     "№ 132-II Конституциялық заңының (бұдан әрі – Сот жүйесі мен судьяларының мәртебесі туралы "
     "Конституциялық заң) 1-бабының 1-тармағына сәйкес"),
    # a list of article numbers split over a page break
    ("1998-1:6-1", ", 16-5,  және  сәйкес азаматтарды жеке қабылдауды жүргізу сот 14 20 21-баптарына",
     "Конституциялық заңның 9, 14, 16-5, 20 және 21-баптарына сәйкес"),
    # a reference whose hyphen starts the next line
    ("1998-1:11", "-тармағының  сәйкес заңдылықты өрескел бұзу деп судья өзінің адал 1) тармақшасына",
     "39-бабы 1-тармағының 1) тармақшасына сәйкес заңдылықты"),
    # a bracket opened at a line end joins the next line without a space
    ("1998-1:3", "ӘРПК-нің  екінші бөлігіне сәйкес судья әкімшілік істің нақты және (16-бабының",
     "ӘРПК-нің 16-бабының екінші бөлігіне сәйкес судья әкімшілік істің нақты және (немесе) заңды"),
    # wrapped lines joined; Kazakh hyphens kept
    ("1998-1:1", "әрі тепе-теңдік жүйелері арқылы", "тежемелік әрі тепе-теңдік жүйелері арқылы өзара іс-қимыл"),
    ("history:5", "(қарама-", "(қарама-қайшылық"),
    # Russian words hyphenated across a line break are joined; a real compound keeps its hyphen
    ("judicial-bases:1", "высокообразо-", "высокообразованные и юридически просвещенные патриоты"),
    # a break after a compound's second stem is a line-break hyphen too ("политико-право-" + "вые")
    ("judicial-bases:1", "политико-право-", "передовые политико-правовые и философские учения"),
]


def _ws(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def _raw_text(corpus: Corpus, doc_id: str) -> str:
    return (CATALOG.parent / "texts" / corpus.document(doc_id).file).read_text(encoding="utf-8")


@pytest.mark.parametrize(("pid", "raw", "fixed"), GOLDEN, ids=[f"{g[0]}-{i}" for i, g in enumerate(GOLDEN)])
def test_golden_repairs(corpus: Corpus, pid: str, raw: str, fixed: str) -> None:
    passage = corpus.get(pid)
    assert passage is not None, pid
    assert raw in _raw_text(corpus, passage.doc_id), "the 'before' must be the extracted text as it is"
    assert _ws(fixed) in _ws(passage.text)


def test_golden_pairs_are_many_and_cover_documents() -> None:
    assert len(GOLDEN) >= 15
    assert {g[0].split(":")[0] for g in GOLDEN} == {"2016-1", "2025-cassation", "1998-1", "history", "judicial-bases"}


def _words(s: str) -> Counter[str]:
    return Counter(re.findall(r"[^\W_]+", s))


def test_every_block_is_a_permutation_of_its_raw_words(corpus: Corpus) -> None:
    """No word lost, none invented: the only allowed differences are a raw word glued at a line end
    that the repair split in two, and a word hyphenated across a line break that it joined."""
    checked = 0
    for doc_id, blocks in corpus.blocks.items():
        for block in blocks:
            raw, fixed = _words(block.raw), _words(block.text)
            only_raw, only_fixed = raw - fixed, fixed - raw
            for word in list(only_raw.elements()):
                for i in range(1, len(word)):
                    a, b = word[:i], word[i:]
                    if only_fixed[a] and only_fixed[b]:
                        only_fixed[a] -= 1
                        only_fixed[b] -= 1
                        only_raw[word] -= 1
                        break
            for word in list((+only_fixed).elements()):
                for i in range(1, len(word)):
                    a, b = word[:i], word[i:]
                    if only_raw[a] and only_raw[b]:
                        only_raw[a] -= 1
                        only_raw[b] -= 1
                        only_fixed[word] -= 1
                        break
            assert not +only_raw and not +only_fixed, (doc_id, +only_raw, +only_fixed)
            # Characters too: nothing but whitespace (and a dehyphenating "-") may change.
            raw_chars = Counter(re.sub(r"\s", "", block.raw))
            fixed_chars = Counter(re.sub(r"\s", "", block.text))
            assert +(fixed_chars - raw_chars) == Counter(), doc_id
            assert set((raw_chars - fixed_chars).keys()) <= {"-"}, doc_id
            checked += 1
    assert checked > 50


def test_passage_text_is_clean(corpus: Corpus) -> None:
    for p in corpus.passages:
        assert "  " not in p.text, p.id
        assert "Ескерту." not in p.text, p.id  # amendment notes live in .notes
        assert p.text.strip() == p.text and p.text, p.id


def test_structure_of_resolutions(corpus: Corpus) -> None:
    def numbers(doc: str) -> list[str]:
        return [p.number for p in corpus.of(doc)]

    assert numbers("2016-1") == ["preamble", "1", "2", "3", "4", "5", "6"]
    assert numbers("2025-cassation") == ["preamble"] + [str(i) for i in range(1, 19)]
    assert numbers("1998-1") == ["preamble", "1", "2", "3", "4", "4-1", "5", "6", "6-1", "7", "8", "9", "10", "11",
                                 "12"]
    deleted = [p.number for p in corpus.of("1998-1") if p.deleted]
    assert deleted == ["2", "5"]
    assert corpus.get("1998-1:2").text.startswith("Алып тасталды")
    assert corpus.get("1998-1:5").text.startswith("Алынып тасталды")


def test_sub_points_stay_inside_their_paragraph(corpus: Corpus) -> None:
    p11 = corpus.get("1998-1:11").text
    assert re.findall(r"(?m)^(\d+)\)", p11) == ["1", "2"]  # sub-points are lines of paragraph 11
    assert all(not re.fullmatch(r"\d+\)", p.number) for p in corpus.passages)


def test_amendment_notes_are_separate(corpus: Corpus) -> None:
    p3 = corpus.get("1998-1:3")
    assert p3.notes and p3.notes[0].startswith("Ескерту. 3-тармақ жаңа редакцияда")
    assert "29.05.2025 № 2" in p3.notes[0]
    assert "Ескерту" not in p3.text
    # Notes on the title go to the document, the note on the preamble to the preamble.
    doc = corpus.document("1998-1")
    assert len(doc.notes) == 3 and "N 8 Нормативтік қаулысымен." in doc.notes[0]
    assert corpus.get("1998-1:preamble").notes[0].startswith("Ескерту. Кіріспе жаңа редакцияда")


def test_preamble_and_signature(corpus: Corpus) -> None:
    pre = corpus.get("2016-1:preamble").text
    assert pre.startswith("Сот төрелігіне қол жеткізу") and pre.endswith("қаулы етеді:")
    assert "ХАБАРЛАНДЫРУ" not in pre
    last = corpus.get("2025-cassation:18").text
    assert last.endswith("2025 жылғы 1 шілдеден бастап қолданысқа енгізіледі.")
    assert "Мерғалиев" not in last
    assert "Төрағасы" not in corpus.get("1998-1:12").text


def test_citations(corpus: Corpus) -> None:
    from knowledge.citation import document_citation

    # a lawyer's citation names the title; a long one is shortened in answers and given whole in /sources
    expected = ("ҚР Жоғарғы Сотының 2016 жылғы 15 қаңтардағы № 1 «Сот төрелігіне қол жеткізу құқығы және "
                "Қазақстан…» нормативтік қаулысы, 5-тармақ")
    assert corpus.get("2016-1:5").citation == expected
    assert document_citation(corpus.document("2016-1"), full=True) == (
        "ҚР Жоғарғы Сотының 2016 жылғы 15 қаңтардағы № 1 «Сот төрелігіне қол жеткізу құқығы және Қазақстан "
        "Республикасы Жоғарғы Сотының сот актілерін қайта қарау бойынша өкілеттіктері туралы» нормативтік қаулысы")
    assert corpus.get("1998-1:4-1").citation.startswith(
        "ҚР Жоғарғы Сотының 1998 жылғы 14 мамырдағы № 1 «Қазақстан Республикасында сот билігі туралы")
    c2025 = corpus.get("2025-cassation:3").citation
    assert "2025 жылғы 1 шілдеден бастап" in c2025 and "№" not in c2025  # no invented number...
    assert "ресми атауы мен нөмірі мәтінде жоқ" in c2025 and "«" not in c2025  # ...nor a description posing as a title
    assert corpus.get("2016-1:preamble").citation.endswith("кіріспе")
    art = corpus.get("history:2")
    assert "мақала" in art.citation and "Узакбаев" in art.citation


def test_articles_are_commentary_in_whole_sentences(corpus: Corpus) -> None:
    for doc_id in ("history", "judicial-bases"):
        doc = corpus.document(doc_id)
        assert doc.status == "commentary" and not doc.is_law
        for p in corpus.of(doc_id):
            assert re.search(r"[.!?»\])]$", p.text) or p is corpus.of(doc_id)[-1], (p.id, p.text[-40:])
            assert len(p.text) < 2000
    first = corpus.get("judicial-bases:1")
    assert first.language == "ru" and first.text.startswith("В заключение")
    assert all(p.language == "kk" for p in corpus.of("judicial-bases")[1:])
    assert corpus.get("judicial-bases:2").authors == ("Женисов Саяш Кайратулы",)


def test_repair_counts_are_reported(corpus: Corpus) -> None:
    moved = {d: s.fragments_moved for d, s in corpus.stats.items()}
    assert moved["2016-1"] > 10 and moved["2025-cassation"] > 30 and moved["1998-1"] > 10
    assert moved["history"] == 0  # articles carry no displaced links


def test_catalog_fields(corpus: Corpus) -> None:
    d = corpus.document("2025-cassation")
    assert d.title == "" and d.number == "" and d.status_since == "2025-07-01"
    assert corpus.document("2016-1").date == "2016-01-15"
    assert Path(CATALOG.parent / "texts" / d.file).read_bytes() == Path(
        "/work/shared/seeds/001_7e77fa0b6e32fb66.txt").read_bytes() if Path("/work/shared/seeds").exists() else True


def test_docs_and_show_on_the_command_line(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    """The issue's acceptance: docs lists the five with their counts; show prints repaired text and notes apart."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    assert main(["docs", "--json"]) == 0
    docs = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert [docs[i]["paragraphs"] for i in ("2016-1", "2025-cassation", "1998-1")] == [6, 18, 14]
    assert docs["2016-1"]["preamble"] and docs["1998-1"]["deleted"] == ["2", "5"]
    assert {docs[i]["kind"] for i in ("history", "judicial-bases")} == {"article"}
    assert docs["2025-cassation"]["repair"]["fragments_moved"] > 0
    assert all(d["repair"]["lines_left_raw"] == 0 for d in docs.values())

    assert main(["show", "2016-1", "1"]) == 0
    assert "Конституцияның 14-бабының 1-тармағымен" in capsys.readouterr().out
    assert main(["show", "1998-1", "3"]) == 0
    text, _, rest = capsys.readouterr().out.partition("\n\n[")
    assert "Ескерту" not in text and "Ескерту" in rest
    assert main(["show", "1998-1", "99"]) == 2
    assert "no paragraph '99'" in capsys.readouterr().err

    # document-level amendment notes: with the document (docs) and before its preamble (show … preamble)
    notes = docs["1998-1"]["notes"]
    assert (len(notes) == 3 and "22.12.2008" in notes[0]) or "2008.12.22" in notes[0]
    assert "31.03.2017 № 2" in notes[1] and "08.12.2021 № 3" in notes[2]
    assert docs["1998-1"]["citation"].endswith("«Қазақстан Республикасында сот билігі туралы заңнаманы қолданудың "
                                               "кейбір мәселелері туралы» нормативтік қаулысы")
    assert main(["show", "1998-1", "preamble"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in notes) and out.index(notes[2]) < out.index("— ҚР Жоғарғы Сотының")
    assert main(["docs", "--repairs", "2025-cassation", "--review"]) == 0
    report = capsys.readouterr().out
    assert "line 58" in report and "«484-бабының»" in report and "«486-бабының»" in report


def test_amending_act_numbers_are_back_after_their_dates(corpus: Corpus) -> None:
    """Every 1998-1 note cites "22.12.2022 № 10 (…)" and "29.05.2025 № 2 (…)", whatever the PDF did to the number."""
    notes = [n for p in corpus.of("1998-1") for n in p.notes]
    cited = [n for n in notes if "22.12.2022" in n]
    assert len(cited) >= 8
    for note in cited:
        assert "22.12.2022 № 10 (" in note and note.count("№ 10") == 1, note
    assert all("29.05.2025 № 2 (" in n for n in notes if "29.05.2025" in n)


@pytest.mark.parametrize(("before", "after"), [
    ("Сотының 22.12.2022 (№ 10 алғашқы ресми) қаулысымен.", "Сотының 22.12.2022 № 10 (алғашқы ресми) қаулысымен."),
    ("22.12.2022 (күнінен бастап) № 10 нормативтік", "22.12.2022 № 10 (күнінен бастап) нормативтік"),
    ("22.12.2022 (бастап); 29.05.2025 № 10 № 2 (бастап)", "22.12.2022 № 10 (бастап); 29.05.2025 № 2 (бастап)"),
    # ambiguous: two dates without a number, or nothing out of place — left as it is
    ("22.12.2022 (бастап); 29.05.2025 (бастап) № 10", None),
    ("2008.12.22. N 8; 31.03.2017 № 2 (бастап)", None),
])
def test_restore_act_number(before: str, after: str | None) -> None:
    from knowledge.repair import RepairStats, restore_act_number

    stats = RepairStats()
    assert restore_act_number(before, stats) == (after or before)
    assert stats.fragments_moved == (after is not None)



def test_russian_line_break_hyphens() -> None:
    """Russian words break anywhere; only a compound's first stem ("политико-") keeps its hyphen."""
    from knowledge.repair import RepairStats, join_lines

    def join(a: str, b: str, lang: str = "ru") -> str:
        return join_lines([a, b], [False, False], lang, RepairStats())

    assert join("передовые политико-право-", "вые учения") == "передовые политико-правовые учения"
    assert join("в политико-", "правовом учении") == "в политико-правовом учении"
    assert join("высокообразо-", "ванные") == "высокообразованные"
    assert join("Правительство Алаш-", "Орды") == "Правительство Алаш-Орды"
    assert join("өзара іс-", "қимыл", "kk") == "өзара іс-қимыл"  # Kazakh keeps every hyphen


def test_repair_report_lists_every_placement_for_review(corpus: Corpus) -> None:
    """`cassbot docs --repairs`: each repaired line with its file line, fragments and their new places."""
    from knowledge.repair_report import format_report, repair_report

    rows = repair_report(corpus, "2025-cassation")
    raw = _raw_text(corpus, "2025-cassation").split("\n")
    for row in rows:  # every row points at the raw line it describes
        assert row.line and raw[row.line - 1].strip().endswith(row.decision.raw.split("\n")[0].strip())
    split = next(r for r in rows if "484-" in r.decision.raw and "\n" in r.decision.raw)
    assert split.line == 58 and split.decision.review
    assert [p.fragment for p in split.decision.placements] == ["484-бабының"]
    own = next(r for r in rows if r.line == 58 and r is not split)
    assert [(p.fragment, p.after) for p in own.decision.placements] == [("486-бабының", "ҚПК-нің")]
    four = next(r for r in rows if "1) 2) 3) 5) тармақтарында" in r.decision.raw)
    assert [p.fragment for p in four.decision.placements] == ["1)", "2)", "3)", "5) тармақтарында"]
    assert four.decision.review  # two or more fragments: a person checks the order
    text = format_report(rows, review_only=True)
    assert "line 58" in text and "«486-бабының» → after «ҚПК-нің», before «бірінші бөлігінде»" in text
    # every document's moved fragments are accounted for by a decision
    for doc in corpus.documents:
        stats = corpus.stats[doc.id]
        assert sum(len(r.decision.placements) for r in repair_report(corpus, doc.id)) == stats.fragments_moved


def test_quiz_and_topics_quote_the_corrected_paragraph_5(corpus: Corpus) -> None:
    """The 484/486 misquote had spread into the study guide: its items quote the passage, now corrected."""
    from knowledge.topics import load_quiz, load_topics

    p5 = corpus.get("2025-cassation:5")
    assert p5.text.startswith("ҚПК-нің 486-бабының бірінші бөлігінде санамаланған адамдар ҚПК-нің 484-бабының")
    topics = load_topics()
    assert {t.id for t in topics if any(i.passage_id == p5.id for i in t.items)} >= {
        "filers", "appeal", "deadlines", "content"}
    assert {q.id for q in load_quiz() if q.passage_id == p5.id} == {"q07", "q08", "q13", "q14", "q21"}
