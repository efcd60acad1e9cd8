"""A mistyped word read as the word the texts use.

Why: one slipped letter ("номративтік", "ақрылы") makes a word the corpus does not know. The lexical channels lose
it, the confidence counts it against the question as an unknown word, and the embedding model reads other pieces:
dev + holdout with one slip in one long word of each question gave right direct quotes 0.577 of in-scope questions
against 0.779 as written (README, "Evaluation").

How: a question word the ranker does not know (the caller says which: not a stop word, a stem or a glossary entry), of
`MIN_LENGTH` letters or more, that is one slip of the fingers away from words the texts (passages and every search
aid) use — a letter dropped or added, two neighbours swapped, a key next to the right one — is read as the most
frequent of them. Candidates come from a table of each text word with one letter deleted (the symmetric-delete
idea), then are checked slip by slip (`one_slip`). Words are compared folded, so a Russian-keyboard question is
corrected too; Latin-script words, words with digits and short words are left as typed: nothing else is guessed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping

from embeddings.normalize import LATIN, fold

MIN_LENGTH = 6  # shorter words are too often another real word one letter away
_WORD = re.compile(r"[^\W\d_]+")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _neighbour_keys() -> dict[str, set[str]]:
    """Each letter of the Russian keyboard (the one Kazakh is typed on, folded) → the keys around it."""
    near: dict[str, set[str]] = defaultdict(set)
    for r, row in enumerate(_ROWS):
        for i, key in enumerate(row):
            near[key] |= {row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)}
            for other in (_ROWS[r - 1] if r else "", _ROWS[r + 1] if r + 1 < len(_ROWS) else ""):
                near[key] |= {other[j] for j in (i - 1, i, i + 1) if 0 <= j < len(other)}
    return near


_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_NEAR_KEY = _neighbour_keys()


def one_slip(typed: str, word: str) -> bool:
    """`typed` is `word` with one slip of the fingers: a letter dropped or added, two neighbours swapped, or a letter
    changed for a key next to it; the first and the last letter kept. A change to a far key ("получить" for
    "поручить"), of the first letter ("уверен" for "верен") or a letter more or less at the end ("мәселесін" for
    "мәселесі", another case) is more often another real word than a slip."""
    if typed == word or not typed or not word or typed[0] != word[0] or abs(len(typed) - len(word)) > 1:
        return False
    i = 0
    while i < min(len(typed), len(word)) and typed[i] == word[i]:
        i += 1
    if len(typed) != len(word):
        short, long = sorted((typed, word), key=len)
        return i < len(short) and short[i:] == long[i + 1:]
    if typed[i + 1:] == word[i + 1:]:
        return word[i] in _NEAR_KEY.get(typed[i], ())
    return i + 1 < len(word) and typed[i] == word[i + 1] and typed[i + 1] == word[i] and typed[i + 2:] == word[i + 2:]


class Speller:
    """Question words one slip from a text word → that word, in the texts' spelling."""

    def __init__(self, spellings: Mapping[str, Counter[str]]) -> None:
        """`spellings`: the texts' words, folded → how they write them (lower case), as `Respeller.spellings`."""
        words = {folded: spelled for folded, spelled in spellings.items()
                 if len(folded) >= MIN_LENGTH - 1 and not LATIN.search(folded)}
        self._count = {folded: spelled.total() for folded, spelled in words.items()}
        self._spelling = {folded: spelled.most_common(1)[0][0] for folded, spelled in words.items()}
        self._by_deletion: dict[str, list[str]] = defaultdict(list)  # a word less one letter → the words it comes from
        for folded in self._count:
            for variant in _deletions(folded):
                self._by_deletion[variant].append(folded)

    def correct(self, question: str, known: Callable[[str], bool]) -> str:
        """The question with each unknown word one slip from a text word replaced by it; `known(word)`: the ranker
        reads the word as typed (a stop word, a stem or a glossary entry), so it stays."""
        return _WORD.sub(lambda m: self._word(m.group(0), known), question)

    def _word(self, typed: str, known: Callable[[str], bool]) -> str:
        folded = fold(typed)
        if len(typed) < MIN_LENGTH or LATIN.search(folded) or folded in self._count or known(typed):
            return typed
        less_one = _deletions(folded)
        # text words less one letter equal to it (it lacks a letter) or to it less one (a letter changed or swapped)
        candidates = {w for variant in less_one | {folded} for w in self._by_deletion.get(variant, ())}
        candidates |= {variant for variant in less_one if variant in self._count}  # it has a letter too many
        candidates = {w for w in candidates if one_slip(folded, w)}
        if not candidates:
            return typed
        best = max(sorted(candidates), key=self._count.__getitem__)
        spelled = self._spelling[best]
        return spelled[:1].upper() + spelled[1:] if typed[:1].isupper() else spelled
