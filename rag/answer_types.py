"""What kind of answer a question wants, and whether a sentence holds that kind of thing.

No Arabic named-entity model ships offline, so both sides are cue lists: question words
("كم", "متى", "who", "how many"), and in a sentence digits, number words, the dual of a counted
noun ("موقعين": two positions), month names, titles ("الرئيس", "وزير"), «guillemets», capitalised
Latin words, place nouns.

    >>> question_type("كم عدد ضحايا الزلزال؟")
    'number'
    >>> question_type("Who mediated between Armenia and Azerbaijan?")
    'person'
    >>> evidence("توفي في 29 ديسمبر 2022 عن 82 عاما")["date"]
    True
"""

from __future__ import annotations

import re
from functools import lru_cache

from .arabic import normalize, terms
from .facts import is_pair

TYPES = ("number", "date", "person", "place")


def _norm_set(text: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in text.split())


# Question openers, checked on the normalised question, first match wins (order matters:
# "في اي عام" is a date question before "في اي" is a place one).
_QUESTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        ("date", r"(^|\s)(متي|في اي (عام|سنه|يوم|شهر|قرن|تاريخ|وقت|عقد)|ما (هو )?تاريخ|منذ متي|الي متي"
                 r"|اي (عام|سنه|يوم|شهر|قرن)|ما (هي )?(السنه|العام) )"),
        ("date", r"\b(when|what year|which year|what date|what day|which day|what month|which month|"
                 r"what century|which century|how long ago|since when)\b"),
        ("number", r"(^|\s)(كم|ما (هو |هي )?(عدد|نسبه|مقدار|حجم|قيمه|سعر|مساحه|طول|ارتفاع|عمر|مدي|كميه|مبلغ|"
                   r"حصيله|درجه)|بكم|ما عدد)"),
        ("number", r"\b(how many|how much|how long|how old|how far|how big|how large|how high|what percentage|"
                   r"what proportion|what number|what is the number|what was the number|what amount|"
                   r"what is the population|what was the population)\b"),
        ("place", r"(^|\s)(اين|الي اين|من اين|في اي (مدينه|بلد|دوله|منطقه|مكان|محافظه|ولايه|قاره)|ما (هي )?"
                  r"(عاصمه|مدينه|دوله|البلد|المكان|المدينه|الدوله|المنطقه))"),
        ("place", r"\b(where|in which (city|country|state|region|town|province)|what (city|country|state|region|"
                  r"town|province|continent)|which (city|country|state|region|town|province|continent))\b"),
        ("person", r"(^|\s)(من (هو|هي|هم|الذي|التي|الذين)|^من |^ومن |لمن|بمن|ممن|من قام|من كان|من يكون|"
                   r"اي (شخص|منظمه|جهه|حزب|دوله|شركه|فريق))"),
        ("person", r"\b(who|whom|whose|which (person|organization|organisation|party|company|team|group)|"
                   r"what (organization|organisation|party|company|team|group))\b"),
    )
)


@lru_cache(maxsize=4096)
def question_type(question: str) -> str:
    """'number', 'date', 'person', 'place' or 'other'."""
    text = " ".join(re.findall(r"[^\W_]+", normalize(question)))
    for kind, pattern in _QUESTION_RULES:
        if pattern.search(text):
            return kind
    return "other"


_MONTHS = _norm_set("""
    يناير فبراير مارس أبريل ابريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر
    كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين جانفي فيفري أفريل ماي جوان جويلية أوت
    محرم صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة
    january february march april may june july august september october november december
""")
_DATE_WORDS = _norm_set("""
    عام العام سنة السنة عامي القرن قرن الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت أمس اليوم
    غدا الماضي المقبل هجري هجرية ميلادي ميلادية ق.م منذ
    century monday tuesday wednesday thursday friday saturday sunday yesterday today
""")
_NUMBER_WORDS = _norm_set("""
    واحد واحدة اثنان اثنين اثنتان اثنتين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية
    تسع تسعة عشر عشرة عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين ستون ستين سبعون سبعين ثمانون
    ثمانين تسعون تسعين مئة مائة مئات مائتي مئتي مائتين ألف آلاف ألفين مليون ملايين مليار مليارات بليون
    نصف ربع ثلث ضعف ضعفي بالمئة بالمائة المئة المائة
    one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred hundreds thousand thousands million millions billion billions dozen half percent
""")
# Who-answers: people by their titles, and named bodies. Words such as "وزارة" or "القوات" are
# left out on purpose: nearly every news sentence has one, so they tell nothing.
_PERSON_CUES = _norm_set("""
    الرئيس رئيس رئيسة الملك ملك الملكة الأمير أمير الشيخ السيد السيدة الدكتور د وزير وزيرة الوزير الوزيرة
    نائب المتحدث الناطق الأمين أمين المدير مدير مديرة السفير الجنرال اللواء العقيد الزعيم القائد المستشار
    الإمام البابا المطران الكاتب الشاعر الفنان المخرج اللاعب المدرب العالم الفيلسوف المؤرخ الخليفة السلطان
    منظمة المنظمة مجموعة المجموعة الاتحاد اتحاد وكالة الوكالة حزب الحزب شركة الشركة جامعة الجامعة هيئة
    الهيئة لجنة اللجنة جمعية حركة الحركة جبهة الأمم مؤسسة المؤسسة
    بن ابن أبو أبي بنت آل
""")
_PLACE_CUES = _norm_set("""
    مدينة المدينة محافظة المحافظة ولاية الولاية منطقة المنطقة دولة الدولة بلد البلاد عاصمة العاصمة إقليم
    الإقليم قرية القرية جزيرة الجزيرة نهر النهر جبل جبال بحر البحر شمال جنوب شرق غرب شمالي جنوبي شرقي
    غربي وسط قارة القارة حي ميناء مطار ساحل الساحل حدود الحدود بالقرب قرب مقاطعة المقاطعة
""")
_QUOTED = re.compile(r"«[^»]{2,60}»|\"[^\"]{2,40}\"|“[^”]{2,40}”")
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")
_DIGITS = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_WORD = re.compile(r"[^\W_]+")


def _prefixless(word: str) -> tuple[str, ...]:
    """The word and its forms without one clitic prefix (و ف ب ل ك and ال)."""
    forms = [word]
    for p in ("وال", "بال", "فال", "كال", "لل", "و", "ف", "ب", "ل", "ك"):
        if word.startswith(p) and len(word) - len(p) >= 2:
            forms.append(word[len(p):])
    return tuple(forms)


def _cues(text: str) -> dict[str, frozenset[str]]:
    """The cue tokens of each answer type found in `text` (normalised)."""
    norm = normalize(text)
    words = _WORD.findall(norm)
    forms = {f for w in words for f in _prefixless(w)}
    numbers = frozenset(re.findall(r"\d+(?:[.,]\d+)*", norm)) | (forms & _NUMBER_WORDS)
    if any(is_pair(w) for w in words):  # the dual of a noun news counts says 2: "موقعين", "مرتين"
        numbers |= {"2"}
    years = frozenset(_YEAR.findall(norm))
    numbers -= years - _year_shaped_counts(norm)  # "in 2018" is when, not how many; "1500 ناشر" is a count
    months = forms & _MONTHS
    dates = years | months | (frozenset(re.findall(r"\d+", norm)) if forms & _DATE_WORDS else frozenset())
    quoted = frozenset(m.lower() for m in _QUOTED.findall(text))
    latin = frozenset(m.lower() for m in _LATIN_NAME.findall(text))
    return {"number": numbers, "date": frozenset(dates),
            "person": quoted | latin | (forms & _PERSON_CUES), "place": latin | (forms & _PLACE_CUES)}


def _year_shaped_counts(norm: str) -> frozenset[str]:
    """The numbers of a year's shape that count something: a content word right after them ("1500 ناشر",
    "2000 soldiers"), and no word of dates right before ("عام 2018 شهد", "in 2018 the")."""
    out = set()
    for m in _YEAR.finditer(norm):
        before = _WORD.findall(norm[max(0, m.start() - 30):m.start()])[-1:]
        after = re.match(r"\s*([^\W\d_]+)", norm[m.end():])
        if (after and terms(after.group(1)) and not any(f in _MONTHS | _DATE_WORDS for w in before
                                                          for f in _prefixless(w))):
            out.add(m.group(1))
    return frozenset(out)


@lru_cache(maxsize=20_000)
def _question_cues(question: str) -> dict[str, frozenset[str]]:
    return _cues(question)


@lru_cache(maxsize=100_000)
def evidence(sentence: str, question: str = "") -> dict[str, bool]:
    """Which answer types the sentence could supply: {'number': …, 'date': …, 'person': …, 'place': …}.

    A cue the question itself contains does not count: for "كم عدد ضحايا زلزال 2023؟" the year
    2023 in a sentence is not an answer."""
    found = _cues(sentence)
    asked = _question_cues(question) if question else {k: frozenset() for k in found}
    out = {kind: bool(found[kind] - asked[kind]) for kind in TYPES}
    duals = _asked_duals(question) if question else frozenset()
    if not out["number"] and duals and duals & {f[2:] if f.startswith("ال") else f
                                                for w in _WORD.findall(normalize(sentence)) for f in _prefixless(w)}:
        out["number"] = True  # "كم موقعا …؟" answered by "… موقعين": the dual of the noun asked about is 2
    return out


@lru_cache(maxsize=20_000)
def _asked_duals(question: str) -> frozenset[str]:
    """The dual forms of the noun an Arabic "how many" question counts: "كم موقعا" -> موقعين, موقعان;
    "كم مرة" -> مرتين, مرتان."""
    words = _WORD.findall(normalize(question))
    for k, w in enumerate(words[:-1]):
        if w in ("كم", "بكم"):
            noun = words[k + 1]
            stem = noun[:-1] if noun.endswith("ا") and len(noun) > 3 else noun  # the accusative's alif
            stem = stem[:-1] + "ت" if stem.endswith("ه") else stem  # ta marbuta, as normalised
            return frozenset({stem + "ين", stem + "ان"}) if len(stem) >= 3 else frozenset()
    return frozenset()


def fits(question_kind: str, sentence: str, question: str = "") -> bool:
    """Does the sentence hold the kind of thing the question asks for ('other' always fits)?"""
    return question_kind == "other" or evidence(sentence, question)[question_kind]
