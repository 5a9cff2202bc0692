"""The claim / sentence pairs built from QA items (benchmarks/claim_pairs.py): what each verdict is made of."""

from __future__ import annotations

import random
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from claim_pairs import alike, asked, fact, pairs_from  # noqa: E402

from rag.reader_net import VERDICTS  # noqa: E402

CONTEXT_AR = ("اندلعت اشتباكات على الحدود. وتوسطت روسيا في اتفاق لوقف إطلاق النار في 10 نوفمبر 2020. "
              "وقتل في المعارك أكثر من 6500 شخص.")
CONTEXT_EN = ("Clashes broke out on the border. Russia brokered a ceasefire on 10 November 2020. "
              "More than 6500 people were killed in the fighting.")


def test_a_fact_is_the_sentence_that_holds_the_answer() -> None:
    f = fact("t", "حرب", "من توسط في وقف إطلاق النار؟", CONTEXT_AR, "روسيا", CONTEXT_AR.index("روسيا"))
    assert f is not None and f.kind == "person"
    assert f.sentence.startswith("وتوسطت روسيا") and "روسيا" in f.sentence and len(f.others) == 2
    # an answer_start that does not point at the answer is looked up; an answer not in the text is no fact
    assert fact("t", "حرب", "من توسط في وقف إطلاق النار؟", CONTEXT_AR, "روسيا", 0) == f
    assert fact("t", "حرب", "من توسط؟", CONTEXT_AR, "فرنسا", 0) is None


def test_only_like_answers_are_swapped() -> None:
    assert alike("number", "6500", "120")
    assert not alike("number", "6500", "كثيرون")  # a number stands for a number
    assert alike("person", "روسيا", "فرنسا")
    assert not alike("person", "روسيا", "الرئيس الذي قاد البلاد في سنوات الحرب الطويلة")  # a clause, not a name


def test_translations_are_supported_swaps_contradicted_other_sentences_not_found() -> None:
    en = [fact("mlqa_en_ar", "War", "Who brokered the ceasefire?", CONTEXT_EN, "Russia", CONTEXT_EN.index("Russia")),
          fact("mlqa_en_ar", "War", "Who was defeated?", "France was defeated. It was a long war.", "France", 0)]
    ar = [fact("mlqa_en_ar", "حرب", "من توسط؟", CONTEXT_AR, "روسيا", CONTEXT_AR.index("روسيا")),
          fact("mlqa_en_ar", "حرب", "من هزم؟", "هزمت فرنسا. كانت حربا طويلة.", "فرنسا", 5)]
    assert all(en) and all(ar)
    pairs = list(pairs_from(en, random.Random(0), dict(enumerate(ar))))  # type: ignore[arg-type]
    first = [p for p in pairs if p.sentence == ar[0].sentence]  # type: ignore[union-attr]
    verdicts = {p.how: p for p in first}
    assert verdicts["translation"].verdict == "supported"
    assert verdicts["translation"].claim == "Russia brokered a ceasefire on 10 November 2020."
    swap = verdicts["swapped"]
    assert swap.verdict == "contradicted" and swap.changed == "Russia -> France"
    assert swap.claim == "France brokered a ceasefire on 10 November 2020."
    others = [p for p in pairs if p.how == "other sentence"]
    assert others and all(p.verdict == "not found" and p.sentence != ar[0].sentence  # type: ignore[union-attr]
                          for p in others if p.title == "حرب" and "Russia" in p.claim)
    assert {p.verdict for p in pairs} == set(VERDICTS)


def test_a_question_becomes_a_claim_with_the_answer_in_its_place() -> None:
    assert asked("من توسط بين أرمينيا وأذربيجان؟", "مجموعة مينسك") == "مجموعة مينسك توسط بين أرمينيا وأذربيجان"
    assert asked("متى بدأت المفاوضات؟", "1992") == "بدأت المفاوضات في 1992"
    assert asked("ما هي عاصمة أذربيجان؟", "باكو") == "عاصمة أذربيجان هي باكو"
    assert asked("Who brokered the ceasefire?", "Russia") == "Russia brokered the ceasefire."
    assert asked("What is the capital of Azerbaijan?", "Baku") == "The capital of Azerbaijan is Baku."
    assert asked("Who did Russia support?", "Armenia") is None  # the verb would have to change
    assert asked("لماذا اندلعت الاشتباكات؟", "الحدود") is None  # no pattern: no claim


def test_question_claims_are_supported_and_with_another_answer_contradicted() -> None:
    facts = [fact("t", "حرب", "من توسط في وقف إطلاق النار؟", CONTEXT_AR, "روسيا", CONTEXT_AR.index("روسيا")),
             fact("t", "حرب", "من هزم؟", "هزمت فرنسا. كانت حربا طويلة.", "فرنسا", 5)]
    pairs = [p for p in pairs_from(facts, random.Random(0)) if p.how.startswith("question")]  # type: ignore[arg-type]
    by_how = {p.how: p for p in pairs if p.sentence == facts[0].sentence}  # type: ignore[union-attr]
    assert by_how["question"].claim == "روسيا توسط في وقف إطلاق النار" and by_how["question"].verdict == "supported"
    assert by_how["question swapped"].claim == "فرنسا توسط في وقف إطلاق النار"
    assert by_how["question swapped"].verdict == "contradicted"
