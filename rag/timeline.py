"""Can these articles know? A question about a year asked of articles all written before it.

"Who won the 2022 World Cup?" asked of an archive whose closest articles date from 2015 finds
sentences that name the 2022 World Cup (Qatar's preparations, the draw), none of which can say
who won: the articles were written before it happened. `asked_after` says so, and the answer
declines with that reason rather than quote what was written beforehand.

Only a question on what happened counts: a past verb ("فاز", "won", "was elected"), or no verb at
all ("كم عدد ضحايا زلزال فبراير 2023؟"); not one in the present or the future ("من يستضيف كأس
العالم 2022؟", "Who hosts…?", "When will…?"), which an older article may answer with what was
planned. Only a year that has passed counts ("Vision 2030" is a plan, and an article of 2016 on it
is as good as any), and only where every article compared has a date (an undated one may be newer).

    >>> years_asked("من فاز بكأس العالم لكرة القدم ٢٠٢٢؟")
    [2022]
    >>> asked_after("Who won the 2022 FIFA World Cup?", ["2015-08-02", "2014-06-30"], today_year=2026)
    2022
    >>> asked_after("When will the 2022 World Cup start?", ["2015-08-02"], today_year=2026) is None
    True
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence

from .arabic import normalize, words
from .names import arabic_place

_YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?!\d|[.,]\d)")  # not in 72.2018 or 2018.5; "2022," is a year
# A question that looks ahead asks what the articles expected, which an older article may say.
_AHEAD_AR = frozenset(normalize(w) for w in """
    سوف سيتم ستتم سيكون ستكون سيقام ستقام سيعقد ستعقد سينطلق ستنطلق سيبدأ ستبدأ سيصبح ستصبح
    المقبل المقبلة القادم القادمة المرتقب المرتقبة المتوقع المتوقعة يتوقع تتوقع
""".split())
_AHEAD_EN = re.compile(r"\b(will|shall|going to|upcoming|next|scheduled|planned|expected|plans?)\b", re.I)
# An Arabic verb right after a question word or a relative ("من يستضيف", "التي تشارك") that begins with
# ي or ت (or the future's س) is in the present (a Form V past, "تأسست", looks the same: such a question
# is left answered).
_ASKING_AR = frozenset(normalize(w) for w in """
    من ما ماذا متى أين كم هل كيف لماذا أي لمن بكم منذ هو هي هم الذي التي الذين اللذين اللتين
""".split())
# An English question on what happened: a past auxiliary, a regular past, or a common irregular one.
_PAST_EN = re.compile(r"\b(did|was|were|had|\w{2,}ed|won|lost|died|began|became|took|made|led|held|went|came|"
                      r"gave|found|left|got|saw|said|told|wrote|ran|fell|rose|beat|chose|broke|built|sent|met|"
                      r"sold|struck|stood|shot|fought|caught|brought|spent|paid|kept|drew|grew|threw|flew|"
                      r"swore|sank|sought|taught|thought|bought)\b", re.I)


def years_asked(question: str) -> list[int]:
    """The years the question names (Western or Arabic-Indic digits), in order."""
    return [int(y) for y in _YEAR.findall(normalize(question))]


def looks_ahead(question: str) -> bool:
    """Does the question ask what was to come ("سوف", "المقبل", "will", "next")?"""
    return bool(_AHEAD_EN.search(question)) or any(w in _AHEAD_AR for w in words(question))


def asks_what_happened(question: str) -> bool:
    """Is the question on a past event: in English a past verb; in Arabic no present verb right after its
    question word or relative ("من فاز", "التي شاركت", "كم عدد ضحايا…")?"""
    return _on_the_past(question, lambda ws: any(w in _ASKING_AR and nxt not in _ASKING_AR and _present(nxt)
                                                 for w, nxt in zip(ws, ws[1:], strict=False)))


def states_what_happened(claim: str) -> bool:
    """Is a statement (a claim) on a past event: in English a past verb; in Arabic no word that may be a present
    verb (ي or ت and three letters more, not a place: "تستضيف", though also a noun such as "تقرير") and nothing
    looking ahead?"""
    return _on_the_past(claim, lambda ws: any(_present(w) and not arabic_place(w) for w in ws))


def _on_the_past(text: str, arabic_present: Callable[[list[str]], bool]) -> bool:
    """Nothing looking ahead, and an English past verb or, in Arabic, no present verb where `arabic_present`
    (given the normalised words) looks for one."""
    if looks_ahead(text):
        return False
    ws = words(text)
    if all(w.isascii() for w in ws):
        return bool(_PAST_EN.search(text))
    return not arabic_present(ws)


def _present(word: str) -> bool:
    """May this (normalised) Arabic word be a verb in the present or the future: ي or ت and three letters more,
    or with the future's س ("ستستضيف")? Nouns look so too ("تقرير", "سنوات"): the callers err on answering."""
    return (word.startswith(("ي", "ت")) and len(word) >= 4) or (word.startswith(("سي", "ست", "سن")) and len(word) >= 5)


def asked_after(question: str, dates: Sequence[str | None], today_year: int | None = None,
                happened: Callable[[str], bool] = asks_what_happened) -> int | None:
    """The year the question (or with `happened=states_what_happened`, a claim) is on, when every article date
    in `dates` is earlier than it (ISO dates; the earliest year named must be after the latest article's
    year), else None."""
    today_year = today_year or datetime.date.today().year
    asked = [y for y in years_asked(question) if y <= today_year]
    if not asked or not dates or any(not d for d in dates) or not happened(question):
        return None
    try:
        newest = max(datetime.date.fromisoformat(str(d)[:10]).year for d in dates)
    except ValueError:
        return None
    return min(asked) if min(asked) > newest else None
