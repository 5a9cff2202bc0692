"""Sentence splitting with character offsets, for Arabic and English news text.

A sentence ends at `.`, `!`, `?`, `؟`, `؛` or `…` followed by white space (closing quotes and
brackets stay with the sentence), and at every line break. A full stop does not end a sentence
inside a number ("3.5"), after an initial ("J. K.", "د. محمد") or after a known abbreviation.

    >>> text = "قال د. أحمد إن النمو بلغ 3.5 في المئة. وأضاف: هل هذا كاف؟ نعم"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['قال د. أحمد إن النمو بلغ 3.5 في المئة.', 'وأضاف: هل هذا كاف؟', 'نعم']
"""

from __future__ import annotations

import re

_END = re.compile(r"""[.!?؟؛…]+["'»”’)\]]*(?=\s|$)|\n""")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc inc ltd co corp gen col lt sgt capt gov sen rep
    no vol fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m
    ش م ص ق ه د أ""".split()
)
_WORD_BEFORE = re.compile(r"([^\s\"'«(\[]+)$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in text[start:end], trimmed of outer white space.

    Every span satisfies `text[s:e] == text[s:e].strip()` and spans never overlap.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if match.group() != "\n" and _is_false_stop(text, cursor, match.start()):
            continue
        _add(text, cursor, match.end(), spans)
        cursor = match.end()
    _add(text, cursor, end, spans)
    return spans


def _is_false_stop(text: str, sentence_start: int, stop: int) -> bool:
    """A single full stop after an initial or abbreviation is not a sentence end."""
    if text[stop] != "." or text[stop: stop + 2] == "..":
        return False
    before = _WORD_BEFORE.search(text, sentence_start, stop)
    if not before:
        return False
    word = before.group(1).lower().rstrip(".")
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J." "د."
    return word in _ABBREVIATIONS


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


_CLAUSE_END = re.compile(r"[،,:;]+(?=\s)")
CLAUSE_WORDS = 4  # a piece shorter than this joins the next ("في هذا السياق،")


def sentence_before(text: str, start: int, reach: int = 600) -> str:
    """The sentence that ends before `start` in `text` ("" at the text's beginning): where a sentence
    that goes on from it ("وقال …") has its subject."""
    spans = split_sentences(text, max(0, start - reach), start) if start > 0 else []
    return text[spans[-1][0]:spans[-1][1]] if spans else ""


def clauses(sentence: str) -> list[str]:
    """The sentence cut at its commas and colons into pieces of at least CLAUSE_WORDS words (a short
    piece joins the next; a short last piece joins the one before); [] when it is one piece. A claim
    often restates one clause of a long sentence, which the whole sentence's vector dilutes.

    >>> clauses("في هذا السياق، لروسيا قاعدة عسكرية في أرمينيا، كما اتفقت عليه باكو ويريفان وموسكو")
    ['في هذا السياق، لروسيا قاعدة عسكرية في أرمينيا،', 'كما اتفقت عليه باكو ويريفان وموسكو']
    """
    pieces: list[str] = []
    cursor = 0
    for match in _CLAUSE_END.finditer(sentence):
        pieces.append(sentence[cursor:match.end()].strip())
        cursor = match.end()
    pieces.append(sentence[cursor:].strip())
    merged: list[str] = []
    carry = ""
    for piece in (p for p in pieces if p):
        carry = f"{carry} {piece}".strip()
        if len(carry.split()) >= CLAUSE_WORDS:
            merged.append(carry)
            carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return merged if len(merged) > 1 else []
