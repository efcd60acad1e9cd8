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

A question typed in capitals (an exam heading copied as it was printed, caps lock on a phone) is read in lower case
first: the model's tokenizer cuts "КАССАЦИЯЛЫҚ ШАҒЫМ" into other pieces than "кассациялық шағым" (dev + holdout in
capitals: Kazakh R@1 0.967 → 0.846). The abbreviations the texts write in capitals ("ҚПК", "ҚР") stay so.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from embeddings.normalize import LATIN, fold, latin_to_cyrillic

DOMINANT = 0.8  # share of a folded form's occurrences its usual spelling must have to be used
MIN_LENGTH = 3  # "и", "у", "ол" are as likely Russian or a typo as a folded Kazakh word
SHOUTED_LENGTH = 4  # a question is in capitals when most of its words this long or longer are (not "ҚПК", "РФ")
_WORD = re.compile(r"[^\W\d_]+")
_KAZAKH = re.compile(r"[әғқңөұүһі]")  # the letters a Russian keyboard lacks: what respelling may restore


class Respeller:
    """Folded (or Latin) question words → the spelling the texts use, where they use one."""

    def __init__(self, texts: Iterable[str]) -> None:
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        capitals: set[str] = set()  # words the texts write in capitals: abbreviations ("ҚПК"), kept in a question
        for text in texts:
            for word in _WORD.findall(text):
                if len(word) > 1 and word.isupper():
                    capitals.add(word)
                word = word.lower()
                forms[fold(word)][word] += 1
        self.spellings: dict[str, Counter[str]] = forms  # the texts' words, folded → how they write them
        self._known = frozenset(forms)
        self._capitals = frozenset(capitals)
        self._spelling: dict[str, str] = {}
        for folded, spellings in forms.items():
            word, count = spellings.most_common(1)[0]
            if _KAZAKH.search(word) and count >= DOMINANT * spellings.total():
                self._spelling[folded] = word

    def __call__(self, question: str) -> str:
        return _WORD.sub(self._word, self._unshouted(question))

    def _unshouted(self, question: str) -> str:
        """A question in capitals in lower case, but for the texts' own capitalised abbreviations; its first
        letter a capital, as a sentence's."""
        long = [w for w in _WORD.findall(question) if len(w) >= SHOUTED_LENGTH]
        shouted = [w for w in long if w.isupper()]
        if len(shouted) < 2 or 2 * len(shouted) <= len(long):
            return question
        lowered = _WORD.sub(lambda m: m.group(0) if m.group(0) in self._capitals else m.group(0).lower(), question)
        first = _WORD.search(lowered)
        if first is None or first.group(0) in self._capitals:
            return lowered
        return lowered[:first.start()] + lowered[first.start()].upper() + lowered[first.start() + 1:]

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
