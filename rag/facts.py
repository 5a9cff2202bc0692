"""The checkable facts of a sentence: numbers, months, parts of a year, negation — in Arabic and English.

Number words start at three ("one" is as often a pronoun, "الاثنين" Monday), but "two" is 2, and so is the
dual of a noun that news counts ("موقعين", "جنديين", "دولتين": two positions, soldiers, states).

A claim is only as good as its facts: "قتل 12 جنديا" is not supported by "قتل 21 جنديا", however
similar the two sentences are to a model. Numbers are read from digits (Arabic-Indic too), from
number words and from scale words ("5 مليارات" = "5 billion" = 5,000,000,000).

    >>> sorted(numbers("بلغت الغرامة 5 مليارات دولار في ٢٠١٨"))
    [5.0, 2018.0, 5000000000.0]
    >>> sorted(numbers("five billion dollars"))
    [5.0, 1000000000.0, 5000000000.0]
    >>> months("وقع ذلك في 16 نوفمبر") == months("It happened on 16 November")
    True
    >>> periods("في الأشهر الثلاثة الأولى") == periods("خلال الربع الأول") == periods("in Q1")
    True
    >>> negated("لم تدل روسيا بأي تصريح"), negated("روسيا لا تزال صامتة")
    (True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

from .arabic import normalize, strip_diacritics, terms, written_words

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
    صفر=0 ثلاث=3 ثلاثة=3 أربع=4 أربعة=4 خمس=5 خمسة=5 ست=6 ستة=6
    سبع=7 سبعة=7 ثمان=8 ثماني=8 ثمانية=8 تسع=9 تسعة=9 عشر=10 عشرة=10 عشرون=20 عشرين=20 ثلاثون=30 ثلاثين=30
    أربعون=40 أربعين=40 خمسون=50 خمسين=50 ستون=60 ستين=60 سبعون=70 سبعين=70 ثمانون=80 ثمانين=80 تسعون=90
    تسعين=90 مئة=100 مائة=100 مئتان=200 مئتين=200 مائتان=200 مائتين=200 ألف=1000 ألفان=2000 ألفين=2000
    مليون=1000000 مليونان=2000000 مليونين=2000000 مليار=1000000000 ملياران=2000000000 مليارين=2000000000
    zero=0 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 thirteen=13
    fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 thirty=30 forty=40
    fifty=50 sixty=60 seventy=70 eighty=80 ninety=90 hundred=100 thousand=1000 million=1000000
    billion=1000000000 dozen=12 two=2
""")
# Nouns news counts, whose dual says 2 ("موقعين", "مرتين"): the singular; a final ة becomes ت before the ending.
# Not those whose plural ends the same way ("المدنيين", "اللاعبين", "المصابين": civilians, players, injured).
_COUNTED = """
    موقع جندي شخص طفل رجل امرأة قتيل جريح هدف يوم شهر عام سنة أسبوع ساعة دقيقة مرة دولة بلد مدينة قرية
    طائرة سيارة صاروخ منزل مبنى حزب طرف جانب وزير نقطة درجة مباراة جولة شوط مقعد ضابط سجين
    حالة ناقلة سفينة قارب مركبة دبابة مستشفى مدرسة شركة بنك
"""
_DUALS = frozenset(normalize(stem + end) for w in _COUNTED.split()
                   for stem in ((w[:-1] + "ت") if w.endswith("ة") else w,) for end in ("ين", "ان"))

_SCALES = _table("""
    ألف=1000 آلاف=1000 الف=1000 ألفا=1000 مليون=1000000 مليونا=1000000 ملايين=1000000 مليار=1000000000
    مليارا=1000000000 مليارات=1000000000 بليون=1000000000 بليونا=1000000000
    thousand=1000 thousands=1000 million=1000000 millions=1000000 billion=1000000000 billions=1000000000
""")
# Per cent, not a hundred: "63 بالمئة", "في المئة", "percent" (normalised as the words are).
_PERCENT = frozenset(normalize(w) for w in ("بالمئة", "بالمائة", "percent", "per"))
_HUNDREDTH = frozenset(normalize(w) for w in ("المئة", "المائة"))
_MONTHS = _table("""
    يناير=1 جانفي=1 كانون_الثاني=1 فبراير=2 فيفري=2 شباط=2 مارس=3 آذار=3 أبريل=4 ابريل=4 أفريل=4 نيسان=4
    مايو=5 ماي=5 أيار=5 يونيو=6 يونيه=6 جوان=6 حزيران=6 يوليو=7 يوليه=7 جويلية=7 تموز=7 أغسطس=8 اغسطس=8
    أوت=8 آب=8 سبتمبر=9 أيلول=9 أكتوبر=10 اكتوبر=10 تشرين_الأول=10 نوفمبر=11 تشرين_الثاني=11 ديسمبر=12
    كانون_الأول=12
    january=1 february=2 march=3 april=4 may=5 june=6 july=7 august=8 september=9 october=10 november=11
    december=12
""")
_WEEKDAYS = _table("""
    الاثنين=1 الإثنين=1 اثنين=1 الثلاثاء=2 ثلاثاء=2 الأربعاء=3 الاربعاء=3 أربعاء=3 الخميس=4 خميس=4 الجمعة=5
    جمعة=5 السبت=6 سبت=6 الأحد=7 الاحد=7 أحد=7
    monday=1 tuesday=2 wednesday=3 thursday=4 friday=5 saturday=6 sunday=7
""")
# Sentence negation only: "غير", "عدم", "دون" (non-, lack of, without) and English "un-" words
# negate a word, not the statement, and translations move between the two forms.
_NEGATIONS = {normalize(w) for w in """
    لم لن لا ليس ليست ليسوا لسنا
    not never neither nor cannot
""".split()}
# "لا يزال" / "ما زال" mean "still": not a negation.
_STILL_VERBS = frozenset(normalize(w) for w in "يزال تزال يزالون زال زالت يزل تزل".split())


def _words(text: str) -> list[str]:
    return _WORD.findall(normalize(text).replace("n't", " not"))


# Units in the forms that combine with "عشر" (11-19: "أحد عشر", "الحادي عشر", "السادسة عشرة") or
# with a ten ("خمسة وعشرون", "الخامسة والعشرين", "الحادية والثلاثين"): cardinal and ordinal, either gender.
_COMPOUND_UNITS = _table("""
    أحد=1 إحدى=1 حادي=1 حادية=1 واحد=1 واحدة=1 اثنا=2 اثنتا=2 اثني=2 اثنتي=2 اثنان=2 اثنين=2 اثنتان=2 اثنتين=2
    ثاني=2 ثانية=2 ثلاث=3 ثلاثة=3 ثالث=3 ثالثة=3 أربع=4 أربعة=4 رابع=4 رابعة=4 خمس=5 خمسة=5 خامس=5 خامسة=5
    ست=6 ستة=6 سادس=6 سادسة=6 سبع=7 سبعة=7 سابع=7 سابعة=7 ثمان=8 ثماني=8 ثمانية=8 ثامن=8 ثامنة=8 تسع=9 تسعة=9
    تاسع=9 تاسعة=9
""")
_TENS = {v for k, v in _UNITS.items() if v in (20, 30, 40, 50, 60, 70, 80, 90)}


def _number_token(w: str) -> float | None:
    """A number written in digits: "1,200" and "1,200,000" (thousands), "1,2" and "943,4" (a decimal
    comma, as French-style and Arabic-style texts write it), "3.5", "3٫5"."""
    parts = w.replace("٫", ".").split(",")
    if len(parts) > 1 and not all(len(x) == 3 and x.isdigit() for x in parts[1:]):
        if len(parts) > 2 or "." in w:
            return None
        w = parts[0] + "." + parts[1]
    try:
        return float(w.replace(",", "").replace("٫", "."))
    except ValueError:
        return None


def _compound(ws: list[str], i: int) -> tuple[float, int] | None:
    """A number of two words at ws[i]: a unit and "عشر/عشرة" (11-19), or a unit, "و" and a ten
    (21-99). Returns its value and how many words it takes."""
    unit = next((_COMPOUND_UNITS[f] for f in _forms(ws[i]) if f in _COMPOUND_UNITS), None)
    if unit is None or i + 1 >= len(ws):
        return None
    nxt = ws[i + 1]
    if nxt in ("عشر", "عشره"):
        return unit + 10, 2
    if nxt.startswith("و"):
        ten = next((_UNITS[f] for f in _forms(nxt[1:]) if f in _UNITS), None)
        if ten in _TENS:
            return unit + ten, 2
    return None


# Parts of a year, as business and economic news writes them: "الربع الأول" = "the first quarter" =
# "الأشهر الثلاثة الأولى" = "Q1" = months 1-3; "النصف الثاني" = months 7-12; the Maghreb's
# "الثلاثي الأول" / "السداسي الأول". "الأشهر الثلاثة الأخيرة" / "the last three months" are the months
# before the article was written, not a part of the year: their count stays a number.
_ORDINALS = {"اول": 1, "ثاني": 2, "ثالث": 3, "رابع": 4, "اخير": -1,
             "first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1, "final": -1}
_PART_MONTHS = {"ربع": 3, "ثلاثي": 3, "quarter": 3, "نصف": 6, "سداسي": 6, "half": 6}
_MONTH_WORDS = frozenset({"اشهر", "شهور", "months"})
_FIRST = frozenset({"اولي", "اول", "first"})
# "... من الحرب" / "of the war": a part of something else than a year.
_OF = frozenset({"من", "of"})
_YEAR_WORDS = frozenset({"عام", "سنه", "هذا", "year", "this", "fiscal", "financial"})


def _ordinal(w: str) -> int | None:
    return next((_ORDINALS[f] for f in _forms(w) if f in _ORDINALS), None)


def _count(w: str) -> int | None:
    if w.isdigit():
        return int(w) if 1 <= int(w) <= 12 else None
    v = next((_UNITS[f] for f in _forms(w) if f in _UNITS), None)
    return int(v) if v is not None and 1 <= v <= 12 else None


def _period(ws: list[str], i: int) -> tuple[tuple[int, int], int] | None:
    """A part of a year starting at ws[i]: its (first month, last month) and how many words it takes."""
    w = ws[i]
    nxt = ws[i + 1] if i + 1 < len(ws) else ""
    part = next((_PART_MONTHS[f] for f in _forms(w) if f in _PART_MONTHS), None)
    if part is not None and (n := _ordinal(nxt)) is not None:  # الربع الأول
        n = 12 // part if n == -1 else n
        return (((n - 1) * part + 1, n * part), 2) if n * part <= 12 else None
    if (n := _ordinal(w)) is not None:  # the first quarter, the first three months
        if (part := _PART_MONTHS.get(nxt)) is not None:
            n = 12 // part if n == -1 else n
            return (((n - 1) * part + 1, n * part), 2) if n * part <= 12 else None
        if (count := _count(nxt)) is not None and i + 2 < len(ws) and ws[i + 2] in _MONTH_WORDS:
            return ((1, count), 3) if n == 1 else None
    if w == "q" and nxt in ("1", "2", "3", "4"):  # Q1 (not "H1": H1N1 is a virus)
        n = int(nxt)
        return ((3 * n - 2, 3 * n), 2)
    # الأشهر الثلاثة الأولى, الثلاثة أشهر الأولى
    if i + 2 < len(ws):
        a, b, c = w, nxt, ws[i + 2]
        count = _count(b) if any(f in _MONTH_WORDS for f in _forms(a)) else (
            _count(a) if any(f in _MONTH_WORDS for f in _forms(b)) else None)
        if count is not None:
            if any(f in _FIRST for f in _forms(c)):
                return (1, count), 3
    return None


def _period_spans(ws: list[str]) -> list[tuple[tuple[int, int], int, int]]:
    """Each part of a year the words name ((first month, last month), start, end); a part of
    something else ("النصف الأول من المباراة", "the first three months of the war") is none."""
    out = []
    i = 0
    while i < len(ws):
        found = _period(ws, i)
        if found is None:
            i += 1
            continue
        months_, taken = found
        end = i + taken
        after = [a for a in ws[end: end + 3] if a != "the"]
        of_other = len(after) > 1 and after[0] in _OF and not (
            after[1].isdigit() or any(f in _YEAR_WORDS for f in _forms(after[1])))
        if not of_other:
            out.append((months_, i, end))
        i = end
    return out


@lru_cache(maxsize=50_000)
def periods(text: str) -> frozenset[tuple[int, int]]:
    """The parts of a year the text names, as (first month, last month): "الربع الأول" and "the first
    three months" are both (1, 3)."""
    return frozenset(p for p, _, _ in _period_spans(_words(text)))


def period_name(p: tuple[int, int]) -> str:
    first, last = p
    quarters = {(1, 3): "first", (4, 6): "second", (7, 9): "third", (10, 12): "fourth"}
    if p in quarters:
        return f"the {quarters[p]} quarter"
    if p in ((1, 6), (7, 12)):
        return f"the {'first' if first == 1 else 'second'} half"
    return f"the first {last} months" if first == 1 else f"months {first}-{last}"


def _number_spans(ws: list[str]) -> list[tuple[list[float], int, int]]:
    """Each number the words state: its values (with and without a scale word after it) and the
    span of words it takes, [start, end). The count in a part of a year ("الأشهر الثلاثة الأولى")
    is no number: `periods` reads it."""
    out = []
    skip = 0
    in_period = {j for _, start, end in _period_spans(ws) for j in range(start, end)}
    for i, w in enumerate(ws):
        if skip:
            skip -= 1
            continue
        if i in in_period:
            continue
        value = None
        taken = 1
        if w[0].isdigit() and i + 1 < len(ws) and ws[i + 1] == "s":
            continue  # a decade, "the 1990s": Arabic says "التسعينيات", with no digits
        if w in _PERCENT or (w in _HUNDREDTH and i and ws[i - 1] == "في"):
            continue  # "63 بالمئة", "في المئة": per cent, not a hundred
        if w[0].isdigit():
            value = _number_token(w)
        elif is_pair(w):
            value = 2.0
        elif (both := _compound(ws, i)) is not None:
            value, taken = both
            skip = taken - 1
        else:
            value = next((_UNITS[f] for f in _forms(w) if f in _UNITS), None)
        if value is None:
            continue
        values = [value]
        end = i + taken
        if end < len(ws):
            scale = next((_SCALES[f] for f in _forms(ws[end]) if f in _SCALES), None)
            if scale is not None and value < 1000:
                values.append(value * scale)
        out.append((values, i, end))
    return out


def is_pair(w: str) -> bool:
    """"two", or the dual of a counted noun ("موقعين")."""
    return w == "two" or any(f in _DUALS for f in _forms(w))


@lru_cache(maxsize=50_000)
def numbers(text: str, pairs: bool = True) -> frozenset[float]:
    """Every numeric value the text states, with and without its scale word. Without `pairs`, not the
    2 of "two" or of a dual: what a claim states that its passage must state too leaves those out, as
    a passage says two in ways no rule reads ("قطاري ركاب": two trains, in a construct), while its
    dual still contradicts another number ("موقعين" / "five positions")."""
    ws = _words(text)
    return frozenset(v for values, start, _ in _number_spans(ws) if pairs or not is_pair(ws[start]) for v in values)


# Words around nearly every year or count, which say nothing about what it counts ("عام 2011", "عام 2015").
_GENERIC_CONTEXT = frozenset({"عام", "سنه", "year", "years"})


@lru_cache(maxsize=50_000)
def number_contexts(text: str) -> dict[float, frozenset[str]]:
    """Each value the text states -> the terms of the two content words before and after it: what the
    number counts or dates ("قتل 9 أشخاص": قتل, اشخاص). Two sentences that give one quantity
    two values share some of it ("قتل 9 أشخاص" / "قتل 16 مدنيا"); two different quantities
    seldom do ("رؤية السعودية 2030" / "برنامج تطوير القطاع المالي 2020")."""
    ws = _words(text)
    out: dict[float, set[str]] = {}
    for values, start, end in _number_spans(ws):
        before = [t for w in reversed(ws[max(0, start - 4): start]) if not w[0].isdigit() for t in terms(w)][:2]
        after = [t for w in ws[end: end + 4] if not w[0].isdigit() for t in terms(w)][:2]
        # A dual counts its own noun ("موقعين": two positions).
        counted = terms(ws[start]) if end == start + 1 and ws[start] != "two" and is_pair(ws[start]) else []
        context = set(before + after + counted) - _GENERIC_CONTEXT
        for v in values:
            out.setdefault(v, set()).update(context)
    return {v: frozenset(c) for v, c in out.items()}


def skeleton(term: str) -> str:
    """An Arabic term without its long vowels after the first letter: a singular and its broken plural,
    or a noun and its adjective, often share it ("موقع" / "مواقع", "قتل" / "قتيل"). Other scripts as written."""
    return term[:1] + "".join(ch for ch in term[1:] if ch not in "اوىي")


def _decimals(x: float) -> int:
    text = repr(float(x))
    return 0 if text.endswith(".0") or "e" in text else len(text.split(".")[1])


def same_number(a: float, b: float) -> bool:
    """Two written values of one quantity: equal, or one rounded to the other's precision ("30.5
    million" and "31 million", "8.87" and "8.9"); a value with a scale word is compared at that
    scale ("30.5 مليون" = 30,500,000 against 31,000,000)."""
    if a == b:
        return True
    # (not thousands: "2010" and "2007" are years, not 2.01 and 2.007 thousand)
    for scale in (1.0, 1e6, 1e9):
        x, y = a / scale, b / scale
        if scale > 1 and (max(abs(x), abs(y)) >= 1000 or min(abs(x), abs(y)) < 1):
            continue
        if abs(x - y) <= 0.5 * 10 ** -min(_decimals(x), _decimals(y)) + 1e-9:
            return True
    return False


def unmatched(these: frozenset[float], others: frozenset[float]) -> list[float]:
    """The values of `these` that no value of `others` states (see same_number), smallest first. A
    value stated exactly is no rounding of another ("7,000,000 … 5,500,000" does not state 6,500,000)."""
    exact = these & others
    rest = others - exact
    return sorted(x for x in these - exact if not any(same_number(x, y) for y in rest))


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
def month_days(text: str) -> frozenset[float]:
    """The numbers the text writes as a day of a month ("9 نوفمبر 2020", "November 9"): a date, which
    another number of a claim ("ثلاثة مواقع") is no other value of."""
    ws = _words(text)
    month_at = {i for i, w in enumerate(ws) if any(f in _MONTHS for f in _forms(w))}
    days = set()
    for i, w in enumerate(ws):
        if not w[0].isdigit() or (value := _number_token(w)) is None:
            continue
        # Before the month, any number short of a year stands where the day does ("62 أبريل", a wrong day
        # is still a day); after it ("نوفمبر 2020"), only a number a day can be ("November 9").
        if (i + 1 in month_at and value < 1000) or (i - 1 in month_at and 1 <= value <= 31):
            days.add(value)
    return frozenset(days)


@lru_cache(maxsize=50_000)
def weekdays(text: str) -> frozenset[int]:
    """The days of the week the text names (1 = Monday). "يوم الأحد" and "on Sunday" agree; "أحد"
    alone is also "one"/"someone", so it counts only after "يوم"."""
    ws = [normalize(w).lower() for w in written_words(text)]
    found = set()
    for i, w in enumerate(ws):
        day = _WEEKDAYS.get(w)
        if day is None and w.startswith(("و", "ب")) and len(w) > 4:
            day = _WEEKDAYS.get(w[1:])
        if day is None:
            continue
        if w in ("احد", "اثنين", "جمعه", "سبت") and not (i and ws[i - 1] in ("يوم", "ليله")):
            continue  # "أحد" (one), "جمعة" (a gathering), "سبت" alone are not days
        found.add(int(day))
    return frozenset(found)


@lru_cache(maxsize=50_000)
def negated(text: str) -> bool:
    """Does the sentence say that something did not happen / is not so?"""
    return negations(text) % 2 == 1


@lru_cache(maxsize=50_000)
def negations(text: str) -> int:
    """How many negations the sentence has: "ليس صحيحا أن لا …" has two, and says "…"."""
    return len(_negation_scopes(text))


# What a negation passes over to reach what it denies: quantifiers ("بأي تصريح", "any comment") and
# auxiliaries ("لم يكن مؤشرا", "لم يتم تحديدها", "لم يعد"; English ones are stop words already).
_NEGATION_SKIP = {normalize(w) for w in "أي أية بأي بأية لأي any يكن تكن يكونوا يتم تتم يعد تعد يعودوا".split()}
# A negation of these denies the whole statement that follows: "ليس صحيحا أن …", "it is not true that …".
_WHOLE = {normalize(w) for w in "صحيح صحيحا صحيحة true correct case".split()}


def negation_scopes(text: str) -> list[tuple[str, ...]]:
    """What each negation of the sentence denies: the first two words after it that carry meaning, as
    written less short vowels ("لم يتم تحديدها بعد" → ("تحديدها",), "did not make any comment" →
    ("make", "comment")); () where it denies the whole statement that follows ("ليس صحيحا أن …", "It is
    not true that …"). A negation in a clause of its own ("… الحدود، التي لم يتم تحديدها") denies that clause, not the
    sentence's main statement."""
    return list(_negation_scopes(text))


@lru_cache(maxsize=50_000)
def _negation_scopes(text: str) -> tuple[tuple[str, ...], ...]:
    written = _WORD.findall(strip_diacritics(text).replace("n't", " not"))  # (short vowels split a word)
    ws = [normalize(w) for w in written]
    # "لا يزال" / "ما زال": "still", not a negation
    still = [i + 1 < len(ws) and w in ("لا", "ما", "لم") and ws[i + 1] in _STILL_VERBS for i, w in enumerate(ws)]
    is_neg = [not s and (w in _NEGATIONS or (w[:1] in ("و", "ف") and w[1:] in _NEGATIONS))
              for w, s in zip(ws, still, strict=True)]
    scopes: list[tuple[str, ...]] = []
    for i, neg in enumerate(is_neg):
        if not neg:
            continue
        # "لم يتخل إلا عن 308 نقاط" / "لا يضم سوى": "only", not a negation (the next negation
        # word, if it comes first, owns the "إلا")
        after = ws[i + 1: i + 8]
        only = next((j for j, x in enumerate(after) if x in ("الا", "سوي")), None)
        if only is not None and not any(is_neg[i + 1: i + 1 + only]):
            continue
        scope: list[str] = []
        for j in range(i + 1, len(ws)):
            if is_neg[j] or len(scope) == 2:
                break
            if ws[j] in _WHOLE and not scope:
                scope = []
                break
            if terms(ws[j]) and ws[j] not in _NEGATION_SKIP and not ws[j][0].isdigit():
                scope.append(written[j])
        scopes.append(tuple(scope))
    return tuple(scopes)


# Actions and their opposites, in both languages (normalised Arabic; English stems as written).
# Each concept lists the forms a news sentence uses: past, present, noun.
_ACTIONS = {
    "win": ("فاز يفوز تفوز فوز فوزه بفوز", "won win wins winning victory victorious"),
    "lose": ("خسر يخسر تخسر خساره هزم هزيمه انهزم", "lost lose loses losing defeat defeated"),
    "arrest": ("اعتقل اعتقال اعتقلت القبض اوقف توقيف احتجز احتجاز", "arrested arrest arrests detained detention"),
    "release": ("افرج الافراج اطلق سراح اخلي", "released release releases freed"),
    "rise": ("ارتفع ارتفاع ارتفعت يرتفع زاد زياده تزايد صعد", "rose rise rises risen increased increase"),
    "fall": ("انخفض انخفاض انخفضت ينخفض تراجع تراجعت هبط هبوط", "fell fall falls fallen decreased decrease dropped"),
    "accept": ("قبل وافق موافقه وافقت قبول اقر", "accepted accept approved approve agreed"),
    "reject": ("رفض رفضت يرفض الرفض رفضه", "rejected reject refused refuse declined"),
    "open": ("فتح افتتح افتتاح فتحت", "opened reopened"),
    "close": ("اغلق اغلاق اغلقت", "closed shut"),
    "resign": ("استقال استقاله", "resigned resign resignation"),
    "appoint": ("عين تعيين عينت", "appointed appoint named"),
    "sign": ("وقع توقيع وقعت", "signed sign"),
    "cancel": ("الغي الغاء الغت", "cancelled canceled cancel scrapped"),
    "support": ("ايد تاييد دعم يدعم", "supported backed endorsed"),
    "oppose": ("عارض معارضه يعارض", "opposed oppose"),
    "north": ("شمال شمالي شماليه الشمال الشماليه", "north northern"),
    "south": ("جنوب جنوبي جنوبيه الجنوب الجنوبيه", "south southern"),
    # Not "تحالف" (a coalition), "عدوان" (aggression, as often as two enemies) or "خصم" (also a discount).
    "ally": ("حليف حليفه حليفان حليفين حليفتان حليفتين حلفاء حليفتها حليفها", "ally allies"),
    "enemy": ("عدو عدوه عدوين عدوتين عدوتان اعداء", "enemy enemies foe foes"),
    "east": ("شرق شرقي شرقيه", "east eastern"),
    "west": ("غرب غربي غربيه", "west western"),
}
_OPPOSITE = {"win": "lose", "lose": "win", "arrest": "release", "release": "arrest", "rise": "fall", "fall": "rise",
             "accept": "reject", "reject": "accept", "open": "close", "close": "open", "resign": "appoint",
             "appoint": "resign", "sign": "cancel", "cancel": "sign", "support": "oppose", "oppose": "support",
             "north": "south", "south": "north", "east": "west", "west": "east", "ally": "enemy", "enemy": "ally"}
_ACTION_OF = {w: concept for concept, (ar, en) in _ACTIONS.items() for w in (ar + " " + en).split()}
_DIRECTION_WORDS = frozenset(_ACTIONS["north"][1].split() + _ACTIONS["south"][1].split() + _ACTIONS["east"][1].split()
                             + _ACTIONS["west"][1].split())


@lru_cache(maxsize=50_000)
def actions(text: str, names: bool = False) -> dict[str, str]:
    """The actions the text states: concept -> the word that states it ("won", "فاز"). With `names`,
    a direction that is part of a country's name ("كوريا الشمالية") is left out."""
    out: dict[str, str] = {}
    raws = written_words(text)
    for i, raw in enumerate(raws):
        w = normalize(raw).lower()
        if (names and _in_a_name(raws, i)) or (w in _DIRECTION_WORDS and raw[:1].isupper() and (
                i > 0 or (i + 1 < len(raws) and raws[i + 1][:1].isupper()))):
            continue  # "the Middle East", "East Jerusalem", "South Africa …": a direction in a name
        forms = [f for base in _forms(w) for f in (base, *(base[:-len(x)] for x in ("ت", "وا", "ه", "ها", "هم")
                                                         if base.endswith(x) and len(base) - len(x) >= 3))]
        concept = next((_ACTION_OF[f] for f in forms if f in _ACTION_OF), None)
        if concept is not None and concept not in out:
            out[concept] = raw
    return out


_KOREA = {"كوريا", "كوري", "الكوري", "كوريه", "الكوريه", "korea", "korean"}


def _in_a_name(raws: list[str], i: int) -> bool:
    """Is raws[i] a direction that is part of a country's name ("كوريا الشمالية", "South Korea",
    "جنوب السودان")? North and South Korea are two countries, not two directions."""
    near = {normalize(w).lower() for w in raws[max(0, i - 1): i + 2]} - {normalize(raws[i]).lower()}
    return bool(near & _KOREA) or (i + 1 < len(raws) and normalize(raws[i + 1]).lower() in ("السودان", "sudan"))


def opposite_action(claim: str, support: str, names: bool = False) -> tuple[str, str] | None:
    """(the support's word, the claim's word) when the claim states the opposite action of the
    support ("lost" against "فاز") and the support does not also state the claim's. With `names`,
    North and South Korea are two countries, not opposite directions."""
    said, claimed = actions(support, names), actions(claim, names)
    for concept, word in claimed.items():
        other = _OPPOSITE[concept]
        if other in said and concept not in said:
            return said[other], word
    return None


# Words of saying: a statement, a comment, and the verbs that make one; the plain ones (said, commented,
# made a statement: which one is wording) and those that say what was said (condemned, welcomed, denied).
_PLAIN_SPEECH = frozenset(normalize(w) for w in """
    قال قالت يقول تقول صرح صرحت يصرح تصرح تصريح تصريحا تصريحات بتصريح بتصريحات علق علقت يعلق تعلق تعليق تعليقا
    تعليقات بتعليق بيان بيانا ببيان أدلى أدلت يدلي تدلي
    said says say stated states statement statements comment commented comments remarks told tells
""".split())
_SPEECH = _PLAIN_SPEECH | frozenset(normalize(w) for w in """
    أعلن أعلنت يعلن تعلن أدان أدانت يدين تدين ندد نددت يندد تندد رحب رحبت يرحب ترحب انتقد انتقدت ينتقد تنتقد
    أشاد أشادت يشيد تشيد نفى نفت ينفي تنفي اتهم اتهمت يتهم تتهم وصف وصفت يصف تصف أكد أكدت يؤكد تؤكد
    أوضح أوضحت يوضح توضح أضاف أضافت يضيف تضيف أفاد أفادت
    condemned condemns condemn welcomed welcomes criticised criticized criticises criticizes praised praises
    announced announces denied denies accused accuses declared declares described describes confirmed
    confirms stressed stresses added
""".split())


# Answers to a request or a proposal: each makes a statement, which "made no statement on it" denies.
_ANSWERING = frozenset(normalize(w) for w in """
    وافق وافقت يوافق توافق قبلت يقبل تقبل استجاب استجابت يستجيب تستجيب ردت يرد ترد لبى لبت يلبي تلبي
    agreed agrees accepted accepts approved approves responded responds replied replies answered answers
""".split())


def _saying(word: str, words: frozenset[str]) -> bool:
    form = normalize(word.lower())
    return form in words or (form[:1] in ("و", "ف", "ب") and form[1:] in words)


def speech_at(text: str) -> int | None:
    """The position among the text's words (`written_words`) of its first word of saying, or None."""
    return next((k for k, w in enumerate(written_words(text)) if _saying(w, _SPEECH)), None)


def statement_at(text: str) -> int | None:
    """`speech_at`, a word that answers a request counting too ("وافقت روسيا على طلب أرمينيا", "Russia
    accepted"): what a negation of any statement ("لم تدل بأي تصريحات") denies."""
    return next((k for k, w in enumerate(written_words(text)) if _saying(w, _SPEECH | _ANSWERING)), None)


def plain_saying(word: str) -> bool:
    """A word of saying that says nothing of what was said ("قال", "علقت", "تصريحات", "commented"): one of
    them for another is a claim's own wording."""
    return _saying(word, _PLAIN_SPEECH)
