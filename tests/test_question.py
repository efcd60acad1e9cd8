"""What a question asks for (`embeddings.question`): pure functions, no engine."""

import pytest

from embeddings.question import (
    answer_type,
    courtesy_only,
    earlier_stage,
    foreign,
    gives,
    proceedings,
    read_question,
    without_courtesy,
)


@pytest.mark.parametrize(("question", "kind"), [
    # who may file: the person asked for together with the act of filing, in every script people type
    ("Кассациялық шағымды кім бере алады?", "entitled"),
    ("кассациялык шагымды ким бере алады", "entitled"),
    ("kassatsiyalyq shagymdy kim beredi?", "entitled"),
    ("Кто может подать кассационную жалобу?", "entitled"),
    ("Может ли владелец конфискованного имущества подать кассационную жалобу?", "entitled"),
    ("жабирленуши кассацияга шагым бере ала ма", "entitled"),
    ("Кассациялық наразылықты кім келтіре алады?", "entitled"),
    # what may not be appealed
    ("В каких случаях приговор не может быть обжалован в кассационном порядке?", "excluded"),
    ("Какие судебные акты нельзя обжаловать в кассацию?", "excluded"),
    ("Қандай сот актілері кассациялық тәртіппен қайта қарауға жатпайды?", "excluded"),
    # a person, but not who may file
    ("Кто рассматривает кассационную жалобу?", "person"),
    ("Істі кім қарайды?", "person"),
    # the deadline to file, not to consider
    ("Кассациялық шағым беру мерзімі қанша?", "filing_deadline"),
    ("Срок подачи кассационной жалобы", "filing_deadline"),
    ("Срок обжалования вступившего в силу приговора суда", "filing_deadline"),
    ("Какой срок рассмотрения кассационной жалобы?", "time"),
    ("Кассациялық шағым қанша уақытта қаралады?", "time"),
    ("кассациялык шагым калай беремин", "procedure"),
    ("Кассациялық сот дегеніміз не?", ""),
])
def test_the_question_word_names_the_kind_of_answer(question: str, kind: str) -> None:
    assert answer_type(question) == kind


@pytest.mark.parametrize(("sentence", "entitles"), [
    ("ҚПК-нің 486-бабының бірінші бөлігінде санамаланған адамдар … кассациялық шағым беруге құқылы.", True),
    ("… сондай-ақ ҚПК-нің 486-бабының бірінші бөлігінде көрсетілген адамдар кассациялық сатыдағы сотқа шағым "
     "жасауы мүмкін.", True),
    ("Жәбірленуші, оның өкілі немесе заңды өкілі … шағым жасауға құқылы.", True),
    # a ruling that may be appealed (passive) says what, not who
    ("Бірінші және апелляциялық сатыдағы соттар шығарған жекеше қаулыға … шағым жасалуы (наразылық келтірілуі) "
     "мүмкін.", False),
    # entitled, but to something other than filing
    ("Кассациялық сатыдағы сот сотталған адамның жағдайын … нашарлатуға құқылы.", False),
])
def test_an_entitling_sentence_names_who_may_file(sentence: str, entitles: bool) -> None:
    assert gives("entitled", sentence) is entitles


def test_an_excluding_sentence_says_what_may_not_be() -> None:
    assert gives("excluded", "ҚПК-нің 484-бабы … сот актілері кассациялық тәртіппен қайта қарауға жатпайды.")
    assert gives("excluded", "… кассациялық шағымдар, наразылықтар кассациялық тәртіппен қаралмайды, өйткені …")
    assert not gives("excluded", "Кассациялық шағым мен наразылық кассациялық сотқа жіберіледі.")


def test_a_filing_deadline_sentence_says_how_long_one_has_to_file() -> None:
    assert gives("filing_deadline", "Шағым жасаудың, наразылық келтірудің жалпы мерзімі - апелляциялық сатыдағы "
                                    "сотпен жария етілген күннен бастап алты ай …")
    # how terms are counted names no duration; an appeal's missed deadline is not the one asked for
    assert not gives("filing_deadline", "… шағым келтірудің мерзімдері бұрын берілген шағымның, наразылықтың "
                                        "түскен сәтінен бастап есептеледі.")
    assert not gives("filing_deadline", "… апелляциялық шағым жасау мерзімін өткізіп алуына байланысты шағым …")
    assert not gives("filing_deadline", "Кассациялық сатыдағы сот істі алты айдан аспайтын мерзімде қарайды.")


def test_exam_forms_keep_what_they_ask() -> None:
    form = read_question("Назовите полномочия суда кассационной инстанции.")
    assert form.exam and form.text.startswith("полномочия суда")
    form = read_question("Кассациялық сотқа жүгіну тәртібі:")
    assert form.exam and form.text == "Кассациялық сотқа жүгіну тәртібі"
    assert not read_question("Кто может подать кассационную жалобу?").exam


@pytest.mark.parametrize(("question", "named"), [
    ("Азаматтық іс бойынша кассациялық шағым қалай беріледі", ("civil",)),
    ("Принимает ли кассация новые доказательства в гражданском процессе", ("civil",)),
    ("Основания для кассационного пересмотра по гражданским и административным делам", ("civil", "administrative")),
    ("Әкімшілік құқық бұзушылық туралы іс бойынша шағым", ("administrative",)),
    ("Кто может подать кассационную жалобу по уголовному делу?", ("criminal",)),
    # a civil claim inside a criminal case is not a civil case
    ("Азаматтық талап дұрыс шешілмесе кассацияға бола ма?", ()),
    ("Кассациялық шағымды кім бере алады?", ()),
])
def test_the_kind_of_case_a_question_names(question: str, named: tuple[str, ...]) -> None:
    assert proceedings(question) == named


@pytest.mark.parametrize(("question", "earlier"), [
    ("Апелляциялық шағым беру мерзімі қанша?", True),
    ("апелляция мерзими канша кун", True),
    ("Срок подачи апелляции на приговор?", True),
    ("Бірінші сатыдағы сот шешіміне қалай шағымдануға болады", True),
    ("Может ли суд апелляционной инстанции ухудшить положение осужденного?", True),
    # about review all the same: cassation named, a missed or skipped appeal, the acts of an appeal court
    ("Апелляцияға шағымданбасам кассацияға бола ма?", False),
    ("Апелляция мерзімін өткізіп алдым, енді не болады?", False),
    ("Апелляциялық тәртіп сақталмады деп қашан есептеледі?", False),
    ("Приговоры и постановления суда апелляционной инстанции могут быть обжалованы", False),
    ("мүдделі тұлға апелляция мерзімі өткен соң құқығы бұзылғанын білсе не істеуі керек?", False),
    ("Кассациялық шағым беру мерзімі қанша?", False),
])
def test_a_question_about_a_trial_or_an_appeal(question: str, earlier: bool) -> None:
    assert earlier_stage(question) is earlier
    assert read_question(question).earlier_stage is earlier


@pytest.mark.parametrize(("question", "abroad"), [
    ("Я подал кассационную жалобу в ВС РФ, но её вернули без рассмотрения", True),
    ("Какой срок кассационного обжалования по УПК РФ?", True),
    ("Кассационная жалоба в Верховный суд России", True),
    ("Ресейде кассациялық шағым қалай беріледі", True),
    ("Кассация в Кыргызстане и Узбекистане", True),
    # courts Russia has and Kazakhstan does not
    ("Как обжаловать решение мирового судьи?", True),
    ("Кассационная жалоба в арбитражный суд округа", True),
    ("Апелляция в областной суд", False),
    # the Russian language is not Russia
    ("Можно ли подать кассационную жалобу на русском языке?", False),
    ("шағымды орысша жазса бола ма", False),
    ("Журналистерді сот залына кіргізбеуге бола ма?", False),  # "кіргізу" (let in), folded, is not "Киргизия"
    ("Кто может подать кассационную жалобу?", False),
])
def test_a_question_about_another_countrys_courts(question: str, abroad: bool) -> None:
    assert foreign(question) is abroad
    assert read_question(question).foreign is abroad


@pytest.mark.parametrize(("message", "question"), [
    # greetings and requests before the question, thanks after it, in every script people type
    ("Сәлеметсіз бе! Кассациялық шағымды кім бере алады? Алдын ала рахмет.", "Кассациялық шағымды кім бере алады?"),
    ("Салеметсиз бе, кассацияга шагымды кай сотка жиберемин? рахмет", "кассацияга шагымды кай сотка жиберемин?"),
    ("Саламатсызба, сурак бар: кассация канша уакыт каралады", "кассация канша уакыт каралады"),
    ("Salemetsiz be! kassaciyalyq shagymdy kim beredi? Raqmet", "kassaciyalyq shagymdy kim beredi?"),
    ("Ассалаумағалейкум! Шағым беру мерзімі қанша?", "Шағым беру мерзімі қанша?"),
    ("Здравствуйте! Подскажите, пожалуйста, кто может подать кассационную жалобу? Спасибо!",
     "кто может подать кассационную жалобу?"),
    ("Добрый день. Срок подачи кассации", "Срок подачи кассации"),
    ("Скажите, какой срок? Заранее спасибо", "какой срок?"),
    # nothing to take off, or nothing would be left: the message as it is
    ("Кассациялық шағымды кім бере алады?", "Кассациялық шағымды кім бере алады?"),
    ("Кто рассматривает вопрос о восстановлении срока?", "Кто рассматривает вопрос о восстановлении срока?"),
    ("Рахмет!", "Рахмет!"),
    ("Сәлем", "Сәлем"),
])
def test_courtesy_is_taken_off_the_question(message: str, question: str) -> None:
    assert without_courtesy(message) == question


@pytest.mark.parametrize(("message", "kind"), [
    ("Сәлеметсіз бе!", "greeting"), ("салеметсиз бе", "greeting"), ("Здравствуйте, подскажите", "greeting"),
    ("Рахмет!", "thanks"), ("Көп рахмет сізге!", "thanks"), ("Спасибо большое", "thanks"), ("Сәлем, рахмет", "thanks"),
    # a question, or nothing a person would say: not courtesy
    ("Сәлеметсіз бе! Кассация деген не?", ""), ("Кассация деген не?", ""), ("???", ""), ("Hello", ""),
])
def test_a_message_of_courtesy_alone(message: str, kind: str) -> None:
    assert courtesy_only(message) == kind


def test_a_long_message_of_spaces_and_courtesy_is_read_at_once() -> None:
    """The first courtesy pattern repeated a group with spaces at both its ends: a message of a letter, 4,000 spaces
    and "спасибо x" took 12 minutes to read (the fill-in pattern had the same flaw, 0.6 s). Both are linear now; a
    regression shows as a test that does not end."""
    spaced = "а" + " " * 4000 + "спасибо x"
    assert without_courtesy(spaced) == spaced.strip() and courtesy_only(spaced) == ""
    greeted = " " * 4000 + "Здравствуйте" + " " * 4000 + "кто подаёт жалобу? Спасибо" + " " * 4000
    assert without_courtesy(greeted) == "кто подаёт жалобу?"
    assert read_question(" " * 4000 + "Назовите ____ кассационного производства:" + " " * 4000).text == \
        "кассационного производства"
