"""HTML for the article viewer, the library table and import results. Pure functions.

The viewer is built server-side: the text before the cited span, the span and the text after
it are each escaped and the span alone is wrapped in `<mark id="cite-mark">`, so the highlight
can never split an entity or let article text become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..feeds import Feed, FeedReport
from ..storebase import ArticleInfo
from ..types import Article
from .render import esc, lang_of, meta_html, text_dir

MARK_ID = "cite-mark"
MAX_LISTED = 12  # articles named one by one in an import result
EMPTY_VIEWER = ('<div class="isnad-empty"><p dir="ltr" lang="en">Click a citation marker [n] to read the article '
                'with the quoted passage highlighted.</p><p dir="rtl" lang="ar">انقر على علامة الاستشهاد [n] لقراءة '
                'المقال مع إبراز المقطع المقتبس.</p></div>')
EMPTY_LIBRARY_VIEWER = ('<div class="isnad-empty"><p dir="ltr" lang="en">Open an article from the list to read it.</p>'
                        '<p dir="rtl" lang="ar">افتح مقالاً من القائمة لقراءته.</p></div>')


def highlight(text: str, start: int | None, end: int | None) -> str:
    """Escaped `text` as paragraphs, with text[start:end] wrapped in marks (none for a bad span).

    A quote never crosses a line, but a passage can: each paragraph it touches gets its own
    mark, and only the first carries the id that the viewer scrolls to."""
    lo, hi = (start, end) if start is not None and end is not None and 0 <= start < end <= len(text) else (0, 0)
    paragraphs, pos, first = [], 0, True
    for para in text.split("\n"):
        ps, pe = pos, pos + len(para)
        pos = pe + 1
        a, b = max(lo, ps), min(hi, pe)
        if a < b:  # the span shares a character with this paragraph
            attr = f'id="{MARK_ID}"' if first else 'class="cite-more"'
            first = False
            paragraphs.append(f"<p>{esc(text[ps:a])}<mark {attr}>{esc(text[a:b])}</mark>{esc(text[b:pe])}</p>")
        elif para.strip():
            paragraphs.append(f"<p>{esc(para)}</p>")
    return "".join(paragraphs)


def render_article(article: Article, start: int | None = None, end: int | None = None) -> str:
    """The whole article, right-to-left when it is Arabic, with an optional highlighted span."""
    lang = lang_of(article.title + " " + article.text[:2000])
    dir_ = "rtl" if lang == "ar" else "ltr"
    return (f'<article class="isnad-article" dir="{dir_}" lang="{lang}" data-id="{esc(article.id)}">'
            f'<header><h3 class="atitle">{esc(article.title)}</h3>'
            f'{meta_html(article.source, article.date, article.url, lang)}'
            f'<div class="aid" dir="ltr"><code>{esc(article.id)}</code></div></header>'
            f'<div class="atext">{highlight(article.text, start, end)}</div></article>')


def render_missing(article_id: str) -> str:
    return (f'<div class="isnad-empty"><p dir="ltr">The article <code>{esc(article_id)}</code> is no longer in the '
            f'library.</p><p dir="rtl">لم يعد هذا المقال في المكتبة.</p></div>')


# ---------------------------------------------------------------- library


def render_library(infos: Sequence[ArticleInfo], query: str = "") -> str:
    if not infos:
        what = f' matching “{esc(query)}”' if query.strip() else ""
        return f'<div class="isnad-empty"><p dir="ltr">No articles{what}.</p><p dir="rtl">لا توجد مقالات.</p></div>'
    rows = "".join(
        f'<tr data-id="{esc(i.id)}"><td class="ltitle" dir="{text_dir(i.title)}"><div class="name">{esc(i.title)}</div>'
        f'<div class="actions">'
        f'<button type="button" class="lib-btn lib-open" data-action="open" data-id="{esc(i.id)}">Open · افتح</button>'
        f'<button type="button" class="lib-btn lib-delete" data-action="delete" data-id="{esc(i.id)}">'
        f'Delete · احذف</button></div></td>'
        f'<td dir="auto">{esc(i.source or "—")}</td><td dir="ltr">{esc(i.date or "—")}</td>'
        f'<td class="num">{i.chunks}</td></tr>'
        for i in infos)
    noun = "article" if len(infos) == 1 else "articles"
    return (f'<div class="isnad-library"><p class="count">{len(infos)} {noun}</p>'
            f'<table><thead><tr><th class="c-title">Title · العنوان</th><th class="c-source">Source · المصدر</th>'
            f'<th class="c-date">Date · التاريخ</th><th class="c-chunks">Chunks</th></tr>'
            f'</thead><tbody>{rows}</tbody></table></div>')


def render_confirm(info: Article) -> str:
    return (f'<div class="isnad-confirm"><p dir="ltr">Delete this article from every index? This cannot be undone.'
            f'</p><p dir="rtl">هل تريد حذف هذا المقال؟ لا يمكن التراجع عن ذلك.</p>'
            f'<p class="ctitle" dir="auto"><strong>{esc(info.title)}</strong> <code dir="ltr">{esc(info.id)}</code></p>'
            f'</div>')


# ---------------------------------------------------------------- results of adding


def error_where(error: InputError) -> str:
    """'file.jsonl:3' with the folder dropped: uploads live in random temporary folders."""
    name = Path(error.source).name if error.source else ""
    if error.line is not None:
        return f"{name}:{error.line}" if name else f"line {error.line}"
    return name


def render_errors(errors: Sequence[InputError]) -> str:
    if not errors:
        return ""
    items = "".join(
        f'<li>{f"<code dir=ltr>{esc(where)}</code> " if (where := error_where(e)) else ""}'
        f'<span dir="auto">{esc(e.reason)}</span></li>'
        for e in errors)
    noun = "problem" if len(errors) == 1 else "problems"
    return f'<div class="isnad-errors"><p>{len(errors)} {noun} · أخطاء:</p><ul class="errors">{items}</ul></div>'


def render_added(added: Sequence[str], replaced: Sequence[str], unchanged: Sequence[str],
                 errors: Sequence[InputError] = (), titles: dict[str, str] | None = None) -> str:
    """What an import did, article by article, then the problems (file and line for each)."""
    titles = titles or {}
    lines = []
    for label, ids in (("Added · أُضيف", added), ("Replaced · استُبدل", replaced),
                       ("Already in the library · موجود مسبقاً", unchanged)):
        for aid in ids:
            title = titles.get(aid, "")
            name = f' <span dir="auto">{esc(title)}</span>' if title else ""
            lines.append(f'<li><span class="tag">{label}</span>{name} <code dir="ltr">{esc(aid)}</code></li>')
    if len(lines) > MAX_LISTED:  # a big import lists a sample; the library has them all
        lines = lines[:MAX_LISTED] + [f'<li class="more">… {len(lines) - MAX_LISTED} more · والمزيد</li>']
    ok = f'<ul class="added">{"".join(lines)}</ul>' if lines else ""
    status = "ok" if not errors else ("partial" if lines else "failed")
    summary = (f'<p class="summary">{len(added)} added, {len(replaced)} replaced, {len(unchanged)} unchanged, '
               f'{len(errors)} failed</p>')
    return f'<div class="isnad-result {status}">{summary}{ok}{render_errors(errors)}</div>'


def render_notice(text: str, kind: str = "error") -> str:
    return f'<div class="isnad-result {esc(kind)}"><p dir="auto">{esc(text)}</p></div>'


def render_feeds(feeds: list[Feed], reports: list[FeedReport] = ()) -> str:  # type: ignore[assignment]
    """The subscribed feeds (last fetch, new articles, last error) and what a refresh just did."""
    done = "".join(
        f'<li dir="ltr"><strong>{esc(r.url)}</strong>: {esc(r.status)}, {r.new} new, {r.seen} already here'
        + "".join(f'<br><span class="error" dir="auto">{esc(e)}</span>' for e in r.errors[:5]) + "</li>"
        for r in reports)
    head = f'<ul class="feed-report">{done}</ul>' if done else ""
    if not feeds:
        return head + '<p class="feed-none">No feeds yet · لا خلاصات بعد</p>'
    rows = "".join(
        f'<tr><td dir="ltr">{esc(f.url)}</td><td dir="auto">{esc(f.source)}</td><td>{f.every_minutes} min</td>'
        f'<td dir="ltr">{esc(f.last_fetch or "never · أبدا")}</td><td>{f.last_new}</td>'
        f'<td class="error" dir="auto">{esc(f.last_error or "")}</td></tr>' for f in feeds)
    return (head + '<table class="feeds"><thead><tr><th>Feed · الخلاصة</th><th>Source · المصدر</th><th>Every · كل</th>'
            '<th>Last fetch · آخر جلب</th><th>New · جديد</th><th>Last error · آخر خطأ</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")
