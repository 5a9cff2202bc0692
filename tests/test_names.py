"""Names across scripts (rag/names.py): an English claim's name against an Arabic passage, and back."""

from __future__ import annotations

import pytest

from rag.names import name_in, place_forms, place_kinds, place_said, places_named, same_name

# Real pairs: the English spelling news agencies use and the Arabic spelling of Arabic news sites.
SAME = [("Aliyev", "علييف"), ("Pashinyan", "باشينيان"), ("Michel", "ميشيل"), ("Charles", "تشارلز"),
        ("Putin", "بوتين"), ("Erdogan", "أردوغان"), ("Macron", "ماكرون"), ("Biden", "بايدن"), ("Kais", "قيس"),
        ("Saied", "سعيد"), ("Azerbaijan", "أذربيجان"), ("Armenia", "أرمينيا"), ("Minsk", "مينسك"),
        ("Washington", "واشنطن"), ("Moscow", "موسكو"), ("Sfax", "صفاقس"), ("Sousse", "سوسة"), ("Trump", "ترامب"),
        ("Netanyahu", "نتنياهو"), ("Lavrov", "لافروف"), ("Zelensky", "زيلينسكي"), ("Mohammed", "محمد"),
        ("Abdullah", "عبدالله"), ("Khalid", "خالد"), ("Ghannouchi", "الغنوشي"), ("Tebboune", "تبون"),
        ("Interfax", "انترفاكس"), ("Grigoryan", "غريغوريان"), ("Egypt", "مصر"), ("Germany", "ألمانيا"),
        ("Jordan", "الأردن"), ("Cairo", "القاهرة"), ("Michel", "وميشيل"),
        ("John", "جون"), ("Johnson", "جونسون"), ("Bolton", "بولتون"),  # a silent h after a vowel
        ("Georgia", "جورجيا"), ("Kazakhstan", "كازاخستان"), ("Tbilisi", "تبليسي"), ("Karabakh", "كاراباخ"),
        # "ch" written تش as often as ش.
        ("Lachin", "لاتشين"), ("Chad", "تشاد"), ("Chile", "تشيلي"), ("Richard", "ريتشارد"), ("Jegharkunik", "جيغاركونيك"),
        # A people's adjective is its country's, by the place table: "الأذرية" is Azerbaijani, as the seed says it.
        ("Armenia", "الأرمينية"), ("Armenian", "الأرمنية"), ("Azerbaijan", "الأذرية"), ("Germany", "الألمانية")]
# Near misses: another person, another city, another country of the same story.
OTHER = [("Sousse", "صفاقس"), ("Aliyev", "باشينيان"), ("Putin", "بايدن"), ("Cairo", "الرياض"), ("Michel", "ماكرون"),
         ("Moscow", "مينسك"), ("Ahmed", "محمد"), ("Baku", "يريفان"), ("Egypt", "الأردن"),
         ("Tunis", "طرابلس"), ("Trump", "بايدن"), ("Lavrov", "بلينكن"), ("Armenia", "أذربيجان"),
         ("Kelly", "بولتون"), ("John", "جورج"), ("Lachin", "جيغاركونيك"), ("Chad", "تشيلي"),
         # Another place of the table is that place, however its letters look: G-R-M-N is no Armenian.
         ("Germany", "الأرمينية"), ("Germany", "لأرمينيا"), ("Armenia", "الألمانية")]


@pytest.mark.parametrize(("latin", "arabic"), SAME)
def test_the_same_name_matches_across_scripts(latin: str, arabic: str) -> None:
    assert same_name(latin, arabic)


@pytest.mark.parametrize(("latin", "arabic"), OTHER)
def test_another_name_does_not_match(latin: str, arabic: str) -> None:
    assert not same_name(latin, arabic)


def test_a_name_is_found_in_a_passage_whatever_its_script() -> None:
    passage = "أفاد «ميشيل» في تغريدة أنه تحدث مع الرئيس الأذربيجاني «إلهام علييف» (Ilham Aliyev)"
    assert name_in("Michel", passage) and name_in("Ilham", passage) and name_in("Aliyev", passage)
    assert not name_in("Pashinyan", passage) and not name_in("Macron", passage)


def test_places_have_a_kind_and_common_words_are_none() -> None:
    assert place_kinds("الرياض") == {"city"} and place_kinds("بالقاهرة") == {"city"}
    assert place_kinds("السعودية") == {"country"} and place_kinds("المصرية") == {"country"}
    assert place_kinds("تونس") == {"city", "country"}  # the city and the country share the name
    for word in ("مدينة", "المدينة", "كيف", "الدار", "البيضاء", "الرئيس", "المالي", "والمالية"):  # "city", "how",
        # "house", "white", "financial": no place
        assert not place_kinds(word), word
    # Words that would read as places the table left out: a course, floods, the sect, sons, pictures, a
    # foetus, a scene, the news.
    for word in ("مجرى", "سيول", "الطائفة", "بنين", "صور", "جنين", "مشهد", "الخبر", "والسيول"):
        assert not place_kinds(word), word
    # Sport is no Riyadh, though an adjective's ending taken off "الرياضية" leaves "الرياض".
    for word in ("الرياضة", "الرياضي", "الرياضية", "رياضيا"):
        assert not place_kinds(word), word
    # Names whose table spelling has a hamza on its seat are found as the text writes them, normalised or not.
    assert place_kinds("إسرائيل") == {"country"} and place_kinds("الإسرائيلية") == {"country"}
    assert place_kinds("الجزائرية") == {"country", "city"} and place_kinds("الجزاير") == {"country", "city"}
    assert place_kinds("جورجيا") == {"country"} and place_kinds("تبليسي") == {"city"}
    assert place_forms("القطرية") & place_forms("قطر") == {"قطر"}
    assert place_kinds("مالي") == {"country"}  # Mali, without the article


@pytest.mark.parametrize(("word", "text"), [
    ("ألمانيا", "في الاقتصاد الألماني"),  # the country and its adjective
    ("الدوحة", "قطر تعتزم استثمار"), ("قطر", "أعلنت الدوحة"),  # a capital stands for its government
    ("طهران", "الحرس الثوري الإيراني"), ("موسكو", "لجأت يريفان إلى روسيا"), ("يريفان", "وزارة الدفاع الأرمينية"),
    ("Ankara", "زار العبادي تركيا الثلاثاء"), ("Turkey", "قررت أنقرة"), ("Egypt", "أعلنت القاهرة"),  # English words
    ("Georgia", "قالت تبليسي"), ("جورجيا", "الحكومة الجورجية"), ("Hungary", "أعلنت بودابست"),
    ("Israel", "قصفت الطائرات الإسرائيلية"), ("الجزائر", "قال الرئيس الجزائري"),
    # a people's adjective in -ي and its plural are the country in -يا / -ا; two prefixes come off a word
    ("ليبيا", "قال المسؤول الليبي"), ("أمريكا", "قال مسؤولون أمريكيون"), ("US", "على الاقتصاد الأمريكي"),
    ("Tunisian", "الأمن الغذائي لتونس"), ("الألبانية", "وبالألبانية: Mehmet Ali Pasha"),
])
def test_a_place_is_said_in_any_of_its_forms_or_by_its_capital(word: str, text: str) -> None:
    assert place_said(word, text)


@pytest.mark.parametrize(("word", "text"), [
    ("باريس", "لجأت يريفان إلى موسكو"), ("الدوحة", "الرياض تعتزم"), ("ألمانيا", "الاقتصاد الفرنسي"),
    ("بنغازي", "ليبيا"),  # a city that is no capital is not its country
    ("كلمة", "كلمة"),  # no place at all
    ("Ankara", "زار العبادي مصر"), ("Cairo", "الرياض تعتزم"), ("Word", "كلمة"),
    ("Georgia", "لروسيا قاعدة عسكرية في أرمينيا"), ("Kazakhstan", "زار الرئيس أوزبكستان"),
])
def test_another_place_is_not_said(word: str, text: str) -> None:
    assert not place_said(word, text)


def test_a_text_names_places_by_whole_names_only() -> None:
    assert places_named("When did the Sri Lanka Easter bombings happen?") == ["Lanka"]
    assert places_named("متى وقعت تفجيرات عيد الفصح في سريلانكا؟") == ["سريلانكا"]
    assert places_named("كم عدد ولايات الهند؟") == ["الهند"]  # states, not the United States
    assert places_named("متى فتحت هوندا مصانع في الولايات المتحدة؟") == []  # parts of a name alone say nothing
    assert places_named("ما هي الرياضة الأكثر شعبية؟") == [] and places_named("who mediated?") == []
