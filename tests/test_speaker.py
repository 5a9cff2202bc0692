"""Who says it (rag/speaker.py): a question on what one country's body said, and sentences where another's
says something."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.speaker import (
    asked_speaker,
    by_asked_speaker,
    claim_speaker,
    other_sayer,
    other_speaker,
    sentence_speaker,
)
from rag.types import Article

ARMENIAN = 'وقالت وزارة الدفاع الأرمينية إن "هناك قتلى وجرحى في صفوف القوات الأرمينية"'
IN_YEREVAN = 'وقالت وزارة الدفاع في "يريفان" إن القوات الأذربيجانية "حاولت اختراق حدود دولة أرمينيا"'
AZERI = 'من ناحية أخرى، اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد "تصعيد" الوضع على طول الحدود'
BOTH = "أعلنت كل من أرمينيا وأذربيجان أن الوضع على طول الحدود لا يزال متوترا"
ABOUT = "ومع ذلك، فإن روسيا لديها لم تدلي بأي تصريحات بشأن طلب أرمينيا."
QUOTE = 'وقال "منذ أن هاجمت أذربيجان الأراضي ذات السيادة لأرمينيا، فإننا نطلب من روسيا الدفاع"'
DESCRIBED = 'بعد ذلك، في 14 نوفمبر، وصفت وزارة الدفاع في "يريفان" الوضع على طول الحدود بأنه "متوتر"'


@pytest.mark.parametrize("question, place", [
    ("ماذا قالت وزارة الدفاع الأذربيجانية؟", "azerbaijan"),
    ("What did Azerbaijan's defence ministry say?", "azerbaijan"),
    ("What did the ministry in Baku say about Armenia?", "azerbaijan"),  # a capital for its country
    ("ماذا أعلنت قطر؟", "qatar"),
])
def test_the_speaker_a_question_asks_about(question: str, place: str) -> None:
    assert place in asked_speaker(question)


@pytest.mark.parametrize("question", [
    "What is the capital of Armenia?", "من توسط بين أرمينيا وأذربيجان؟", "ماذا قالت الوزارة؟",
    "Who said that Armenia lost two positions?", "",
])
def test_other_questions_ask_about_no_speaker(question: str) -> None:
    assert asked_speaker(question) == frozenset()


def test_the_speaker_of_a_sentence() -> None:
    assert "armenia" in sentence_speaker(ARMENIAN)
    assert "armenia" in sentence_speaker(IN_YEREVAN)  # "in Yerevan": Armenia's ministry
    assert "azerbaijan" in sentence_speaker(AZERI) and "armenia" not in sentence_speaker(AZERI)  # Armenia: accused
    assert {"armenia", "azerbaijan"} <= sentence_speaker(BOTH)  # two speakers
    assert sentence_speaker(ABOUT) & {"russia"} and "armenia" not in sentence_speaker(ABOUT)  # Armenia: its topic
    # the subject right before the word of saying, where none follows it; not that of an earlier verb
    assert "saudi" in sentence_speaker("وكانت وزارة الأوقاف السعودية، قالت في بيان نشرته وكالة الأنباء")
    assert sentence_speaker("هاجمت أذربيجان أرمينيا وأعلنت أنها سيطرت على موقعين") == frozenset()
    assert sentence_speaker(QUOTE) == frozenset()  # the speaker is in another sentence
    assert "armenia" in sentence_speaker(DESCRIBED)  # "described": a word of saying too


RESORT = 'وبسبب التصعيد، لجأت "يريفان" إلى حليفتها موسكو مطالبة بـ "دعم عسكري".'


@pytest.mark.parametrize(("sentence", "before", "place"), [
    (QUOTE, RESORT, "armenia"),  # the quotation's speaker opens the sentence before
    ("وأضاف أن الحصار ظالم", "قالت وزارة الخارجية القطرية إن الحصار غير قانوني", "qatar"),  # its speaker
    ("He added that the border stayed tense.", "Armenia's defence ministry said that two posts were lost.",
     "armenia"),
])
def test_a_sentence_that_goes_straight_on_to_what_was_said_has_the_speaker_before_it(
        sentence: str, before: str, place: str) -> None:
    assert sentence_speaker(sentence) == frozenset()
    assert place in sentence_speaker(sentence, before)


@pytest.mark.parametrize(("sentence", "before"), [
    ("وقال أردوغان إن الهجوم مدان", "هاجمت روسيا أوكرانيا"),  # a speaker of its own, though no place
    (ABOUT, RESORT),  # its word of saying does not open it
    (QUOTE, ""),  # an article's first sentence
])
def test_a_speaker_is_not_taken_from_the_sentence_before_otherwise(sentence: str, before: str) -> None:
    assert sentence_speaker(sentence, before) == sentence_speaker(sentence)


@pytest.mark.parametrize(("claim", "place"), [
    ("Armenia accused Azerbaijan of escalating the situation.", "armenia"),  # before its verb, in English
    ("After the attack, Azerbaijan's defence ministry said two posts were taken.", "azerbaijan"),  # its clause's
    ("The ministry in Baku denied it.", "azerbaijan"),
    ("أذربيجان اتهمت أرمينيا بتصعيد الوضع", "azerbaijan"),  # an Arabic claim with its subject first
    ("اتهمت وزارة الدفاع الأذرية أرمينيا بتصعيد الوضع", "azerbaijan"),  # or after its verb
    ("Armenia asked Russia for military help.", "armenia"),  # whoever asks
    ("طلبت أرمينيا من روسيا دعما عسكريا", "armenia"),
])
def test_the_speaker_of_a_claim(claim: str, place: str) -> None:
    assert place in claim_speaker(claim)


def test_whom_it_is_said_to_is_no_speaker() -> None:
    assert claim_speaker("أكد وانغ يي لنظيره الروسي سيرغي لافروف أن بلاده أوقفت أنشطتها") == frozenset()
    assert "lebanon" in claim_speaker("قال لبنان إن الحدود مغلقة")  # a place that begins with ل


def test_a_claim_that_has_another_place_say_it() -> None:
    assert other_sayer("اتهمت أرمينيا أذربيجان بتصعيد الوضع", AZERI) == ("الأذرية", "أرمينيا")
    assert other_sayer("Azerbaijan's defence ministry said there were dead and wounded.", ARMENIAN) == \
        ("الأرمينية", "Azerbaijan")
    assert other_sayer("أذربيجان اتهمت أرمينيا بتصعيد الوضع", AZERI) is None  # the same speaker
    assert other_sayer("Armenia accused Azerbaijan of starting the clashes.", BOTH) is None  # one of both
    assert other_sayer("Armenia accused Azerbaijan of starting the clashes.", QUOTE) is None  # none named there
    assert other_sayer("The border stayed tense.", AZERI) is None  # the claim has no one say anything
    # a request is said too, and the quotation's speaker opens the sentence before it
    assert other_sayer("Azerbaijan asked Russia for military help.", QUOTE, f"{RESORT} {QUOTE}") == \
        ("يريفان", "Azerbaijan")
    assert other_sayer("طلبت أرمينيا من روسيا دعما عسكريا", QUOTE, f"{RESORT} {QUOTE}") is None
    assert other_sayer("Azerbaijan asked Russia for military help.", QUOTE) is None  # no sentence before


def test_another_speaker_goes_after_the_others() -> None:
    question = "ماذا قالت وزارة الدفاع الأذربيجانية؟"
    assert other_speaker(question, ARMENIAN) and other_speaker(question, IN_YEREVAN)
    assert not other_speaker(question, AZERI) and not other_speaker(question, BOTH)
    assert not other_speaker(question, QUOTE)  # names no speaker: keeps its rank
    ranked = [ARMENIAN, QUOTE, IN_YEREVAN, AZERI]
    assert by_asked_speaker(question, ranked, str) == ([QUOTE, AZERI], [ARMENIAN, IN_YEREVAN])
    assert by_asked_speaker("Who mediated?", ranked, str) == (ranked, [])


def test_the_answer_quotes_the_asked_speaker_and_not_another(isnad: Isnad) -> None:
    """Every word of the question is in the Armenian ministry's sentence too ("… القوات الأذربيجانية"); it
    is neither quoted first nor after the Azerbaijani ministry, as though it were what that one said."""
    isnad.ingest([Path(__file__).resolve().parent.parent / "corpus"])
    question = "ماذا قالت وزارة الدفاع الأذربيجانية؟"
    answer = isnad.ask(question)
    assert not answer.abstained
    assert "الأذرية" in answer.citations[0].quote
    assert not any(other_speaker(question, c.quote) for c in answer.citations), [c.quote for c in answer.citations]


def test_a_quotation_whose_speaker_the_sentence_before_names_is_that_speakers(isnad: Isnad) -> None:
    """The Armenian official's words ('وقال "منذ أن هاجمت أذربيجان …') name Azerbaijan, not who speaks."""
    isnad.add_articles([Article("resort", "أرمينيا تطلب دعما روسيا", f"{RESORT} {QUOTE}. {AZERI}.")])
    answer = isnad.ask("ماذا قالت أذربيجان؟")
    assert not answer.abstained and answer.citations
    assert not any(c.quote.startswith("وقال") for c in answer.citations), [c.quote for c in answer.citations]


def test_another_speaker_is_quoted_where_no_other_sentence_is(isnad: Isnad) -> None:
    """Where every sentence found is another speaker's, the best is still quoted, and those close to it
    (the speaker may be read wrong; the reader sees who speaks in the quote)."""
    isnad.add_articles([Article("yerevan", "وزارة الدفاع الأرمينية", f"{ARMENIAN}. {IN_YEREVAN}. {DESCRIBED}.")])
    question = "ماذا قالت وزارة الدفاع الأذربيجانية؟"
    answer = isnad.ask(question)
    assert not answer.abstained and answer.citations
    assert all(other_speaker(question, c.quote) for c in answer.citations)


def test_a_place_called_what_it_is_speaks_for_itself() -> None:
    # "when the region, with its Armenian majority, declared its secession": the region declares, not Armenia.
    secession = ('تتنافس "باكو" و"يريفان" على "ناغورنو كاراباخ" منذ فبراير 1988، عندما أعلنت المنطقة ، ذات الأغلبية '
                 'الأرمينية، انفصالها عن جمهورية أذربيجان الاشتراكية السوفياتية.')
    assert sentence_speaker(secession) == frozenset()
    assert other_sayer("Nagorno-Karabakh declared its secession in February 1988.", secession) is None
    assert sentence_speaker("وأعلنت وزارة الدفاع الأرمينية أن الوضع متوتر") >= {"armenia"}
