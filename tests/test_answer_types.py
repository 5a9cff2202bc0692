"""Question types and the answer-type evidence of sentences (cue lists, no model)."""

from __future__ import annotations

import pytest

from rag.answer_types import evidence, fits, question_type


@pytest.mark.parametrize(("question", "kind"), [
    ("كم عدد ضحايا الزلزال؟", "number"),
    ("ما نسبة أصوات الجماهير التي حصل عليها؟", "number"),
    ("How many people died?", "number"),
    ("how much did it cost", "number"),
    ("متى توفي الأسطورة البرازيلي بيليه؟", "date"),
    ("في أي عام تأسست الجامعة؟", "date"),
    ("When did the war start?", "date"),
    ("What year was he born?", "date"),
    ("أين تقع مدينة درنة؟", "place"),
    ("في أي مدينة ولد؟", "place"),
    ("Where is the port?", "place"),
    ("من توسط بين أرمينيا وأذربيجان؟", "person"),
    ("ومن قاد المفاوضات؟", "person"),
    ("من هو رئيس المجلس الأوروبي؟", "person"),
    ("Who mediated between Armenia and Azerbaijan?", "person"),
    ("Which organization called for a ceasefire?", "person"),
    ("لماذا ارتفعت أسعار النفط؟", "other"),
    ("What did Charles Michel say?", "other"),
    ("ما موقف روسيا من طلب أرمينيا؟", "other"),
])
def test_question_type(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_a_date_question_is_not_mistaken_for_a_place_question() -> None:
    assert question_type("في أي سنة وقعت المعركة؟") == "date"
    assert question_type("في أي بلد وقعت المعركة؟") == "place"


@pytest.mark.parametrize(("sentence", "kinds"), [
    ("ارتفعت حصيلة القتلى إلى ١٣١ يوم الأربعاء.", {"number", "date"}),
    ("قتل ثلاثة جنود في الاشتباك.", {"number"}),
    ("توفي في 29 ديسمبر 2022.", {"number", "date"}),
    ("اندلعت الاشتباكات في سبتمبر الماضي.", {"date"}),
    ("حث رئيس المجلس الأوروبي، «شارل ميشيل»، الزعماء على وقف النار.", {"person"}),
    ("The talks were led by Charles Michel.", {"person", "place"}),
    ("وقعت الاشتباكات قرب الحدود الشرقية.", {"place"}),
    ("وهذا أمر مهم للغاية.", set()),
])
def test_evidence(sentence: str, kinds: set[str]) -> None:
    got = {k for k, v in evidence(sentence).items() if v}
    assert got == kinds


def test_other_questions_fit_every_sentence() -> None:
    assert fits("other", "وهذا أمر مهم للغاية.")
    assert not fits("number", "وهذا أمر مهم للغاية.")
    assert fits("number", "شارك 1500 ناشر.")


def test_a_cue_the_question_already_has_is_no_answer() -> None:
    question = "كم عدد ضحايا زلزال المغرب عام 2023؟"
    assert not evidence("وقع زلزال المغرب عام 2023 في الليل.", question)["number"]
    assert evidence("بلغ عدد الضحايا 2946 قتيلا.", question)["number"]
    assert not fits("date", "وقعت الحرب في عام 2020.", "ماذا حدث في عام 2020؟")
    assert fits("date", "بدأت المفاوضات في عام 1992.", "متى بدأت المفاوضات بعد حرب 2020؟")


def test_a_dual_is_a_count_of_two() -> None:
    # "How many military positions did Armenia lose?" is answered by "lost control of two positions",
    # written as the dual of the noun, with no digit or number word.
    question = "كم موقعا عسكريا فقدت أرمينيا؟"
    assert evidence("أن يريفان فقدت السيطرة على موقعين عسكريين", question)["number"]
    assert evidence("فاز الفريق بالكأس مرتين.")["number"]  # a noun news counts, whatever is asked
    assert evidence("زار الوزير الجامعتين", "كم جامعة زار الوزير؟")["number"]  # the noun the question counts
    assert not evidence("زار الوزير الجامعة", "كم جامعة زار الوزير؟")["number"]
    assert not evidence("فقدت أرمينيا السيطرة على المواقع", question)["number"]


def test_a_year_is_no_count_unless_it_counts_something() -> None:
    # "How old is he?" is not answered by "… the 2018 World Cup": a year says when, not how many.
    assert not evidence("يسعى المدرب لإقناعه باللعب في نهائيات كأس العالم 2018.")["number"]
    assert not evidence("In 2018 the team won the cup.")["number"]
    assert not evidence("في عام 2018 شهد البلد انتخابات.")["number"]
    assert evidence("في عام 2018 شهد البلد انتخابات.")["date"]
    # A number of that shape before the noun it counts is a count.
    assert evidence("قتل 2000 شخص في الزلزال.")["number"]
    assert evidence("The army sent 1200 soldiers.")["number"]
    assert fits("number", "وسبق أن لعب المرابطي، البالغ من العمر 23 عاما، ثلاث مرات للمنتخب.", "How old is he?")
