"""Who says it (rag/speaker.py): a question on what one country's body said, and sentences where another's
says something."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.speaker import asked_speaker, asked_speaker_first, other_speaker, sentence_speaker

ARMENIAN = 'وقالت وزارة الدفاع الأرمينية إن "هناك قتلى وجرحى في صفوف القوات الأرمينية"'
IN_YEREVAN = 'وقالت وزارة الدفاع في "يريفان" إن القوات الأذربيجانية "حاولت اختراق حدود دولة أرمينيا"'
AZERI = 'من ناحية أخرى، اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد "تصعيد" الوضع على طول الحدود'
BOTH = "أعلنت كل من أرمينيا وأذربيجان أن الوضع على طول الحدود لا يزال متوترا"
ABOUT = "ومع ذلك، فإن روسيا لديها لم تدلي بأي تصريحات بشأن طلب أرمينيا."
QUOTE = 'وقال "منذ أن هاجمت أذربيجان الأراضي ذات السيادة لأرمينيا، فإننا نطلب من روسيا الدفاع"'


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
    assert sentence_speaker(ABOUT) == frozenset()  # Armenia is what it is about
    assert sentence_speaker(QUOTE) == frozenset()  # the speaker is in another sentence


def test_another_speaker_goes_after_the_others() -> None:
    question = "ماذا قالت وزارة الدفاع الأذربيجانية؟"
    assert other_speaker(question, ARMENIAN) and other_speaker(question, IN_YEREVAN)
    assert not other_speaker(question, AZERI) and not other_speaker(question, BOTH)
    assert not other_speaker(question, QUOTE)  # names no speaker: keeps its rank
    ranked = [ARMENIAN, QUOTE, IN_YEREVAN, AZERI]
    assert asked_speaker_first(question, ranked, str) == [QUOTE, AZERI, ARMENIAN, IN_YEREVAN]
    assert asked_speaker_first("Who mediated?", ranked, str) == ranked


def test_the_answer_quotes_the_asked_speaker_first(isnad: Isnad) -> None:
    """Every word of the question is in the Armenian ministry's sentence too ("… القوات الأذربيجانية")."""
    isnad.ingest([Path(__file__).resolve().parent.parent / "corpus"])
    question = "ماذا قالت وزارة الدفاع الأذربيجانية؟"
    answer = isnad.ask(question)
    assert not answer.abstained
    speakers = [other_speaker(question, c.quote) for c in answer.citations]
    assert "الأذرية" in answer.citations[0].quote and speakers == sorted(speakers), speakers
