"""Checkable facts of a sentence: numbers, months, negation (Arabic and English)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.answer_types import evidence, question_type
from rag.facts import months, negated, numbers
from rag.generate import split_claims


@pytest.mark.parametrize(("text", "expected"), [
    ("قتل 12 جنديا", {12}),
    ("قتل ١٢ جنديا", {12}),
    ("twelve soldiers were killed", {12}),
    ("قتل ثلاثة جنود", {3}),
    ("بلغت 5 مليارات دولار", {5, 5_000_000_000}),
    ("reached 5 billion dollars", {5, 5_000_000_000, 1_000_000_000}),
    ("1,200 people", {1200}),
    ("نما 3.5 في المئة", {3.5, 100}),
    ("و3 آلاف مدني", {3, 3000}),
    ("لا أرقام هنا", set()),
])
def test_numbers(text: str, expected: set[float]) -> None:
    assert numbers(text) == frozenset(float(x) for x in expected)


def test_months_in_any_calendar_and_language() -> None:
    assert months("في 16 نوفمبر") == months("on 16 November") == months("تشرين الثاني") == {11}
    assert months("في فيفري وأوت") == {2, 8}
    assert months("في عام 2020") == frozenset()


@pytest.mark.parametrize(("text", "expected"), [
    ("لم تدل روسيا بأي تصريح", True),
    ("ولم يعلن عن أي أرقام", True),
    ("ليس هناك اتفاق", True),
    ("Russia did not comment", True),
    ("Russia didn't comment", True),
    ("روسيا لا تزال صامتة", False),  # "still", not a negation
    ("أعلنت روسيا موقفها", False),
    ("Russia commented", False),
])
def test_negation(text: str, expected: bool) -> None:
    assert negated(text) is expected




ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@given(st.text(max_size=300))
def test_fact_readers_take_any_text(text: str) -> None:
    assert isinstance(numbers(text), frozenset) and isinstance(months(text), frozenset)
    assert isinstance(negated(text), bool)
    assert set(evidence(text)) == {"number", "date", "person", "place"}
    assert question_type(text) in ("number", "date", "person", "place", "other")


@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=5))
def test_arabic_indic_digits_read_as_the_same_numbers(values: list[int]) -> None:
    text = " و ".join(f"بلغ {v} شخصا" for v in values)
    assert numbers(text) == numbers(text.translate(ARABIC_INDIC)) >= {float(v) for v in values}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_split_claims_takes_any_reply_and_drops_every_marker(reply: str) -> None:
    for text, markers in split_claims(reply):
        assert text and text == text.strip()
        assert all(isinstance(m, int) for m in markers)
        assert not any(f"[{m}]" in text for m in markers)
