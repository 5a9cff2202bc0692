"""Arabic normalisation, tokenising, stemming and language detection (rag/arabic.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.arabic import is_arabic_char, language, light_stem, normalize, strip_diacritics, terms, words, written_words

# Arabic letters, harakat, tatweel, hamza forms, digits, Latin, punctuation and white space.
ARABIC_ALPHABET = (
    [chr(c) for c in range(0x0621, 0x064B)]
    + [chr(c) for c in range(0x064B, 0x0653)]  # harakat, tanween, shadda, sukun
    + ["\u0640", "\u0670", "ٱ", "ک", "ی", "ھ"]
    + [chr(0x0660 + i) for i in range(10)]
    + [chr(0x06F0 + i) for i in range(10)]
    + list("abcXYZ019 .,!?؟؛،\n\t-_«»\"'")
)
arabic_text = st.text(alphabet=st.sampled_from(ARABIC_ALPHABET), max_size=60)
any_text = st.one_of(arabic_text, st.text(max_size=60))


# -- properties -------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(any_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_terms_of_normalized_text_equal_terms_of_text(text: str) -> None:
    assert terms(normalize(text)) == terms(text)
    assert terms(normalize(text), query=True) == terms(text, query=True)


@settings(max_examples=200, deadline=None)
@given(arabic_text)
def test_normalized_text_has_no_diacritics_tatweel_or_variant_letters(text: str) -> None:
    out = normalize(text)
    for ch in out:
        assert not ("\u064b" <= ch <= "\u065f"), repr(out)
        assert ch not in "\u0640\u0670أإآٱىئؤةکیھ", repr(out)
        assert not ("\u0660" <= ch <= "\u0669") and not ("\u06f0" <= ch <= "\u06f9"), repr(out)


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_query_terms_are_a_subset_of_index_terms(text: str) -> None:
    """Each word gives one query term, always one of its index terms."""
    index_terms = set(terms(text))
    assert set(terms(text, query=True)) <= index_terms
    assert len(terms(text, query=True)) <= len(terms(text))


# -- folding ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أَحْمَدُ ذهبَ إلى المدرسةِ", "احمد ذهب الي المدرسه"),  # diacritics, hamza, maqsura, ta marbuta
        ("مُحَمَّدٌ", "محمد"),  # shadda, tanween
        ("جميـــــل", "جميل"),  # tatweel
        ("أحمد إسلام آمن ٱلله", "احمد اسلام امن الله"),  # every alef form
        ("مستشفى على", "مستشفي علي"),  # alef maqsura
        ("مدرسة جامعة", "مدرسه جامعه"),  # ta marbuta
        ("سئل مؤتمر", "سيل موتمر"),  # hamza on ya / waw
        ("کتاب یوم ھنا", "كتاب يوم هنا"),  # Persian kaf, ya, heh
        ("١٢٣ ۴۵۶", "123 456"),  # Arabic-Indic and Eastern Arabic-Indic digits
        ("Armenia AZERBAIJAN", "armenia azerbaijan"),
        ("الرَّحْمٰن", "الرحمن"),  # superscript alef
    ],
)
def test_normalize_folds_spelling_variants(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_strip_diacritics_keeps_letters() -> None:
    assert strip_diacritics("كَتَبَ") == "كتب"
    assert strip_diacritics("plain text") == "plain text"


def test_variant_spellings_give_the_same_terms() -> None:
    assert terms("أَذْرَبِيجَان") == terms("اذربيجان")
    assert terms("المدرسة") == terms("المدرسه")
    assert terms("إلى مستشفى") == terms("الى مستشفي")
    assert terms("مجموعـــة مينسك") == terms("مجموعة مينسك")


def test_words_keeps_stopwords_and_drops_punctuation() -> None:
    assert words("في «المدينة»، اليوم!") == ["في", "المدينه", "اليوم"]
    assert words("snake_case") == ["snake", "case"]


# -- terms and stemming -----------------------------------------------------------------------

def test_terms_drop_stopwords_and_stem() -> None:
    assert terms("الاشتباكات على الحدود") == ["اشتباك", "حدود"]
    assert terms("في من على") == []
    assert terms("the of and") == []
    assert terms("Running runners ran") == ["run", "runner", "ran"]


def test_terms_drop_stopwords_with_conjunction() -> None:
    assert terms("وهذا ولماذا وقال") == []


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("والمنظمات", "منظم"),
        ("الكتاب", "كتاب"),
        ("بالمدرسه", "مدرس"),
        ("للطلاب", "طلاب"),
        ("المعلمون", "معلم"),
        ("الموظفين", "موظف"),
        ("سيارتها", "سيارت"),
        ("اللاعبان", "لاعب"),
        ("كتابي", "كتاب"),
        ("ال", "ال"),  # too short to strip
        ("هي", "هي"),
    ],
)
def test_light_stem_examples(word: str, stem: str) -> None:
    assert light_stem(word) == stem


def test_light_stem_keeps_at_least_two_letters() -> None:
    for word in ("الي", "لها", "ات", "وال", "يه"):
        assert len(light_stem(word)) >= 2


def test_leading_waw_is_indexed_both_ways_but_queried_once() -> None:
    # "وزارة" (ministry) vs "و" + "زارة": both readings go into the index...
    assert terms("وزارة") == ["وزار", "زار"]
    # ...a query uses a single reading, the one without the conjunction.
    assert terms("وزارة", query=True) == ["زار"]
    # "وأذربيجان" = "and Azerbaijan": the query reading matches the plain word.
    assert terms("وأذربيجان", query=True) == terms("أذربيجان", query=True) == terms("أذربيجان")


def test_every_word_gives_exactly_one_query_term() -> None:
    question = "من توسط بين أرمينيا وأذربيجان ووزارة الدفاع والمنظمات"
    content = [w for w in words(question) if terms(w)]
    assert len(terms(question, query=True)) == len(content)


def test_short_waw_words_are_not_split() -> None:
    assert terms("ولد") == ["ولد"]
    assert terms("والمنظمات") == ["منظم"]  # the article prefix is not a conjunction reading


# -- language ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("من توسط بين أرمينيا وأذربيجان؟", "ar"),
        ("Who mediated between Armenia and Azerbaijan?", "en"),
        ("ما موقف شارل ميشيل (Charles Michel) من الاشتباكات؟", "ar"),  # mixed, mostly Arabic
        ("What did شارل say?", "en"),  # mixed, mostly Latin
        ("ابجد abcdef", "ar"),  # one word each: the first word decides
        ("abcdef ابجد", "en"),
        ("ما موقف Charles Michel؟", "ar"),  # an Arabic question naming someone in Latin letters
        ("Who is شارل ميشيل?", "en"),
        ("", "ar"),
        ("123 ?!", "ar"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert language(text) == lang


def test_is_arabic_char() -> None:
    assert is_arabic_char("ب")
    assert not is_arabic_char("b")
    assert not is_arabic_char("١")


def test_a_word_written_with_short_vowels_or_shadda_is_one_word() -> None:
    assert written_words("(CNN)-- وقَّع الرئيس أمراً تنفيذياً في 2018، الاِتِّحَاد") == \
        ["CNN", "وقَّع", "الرئيس", "أمراً", "تنفيذياً", "في", "الاِتِّحَاد"]
    assert written_words("وقَّع في 2018", digits=True) == ["وقَّع", "في", "2018"]
