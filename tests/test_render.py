"""The renderer always produces Telegram-valid HTML within 4096 characters, whatever the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.assistant import ANSWERED, Reply
from bot.i18n import gettext_for
from bot.render import answer_plain, full_text_html, passage_html
from knowledge import Passage
from tests.fake_bot_api import parse_telegram_html, utf16_len

T = gettext_for("kk")
LIMIT = 4096

text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
pieces = st.one_of(
    st.text(text_chars, max_size=200),
    st.sampled_from(["<b>", "</b>", "&amp;", "&", "<", ">", '"', "*bold*", "_it_", "`code`", "[a](b)", "😀👍🏽",
                     "Қазақстан", "ҚПК-нің 485-бабы", ". ", "! ", "? ", "\n", "1) ", "<blockquote>"]),
)
paragraph = st.lists(pieces, min_size=1, max_size=80).map("".join).filter(lambda s: s.strip() != "")


def make(text: str, notes: list[str], law: bool) -> Passage:
    return Passage(id="x:1", doc_id="x", number="1", text=text.strip() or "x", citation="ҚР <test> & citation",
                   notes=notes, is_law=law)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=paragraph, repeat=st.integers(1, 40), notes=st.lists(paragraph, max_size=3),
       law=st.booleans(), highlight=st.integers(0, 50))
def test_any_passage_renders_valid_html_within_the_limit(text: str, repeat: int, notes: list[str], law: bool,
                                                          highlight: int) -> None:
    p = make((text + " ") * repeat, notes, law)
    n = len(p.sentences)
    rendered = passage_html(p, T, [highlight % n] if n else [])
    visible = parse_telegram_html(rendered.text)
    assert 0 < utf16_len(visible) <= LIMIT
    assert p.citation in visible
    for chunk in full_text_html(p, T):
        v = parse_telegram_html(chunk)
        assert 0 < utf16_len(v) <= LIMIT


@settings(max_examples=100, deadline=None)
@given(text=paragraph)
def test_plain_rendering_keeps_every_word(text: str) -> None:
    p = make(text, [], True)
    out = answer_plain(Reply("q", ANSWERED, 1.0, p, [0]), T)
    assert all(w in out for w in p.text.split())


def test_a_long_paragraph_is_cut_at_sentences_and_marked() -> None:
    sentences = [f"Сөйлем нөмірі {i} мұнда тұр және ол жеткілікті ұзын болуы керек." for i in range(200)]
    p = make(" ".join(sentences), [], True)
    rendered = passage_html(p, T, [100])
    assert rendered.truncated and "[…]" in rendered.text
    assert "<b>Сөйлем нөмірі 100 мұнда тұр" in rendered.text  # the highlighted sentence is kept and marked
    assert utf16_len(parse_telegram_html(rendered.text)) <= LIMIT
    chunks = full_text_html(p, T)
    assert len(chunks) > 1
    joined = " ".join(parse_telegram_html(c) for c in chunks)
    assert all(s in joined for s in sentences)  # the full text loses nothing


def test_generic_answer_names_the_other_paragraphs_and_plain_matches() -> None:
    """A direct answer's plain form has the bot's shape: answer sentence, paragraph, citation, the others."""
    from bot.core.assistant import DIRECT
    from bot.render import also_html

    p = make("Бірінші сөйлем. Екінші сөйлем жауап береді. Үшінші сөйлем.", [], True)
    other = make("Басқа тармақ.", [], True)
    reply = Reply("q", DIRECT, 1.0, p, [1], also=[other])
    out = answer_plain(reply, T, lambda q: "тақырып <b>")
    assert out.startswith("«Екінші сөйлем жауап береді.»")
    assert "«Екінші сөйлем жауап береді.»" in out.split("\n\n", 1)[1]  # highlighted in place too
    assert "тақырып <b>" in out
    html = also_html([other], lambda q: "тақырып <b>", T)
    assert "тақырып &lt;b&gt;" in html  # headings are escaped like everything else
