"""The checkable facts of a sentence: numbers, months, negation — in Arabic and English.

Number words start at three: "one"/"two" are as often pronouns or duals ("عامين") as numbers.

A claim is only as good as its facts: "قتل 12 جنديا" is not supported by "قتل 21 جنديا", however
similar the two sentences are to a model. Numbers are read from digits (Arabic-Indic too), from
number words and from scale words ("5 مليارات" = "5 billion" = 5,000,000,000).

    >>> sorted(numbers("بلغت الغرامة 5 مليارات دولار في ٢٠١٨"))
    [5.0, 2018.0, 5000000000.0]
    >>> sorted(numbers("five billion dollars"))
    [5.0, 1000000000.0, 5000000000.0]
    >>> months("وقع ذلك في 16 نوفمبر") == months("It happened on 16 November")
    True
    >>> negated("لم تدل روسيا بأي تصريح"), negated("روسيا لا تزال صامتة")
    (True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

from .arabic import normalize

_WORD = re.compile(r"\d+(?:[.,٫]\d+)*|[^\W\d_]+")
_PREFIXES = ("وب", "وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def _forms(word: str) -> list[str]:
    out = [word]
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            out.append(word[len(p):])
    return out


def _table(pairs: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in pairs.split():
        word, _, value = item.partition("=")
        out[normalize(word)] = float(value)
    return out


_UNITS = _table("""
    ثلاث=3 ثلاثة=3 أربع=4 أربعة=4 خمس=5 خمسة=5 ست=6 ستة=6
    سبع=7 سبعة=7 ثمان=8 ثماني=8 ثمانية=8 تسع=9 تسعة=9 عشر=10 عشرة=10 عشرون=20 عشرين=20 ثلاثون=30 ثلاثين=30
    أربعون=40 أربعين=40 خمسون=50 خمسين=50 ستون=60 ستين=60 سبعون=70 سبعين=70 ثمانون=80 ثمانين=80 تسعون=90
    تسعين=90 مئة=100 مائة=100 مئتان=200 مئتين=200 مائتان=200 مائتين=200 ألف=1000 ألفان=2000 ألفين=2000
    مليون=1000000 مليونان=2000000 مليونين=2000000 مليار=1000000000 ملياران=2000000000 مليارين=2000000000
    three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 thirteen=13
    fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 thirty=30 forty=40
    fifty=50 sixty=60 seventy=70 eighty=80 ninety=90 hundred=100 thousand=1000 million=1000000
    billion=1000000000 dozen=12
""")
_SCALES = _table("""
    ألف=1000 آلاف=1000 الف=1000 مليون=1000000 ملايين=1000000 مليار=1000000000 مليارات=1000000000
    بليون=1000000000 thousand=1000 thousands=1000 million=1000000 millions=1000000 billion=1000000000
    billions=1000000000
""")
_MONTHS = _table("""
    يناير=1 جانفي=1 كانون_الثاني=1 فبراير=2 فيفري=2 شباط=2 مارس=3 آذار=3 أبريل=4 ابريل=4 أفريل=4 نيسان=4
    مايو=5 ماي=5 أيار=5 يونيو=6 يونيه=6 جوان=6 حزيران=6 يوليو=7 يوليه=7 جويلية=7 تموز=7 أغسطس=8 اغسطس=8
    أوت=8 آب=8 سبتمبر=9 أيلول=9 أكتوبر=10 اكتوبر=10 تشرين_الأول=10 نوفمبر=11 تشرين_الثاني=11 ديسمبر=12
    كانون_الأول=12
    january=1 february=2 march=3 april=4 may=5 june=6 july=7 august=8 september=9 october=10 november=11
    december=12
""")
# Sentence negation only: "غير", "عدم", "دون" (non-, lack of, without) and English "un-" words
# negate a word, not the statement, and translations move between the two forms.
_NEGATIONS = {normalize(w) for w in """
    لم لن لا ليس ليست ليسوا لسنا
    not never neither nor cannot
""".split()}
# "لا يزال" / "ما زال" mean "still": not a negation.
_STILL = re.compile(r"(^|\s)(لا|ما|لم) ?(يزال|تزال|يزالون|زال|زالت|يزل|تزل)(\s|$)")


def _words(text: str) -> list[str]:
    return _WORD.findall(normalize(text).replace("n't", " not"))


@lru_cache(maxsize=50_000)
def numbers(text: str) -> frozenset[float]:
    """Every numeric value the text states, with and without its scale word."""
    out: set[float] = set()
    ws = _words(text)
    for i, w in enumerate(ws):
        value = None
        if w[0].isdigit() and i + 1 < len(ws) and ws[i + 1] == "s":
            continue  # a decade, "the 1990s": Arabic says "التسعينيات", with no digits
        if w[0].isdigit():
            try:
                value = float(w.replace(",", "").replace("٫", "."))
            except ValueError:
                continue
        else:
            value = next((_UNITS[f] for f in _forms(w) if f in _UNITS), None)
        if value is None:
            continue
        out.add(value)
        if i + 1 < len(ws):
            scale = next((_SCALES[f] for f in _forms(ws[i + 1]) if f in _SCALES), None)
            if scale is not None and value < 1000:
                out.add(value * scale)
    return frozenset(out)


@lru_cache(maxsize=50_000)
def months(text: str) -> frozenset[int]:
    """The calendar months the text names (1-12), whatever the calendar's local names."""
    norm = normalize(text)
    ws = _words(text)
    found = {int(_MONTHS[f]) for w in ws for f in _forms(w) if f in _MONTHS}
    for name, month in _MONTHS.items():
        if "_" in name and name.replace("_", " ") in norm:
            found.add(int(month))
    # "كانون الثاني" names January: its parts alone are no month.
    return frozenset(found)


@lru_cache(maxsize=50_000)
def negated(text: str) -> bool:
    """Does the sentence say that something did not happen / is not so?"""
    norm = " ".join(_words(text))
    norm = _STILL.sub(" ", norm)
    return any(w in _NEGATIONS or (w[:1] in ("و", "ف") and w[1:] in _NEGATIONS) for w in norm.split())
