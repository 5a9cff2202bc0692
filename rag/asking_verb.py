"""An Arabic who-question's verb of Form V or VI (تفعّل / تفاعل), embedded as its verbal noun.

Written without vowels, such a verb shares its letters with nouns and prepositions of its root, and
the embedding model reads it as them: "من توسط بين أرمينيا وأذربيجان؟" ("who mediated between …")
comes out as "what is in the middle between Armenia and Azerbaijan", and its nearest sentences are
the ones that name both countries, whatever they say. The verb's own verbal noun has the same
letters behind "ال" ("التوسط", mediation) and the model reads that as the act: asked as "من قام
بالتوسط بين أرمينيا وأذربيجان؟" the sentences that name a mediator come first (BENCHMARKS.md,
"The asking verb as its verbal noun").

So the question is *embedded* in that wording; it is shown, searched by its words and answered as
it was asked. Only where the shape is unambiguous: the verb follows the asking "من" itself, or
"من الذي" / "من التي" / a "who" question's "التي" ("من هي الجهة التي توسطت …؟"), and has the
letters of the form (ت + three root letters, or ت + root + ا + two for Form VI; the feminine ending
"ت" where the subject is feminine; "يت…" / "تت…" for the present tense). Nothing else changes: a
question in other words, or not asking "who", is embedded as it is.

    >>> embedding_wording("من توسط بين أرمينيا وأذربيجان؟")
    'من قام بالتوسط بين أرمينيا وأذربيجان؟'
    >>> embedding_wording("من الذي تصدر الفريق في الاستحواذات؟")
    'من الذي قام بتصدر الفريق في الاستحواذات؟'
    >>> embedding_wording("من تونس إلى الجزائر؟")
    'من تونس إلى الجزائر؟'
"""

from __future__ import annotations

import re

from .arabic import strip_diacritics
from .names import arabic_place

# After the verb, these take the verbal noun with its article ("قام بالتوسط بين …"); any other
# word is the verb's object, which the verbal noun governs without it ("قام بتصدر الفريق").
_PREPOSITIONS = frozenset("بين في على عن مع من الى إلى لدى حول ضد عبر".split()) | frozenset(
    p + s for p in ("في", "علي", "عل", "من", "عن", "مع", "الي", "إلي", "ب", "ل") for s in ("ه", "ها", "هم", "هما"))
_WHO = ("من", "ومن", "فمن")
_WHICH = ("أي", "اي", "وأي", "واي", "فأي")
_RELATIVE = {"الذي": "masc", "التي": "fem"}
_LETTER = "[\u0621-\u064a]"
_ROOT = "[\u0621-\u0626\u0628-\u0648\u064a]"  # a root letter: not ا, not ى (a weak final changes the noun)
_FIRM = "[\u0621-\u0626\u0628-\u0647]"  # nor و or ي in the middle: "تقوم", "تسير" are present verbs of Form I
# Past tense, masculine: ت + 3 root letters (تفعّل) or ت + C + ا + 2 (تفاعل).
_SHAPE = f"(?:{_ROOT}{_FIRM}{_ROOT}|{_ROOT}ا{_ROOT}{{2}})"
_PAST = re.compile(f"^ت{_SHAPE}$")
# Present tense: يت… (he) / تت… (she) + the same.
_PRESENT = re.compile(f"^([يت])ت{_SHAPE}$")
_TOKEN = re.compile(f"{_LETTER}+|[^\u0621-\u064a]+")


def embedding_wording(question: str) -> str:
    """The question as the embedding model should read it (itself, unless its verb is rewritten)."""
    text = strip_diacritics(question)
    tokens = _TOKEN.findall(text)
    words = [(i, t) for i, t in enumerate(tokens) if re.match(_LETTER, t)]
    if not words or words[0][1] not in _WHO + _WHICH:
        return question
    which = words[0][1] in _WHICH
    for k, (i, word) in enumerate(words):
        before = words[k - 1][1] if k else ""
        after = words[k + 1][1] if k + 1 < len(words) else ""
        gender = _gender(word, before, k) if not which else _which_gender(word, k)
        if gender is None or arabic_place(word):  # "من تونس …": from Tunisia
            continue
        noun = _verbal_noun(word, gender)
        helper = {"past masc": "قام", "past fem": "قامت", "present masc": "يقوم", "present fem": "تقوم"}[gender]
        joined = ("بال" + noun) if (not after or after in _PREPOSITIONS) else ("ب" + noun)
        tokens[i] = f"{helper} {joined}"
        return "".join(tokens)
    return question


def _gender(word: str, before: str, position: int) -> str | None:
    """'past masc' / 'past fem' / 'present masc' / 'present fem' where `word` stands where the
    asking verb stands and has its shape; else None."""
    if position == 1 and before in _WHO:  # "من توسط …؟", "من يتوسط …؟"
        if _PAST.match(word):
            return "past masc"
        if word.endswith("ت") and _PAST.match(word[:-1]):
            return "past fem"
        if (m := _PRESENT.match(word)) and m.group(1) == "ي":
            return "present masc"
        return None
    if before in _RELATIVE and position >= 2:  # "من الذي توسط …؟", "من هي الجهة التي توسطت …؟"
        if _RELATIVE[before] == "masc" and _PAST.match(word):
            return "past masc"
        if _RELATIVE[before] == "fem" and word.endswith("ت") and _PAST.match(word[:-1]):
            return "past fem"
        if (m := _PRESENT.match(word)) and (m.group(1) == "ي") == (_RELATIVE[before] == "masc"):
            return "present masc" if m.group(1) == "ي" else "present fem"
    return None


def _which_gender(word: str, position: int) -> str | None:
    """In "أي طرف يتوسط …؟" the verb follows the noun asked about; a four-letter "ت…" there may be a
    present verb of Form I ("أي دولة تعرف …"), so only the shapes that cannot be: "يت…", "تت…" and
    the feminine past "…ت"."""
    if not 2 <= position <= 3:  # "أي طرف يتوسط", "أي طرف دولي يتوسط": right after the noun asked about
        return None
    if m := _PRESENT.match(word):
        return "present masc" if m.group(1) == "ي" else "present fem"
    if word.endswith("ت") and _PAST.match(word[:-1]):
        return "past fem"
    return None


def _verbal_noun(word: str, gender: str) -> str:
    """The verb's letters as its past masculine (the verbal noun's, without "ال"): توسطت, يتوسط -> توسط."""
    stem = word[:-1] if gender == "past fem" else word
    return stem[1:] if gender.startswith("present") else stem
