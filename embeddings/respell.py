"""Kazakh letters restored before the embedding model reads a question.

Citizens type Kazakh on a Russian keyboard (қ→к, ә→а, і→и, ұ/ү→у …) or in Latin script. The lexical channels fold
both the question and the texts, so for them "шагым" is "шағым"; the embedding model is not told: its tokenizer
cuts "кассациялык шагым" into other pieces than "кассациялық шағым" and the vector lands elsewhere. So the question
the model reads is respelled from the texts' own spelling: a word whose folded form the texts (passages, curated
questions, study-guide labels) write one way at least `DOMINANT` of the time is written that way. Latin-script words
are transliterated first, all of them: a question half in Latin and half in Cyrillic letters read worse (measured on
the kk-latn questions of dev + holdout: R@1 0.829 against 0.854). Cyrillic words the texts don't have, Russian words
and short words are left as typed: nothing is guessed. The lexical channels and everything the user sees keep the
question as asked.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from embeddings.normalize import LATIN, fold, latin_to_cyrillic

DOMINANT = 0.8  # share of a folded form's occurrences its usual spelling must have to be used
MIN_LENGTH = 3  # "и", "у", "ол" are as likely Russian or a typo as a folded Kazakh word
_WORD = re.compile(r"[^\W\d_]+")
_KAZAKH = re.compile(r"[әғқңөұүһі]")  # the letters a Russian keyboard lacks: what respelling may restore


class Respeller:
    """Folded (or Latin) question words → the spelling the texts use, where they use one."""

    def __init__(self, texts: Iterable[str]) -> None:
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            for word in _WORD.findall(text):
                word = word.lower()
                forms[fold(word)][word] += 1
        self._known = frozenset(forms)
        self._spelling: dict[str, str] = {}
        for folded, spellings in forms.items():
            word, count = spellings.most_common(1)[0]
            if _KAZAKH.search(word) and count >= DOMINANT * spellings.total():
                self._spelling[folded] = word

    def __call__(self, question: str) -> str:
        return _WORD.sub(self._word, question)

    def _word(self, match: re.Match[str]) -> str:
        typed = match.group(0)
        if len(typed) < MIN_LENGTH:
            return typed
        lower = typed.lower()
        if LATIN.search(lower):
            cyrillic = latin_to_cyrillic(lower, lambda w: fold(w) in self._known)
            spelled = self._spelling.get(fold(cyrillic), cyrillic)
        else:
            spelled = self._spelling.get(lower)
            if spelled is None:
                return typed
        return spelled[:1].upper() + spelled[1:] if typed[:1].isupper() else spelled
