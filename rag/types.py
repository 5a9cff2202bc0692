"""Plain data that travels between modules.

LangChain, Chroma and Gradio types never leave the module that wraps them; these do.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, NamedTuple


def is_iso_date(value: object) -> bool:
    """True for a real calendar date written YYYY-MM-DD (the only form the index stores)."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Article:
    """One news article. `text` is stored exactly as given: citations index into it."""

    id: str
    title: str
    text: str
    date: str | None = None  # ISO 8601 date, "2021-11-16"
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article; `text == article.text[start:end]`."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the scores it was fused from."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


@dataclass(frozen=True)
class Citation:
    """A verified verbatim quote: `quote == article.text[start:end]`."""

    n: int
    article_id: str
    title: str
    quote: str
    start: int
    end: int
    date: str | None = None
    source: str | None = None
    url: str | None = None
    reader_score: float | None = None  # the reader's score for this quote, when a reader chose it


@dataclass(frozen=True)
class Passage:
    """One entry of the ranked retrieval list shown beside an answer."""

    article_id: str
    title: str
    start: int
    end: int
    score: float
    text: str = ""


@dataclass(frozen=True)
class GeneratedSentence:
    """One sentence of a generated answer: shown only when `supported` (its citations number the
    answer's verified spans); otherwise listed as unsupported with the reason."""

    text: str
    supported: bool
    citations: list[int]
    reason: str = ""


class AnswerSentence(NamedTuple):
    """One sentence of an answer and the number of the citation it carries."""

    text: str
    citation: int


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    language: str  # "ar" or "en"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The sentences of `answer`, each with the citation number it carries, for UIs.
    sentences: list[AnswerSentence] = field(default_factory=list)
    mode: str = "extractive"  # or "generated"
    # Why a generated answer fell back to the extractive one, or why nothing was found (a follow-up asked first)
    note: str = ""
    generated: list[GeneratedSentence] = field(default_factory=list)  # every generated sentence, kept or not
    reader: str = ""  # the reader that chose the quotes ("" when none did)
    # citation number -> corroborate.Corroboration: other articles that state, dispute or copy it
    corroboration: dict[int, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on what retrieval may return."""

    sources: tuple[str, ...] = ()
    date_from: str | None = None  # inclusive ISO date
    date_to: str | None = None  # inclusive ISO date

    def __post_init__(self) -> None:
        from .errors import InputError

        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not is_iso_date(value):
                raise InputError(f"date filter {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2021-11-16")
