"""Checkable facts of a sentence: numbers, months, negation (Arabic and English)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.answer_types import evidence, question_type
from rag.facts import (
    month_days,
    months,
    negated,
    negation_scopes,
    numbers,
    period_name,
    periods,
    plain_saying,
    same_number,
    speech_at,
    unmatched,
)
from rag.generate import split_claims


@pytest.mark.parametrize(("text", "expected"), [
    ("قتل 12 جنديا", {12}),
    ("قتل ١٢ جنديا", {12}),
    ("twelve soldiers were killed", {12}),
    ("قتل ثلاثة جنود", {3}),
    ("بلغت 5 مليارات دولار", {5, 5_000_000_000}),
    ("reached 5 billion dollars", {5, 5_000_000_000, 1_000_000_000}),
    ("1,200 people", {1200}),
    ("نما 3.5 في المئة", {3.5}),  # per cent, not a hundred
    ("بنسبة 63 بالمئة", {63}),
    ("ارتفع عشرة في المائة", {10}),
    ("مئة شخص", {100}),
    ("و3 آلاف مدني", {3, 3000}),
    ("لا أرقام هنا", set()),
    ("أكثر من 1,2 مليون شخص", {1.2, 1_000_000, 1_200_000}),  # a decimal comma (French-style texts)
    ("عجز بقيمة 943,4 مليار ين", {943.4, 1_000_000_000, 943_400_000_000}),
    ("1,200,000 people", {1_200_000}),
    ("في الدقيقة السادسة عشر", {16}),  # compounds: a unit with عشر, a unit with و and a ten
    ("إحدى عشرة دولة", {11}),
    ("البالغ الخامسة والعشرين من العمر", {25}),
    ("في المرحلة الحادية والثلاثين", {31}),
    ("ثلاث سنوات", {3}),
    ("لتتجاوز 52 مليارا", {52, 52_000_000_000}),  # the accusative scale words: مليارا, مليونا, ألفا
    ("نحو 20 ألفا", {20, 20_000}),
    ("في الأشهر الثلاثة الأولى من العام", set()),  # a part of the year, not the number 3
    ("in the first six months of 2018", {2018}),
    ("في الأشهر الستة الأولى من الحرب", {6}),  # six months of a war are a count
    # "two", and the dual of a noun news counts, in either case ending, the article and ة as ت
    ("فقدت السيطرة على موقعين عسكريين", {2}), ("قتل جنديان", {2}), ("زار الدولتين", {2}), ("lost two posts", {2}),
    # plurals in -ين and names that end so are no dual
    ("المدنيين والعاملين في فلسطين", set()), ("قال حسين", set()),
    ("مليونين", {2_000_000}), ("ألفين", {2000}),  # the dual of a scale word is its value twice
])
def test_numbers(text: str, expected: set[float]) -> None:
    assert numbers(text) == frozenset(float(x) for x in expected)


@pytest.mark.parametrize(("a", "b", "same"), [
    (30.5, 31, True),  # "30.5 مليون يورو" / "31 مليون يورو": one rounded to the other's precision
    (30_500_000, 31_000_000, True),  # the same, with the scale word applied
    (943.4, 943, True),
    (8.87, 8.9, True),
    (7, 8, False),  # "سبعة متظاهرين" / "8 متظاهرين": two counts
    (16, 9, False),
    (1.2, 12, False),
    (3.5, 35, False),
    (2016, 2006, False),
    (2010, 2007, False),  # years, not thousands to round
    (2000, 2010, False),
])
def test_same_number_allows_rounding_and_nothing_more(a: float, b: float, same: bool) -> None:
    assert same_number(a, b) is same and same_number(b, a) is same


def test_a_claims_two_need_not_be_read_in_its_passage() -> None:
    # A passage says two in ways no rule reads ("قطاري ركاب": two trains, in a construct): the 2 of a
    # claim's "two" or dual is left out of what the passage must state, not out of what it states.
    assert numbers("two passenger trains crashed", pairs=False) == frozenset()
    assert numbers("بعد أسبوعين من اختطافه", pairs=False) == frozenset()
    assert numbers("lost control of five positions", pairs=False) == {5.0}


def test_unmatched_numbers() -> None:
    assert unmatched(numbers("مقابل 30.5 مليون يورو"), numbers("مقابل 31 مليون يورو")) == []
    assert unmatched(numbers("قتل 9 أشخاص"), numbers("قتل 16 مدنيا")) == [9.0]
    # A value the sentence states exactly is no rounding of another value of the claim.
    claim = numbers("يغطي الحوض 7,000,000 كيلومتر مربع، منها 6,500,000 تغطيها الغابة")
    assert unmatched(claim, numbers("يغطي الحوض 7,000,000 كيلومتر مربع، منها 5,500,000 تغطيها الغابة")) == [6500000.0]
    assert unmatched(numbers("منها 6,500,000"), numbers("يغطي 7,000,000")) == []  # rounded, alone


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


@pytest.mark.parametrize(("text", "scopes"), [
    ("لم تدل روسيا بأي تصريح", [("تدل", "روسيا")]),  # past the quantifier
    ("ومع ذلك، فإن روسيا لم تدلي بأي تصريحات بشأن طلب أرمينيا.", [("تدلي", "تصريحات")]),
    # A negation in a clause of its own denies that clause: the border was not drawn.
    ("اتهمت أرمينيا وأذربيجان بعضهما ببدء الاشتباكات على الحدود، والتي لم يتم تحديدها بعد.", [("تحديدها",)]),
    ("Russia did not make any comment", [("make", "comment")]),
    ("Trump said he doesn't trust Kim", [("trust", "Kim")]),
    ("ليس صحيحا أن روسيا أعلنت موقفها", [()]),  # the whole statement after it
    ("It is not true that Russia commented", [()]),
    ("لم يكن وضع الشخص ضمانا لمكانته ولم يكن مؤشرا على ثروته", [("وضع", "الشخص"), ("مؤشرا", "ثروته")]),
    ("كان استخدام المصطلح مُضَلِّلاً", []),  # short vowels inside a word split no "لا" out of it
    ("روسيا لا تزال صامتة", []),
    ("لم يتخل إلا عن 308 نقاط", []),
])
def test_what_a_negation_denies(text: str, scopes: list[tuple[str, ...]]) -> None:
    assert negation_scopes(text) == scopes




ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["الربع", "النصف", "الأول", "الأخير", "الرابع", "الأشهر", "الثلاثة", "الأولى", "أول", "ستة", "أشهر", "من",
     "العام", "first", "last", "quarter", "half", "three", "months", "of", "the", "Q", "4", "12", "13"]),
    max_size=12).map(" ".join))
def test_fact_readers_take_any_text(text: str) -> None:
    assert isinstance(numbers(text), frozenset) and isinstance(months(text), frozenset)
    assert all(1 <= a <= b <= 12 for a, b in periods(text))
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


def test_number_contexts_say_what_a_number_counts() -> None:
    from rag.facts import number_contexts

    a, b = number_contexts("قتل 9 أشخاص على الأقل الجمعة"), number_contexts("قتل 16 مدنيا الجمعة إثر غارة")
    assert a[9.0] & b[16.0]  # both counts of the killed
    vision, programme = number_contexts("رؤية السعودية 2030"), number_contexts("برنامج تطوير القطاع المالي 2020")
    assert not vision[2030.0] & programme[2020.0]
    assert not number_contexts("منذ عام 2011")[2011.0] & number_contexts("في منتصف عام 2015")[2015.0]
    assert "موقع" in number_contexts("فقدت السيطرة على موقعين عسكريين")[2.0]  # a dual counts its own noun


@pytest.mark.parametrize(("a", "b", "same"), [
    ("موقع", "مواقع", True),  # a singular and its broken plural
    ("قتل", "قتيل", True),
    ("عسكر", "عسكر", True),
    ("موقع", "مقتل", False),
    ("positions", "positions", True),
])
def test_skeletons_of_words(a: str, b: str, same: bool) -> None:
    from rag.facts import skeleton

    assert (skeleton(a) == skeleton(b)) is same


def test_north_and_south_korea_are_countries_not_directions_when_asked() -> None:
    from rag.facts import opposite_action

    north, south = "وصلت إيفانكا إلى كوريا الشمالية", "وصلت إيفانكا إلى كوريا الجنوبية"
    assert opposite_action(north, south) is not None  # may differ: enough to withhold an agreement
    assert opposite_action(north, south, names=True) is None  # not a dispute between directions
    assert opposite_action("هاجموا شمال المدينة", "هاجموا جنوب المدينة", names=True) is not None


def test_words_with_short_vowels_state_their_action_and_name_their_place() -> None:
    from rag.facts import opposite_action
    from rag.names import name_in, place_said
    signed = "(CNN)-- وقَّع الرئيس الأمريكي دونالد ترامب أمراً تنفيذياً"
    assert opposite_action("Trump cancelled an executive order", signed) == ("وقَّع", "cancelled")
    assert name_in("Trump", "وقَّع ترامبُ الأمر") and place_said("قطر", "أعلنت الدَّوحةُ")


@pytest.mark.parametrize(("text", "expected"), [
    ("نمت الإيرادات 63% خلال الربع الأول من هذا العام", {(1, 3)}),
    ("ارتفعت العائدات في الأشهر الثلاثة الأولى من العام", {(1, 3)}),
    ("الثلاثة أشهر الأولى", {(1, 3)}),
    ("أول ثلاثة أشهر", {(1, 3)}),
    ("revenue rose in the first three months of the year", {(1, 3)}),
    ("the first quarter of 2018", {(1, 3)}),
    ("Q1 2018 and the second half", {(1, 3), (7, 12)}),
    ("the H1N1 virus", set()),
    ("خلال الربع الأخير", {(10, 12)}),
    ("النصف الأول من عام 2018", {(1, 6)}),
    ("في الثلاثي الأول من سنة 2019", {(1, 3)}),  # the Maghreb's quarter and half
    ("في السداسي الأول", {(1, 6)}),
    ("the last six months", set()),  # the months before the article, not a part of the year
    ("خلال الأشهر الثلاثة الأخيرة", set()),
    ("الربع الأول من السنة المالية", {(1, 3)}),
    # a part of something other than a year, and months that are no part of one
    ("خلال النصف الأول من المباراة", set()),
    ("the first three months of the war", set()),
    ("قتل ثلاثة أشخاص في الأشهر الأخيرة", set()),
    ("ربع السكان", set()),
])
def test_parts_of_a_year_in_any_wording(text: str, expected: set[tuple[int, int]]) -> None:
    assert periods(text) == frozenset(expected)


def test_parts_of_a_year_have_names() -> None:
    assert [period_name(p) for p in ((1, 3), (10, 12), (7, 12), (1, 9))] == [
        "the first quarter", "the fourth quarter", "the second half", "the first 9 months"]


def test_the_first_word_of_saying() -> None:
    assert speech_at("Russia condemned Armenia's request.") == 1
    assert speech_at("أدانت روسيا طلب أرمينيا") == 0
    assert speech_at("وقالت وزارة الدفاع إن …") == 0  # with its "و"
    assert speech_at("فإن روسيا لم تدلي بأي تصريحات") == 3
    assert speech_at("Armenia asked Russia for military help.") is None


def test_plain_saying_is_wording_and_the_rest_says_what_was_said() -> None:
    assert all(plain_saying(w) for w in ("قال", "وقالت", "تعلق", "تصريحات", "بتصريح", "commented", "said"))
    assert not any(plain_saying(w) for w in ("أدانت", "رحب", "نفى", "condemned", "denied", "طلب"))


def test_days_of_a_month() -> None:
    assert month_days("المبرمة في 9 نوفمبر 2020") == {9}
    assert month_days("signed on November 12, 2020 and on 3 March") == {12, 3}
    assert month_days("قتل 9 أشخاص في نوفمبر") == set()  # a count, and a month with no day
    assert month_days("في 2020 نوفمبر") == set()  # a year is no day
    assert month_days("62 أبريل 1863") == {62}  # a wrong day, where the day stands


def test_an_english_direction_is_read_unless_it_is_part_of_a_name() -> None:
    from rag.facts import actions, opposite_action

    support = "حاولت القوات الأذربيجانية اختراق حدود دولة أرمينيا في الاتجاه الشرقي"
    assert opposite_action("Azerbaijani forces tried to cross the border in the west.", support) == ("الشرقي", "west")
    assert opposite_action("Azerbaijani forces tried to cross the border in the east.", support) is None
    for named in ("Clashes in the Middle East.", "Settlers in the West Bank.", "South Africa won.",
                  "He lives in East Jerusalem."):
        assert not {"north", "south", "east", "west"} & set(actions(named)), named
    assert "north" in actions("North of the city, fighting went on.")


def test_allies_are_not_enemies() -> None:
    from rag.facts import actions, opposite_action

    support = "اتهمت أذربيجان أرمينيا بتصعيد الوضع على الحدود التي يشترك فيها البلدان، اللذان كانا حليفان في الاتحاد السوفيتي."
    assert opposite_action("Armenia and Azerbaijan were enemies in the Soviet Union.", support) == ("حليفان", "enemies")
    assert opposite_action("كانت أرمينيا وأذربيجان عدوين في الاتحاد السوفيتي", support) == ("حليفان", "عدوين")
    # two of them feminine, as countries are: "عدوتين"
    assert opposite_action("كانت أرمينيا وأذربيجان عدوتين في الاتحاد السوفيتي", support) == ("حليفان", "عدوتين")
    assert opposite_action("Armenia and Azerbaijan were allies in the Soviet Union.", support) is None
    # aggression and a coalition are neither
    assert not {"ally", "enemy"} & set(actions("ندد التحالف بالعدوان على المدينة"))
