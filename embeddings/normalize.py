"""Kazakh-aware normalisation for the lexical channel (never for the dense model, which reads text as written).

Users type Kazakh on Russian keyboards ("кассациялык шагым"), in Latin script ("kassaciyalyq şağym",
"shagym"), or ask in Russian.  Both questions and passages go through the same `tokenize`, so all of
these meet the passage's "кассациялық шағым":

1. case-fold and fold the Kazakh-specific letters to their Russian-keyboard look-alikes (ә→а, қ→к …);
2. map Latin-script words to Cyrillic (2021 official alphabet and informal digraphs), then fold;
3. strip common inflectional suffixes (light stemming: Kazakh is agglutinative; Russian gets its own list);
4. drop stop words;
5. map Russian legal terms to Kazakh stems with a small curated glossary (question side only), matched in any
   inflection through the Snowball Russian stemmer ("основаниям", "кассационных", "в порядке");
6. expand abbreviations from the texts' own definitions ("(бұдан әрі – ҚПК)").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import snowballstemmer

KAZAKH_FOLD = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и", "ё": "е",
})

# Latin → Cyrillic.  Digraphs first (informal spellings), then single letters (2021 alphabet plus common
# substitutes).  Output is folded afterwards, so ä→ә and a→а end up equal, as do ū/ü/u.
LATIN_DIGRAPHS = (
    ("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ya", "я"), ("yu", "ю"),
    ("ia", "я"), ("iu", "ю"), ("gh", "ғ"),
)
LATIN_LETTERS = {
    "a": "а", "ä": "ә", "á": "ә", "b": "б", "c": "ц", "ç": "ч", "d": "д", "e": "е", "f": "ф", "g": "г",
    "ğ": "ғ", "h": "х", "i": "і", "ı": "і", "ī": "и", "í": "и", "j": "ж", "k": "к", "l": "л", "m": "м",
    "n": "н", "ñ": "ң", "o": "о", "ö": "ө", "ó": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш",
    "t": "т", "u": "ұ", "ū": "ұ", "ü": "ү", "ú": "ү", "v": "в", "w": "у", "x": "х", "y": "ы", "ý": "ы",
    "z": "з",
}

# Folded suffixes, longest first.  Stripped repeatedly while a stem of MIN_STEM letters remains.
KK_SUFFIXES = sorted({
    # plural
    "лар", "лер", "дар", "дер", "тар", "тер",
    # possessive
    "ымыз", "имиз", "мыз", "миз", "ныз", "низ", "ым", "им", "ын", "ин", "сы", "си", "ы", "и",
    # cases (folded: ның→нын, ға→га, қа→ка …)
    "нын", "нин", "дын", "дин", "тын", "тин", "га", "ге", "ка", "ке", "на", "не", "ны", "ни", "ды", "ди",
    "ты", "ти", "да", "де", "та", "те", "нда", "нде", "дан", "ден", "тан", "тен", "нан", "нен", "мен",
    "бен", "пен", "дагы", "деги", "тагы", "теги", "гы", "ги", "кы", "ки",
    # derivation and verb forms frequent in legal text
    "лык", "лик", "дык", "дик", "тык", "тик", "шы", "ши", "у", "ган", "ген", "кан", "кен", "атын", "етин",
    "уга", "уге", "уы", "уи", "ады", "еди", "йды", "йди",
}, key=len, reverse=True)
RU_SUFFIXES = sorted({
    "иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "иях", "ией", "ием", "ая", "яя",
    "ое", "ее", "ые", "ие", "ой", "ей", "ий", "ый", "ом", "ем", "ам", "ям", "ах", "ях", "ов", "ев", "ия",
    "ию", "ии", "ть", "ться", "ется", "ются", "ет", "ют", "ит", "ат", "ят", "а", "я", "о", "е", "у", "ю",
    "ы", "и", "ь",
}, key=len, reverse=True)
# One list for both languages: the same function runs on both sides, so consistency is what matters.
SUFFIXES = sorted(set(KK_SUFFIXES) | set(RU_SUFFIXES), key=len, reverse=True)
# The same list as a set and its lengths, longest first: a word's ending of each length is looked up (a few set
# lookups per strip, not an `endswith` per suffix — stemming the texts was most of opening the engine).
_SUFFIX_SET = frozenset(SUFFIXES)
_SUFFIX_LENGTHS = sorted({len(s) for s in SUFFIXES}, reverse=True)
MIN_STEM = 3
# Words whose suffixes would leave another word's stem: Kazakh and Russian "судья" (judge), stripped of "-ья", read
# as Russian "суд" (court), so every Russian question naming a court matched every Kazakh paragraph naming a judge.
# A folded word beginning with one of these prefixes stems to its value.
WHOLE_STEMS = {"судья": "судья", "судьи": "судья", "судье": "судья", "судей": "судья", "судьё": "судья"}
WITHOUT = "без"  # Russian "without": marks the stem it governs (see `Normalizer._marked`)
NEGATED = "без·"

STOP_WORDS = {
    # Kazakh (folded)
    "жане", "мен", "бен", "пен", "не", "немесе", "да", "де", "та", "те", "ма", "ме", "ба", "бе", "па", "пе",
    "бол", "болады", "болад", "болып", "бола", "болса", "болган", "бар", "жок", "осы", "ол", "бул", "сол",
    "кандай", "калай", "кашан", "неге", "нелик", "нени", "кім", "ким", "кимнин", "кай", "кайда",
    "канша", "ушин", "туралы", "бойынша", "сайкес", "тиис", "керек", "мумкин", "ғана", "гана",
    "еди", "ед", "кезде", "кезинде", "шин", "сен", "биз", "менин", "маган", "мага", "деген", "айтыныз",
    "айтып", "берш", "бериниз", "тусиндир", "тусиндириниз", "жагдайда", "жагдай", "сияк",
    # Russian
    "и", "в", "во", "на", "с", "со", "по", "о", "об", "от", "до", "за", "из", "к", "у", "а", "но", "или",
    "ли", "ни", "что", "как", "какой", "какие", "какая", "когда", "где", "кто", "чем", "это", "мне",
    "я", "мы", "вы", "можно", "нужно", "же", "бы", "для", "при", "если", "есть", "его", "ее",
    "их", "так", "то", "был", "была", "было", "были", "быть", "может", "могут", "мог", "должен", "должна",
    "должно", "должны", "всех", "все", "всё", "без", "только", "меня", "нас", "вас", "него", "неё", "ней",
    "этот", "эта", "эти", "том", "чтобы", "также", "сколько", "какое", "каком", "каких", "каким",
    "будет", "нет", "очень", "уже", "ещё", "еще", "там", "тут", "здесь", "свой", "своё", "потому",
    # courtesy inside a chat message (`question.without_courtesy` takes it off the ends)
    "пожалуйста", "подскажите", "скажите", "здравствуйте", "спасибо", "рахмет", "ракмет", "отинемин",
}

# Russian legal terms → Kazakh words as they appear in the texts (the lexical channel's bridge for
# Russian questions; the dense channel carries the rest).
RU_KK_GLOSSARY: dict[str, tuple[str, ...]] = {
    "жалоба": ("шағым",), "жаловаться": ("шағым", "шағымдану"), "обжалование": ("шағымдану",),
    "обжаловать": ("шағымдану", "шағым"), "кассация": ("кассациялық",), "кассационный": ("кассациялық",),
    "срок": ("мерзім",), "сроки": ("мерзім",), "осуждённый": ("сотталған",), "осужденный": ("сотталған",),
    "протест": ("наразылық",), "прокурор": ("прокурор",), "генеральный": ("бас",), "суд": ("сот",),
    "судья": ("судья",), "судьи": ("судья",), "приговор": ("үкім",), "постановление": ("қаулы",),
    "решение": ("шешім",), "определение": ("ұйғарым",), "основание": ("негіз",), "основания": ("негіз",),
    "пересмотр": ("қайта", "қарау"), "пересмотреть": ("қайта", "қарау"), "рассмотрение": ("қарау",),
    "возврат": ("қайтару",), "вернуть": ("қайтару",), "возвращение": ("қайтару",), "язык": ("тіл",),
    "потерпевший": ("жәбірленуші",), "защитник": ("қорғаушы",), "адвокат": ("қорғаушы",),
    "законный": ("заңды",), "сила": ("күш",), "вступивший": ("күшіне", "енген"), "независимость": ("тәуелсіздік",),
    "вмешательство": ("араласу",), "ухудшение": ("нашарлату",), "положение": ("жағдай",),
    "уголовный": ("қылмыстық",), "уголовное": ("қылмыстық",), "дело": ("іс",), "дела": ("іс",),
    "процессуальный": ("процестік",), "кодекс": ("кодекс",), "упк": ("ҚПК",), "гпк": ("АПК",),
    "конституция": ("Конституция",), "верховный": ("Жоғарғы",), "пленум": ("отырыс",),
    "нормативный": ("нормативтік",), "история": ("тарих",), "апелляция": ("апелляциялық",),
    "апелляционный": ("апелляциялық",), "правосудие": ("сот", "төрелігі"), "доступ": ("қол", "жеткізу"),
    "защита": ("қорғау",), "права": ("құқық",), "право": ("құқық",), "содержание": ("мазмұны",),
    "подача": ("беру",), "подать": ("беру",), "представление": ("ұсыну",), "председатель": ("төраға",),
    "отмена": ("күшін", "жою"), "отменить": ("күшін", "жою"), "изменение": ("өзгерту",),
    "новое": ("жаңа",), "рассмотреть": ("қарау",), "коллегия": ("алқа",), "акт": ("акт",), "акты": ("акт",),
    "ошибка": ("қате",), "ошибки": ("қате",), "амнистия": ("рақымшылық",), "наказание": ("жаза",),
    "оправдательный": ("ақтау",), "обвинительный": ("айыптау",), "власть": ("билік",),
    "судебный": ("сот",), "судебная": ("сот",), "инстанция": ("саты",), "единообразие": ("біркелкі",),
    "практика": ("практика",), "митинг": ("митинг", "митингілерді"), "союз": ("одағы",), "прием": ("қабылдау",),
    "приём": ("қабылдау",), "граждан": ("азамат",), "ответственность": ("жауаптылық",),
    "дисциплинарный": ("тәртіптік",), "неуважение": ("құрметтемеушілік",), "сми": ("бұқаралық", "ақпарат"),
    "печать": ("бұқаралық", "ақпарат"), "ходатайство": ("өтінішхат",), "восстановление": ("қалпына",),
    "пропущенный": ("өткізіп", "алған"), "пропуск": ("өткізіп",), "заседание": ("отырыс",),
    "коллегиальный": ("алқалы",), "состав": ("құрам",), "экстрадиция": ("экстрадиция",),
    "полномочия": ("өкілеттік", "құқылы"), "полномочие": ("өкілеттік",), "пределы": ("шегі", "көлемі"),
    "доказательство": ("дәлелдемелер",), "доказательства": ("дәлелдемелер",), "исследует": ("зерттеу",),
    "исследование": ("зерттеу",), "субъекты": ("адамдар", "тұлға"), "родственник": ("туыс",),
    "возвращена": ("қайтарылады",), "возвращается": ("қайтарылады",), "вернули": ("қайтарылады",),
    "частное": ("жекеше",), "частные": ("жекеше",), "подлежит": ("жатады",), "подлежащее": ("жатады",),
    "изменения": ("өзгерту",), "отмены": ("күшін", "жою"), "оправданный": ("ақталған",),
    "сделка": ("мәміле",), "признание": ("мойындау",), "вины": ("кінә",), "гласность": ("жариялылық",),
    "журналист": ("бұқаралық", "ақпарат"), "фиксировать": ("жазу",), "порядок": ("тәртіп",),
    "инстанции": ("саты",), "кассационной": ("кассациялық",), "уведомление": ("хабарлау",),
    "извещение": ("хабарлау",), "истребование": ("талап", "алдыру"), "ухудшить": ("нашарлату",),
    "длится": ("мерзім",), "длиться": ("мерзім",),
}

_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_ABBR_SUFFIX = re.compile(r"^(?=[^-]*[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]{2})[^\W\d_]+-[^\W\d_]+$")
LATIN = re.compile(r"[a-zäáçğıīíñöóşūüúý]")


def fold(text: str) -> str:
    """Lower-case and fold Kazakh-specific letters to Russian-keyboard look-alikes."""
    return text.lower().translate(KAZAKH_FOLD)


def latin_to_cyrillic(word: str, known: Callable[[str], bool] | None = None) -> str:
    """Transliterate one lower-case Latin-script Kazakh word to Cyrillic (unfolded).

    "ı" is І in the official 2021 alphabet ("negız" = негіз) but Ы in the Turkish-style spelling many people
    use ("qılmıstıq" = қылмыстық); with ``known`` (does the corpus know this word?) the reading it knows wins.
    """
    out = word
    for latin, cyr in LATIN_DIGRAPHS:
        out = out.replace(latin, cyr)
    readings = [out.replace("ı", letter) for letter in ("і", "ы")] if "ı" in out else [out]
    cyrillic = ["".join(LATIN_LETTERS.get(ch, ch) for ch in r) for r in readings]
    if known is not None:
        for candidate in cyrillic:
            if known(candidate):
                return candidate
    return cyrillic[0]


@functools.lru_cache(maxsize=1 << 16)  # the same few thousand words recur across passages and questions
def stem(word: str) -> str:
    """Strip inflectional suffixes from a folded word while a stem of MIN_STEM letters remains."""
    for prefix, whole in WHOLE_STEMS.items():
        if word.startswith(prefix):
            return whole
    for _ in range(3):  # the longest suffix that leaves MIN_STEM letters, at most three times
        for length in _SUFFIX_LENGTHS:
            if len(word) - length >= MIN_STEM and word[-length:] in _SUFFIX_SET:
                word = word[:-length]
                break
        else:
            break
    return word


_RUSSIAN = snowballstemmer.stemmer("russian")


@functools.lru_cache(maxsize=1 << 14)
def russian_stem(word: str) -> str:
    """Snowball's Russian stem: the glossary's key, so a Russian term is found in every case and number."""
    return _RUSSIAN.stemWord(word)


def words(text: str, known: Callable[[str], bool] | None = None) -> list[str]:
    """Folded word tokens, Latin-script words transliterated; hyphenated compounds also split."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if _ABBR_SUFFIX.match(tok):
            tok = tok.split("-", 1)[0]  # "ҚПК-нің": the part after the hyphen is a case ending
        tok = tok.lower()
        if LATIN.search(tok):
            tok = latin_to_cyrillic(tok, known)
        tok = fold(tok)
        parts = tok.split("-")
        out.extend(p for p in parts if p and not p.isdigit())
        if len(parts) > 1 and not parts[0].isdigit():
            out.append(tok.replace("-", ""))
    return out


class Normalizer:
    """Question and passage tokenisation for the lexical channel, owning the corpus-specific parts."""

    def __init__(self, abbreviations: dict[str, tuple[str, ...]] | None = None,
                 lexicon: frozenset[str] = frozenset()) -> None:
        self.abbreviations = {
            fold(k): tuple(stem(w) for phrase in v for w in words(phrase) if w not in STOP_WORDS)
            for k, v in (abbreviations or {}).items()
        }
        self.lexicon = lexicon  # stems the corpus uses: resolves ambiguous Latin letters
        self._known_texts: dict[str, list[str]] = {}  # the corpus's texts, tokenised while it was built
        self.glossary: dict[str, tuple[str, ...]] = {}
        self.russian_glossary: dict[str, tuple[str, ...]] = {}  # by Snowball stem: other inflections
        # An entry's own word first, then its light and Snowball stems where no other entry has them, so no entry's
        # stem takes over another entry's word: Snowball stems "судья" (judge) and "суд" (court) alike, and before
        # `WHOLE_STEMS` the light stem of "судья" was "суд", which turned the court entry's "суда", "суде" into judges.
        targets = {fold(ru): tuple(stem(w) for kk in kks for w in words(kk)) for ru, kks in RU_KK_GLOSSARY.items()}
        self.glossary.update(targets)
        for ru, target in targets.items():
            self.glossary.setdefault(stem(ru), target)
            self.russian_glossary.setdefault(russian_stem(ru), target)

    @classmethod
    def for_corpus(cls, texts: list[str]) -> Normalizer:
        """Built in two explicit phases, before anything is tokenised for use: the abbreviations the texts
        define, then the lexicon of stems they use (which Latin-script readings depend on)."""
        abbreviations = find_abbreviations(texts)
        plain = cls(abbreviations)
        first = {text: plain.tokens(text) for text in texts}
        normalizer = cls(abbreviations, frozenset(t for toks in first.values() for t in toks))
        # The lexicon only decides how Latin letters read: a text without them tokenises as in the first phase.
        normalizer._known_texts = {text: toks for text, toks in first.items() if not LATIN.search(text.lower())}
        return normalizer

    def known_word(self, word: str) -> bool:
        """A Cyrillic word whose stem the corpus uses."""
        return stem(fold(word)) in self.lexicon

    def words(self, text: str) -> list[str]:
        return words(text, self.known_word if self.lexicon else None)

    def tokens(self, text: str) -> list[str]:
        """Stems for BM25, with abbreviations expanded (both sides) — used for passages."""
        known = self._known_texts.get(text)
        if known is not None:
            return list(known)
        return self._stems(self._marked(text))

    def _stems(self, marked: list[tuple[str, bool]]) -> list[str]:
        out: list[str] = []
        for w, negated in marked:
            s = stem(w)
            out.append(NEGATED + s if negated else s)
            if w in self.abbreviations:
                out.extend(self.abbreviations[w])
        return out

    def _marked(self, text: str) -> list[tuple[str, bool]]:
        """Content words, each with whether "без" (without) governs it: "вернуть без рассмотрения" (return
        unconsidered) must not match "срок рассмотрения" (the time to consider) as if it said the same; Kazakh
        says it with a suffix ("қараусыз"), which stemming already keeps apart."""
        out: list[tuple[str, bool]] = []
        negated = False
        for w in self.words(text):
            if w == WITHOUT:
                negated = True
            elif w not in STOP_WORDS:
                out.append((w, negated))
                negated = False
        return out

    def content_words(self, text: str) -> list[str]:
        return [w for w in self.words(text) if w not in STOP_WORDS and len(w) > 1]

    def known(self, word: str, vocabulary: set[str]) -> bool:
        """A question word the system can use: a corpus stem, or a glossary term."""
        return stem(word) in vocabulary or self._glossary(word) is not None

    def _glossary(self, word: str) -> tuple[str, ...] | None:
        """The Kazakh stems for a Russian word: the entry of the word or its light stem, else the first entry that
        shares its Snowball stem (another case or number of the same term)."""
        return self.glossary.get(word) or self.glossary.get(stem(word)) or self.russian_glossary.get(russian_stem(word))

    def query_tokens(self, text: str) -> list[str]:
        """Like `tokens`, plus the Russian→Kazakh glossary for Russian words (the question read once for both)."""
        marked = self._marked(text)
        out = self._stems(marked)
        for w, negated in marked:
            kazakh = None if negated else self._glossary(w)
            if kazakh:
                out.extend(kazakh)
        return out


def find_abbreviations(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Abbreviations the texts define themselves: "… қылмыстық-процестік кодексінің (бұдан әрі – ҚПК)"."""
    found: dict[str, tuple[str, ...]] = {}
    word = r"[^\W\d_]+(?:-[^\W\d_]+)*"
    pattern = re.compile(rf"((?:{word}\s+){{1,3}})(?:\d\S*\s+)?\(бұдан\s+әрі\s*[–-]\s*([^)]+)\)")
    for text in texts:
        if "бұдан" not in text:  # the pattern's fixed part: a cheap test spares most texts the regex
            continue
        for m in pattern.finditer(text):
            abbr = m.group(2).strip()
            if len(abbr.split()) == 1 and re.search(r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]{2}", abbr) and len(abbr) <= 8:
                expansion = tuple(w for w in m.group(1).split() if w.lower() not in ("қазақстан", "республикасы"))
                found.setdefault(abbr, expansion)
    return found
