"""Places and their roles across English and Arabic (rag/roles.py): a swap of roles between an English
claim and an Arabic sentence is caught; the same roles in other words, or roles the prepositions cannot
tell, are not."""

from __future__ import annotations

import pytest

from rag.roles import CORE, role_pieces, roles, swapped_member, swapped_place, swapped_role

CEDED = ('ثم، على أساس معاهدة السلام في نوفمبر 2020، تنازلت أرمينيا عن السيطرة على منطقة "ناغورنو كاراباخ" '
         'وجميع المقاطعات السبع المجاورة لأذربيجان، والتي، منذ التسعينيات، كانت قد احتُلَّت من قبل القوات الأرمينية.')
BASE = ('في هذا السياق، من المهم التأكيد على أن لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام التابعة لها '
        'متمركزة في "ناغورنو كاراباخ"، كما اتفقت عليه باكو ويريفان وموسكو في اتفاقية السلام الثلاثية.')


def test_the_little_words_give_each_place_its_role() -> None:
    assert [(w, r) for w, _, r in roles("Azerbaijan ceded control of Nagorno-Karabakh to Armenia's forces.")] == [
        ("Azerbaijan", CORE), ("Nagorno", "of"), ("Armenia", "of")]
    assert [(w, r) for w, _, r in roles(CEDED)] == [
        ("أرمينيا", CORE), ("ناغورنو", "on"), ("لأذربيجان", "to"), ("الأرمينية", CORE)]
    # A capital is its country; places joined by "و" / "and" share the role of the first.
    assert [(w, r) for w, _, r in roles(BASE)] == [
        ("لروسيا", "to"), ("أرمينيا", "in"), ("ناغورنو", "in"), ("باكو", CORE), ("ويريفان", CORE), ("وموسكو", CORE)]
    assert [(w, r) for w, _, r in roles("Talks in Paris and Berlin with the Qataris")] == [
        ("Paris", "in"), ("Berlin", "in"), ("Qataris", "with")]
    # Words that begin like a preposition are no preposition: لبنان, بغداد, ليبيا.
    assert [(w, r) for w, _, r in roles("زار الوفد لبنان ثم بغداد وليبيا")] == [
        ("لبنان", CORE), ("بغداد", CORE), ("وليبيا", CORE)]


@pytest.mark.parametrize(("claim", "support", "swap"), [
    # Each country given the other's role.
    ("Azerbaijan ceded control of Nagorno-Karabakh to Armenia.", CEDED, ("أرمينيا", "Azerbaijan")),
    ("Egypt handed the prisoners to Israel.", "سلمت إسرائيل الأسرى إلى مصر أمس.", ("إسرائيل", "Egypt")),
    # Another country where the claim puts one, which the sentence names otherwise (Baku for Azerbaijan).
    ("Russia has a military base in Azerbaijan.", BASE, ("أرمينيا", "Azerbaijan")),
    ("The ministers met in Doha with a Turkish delegation.", "التقى الوزراء في مسقط مع وفد تركي قادم من الدوحة.",
     ("مسقط", "Doha")),
    # The same reading serves an Arabic claim.
    ("لروسيا قاعدة عسكرية في أذربيجان", BASE, ("أرمينيا", "أذربيجان")),
])
def test_a_swap_of_roles_is_caught(claim: str, support: str, swap: tuple[str, str]) -> None:
    assert swapped_role(claim, support) == swap


@pytest.mark.parametrize(("claim", "support"), [
    ("Armenia ceded control of Nagorno-Karabakh to Azerbaijan under the November 2020 peace deal.", CEDED),
    ("Russia has a military base in Armenia.", BASE),
    ("Russian peacekeepers are deployed in Nagorno-Karabakh.", BASE),
    ("Baku, Yerevan and Moscow agreed on the deployment.", BASE),
    # Passive: the agent's "by" is not compared.
    ("Armenia was attacked by Azerbaijan.", "هاجمت أذربيجان أرمينيا فجر الثلاثاء."),
    # A place the sentence does not name at all is another check's (absent names), not a swap of roles.
    ("Russia has a military base in Georgia.", BASE),
    # The claim's place is in its role in the sentence, beside another in the same role.
    ("Egypt sent aid to Gaza.", "أرسلت مصر وقطر مساعدات إلى غزة والضفة الغربية."),
    # Ankara is Turkey, which the claim names: no other place in Doha's role.
    ("The ministers met in Doha with a Turkish delegation.", "التقى الوزراء في أنقرة مع وفد من الدوحة."),
])
def test_the_same_roles_or_roles_it_cannot_tell_are_no_swap(claim: str, support: str) -> None:
    assert swapped_role(claim, support) is None


def test_two_forms_of_one_people_are_one_place() -> None:
    # "الأذرية" and "الأذربيجانية" are two entries of the table for one people; "الأرمنية" is "الأرمينية".
    assert swapped_place("قالت وزارة الدفاع الأذربيجانية إن أرمينيا صعدت الوضع",
                         "اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد تصعيد الوضع على الحدود") is None
    assert swapped_place("هاجمت القوات الأرمنية مواقع على الحدود", "هاجمت القوات الأرمينية مواقع على الحدود") is None
    # Another people in the same slot is still a swap.
    assert swapped_place("قالت وزارة الدفاع الأذربيجانية إن أرمينيا صعدت الوضع",
                         "قالت وزارة الدفاع الروسية إن أرمينيا صعدت الوضع") == ("الروسية", "الأذربيجانية")


MINSK = "بقيادة ثلاثة رؤساء مشاركين، روسيا والولايات المتحدة وفرنسا."


@pytest.mark.parametrize(("claim", "swap"), [
    ("مجموعة مينسك يقودها روسيا والولايات المتحدة وألمانيا", ("فرنسا", "ألمانيا")),
    ("The Minsk Group is co-chaired by Russia, France and Germany.", ("الولايات المتحدة", "Germany")),
    ("يقودها روسيا وألمانيا والولايات المتحدة", ("فرنسا", "ألمانيا")),  # in any order
])
def test_one_place_of_a_list_swapped_for_another_is_caught(claim: str, swap: tuple[str, str]) -> None:
    assert swapped_member(claim, MINSK) == swap


@pytest.mark.parametrize("claim", [
    "يقودها روسيا والولايات المتحدة وفرنسا",  # the same list
    "يقودها روسيا وفرنسا",  # a part of it
    "The Minsk Group is co-chaired by Russia, France and the United States.",
    "زار الوزير ألمانيا والنمسا",  # no member in common: another list
    "يقودها روسيا وألمانيا وإيطاليا والولايات المتحدة",  # two members the sentence lacks: not one swap
    "روسيا وفرنسا تدعمان الاتفاق وألمانيا تعارضه",  # Germany is not in the list
])
def test_a_list_the_sentence_gives_or_cannot_compare_is_no_swap(claim: str) -> None:
    assert swapped_member(claim, MINSK) is None


def test_a_place_of_several_words_is_one_member() -> None:
    assert swapped_member("اندلع القتال في ناغورنو كاراباخ وأرمينيا", "اندلع القتال في ناغورنو كاراباخ وأذربيجان") == (
        "أذربيجان", "أرمينيا")


def test_two_places_in_one_role_give_one_piece_each() -> None:
    # The base is in Armenia, the peacekeepers in Nagorno-Karabakh: both "in". Which one a claim's words go
    # with is for the model to read; here each place gets the words that lead up to it, places left out.
    [(place, said, pieces)] = role_pieces("Russian peacekeepers are stationed in Armenia.", BASE)
    assert (place, said) == ("Armenia", "peacekeepers are stationed in")
    assert pieces == [("من المهم التأكيد على أن قاعدة عسكرية في", "أرمينيا", True),
                      ("وأن قوات حفظ السلام التابعة لها متمركزة في", "ناغورنو كاراباخ", False)]
    # A place of several words, as the claim writes it; each of two places of the claim its own lead-up.
    found = role_pieces("Russia has a base in Nagorno-Karabakh and peacekeepers in Armenia.", BASE)
    assert [(place, said) for place, said, _ in found] == [
        ("Nagorno-Karabakh", "has a base in"), ("Armenia", "and peacekeepers in")]
    # Too few words of its own before the place: the whole claim, places left out.
    assert role_pieces("In Armenia, Russia has peacekeepers.", BASE)[0][1] == "In has peacekeepers"


@pytest.mark.parametrize(("claim", "support"), [
    ("Russia has a military base in Georgia.", BASE),  # the sentence does not name Georgia: swapped_role's
    ("Baku and Yerevan agreed on it.", BASE),  # no role the prepositions give
    ("Russian peacekeepers are stationed in Nagorno-Karabakh.", "قوات حفظ السلام متمركزة في ناغورنو كاراباخ"),
    ("Talks were held in Paris and Berlin.", "عقدت المحادثات في باريس وبرلين"),  # one piece for both
])
def test_no_choice_of_place_no_pieces(claim: str, support: str) -> None:
    assert role_pieces(claim, support) == []


def test_united_is_the_place_its_first_word_makes_it() -> None:
    from rag.arabic import written_words
    from rag.roles import word_places

    def places(text: str) -> list[frozenset[str]]:
        words = written_words(text)
        return [word_places(words, k) for k in range(len(words))]

    us, uk = places("US")[0], places("UK")[0]
    assert places("روسيا والولايات المتحدة")[1:] == [us, us]
    assert places("المملكة المتحدة") == [uk, uk]
    assert places("قالت الأمم المتحدة") == [frozenset()] * 3  # the United Nations is no place of the table
    assert places("the United States and the United Kingdom")[1:3] == [us, us]
    assert places("the United States and the United Kingdom")[5:] == [uk, uk]
    assert places("the Gulf States")[2] == frozenset()  # "States" alone is not the United States


@pytest.mark.parametrize(("claim", "swap"), [
    ("The Minsk Group is led by Russia, the United States and Germany.", ("فرنسا", "Germany")),
    ("The Minsk Group is led by Russia, the United Kingdom and France.", ("الولايات المتحدة", "United Kingdom")),
    ("مجموعة مينسك يقودها روسيا والمملكة المتحدة وفرنسا", ("الولايات المتحدة", "المملكة المتحدة")),
])
def test_a_country_of_two_words_is_one_member_of_a_list(claim: str, swap: tuple[str, str]) -> None:
    assert swapped_member(claim, MINSK) == swap
    assert swapped_member(claim.replace("Germany", "France").replace("the United Kingdom", "the United States")
                          .replace("والمملكة", "والولايات"), MINSK) is None


@pytest.mark.parametrize("text", ["في المملكة المتحدة", "للمملكة المتحدة", "بالمملكة المتحدة"])
def test_the_kingdom_with_a_joined_preposition_is_still_the_kingdom(text: str) -> None:
    from rag.arabic import written_words
    from rag.roles import word_places

    words = written_words(text)
    assert word_places(words, len(words) - 1) == word_places(["UK"], 0)
