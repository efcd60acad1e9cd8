"""What kind of answer a question asks for, and whether a sentence can give it.

A question word narrows the answer: "кім/кто" wants persons (and "кім бере алады / кто может подать", who may
file, wants the sentences that entitle someone to file; "не может быть обжалован", what may not be, the sentences
that exclude; "шағым беру мерзімі / срок подачи", the deadline to file, the sentences that give a time for filing,
not for considering), "қашан/мерзім/срок" a time, "қайда/куда" a
court or place, "қалай/как" a procedure, "неге/почему" a reason.  A passage that shares the question's
vocabulary but holds no sentence of the asked-for kind ("Апелляциялық шағым беру мерзімі қанша?" against a
paragraph that mentions the appeal deadline without giving it) is a near miss, not an answer: the answer
type is evidence for ranking and for the confidence.

Exam-book questions come as imperatives ("Назовите полномочия…", "Атаңыз…") or fill-ins ending in ":" or
"_____"; `strip_exam_form` reduces them to the question they ask, so their framing words do not count
against the confidence as words the corpus does not know.

Everything works on folded text (`normalize.fold`), so Russian-keyboard and Latin-script Kazakh match too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings.normalize import fold

# Question cues (folded, Latin already transliterated by the caller where needed) → answer type.
_TIME_WORD = r"мерзим\w*|срок\w*|канша\s+(уакыт|кун|ай)\w*|в\s+течение\s+какого|merzim\w*"
_FILING_WORD = (r"беру\w*|бериле\w*|жасау\w*|келтиру\w*|шагымдану\w*|подач\w*|подать|подавать|обжалов\w*|"
                r"beru\w*|jasau\w*|shagymdanu\w*")
_TYPE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # who may file / bring / appeal: a person asked for together with the act of filing, or "may X file?"
    ("entitled", re.compile(r"\b(ким|кимдер|кто|kim|kimder)\b.*\b(бер\w*|жаса\w*|келтир\w*|пода\w*|обжал\w*|"
                            r"прин[ое]с\w*|шагымдан\w*|ber\w*|jasa\w*|zhasa\w*)|"
                            r"\b(может|могут|вправе|имеет\s+право|имеют\s+право)\b.{0,60}\b(подать|обжаловать|"
                            r"принести|обратиться)\b|\bсубъект\w*\b.*\bобжалован|\b(бере|жасай|келтире)\s+ала\b")),
    # what may not be appealed or reviewed: "не может быть обжалован", "не подлежит", "нельзя", "жатпайды"
    ("excluded", re.compile(r"\bне\s+(может|могут|подлеж\w*|допуск\w*|обжал\w*|пересматр\w*|рассматр\w*)|\bнельзя\b|"
                            r"\bне\s+вправе\b|\b(жатпай\w*|каралмай\w*|шагымданбай\w*|жасалмай\w*|берилмей\w*|"
                            r"болмай\w*)")),
    # the deadline to file or appeal, not to consider: a time asked for together with the act of filing
    ("filing_deadline", re.compile(
        rf"\b({_TIME_WORD})\b.*\b({_FILING_WORD})\b|\b({_FILING_WORD})\b.*\b({_TIME_WORD})\b")),
    ("time", re.compile(rf"\b({_TIME_WORD}|канша\s+жыл\w*|кашан\w*|кай\s+уакытта|когда|"
                        r"сколько\s+(времени|дней|месяцев|лет)|uaqyt\w*|qashan)\b")),
    ("person", re.compile(r"\b(ким|кимдер\w*|кимнин|кимге|кто|кого|кому|kim|kimder)\b")),
    ("place", re.compile(r"\b(кайда|кай\s+сот\w*|куда|где|в\s+как(ой|ие)\s+суд\w*|qaida|qai\s+sot\w*)\b")),
    ("reason", re.compile(r"\b(неге|не\s+ушин|себеб\w*|почему|зачем|по\s+какой\s+причине|nege)\b")),
    ("procedure", re.compile(r"\b(калай|как(им)?\s+образом|каков\s+порядок|порядок|тартиб\w*|qalai)\b")),
)
# What a sentence that answers each type contains (folded): a duration ("алты ай", "3 тәулік") gives a time.
_FILED = r"шагым\s+жасау\w*|шагым\s+беру\w*|шагым\s+келтиру\w*|наразылык\s+келтиру\w*|шагымдану\w*"
_DURATION = r"\b(\d+|бир|еки|уш|бес|алты|он|жиырма|отыз)\s*(жумыс\s+)?(кун|ай|жыл|сагат|тауилик|дней|месяц|лет|год)"
_ANSWER_CUES: dict[str, re.Pattern[str]] = {
    # "… қайта қарауға жатпайды", "… кассациялық тәртіппен қаралмайды": a sentence that excludes
    "excluded": re.compile(r"\b(жатпай|каралмай|карамай|болмай|берилмей|жасалмай|шагымдалмай)\w*"),
    # "… шағым беруге құқылы", "… шағым жасауы мүмкін": someone is entitled to file (not "may be appealed")
    "entitled": re.compile(r"\b(беруге|жасауга|келтируге|жугинуге|шагымдануга)\s+(кукылы|кукыгы\s+бар)|"
                           r"\b(беруи|жасауы|келтируи|жугинуи|билдируи)\s+мумкин"),
    # "Шағым жасаудың, наразылық келтірудің жалпы мерзімі … алты ай": how long one has to file (not an appeal's,
    # which the cassation texts mention only as missed; not how terms are counted, which names no duration)
    "filing_deadline": re.compile(rf"^(?=.*(?<!апелляциялык\s)\b({_FILED}))(?=.*\bмерзим)(?=.*{_DURATION})", re.S),
    "time": re.compile(rf"{_DURATION}\w*|\bмерзим\w*\s+(ишинде|отке|откен)|\bбастап\b|\bкейин\b|\bдейин\b|"
                       r"\bкуннен\b"),
    "person": re.compile(r"\b(адам\w*|тулга\w*|прокурор\w*|сотталган\w*|актал\w*|жабирленуши\w*|коргауш\w*|"
                         r"окил\w*|судья\w*|торага\w*|азамат\w*|кудик\w*|айыпталуш\w*|талапкер\w*|жауапкер\w*)"),
    "place": re.compile(r"\b(сот\w*|алка\w*|жогаргы|саты\w*|жиберил\w*|жолданад\w*|тапсырыл\w*|беріл\w*|берил\w*)"),
    "reason": re.compile(r"\b(ушин|себеб\w*|негиз\w*|максат\w*|байланысты|салдар\w*)"),
    "procedure": re.compile(r"\b(тартиб\w*|тартипп\w*|жазбаша|нысан\w*|жолымен|аркылы|беру|берил\w*|карал\w*|"
                            r"жуз\w*\s+асыр\w*)"),
}
# The kind of proceedings a question names (folded): a civil or administrative case, not a civil claim inside a
# criminal case ("азаматтық талап", which the criminal cassation resolution does answer).
_PROCEEDINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("civil", re.compile(r"\bазаматтык\s+(ис|истер|иске|истерд|процес|сот\s+исин)\w*|\bгражданск\w*\s+(дел|процесс|"
                         r"судопроизводств|кодекс)\w*|\bпо\s+гражданским\b|\b(гпк|апк)\b|\bazamattyq\s+is\w*")),
    ("administrative", re.compile(r"\bакимшилик\s+(ис|истер|иске|кукык|жауап|процес|расим)\w*|\bадминистративн\w*\s+"
                                  r"(дел|правонаруш|процесс|судопроизводств|ответствен|кодекс)\w*|\b(коап|аппк|акбтк)\b|"
                                  r"\bakimshilik\s+\w+")),
    ("criminal", re.compile(r"\bкылмыстык\s+(ис|истер|иске|процес|кукык|жауап)\w*|\bуголовн\w*|\b(упк|кпк)\b")),
)
# A trial or an appeal asked about as such (folded): "апелляциялық шағым беру мерзімі", "срок подачи апелляции",
# "бірінші сатыдағы сот шешіміне қалай шағымдануға болады". Not when the question is about review all the same:
# it names cassation, the Supreme Court, acts in force, the acts of an appeal court, or a missed or skipped appeal
# ("апелляция мерзімін өткізіп алдым", "апелляциялық тәртіп сақталмады": when cassation is open, which the
# cassation resolution answers).
_EARLIER_STAGE = re.compile(
    r"\bап+ел+\w*|\bap+el+\w*|\b(биринши|1-?)\s*сат\w*|\bперв\w*\s+инстанц\w*|\bмиров\w*\s+суд\w*")
_REVIEW = re.compile(
    r"кассац|kassac|\bкайта\s+кара|qaita\s+qara|пересмотр|надзор|жогаргы\s+сот|верховн|"
    r"(?<!не\s)вступивш\w*\s+в\s+законную\s+силу|занды\s+кушине\s+енген|"
    r"(приговор|постановлен|решени)\w*\s+(суда\s+)?апелляционн\w*\s+инстанц|"
    r"апелляциялык\s+сатыдагы\s+сот\w*\s+(уким|каулы)|апелляциялык\s+тартип|"
    r"откизип|мерзим\w*\s+откен|сакталма|кайтарып\s+ал|пропуст|пропущ|не\s+соблюд|шагымданбаса|не\s+обжалов|не\s+подавал")
# Another country's courts or law (folded): "в ВС РФ", "по УПК РФ", "Ресейде", and the magistrates' and commercial
# ("arbitrazh") courts Russia has and Kazakhstan does not. The resolutions are Kazakhstan's, so they never answer such
# a question directly, however close a paragraph reads; the articles' history of cassation elsewhere still may. Not
# the dated Russian "Киргизия": folded, Kazakh "кіргізу" (to let in) reads the same.
_FOREIGN = re.compile(r"\b(рф|росси\w*|российск\w*|ресей\w*|украин\w*|беларус\w*|белорус\w*|кыргыз\w*|узбек\w*|"
                      r"миров\w*\s+(суд|судь)\w*|арбитражн\w*\s+суд\w*)\b")
# Courtesy (folded): greetings and requests before the question, thanks after it. A chat message often comes wrapped
# in them, and read as part of the question they are words the texts don't know: dev + holdout each with a greeting
# and a thanks gave right direct quotes 0.779 → 0.518 of in-scope questions (README, "Evaluation").
_GREETING = (r"ас+ала[уы]?м?\s*(уа|а)?галейкум\w*|ас+аламу?\s*алейкум\w*|салеметсиз\w*(\s+бе)?|саламатсыз\w*(\s+ба)?|"
             r"салем\w*|салам|кайырлы\s+(кун|тан|кеш)\w*|здравствуй\w*|здрасьте|здрасте|"
             r"добр(ый|ое|ого)\s+(день|дня|вечер|утро|времени\s+суток)|привет\w*|приветствую|"
             r"salemetsiz\w*(\s+be)?|salem\w*|qaiyrly\s+kun")
_REQUEST = (r"подскажите|скажите|помогите|пожалуйста|у\s+меня\s+(такой\s+|есть\s+)?вопрос|вопрос|"
            r"хотел\w*\s+бы\s+(узнать|спросить)|хочу\s+(узнать|спросить)|(бир\s+)?сура(гым\s+бар|к\s+бар|гым|к)|"
            r"комектесиниз\w*|айтып\s+бериниз\w*|отинемин")
_COURTESY_LEAD = re.compile(rf"^([\W_]*\b({_GREETING}|{_REQUEST})\b)+[\W_]*")
# One thanks at the end of a message, taken off repeatedly; no two parts of it can match the same spaces, so a long
# message costs linear time, not the cubic time of a pattern that repeats a group with spaces at both its ends.
_THANKS = re.compile(r"(?<![^\W_])((алдын\s+ала|коп|заранее|большое)\s+)?(рахмет|ракмет|спасибо|благодарю|raqmet|"
                     r"rahmet)(\s+(сизге|заранее|вам|большое))?[\W_]*$")
# Exam framing (folded): imperatives and "what is" lead-ins that carry no content of their own.
_EXAM_LEAD = re.compile(
    r"^\s*(\d+[.)]\s*)*(назовите|перечислите|сформулируйте|раскройте|охарактеризуйте|опишите|объясните|"
    r"укажите|определите|дайте\s+(определение|понятие|характеристику)|расскажите\s+о|приведите|"
    r"атаныз|корсетиниз|сипаттаныз|тусиндириниз|аныктаныз|жазыныз|айтыныз|тизбелениз|ашып\s+корсетиниз)\b[\s:,-]*")
_FILL_IN = re.compile(r"(_{2,}|\.{3,}|…)+")  # no spaces in it: a search over a long message stays linear


@dataclass(frozen=True)
class QuestionForm:
    """The question as the lexical channel and the confidence should read it, and its answer type."""

    text: str  # framing stripped; what to search for
    answer_type: str  # "entitled", "excluded", "filing_deadline", "time", "person", "place", "reason", "procedure"
    #                   or "" (none)
    exam: bool  # an imperative or fill-in exam form
    proceedings: tuple[str, ...] = ()  # the kinds of case it names: "civil", "administrative", "criminal"
    earlier_stage: bool = False  # it asks how a trial or an appeal runs, not how acts in force are reviewed
    foreign: bool = False  # it names another country's courts or law


def _courtesy(message: str) -> tuple[str, bool]:
    """(what is left of the message without courtesy, whether it thanks)."""
    folded = fold(message)
    start = m.end() if (m := _COURTESY_LEAD.match(folded)) else 0
    end, thanked = len(message), False
    while (m := _THANKS.search(folded, start, end)) is not None and m.end() == end:
        end, thanked = m.start(), True
    return message[start:end].strip(" ,;"), thanked


def without_courtesy(question: str) -> str:
    """"Сәлеметсіз бе! Шағымды кім береді? Рахмет!" → "Шағымды кім береді?": the question itself, for every channel;
    a message of courtesy alone is left as it is."""
    core, _thanks = _courtesy(question)
    return core if any(ch.isalpha() for ch in core) else question


def courtesy_only(message: str) -> str:
    """"thanks" ("Рахмет!", "Спасибо большое") or "greeting" ("Сәлеметсіз бе!", "Здравствуйте, подскажите") when the
    message is nothing else, "" when it asks something: a greeting is answered with what the bot does, not with
    "nothing found"."""
    core, thanks = _courtesy(message)
    if any(ch.isalpha() for ch in core) or not any(ch.isalpha() for ch in message):
        return ""
    return "thanks" if thanks else "greeting"


def strip_exam_form(question: str) -> tuple[str, bool]:
    """"Назовите полномочия суда кассационной инстанции." → "полномочия суда кассационной инстанции"."""
    folded = fold(question)
    exam = False
    m = _EXAM_LEAD.match(folded)
    text = question
    if m and m.end() < len(question):
        text, exam = question[m.end():], True
    if _FILL_IN.search(text) or text.rstrip().endswith(":"):
        text, exam = " ".join(_FILL_IN.sub(" ", text).split()).rstrip(":").strip(), True
    return (text or question).strip(), exam


def answer_type(question: str) -> str:
    folded = fold(question)
    for name, cue in _TYPE_CUES:
        if cue.search(folded):
            return name
    return ""


def proceedings(question: str) -> tuple[str, ...]:
    """The kinds of proceedings the question names (none: it asks about cassation as such)."""
    folded = fold(question)
    return tuple(name for name, cue in _PROCEEDINGS if cue.search(folded))


def earlier_stage(question: str) -> bool:
    """The question is about a trial or an appeal as such (an appeal deadline), not about review."""
    folded = fold(question)
    return bool(_EARLIER_STAGE.search(folded)) and not _REVIEW.search(folded)


def foreign(question: str) -> bool:
    """The question names another country's courts or law ("кассационная жалоба в ВС РФ")."""
    return bool(_FOREIGN.search(fold(question)))


def read_question(question: str) -> QuestionForm:
    text, exam = strip_exam_form(question)
    return QuestionForm(text, answer_type(question), exam, proceedings(question), earlier_stage(question),
                        foreign(question))


def gives(kind: str, sentence: str) -> bool:
    """Whether a sentence holds an answer of the asked-for kind (always true when no kind was asked)."""
    if not kind:
        return True
    return bool(_ANSWER_CUES[kind].search(fold(sentence)))
