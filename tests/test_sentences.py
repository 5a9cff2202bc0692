"""Sentence splitting with exact character offsets (rag/sentences.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.sentences import split_sentences

PIECES = [
    "قال", "د", "محمد", "الاشتباكات", "أرمينيا", "Armenia", "J", "K", "Dr", "Mr", "U.S", "3", "5", "1987",
    "a", "the", "ب",
]
PUNCT = [".", "!", "?", "؟", "؛", "…", "...", "\n", "\n\n", " ", " ", " ", "  ", "\t", "«", "»", '"', ")", "(",
         "،", ",", ":", "\u00a0"]
text_strategy = st.lists(st.sampled_from(PIECES + PUNCT), max_size=60).map("".join)


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def check_spans(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    cursor = start
    for s, e in spans:
        assert cursor <= s < e <= end, (text, spans)  # in order, non-empty, non-overlapping
        piece = text[s:e]
        assert piece == piece.strip(), (text, spans)  # trimmed
        assert "\n" not in piece, (text, spans)  # a line break always ends a sentence
        assert text[cursor:s].strip() == "", (text, spans)  # nothing but white space is skipped
        cursor = e
    assert text[cursor:end].strip() == "", (text, spans)


# -- properties -------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(text_strategy)
def test_spans_are_trimmed_ordered_disjoint_and_cover_the_text(text: str) -> None:
    check_spans(text, split_sentences(text), 0, len(text))


@settings(max_examples=300, deadline=None)
@given(text_strategy, st.data())
def test_spans_of_a_slice_stay_inside_it(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    check_spans(text, split_sentences(text, start, end), start, end)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_spans_hold_for_any_unicode_text(text: str) -> None:
    check_spans(text, split_sentences(text), 0, len(text))


# -- where not to split -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "The economy grew 3.5 percent last year",
        "بلغ النمو 3.5 في المئة هذا العام",
        "J. K. Rowling wrote the book",
        "قال د. محمد إن الوضع مستقر",
        "Dr. Smith met Mr. Jones and Mrs. Brown",
        "The U.S. delegation arrived",
        "See fig. 3 and vol. 2 for details",
        "Prof. Ahmed spoke at 10 a.m. today",
        "Version 2.0.1 is out",
        "Hello.World without a space",
    ],
)
def test_no_split_inside_numbers_initials_and_abbreviations(text: str) -> None:
    assert sentences(text) == [text]


# -- where to split ---------------------------------------------------------------------------

def test_docstring_example() -> None:
    text = "قال د. أحمد إن النمو بلغ 3.5 في المئة. وأضاف: هل هذا كاف؟ نعم"
    assert sentences(text) == ["قال د. أحمد إن النمو بلغ 3.5 في المئة.", "وأضاف: هل هذا كاف؟", "نعم"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("هل انتهى؟ نعم", ["هل انتهى؟", "نعم"]),
        ("أولا؛ ثانيا", ["أولا؛", "ثانيا"]),
        ("توقف! الآن", ["توقف!", "الآن"]),
        ("Really? Yes.", ["Really?", "Yes."]),
        ("Wait... what", ["Wait...", "what"]),
        ("انتظر… ماذا", ["انتظر…", "ماذا"]),
        ("J. K. Rowling wrote it. Dr. Smith agreed.", ["J. K. Rowling wrote it.", "Dr. Smith agreed."]),
        ("The price rose 3.5 percent. Then it fell.", ["The price rose 3.5 percent.", "Then it fell."]),
    ],
)
def test_split_at_sentence_ends(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_at_line_breaks_even_without_punctuation() -> None:
    assert sentences("العنوان\nالسطر الثاني\n\n  السطر الثالث  \n") == ["العنوان", "السطر الثاني", "السطر الثالث"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('قال «انتهى الأمر.» ثم غادر.', ["قال «انتهى الأمر.»", "ثم غادر."]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("(as reported.) Next one.", ["(as reported.)", "Next one."]),
        ("سأل: «لماذا؟» فأجاب", ["سأل: «لماذا؟»", "فأجاب"]),
        ("He asked ‘why?’ twice", ["He asked ‘why?’", "twice"]),
    ],
)
def test_closing_quotes_and_brackets_stay_with_the_sentence(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_offsets_are_exact_in_a_longer_text() -> None:
    text = "  أولا: بدأت المحادثات.  ثانيا، قال د. علي «نحن مستعدون!» \nثالثا؟ "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "أولا: بدأت المحادثات.", "ثانيا، قال د. علي «نحن مستعدون!»", "ثالثا؟"]
    assert spans[0][0] == 2


def test_empty_and_blank_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []
    assert split_sentences("abc. def", 4, 4) == []


def test_slice_bounds_are_respected() -> None:
    text = "First one. Second one. Third one."
    assert [text[s:e] for s, e in split_sentences(text, 11, 22)] == ["Second one."]
    assert [text[s:e] for s, e in split_sentences(text, 11)] == ["Second one.", "Third one."]


def test_the_sentence_before_a_position() -> None:
    from rag.sentences import sentence_before

    text = 'أولا جملة. وبسبب التصعيد، لجأت "يريفان" إلى موسكو. وقال "منذ أن هاجمت أذربيجان".'
    assert sentence_before(text, text.index("وقال")) == 'وبسبب التصعيد، لجأت "يريفان" إلى موسكو.'
    assert sentence_before(text, 0) == ""  # the text's first sentence has none
