"""Can these articles know? A question about a year asked of articles all written before it.

"Who won the 2022 World Cup?" asked of an archive whose closest articles date from 2015 finds
sentences that name the 2022 World Cup (Qatar's preparations, the draw), none of which can say
who won: the articles were written before it happened. `asked_after` says so, and the answer
declines with that reason rather than quote what was written beforehand.

Only a year that has passed counts ("Vision 2030" is a plan, and an article of 2016 on it is
as good as any), only where every article compared has a date (an undated one may be newer),
and not where the question itself looks ahead ("When will the 2022 World Cup start?").

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
from collections.abc import Sequence

from .arabic import normalize, words

_YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?!\d|[.,]\d)")  # not in 72.2018 or 2018.5; "2022," is a year
# A question that looks ahead asks what the articles expected, which an older article may say.
_AHEAD_AR = frozenset(normalize(w) for w in """
    سوف سيتم ستتم سيكون ستكون سيقام ستقام سيعقد ستعقد سينطلق ستنطلق سيبدأ ستبدأ سيصبح ستصبح
    المقبل المقبلة القادم القادمة المرتقب المرتقبة المتوقع المتوقعة يتوقع تتوقع
""".split())
_AHEAD_EN = re.compile(r"\b(will|shall|going to|upcoming|next|scheduled|planned|expected|plans?)\b", re.I)


def years_asked(question: str) -> list[int]:
    """The years the question names (Western or Arabic-Indic digits), in order."""
    return [int(y) for y in _YEAR.findall(normalize(question))]


def looks_ahead(question: str) -> bool:
    """Does the question ask what was to come ("سوف", "المقبل", "will", "next")?"""
    return bool(_AHEAD_EN.search(question)) or any(w in _AHEAD_AR for w in words(question))


def asked_after(question: str, dates: Sequence[str | None], today_year: int | None = None) -> int | None:
    """The year the question asks about when every article date in `dates` is earlier than it
    (ISO dates; the earliest year asked must be after the latest article's year), else None."""
    today_year = today_year or datetime.date.today().year
    asked = [y for y in years_asked(question) if y <= today_year]
    if not asked or not dates or any(not d for d in dates) or looks_ahead(question):
        return None
    try:
        newest = max(datetime.date.fromisoformat(str(d)[:10]).year for d in dates)
    except ValueError:
        return None
    return min(asked) if min(asked) > newest else None
