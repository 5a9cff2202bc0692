"""Checkable facts of a sentence: numbers, months, negation (Arabic and English)."""

from __future__ import annotations

import pytest

from rag.facts import months, negated, numbers


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
