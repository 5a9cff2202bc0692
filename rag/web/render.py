"""HTML for the chat and its sources panel. Pure functions: data in, escaped HTML out.

Every piece of article or user text goes through `esc` before it touches markup: article
text is data from anywhere (pasted pages, fetched URLs) and must never become live HTML.

    >>> esc('<img src=x onerror=alert(1)>')
    '&lt;img src=x onerror=alert(1)&gt;'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..arabic import language
from ..ingest.urls import safe_url
from ..types import Answer, AnswerSentence, Citation, Passage

if TYPE_CHECKING:
    from ..verify import Verdict

# UI phrases in the language of the question they answer.
PHRASES: dict[str, dict[str, str]] = {
    "searching": {"ar": "جارٍ البحث في المقالات…", "en": "Searching the articles…"},
    "closest": {"ar": "أقرب المقاطع:", "en": "Closest passages:"},
    "sources": {"ar": "المصادر", "en": "Sources"},
    "open": {"ar": "افتح المقال", "en": "Open article"},
    "link": {"ar": "الرابط", "en": "link"},
    "error": {"ar": "تعذّر الإجابة", "en": "Could not answer"},
    "unsupported": {"ar": "جمل لا تدعمها المقالات", "en": "Not supported by the articles"},
    "reader": {"ar": "اختيرت الجمل بواسطة", "en": "Sentences chosen by"},
}
EMPTY_CHAT = ('<div class="isnad-empty"><p dir="rtl" lang="ar">اسأل سؤالاً عن المقالات بالعربية أو بالإنجليزية.</p>'
              '<p dir="ltr" lang="en">Ask a question about the articles, in Arabic or English.</p></div>')
EMPTY_SOURCES = ('<div class="isnad-empty"><p dir="ltr" lang="en">Cited passages appear here.</p>'
                 '<p dir="rtl" lang="ar">تظهر المقاطع المستشهد بها هنا.</p></div>')
PASSAGE_PREVIEW_CHARS = 280
CHAT_PASSAGES = 3  # closest passages listed under an abstention; the sources panel lists them all


@dataclass
class Turn:
    """One question of a conversation and, once it arrives, its answer."""

    question: str
    answer: Answer | None = None  # None while the search runs
    shown: int | None = None  # sentences revealed so far while streaming; None means all
    error: str | None = None


def esc(text: object) -> str:
    """HTML-escape any text, quotes included, so it is safe in element content and attributes."""
    return html.escape("" if text is None else str(text), quote=True)


def lang_of(text: str) -> str:
    return language(text or "")


def text_dir(text: str) -> str:
    """'rtl' for Arabic text, 'ltr' otherwise: the direction a block of this text reads in."""
    return "rtl" if lang_of(text) == "ar" else "ltr"


def phrase(key: str, lang: str) -> str:
    return PHRASES[key]["ar" if lang == "ar" else "en"]



def link_html(url: str | None, label: str) -> str:
    good = safe_url(url)
    if good is None:
        return ""
    return f'<a class="ext" href="{esc(good)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'


def meta_html(source: str | None, date: str | None, url: str | None, lang: str) -> str:
    parts = [f'<span dir="auto">{esc(source)}</span>' if source else "",
             f'<time dir="ltr">{esc(date)}</time>' if date else "",
             link_html(url, phrase("link", lang))]
    shown = [p for p in parts if p]
    return f'<div class="meta">{" · ".join(shown)}</div>' if shown else ""


def marker(turn: int, kind: str, n: int, label: str, title: str = "") -> str:
    """A clickable citation marker; the chat's script turns a click into a server event.

    `kind` is "c" for a citation (n = its number) and "p" for a passage (n = its index)."""
    tip = f' title="{esc(title)}"' if title else ""
    return (f'<a class="cite" href="#" role="button" dir="ltr" data-turn="{turn}" data-kind="{kind}" '
            f'data-n="{n}"{tip}>{esc(label)}</a>')


# ---------------------------------------------------------------- chat


def _answer_body(i: int, turn: Turn) -> str:
    ans = turn.answer
    assert ans is not None
    if ans.abstained:
        items = "".join(
            f'<li dir="{text_dir(p.text)}">{marker(i, "p", j, "↗", p.title)} '
            f'<strong dir="auto">{esc(p.title)}</strong>: '
            f'<span class="snippet">{esc(_preview(p.text, 110))}</span></li>'
            for j, p in enumerate(ans.passages[:CHAT_PASSAGES]))
        closest = (f'<p class="closest">{esc(phrase("closest", ans.language))}</p><ul class="passages">{items}</ul>'
                   if items else "")
        note = f'<p class="note" dir="{text_dir(ans.note)}">{esc(ans.note)}</p>' if ans.note else ""
        return f'<p class="abstain" dir="{text_dir(ans.answer)}">{esc(ans.answer)}</p>{note}{closest}'
    sentences = ans.sentences or [AnswerSentence(c.quote, c.n) for c in ans.citations]
    count = len(sentences) if turn.shown is None else turn.shown
    titles = {c.n: c.title for c in ans.citations}
    body = "".join(
        f'<p class="sent" dir="{text_dir(s.text)}">{esc(s.text)} '
        f'{marker(i, "c", s.citation, f"[{s.citation}]", titles.get(s.citation, ""))}</p>'
        for s in sentences[:count])
    return body + (_aside(ans) if turn.shown is None else "")


def _aside(ans: Answer) -> str:
    """Below a finished answer: why it is extractive (a note), the reader that chose its sentences,
    and the generated sentences that verification refused, struck through in a closed fold."""
    out = f'<p class="note" dir="auto">{esc(ans.note)}</p>' if ans.note else ""
    if ans.reader:  # which reader is in force (none: the sentence scorer, nothing to say)
        out += (f'<p class="reader" dir="auto">{esc(phrase("reader", ans.language))}: '
                f'<span dir="ltr">{esc(ans.reader)}</span></p>')
    refused = [g for g in ans.generated if not g.supported]
    if refused:
        items = "".join(f'<li dir="{text_dir(g.text)}"><s>{esc(g.text)}</s> '
                        f'<span class="why" dir="ltr">({esc(g.reason)})</span></li>' for g in refused)
        out += (f'<details class="unsupported"><summary>{esc(phrase("unsupported", ans.language))} '
                f'({len(refused)})</summary><ul>{items}</ul></details>')
    return out


def render_turn(i: int, turn: Turn) -> str:
    q_lang = lang_of(turn.question)
    q_dir = "rtl" if q_lang == "ar" else "ltr"
    user = f'<div class="msg user" dir="{q_dir}" lang="{q_lang}">{esc(turn.question)}</div>'
    if turn.error is not None:
        body = f'<p class="error" dir="auto"><strong>{esc(phrase("error", q_lang))}:</strong> {esc(turn.error)}</p>'
        state = "bot failed"
    elif turn.answer is None:
        spinner = '<span class="spinner" aria-hidden="true"></span>'
        body = f'<p class="searching">{spinner}{esc(phrase("searching", q_lang))}</p>'
        state = "bot pending"
    else:
        body = _answer_body(i, turn)
        streaming = turn.shown is not None and turn.shown < len(turn.answer.sentences)
        state = "bot " + ("streaming" if streaming else "done") + (" abstained" if turn.answer.abstained else "")
    bot = f'<div class="msg {state}" dir="{q_dir}" lang="{q_lang}" aria-live="polite">{body}</div>'
    return f'<div class="turn" data-turn="{i}">{user}{bot}</div>'


def render_chat(turns: list[Turn]) -> str:
    if not turns:
        return f'<div class="isnad-chat">{EMPTY_CHAT}</div>'
    return f'<div class="isnad-chat">{"".join(render_turn(i, t) for i, t in enumerate(turns))}</div>'


# ---------------------------------------------------------------- sources panel


def _citation_item(i: int, c: Citation, lang: str, active: bool, found: Any = None) -> str:
    return (f'<li class="source{" active" if active else ""}">'
            f'<div class="src-head">{marker(i, "c", c.n, f"[{c.n}]", c.title)} '
            f'<span class="stitle" dir="auto">{esc(c.title)}</span></div>'
            f'{meta_html(c.source, c.date, c.url, lang)}'
            f'<blockquote dir="{text_dir(c.quote)}">{esc(c.quote)}</blockquote>{_echoes(found, lang)}</li>')


def _echoes(found: Any, lang: str) -> str:
    """Under a source: "2 other outlets agree · 1 differs", opening the other articles' spans."""
    if found is None or not (found.corroborated_by or found.disputed_by or found.copies):
        return ""
    ar = lang == "ar"
    parts = []
    if found.corroborated_by:
        parts.append(f"{len(found.corroborated_by)} " + ("مصادر أخرى توافق" if ar else "other outlets agree"
                                                         if len(found.corroborated_by) > 1 else "other outlet agrees"))
    if found.disputed_by:
        parts.append(f"{len(found.disputed_by)} " + ("تختلف" if ar else "differ" if len(found.disputed_by) > 1
                                                      else "differs"))
    if found.copies:
        parts.append(("نُشر أيضاً لدى " if ar else "also published by ")
                     + ", ".join(esc(s or a) for a, s in found.copies))
    items = "".join(
        f'<li class="{kind}"><span class="echo-source" dir="auto">{esc(e.source or e.article_id)}</span> '
        f'<span class="echo-date" dir="ltr">{esc(e.date or "")}</span>'
        + (f' <span class="why" dir="ltr">({esc(e.reason)})</span>' if e.reason else "")
        + f'<blockquote dir="{text_dir(e.quote)}">{esc(e.quote)}</blockquote></li>'
        for kind, echoes in (("agrees", found.corroborated_by), ("differs", found.disputed_by)) for e in echoes)
    return (f'<details class="echoes"><summary>{" · ".join(parts)}</summary>'
            f'<ul>{items}</ul></details>')


def _preview(text: str, limit: int) -> str:
    """The start of `text`, cut at a word boundary (escaping happens later, so no entity is cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip("،,.;: ") + "…"


def _passage_item(i: int, j: int, p: Passage, active: bool) -> str:
    text = _preview(p.text, PASSAGE_PREVIEW_CHARS)
    return (f'<li class="source passage{" active" if active else ""}">'
            f'<div class="src-head">{marker(i, "p", j, "↗", p.title)} '
            f'<span class="stitle" dir="auto">{esc(p.title)}</span></div>'
            f'<blockquote dir="{text_dir(p.text)}">{esc(text)}</blockquote></li>')


def render_sources(turns: list[Turn], index: int | None = None, active: tuple[str, int] | None = None) -> str:
    """The cited passages of one turn (the latest answered one by default); `active` is the
    (kind, n) of the marker just clicked, shown selected."""
    answered = [i for i, t in enumerate(turns) if t.answer is not None]
    if index is None:
        index = answered[-1] if answered else -1
    if index not in answered:
        return EMPTY_SOURCES
    ans = turns[index].answer
    assert ans is not None
    lang = ans.language
    if ans.abstained:
        heading = phrase("closest", lang).rstrip(":")
        items = "".join(_passage_item(index, j, p, active == ("p", j)) for j, p in enumerate(ans.passages))
    else:
        heading = phrase("sources", lang)
        items = "".join(_citation_item(index, c, lang, active == ("c", c.n), ans.corroboration.get(c.n))
                        for c in ans.citations)
    dir_ = "rtl" if lang == "ar" else "ltr"
    question = f'<p class="for-q" dir="{text_dir(ans.question)}">{esc(ans.question)}</p>'
    return (f'<div class="isnad-sources" dir="{dir_}" lang="{lang}"><h3>{esc(heading)}</h3>{question}'
            f'<ol class="sources">{items}</ol></div>')


# ---------------------------------------------------------------- claim check


def _differing(verdict: Verdict) -> str:
    """What the article says instead, as the reason quotes it ("the article says 'شمال', the claim …",
    "the article has 'الأذرية' say it, the claim …")."""
    if verdict.verdict != "contradicted":
        return ""
    m = re.match(r"the article (?:says|names|has) '?(.+?)'?(?: say it)?, the claim ", verdict.reason)
    return m.group(1) if m and not m.group(1).startswith("month ") else ""


def _marked(quote: str, word: str) -> str:
    """The escaped quote with every occurrence of `word` highlighted (the quote itself is unchanged)."""
    if not word or word not in quote:
        return esc(quote)
    return f'<mark class="differs">{esc(word)}</mark>'.join(esc(part) for part in quote.split(word))


def render_verdict(verdict: Verdict | None, error: str = "") -> str:
    """The "Check a claim" result: the verdict, the reason, and the (verbatim) span it rests on."""
    if error:
        return f'<p class="error" dir="auto">{esc(error)}</p>'
    if verdict is None:
        return ""
    label = {"supported": "Supported by the articles · تدعمه المقالات",
             "contradicted": "Contradicted by the articles · تناقضه المقالات"}.get(
        verdict.verdict, "Not found in the articles · لم يرد في المقالات")
    css = {"supported": "verdict supported", "contradicted": "verdict contradicted"}.get(
        verdict.verdict, "verdict unsupported")
    head = (f'<p class="{css}"><strong>{esc(label)}</strong> '
            f'<span class="reason" dir="ltr">({esc(verdict.reason)}; score {verdict.score:.2f})</span></p>')
    spans = verdict.citations or ([verdict.closest] if verdict.closest else [])
    kind = {"supported": "supporting span", "contradicted": "contradicting span"}.get(verdict.verdict, "closest span")
    differs = _differing(verdict)
    body = "".join(
        f'<blockquote class="claim-span" dir="{text_dir(c.quote)}">{_marked(c.quote, differs)}</blockquote>'
        f'<p class="claim-source" dir="auto">{esc(kind)}: <strong>{esc(c.title)}</strong> '
        f'<span dir="ltr">({esc(c.article_id)}, {c.start}-{c.end})</span></p>'
        for c in spans)
    return head + body
