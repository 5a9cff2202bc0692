"""Questions about a year asked of articles written before it (rag/timeline.py), and the answer's decline."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import NOT_FOUND, WRITTEN_BEFORE
from rag.engine import Isnad
from rag.settings import Settings
from rag.timeline import asked_after, asks_what_happened, looks_ahead, states_what_happened, years_asked
from rag.types import Article
from rag.verify import VerifyPolicy


@pytest.mark.parametrize("question, years", [
    ("من فاز بكأس العالم لكرة القدم 2022؟", [2022]),
    ("ماذا حدث بين عامي ١٩٩١ و١٩٩٤؟", [1991, 1994]),
    ("How many people died in the February 2023 earthquake?", [2023]),
    ("In 2022, who won the World Cup?", [2022]),
    ("من فاز بالكأس في 2022.", [2022]),
    ("What was the score in 2018.5?", []),
    ("كم بلغ سعر البرميل؟ 72.2018", []),  # a decimal, not a year
    ("How much is 12,2019 dollars?", []),
    ("What happened in 1750?", []),
])
def test_years_asked(question: str, years: list[int]) -> None:
    assert years_asked(question) == years


def test_a_passed_year_after_every_article_is_reported() -> None:
    dated = ["2015-08-02", "2017-01-30"]
    assert asked_after("من فاز بكأس العالم لكرة القدم 2022؟", dated, today_year=2026) == 2022
    assert asked_after("Who won the 2020 US presidential election?", dated, today_year=2026) == 2020
    # The earliest year asked decides: an article of 2017 may say what happened in 2016.
    assert asked_after("What changed between 2016 and 2022?", dated, today_year=2026) is None
    # An article of the year itself, or later, may know.
    assert asked_after("ماذا حدث في 2017؟", dated, today_year=2026) is None
    # A year still to come is a plan, which an older article may describe.
    assert asked_after("ما هي أهداف رؤية السعودية 2030؟", dated, today_year=2026) is None
    # An undated article may be newer: nothing is said.
    assert asked_after("Who won in 2022?", ["2015-08-02", None], today_year=2026) is None
    assert asked_after("Who won in 2022?", [], today_year=2026) is None
    assert asked_after("Who won the World Cup?", dated, today_year=2026) is None  # no year asked


@pytest.mark.parametrize("question", ["متى سوف يفتتح إكسبو 2020؟", "أين ستقام بطولة 2022؟",
                                      "When will Expo 2020 open?", "Who plays in the upcoming 2022 final?",
                                      "ما موعد الانتخابات المقبلة في 2019؟"])
def test_a_question_that_looks_ahead_asks_what_was_expected(question: str) -> None:
    assert looks_ahead(question)
    assert asked_after(question, ["2015-08-02"], today_year=2026) is None


@pytest.mark.parametrize("question", ["من فاز بكأس العالم 2022؟", "Who won the 2022 World Cup?",
                                      "متى سيطرت القوات على المدينة عام 2020؟"])
def test_past_questions_do_not_look_ahead(question: str) -> None:
    assert not looks_ahead(question)


@pytest.mark.parametrize(("question", "past"), [
    ("من فاز بكأس العالم 2022؟", True), ("كم عدد الدول التي شاركت في مونديال قطر 2022؟", True),
    ("من هو الرئيس التونسي الذي انتخب عام 2019؟", True), ("أين أقيمت بطولة كأس العالم للأندية 2023؟", True),
    ("كم عدد ضحايا زلزال فبراير 2023؟", True),  # no verb: what the event left
    ("Who won the 2022 FIFA World Cup?", True), ("How many teams played at the 2022 World Cup?", True),
    ("Who was elected president of Tunisia in 2019?", True),
    # The present asks what was arranged, which an older article may say.
    ("من يستضيف كأس العالم 2022؟", False), ("كم عدد الدول التي تشارك في مونديال 2022؟", False),
    ("من هو الذي يستضيف بطولة 2022؟", False), ("Who hosts the 2022 World Cup?", False),
    ("Which teams are in the 2022 World Cup?", False), ("When will the 2022 World Cup start?", False),
])
def test_only_a_question_on_what_happened_counts(question: str, past: bool) -> None:
    assert asks_what_happened(question) is past
    assert (asked_after(question, ["2015-08-02"], today_year=2026) == min(years_asked(question))) is past


OLD = [Article("cup", "قطر تستعد لكأس العالم 2022", "تواصل قطر استعداداتها لاستضافة كأس العالم لكرة القدم 2022. "
               "وقالت اللجنة المنظمة إن الملاعب ستكون جاهزة قبل البطولة بعامين.", "2015-08-02", None, None)]


def test_the_answer_declines_what_its_articles_were_written_too_early_to_know(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0))
    isnad.add_articles(OLD)
    for question, lang in (("من فاز بكأس العالم لكرة القدم 2022؟", "ar"), ("Who won the 2022 World Cup in Qatar?", "en")):
        answer = isnad.ask(question)
        assert answer.abstained and answer.answer == NOT_FOUND[lang] and answer.passages, question
        assert answer.note == WRITTEN_BEFORE[lang].format(2022)
    # What the article can say is answered: the plans, or the same question without the passed year.
    for question in ("هل ستكون ملاعب كأس العالم 2022 جاهزة قبل البطولة؟", "ماذا قالت اللجنة المنظمة عن الملاعب؟"):
        answer = isnad.ask(question)
        assert not answer.abstained and answer.citations[0].article_id == "cup", question


def test_a_decline_the_scorer_made_already_still_says_why(tmp_path: Path) -> None:
    """Where the scorer declines on its own, the reason the articles cannot know is still given; a question
    with no such reason is declined without one."""
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=1.0))
    isnad.add_articles(OLD)
    answer = isnad.ask("Who won the 2022 World Cup in Qatar?")
    assert answer.abstained and answer.note == WRITTEN_BEFORE["en"].format(2022)
    answer = isnad.ask("ماذا قالت اللجنة المنظمة عن الملاعب؟")
    assert answer.abstained and not answer.note


@pytest.mark.parametrize(("claim", "past"), [
    ("Qatar hosted the 2022 World Cup.", True), ("Argentina won the 2022 World Cup.", True),
    ("Qatar will host the 2022 World Cup.", False), ("Qatar hosts the 2022 World Cup.", False),
    ("استضافت قطر كأس العالم 2022", True), ("واصلت قطر استعداداتها لكأس العالم 2022", True),
    ("تستضيف قطر كأس العالم 2022", False), ("قطر تستضيف كأس العالم 2022", False),
    ("ستستضيف قطر كأس العالم 2022", False), ("سوف تستضيف قطر كأس العالم 2022", False),
])
def test_a_claim_on_what_happened(claim: str, past: bool) -> None:
    assert states_what_happened(claim) is past


def test_a_claim_on_a_later_year_is_not_supported_by_an_older_article(tmp_path: Path) -> None:
    """An article of 2015 may say that Qatar will host the 2022 World Cup, not that it hosted it."""
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([Article("host", "World Cup host", "Qatar will host the 2022 World Cup, FIFA confirmed on "
                                "Tuesday. The stadiums will be cooled.", "2015-08-02", None, None)])
    isnad.verify("warm up")
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.2)  # hash vectors: check the dates, not the threshold
    v = isnad.verify("Qatar hosted the 2022 World Cup.")
    assert v.verdict == "not found" and not v.citations and v.closest is not None
    assert v.reason == "the article was written in 2015, before 2022: it cannot say what happened then"
    assert v.closest.quote == isnad.get("host").text[v.closest.start:v.closest.end]
    v = isnad.verify("Qatar will host the 2022 World Cup.")  # what it says
    assert v.verdict == "supported", v.reason
