"""What each button of the web app does: call `Isnad`, hand the result to the renderers.

No Gradio layout here; `rag/web/page.py` wires these to components. Generators stream: Gradio sends
every yielded value to the browser at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from ..contract import answer_json
from ..engine import Added, Isnad
from ..errors import NotFoundError, RagError
from .article import (
    EMPTY_LIBRARY_VIEWER,
    EMPTY_VIEWER,
    MAX_LISTED,
    render_added,
    render_article,
    render_confirm,
    render_feeds,
    render_library,
    render_missing,
    render_notice,
)
from .render import Turn, render_chat, render_sources, render_verdict

STREAM_PAUSE_S = 0.06  # between revealed sentences: long enough to read as streaming, short overall
Progress = Callable[[int, int], None]


class Handlers:
    def __init__(self, isnad: Isnad):
        self.isnad = isnad

    # -- chat -------------------------------------------------------------------------------
    def ask_stream(self, question: str, turns: list[Turn] | None, extractive: bool = False
                   ) -> Iterator[tuple[str, list[Turn], str, str]]:
        """Yields (chat html, turns, sources html, question box) as the answer arrives."""
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            yield render_chat(turns), turns, render_sources(turns), ""
            return
        history = [t.question for t in turns]  # earlier questions, oldest first, for follow-ups
        turn = Turn(question)
        turns.append(turn)
        yield render_chat(turns), turns, render_sources(turns), ""
        try:
            # the answer first; who else reports each cited sentence follows it (rag/corroborate.py)
            turn.answer = self.isnad.ask(question, history=history, extractive=bool(extractive), corroborate=False)
        except RagError as exc:  # EmptyQuestionError (too long) included
            turn.error = str(exc)
            yield render_chat(turns), turns, render_sources(turns), ""
            return
        total = len(turn.answer.sentences)
        for shown in range(1, total):
            turn.shown = shown
            yield render_chat(turns), turns, render_sources(turns), ""
            time.sleep(STREAM_PAUSE_S)
        turn.shown = None
        yield render_chat(turns), turns, render_sources(turns), ""
        if self.isnad.settings.corroborate and turn.answer.citations:
            try:
                turn.answer = self.isnad.corroborate(turn.answer)
            except RagError:  # the answer stands without it
                return
            yield render_chat(turns), turns, render_sources(turns), ""

    def clear(self) -> tuple[str, list[Turn], str, str]:
        return render_chat([]), [], render_sources([]), EMPTY_VIEWER

    def open_cite(self, turns: list[Turn] | None, data: dict[str, Any]) -> tuple[str, str]:
        """A click on a marker: (sources of that turn, the article with the span highlighted)."""
        turns = turns or []
        try:
            i, kind, n = int(data["turn"]), str(data["kind"]), int(data["n"])
            answer = turns[i].answer if i >= 0 else None  # the numbers come from the browser
        except (KeyError, ValueError, TypeError, IndexError):
            return render_sources(turns), EMPTY_VIEWER
        if answer is None:
            return render_sources(turns), EMPTY_VIEWER
        if kind == "c":
            span = next(((c.article_id, c.start, c.end) for c in answer.citations if c.n == n), None)
        else:
            span = next(((p.article_id, p.start, p.end) for j, p in enumerate(answer.passages) if j == n), None)
        sources = render_sources(turns, i, (kind, n))
        if span is None:
            return sources, EMPTY_VIEWER
        article_id, start, end = span
        try:
            article = self.isnad.get(article_id)
        except NotFoundError:
            return sources, render_missing(article_id)
        return sources, render_article(article, start, end)

    # -- library ----------------------------------------------------------------------------
    def library(self, query: str = "") -> str:
        return render_library(self.isnad.list_articles(title_query=(query or "").strip()), query or "")

    def library_action(self, data: dict[str, Any]) -> tuple[str, str | None, str]:
        """Open or ask to delete: (viewer html, id waiting for confirmation, confirmation html)."""
        action, article_id = str(data.get("action", "")), str(data.get("id", ""))
        try:
            article = self.isnad.get(article_id)
        except NotFoundError:
            return render_missing(article_id), None, ""
        if action == "delete":
            return render_article(article), article_id, render_confirm(article)
        return render_article(article), None, ""

    def delete(self, article_id: str | None, query: str) -> tuple[str, str | None, str, str]:
        """Confirmed delete: (library html, pending id, confirmation html, viewer html)."""
        if article_id:
            try:
                self.isnad.delete(article_id)
                note = render_notice(f"Deleted {article_id} · حُذف المقال", "ok")
            except NotFoundError as exc:
                note = render_notice(str(exc))
        else:
            note = ""
        return self.library(query), None, "", note or EMPTY_LIBRARY_VIEWER

    # -- adding ----------------------------------------------------------------------------
    def add_pasted(self, title: str, text: str, date: str, source: str, url: str) -> Added:
        """Validate and index one pasted article; `as_json()` of the result is the `add_article` API answer."""
        return self.isnad.add_record({"title": title or "", "text": text or "", "date": (date or "").strip() or None,
                                      "source": (source or "").strip() or None, "url": (url or "").strip() or None})

    def add_pasted_html(self, title: str, text: str, date: str, source: str, url: str) -> str:
        return _render_one(self.add_pasted(title, text, date, source, url))

    def import_files(self, paths: list[str] | None, progress: Progress | None = None) -> str:
        if not paths:
            return render_notice("Choose one or more files first · اختر ملفاً أولاً")
        report = self.isnad.ingest(paths, progress)
        titles = self._titles((report.added + report.replaced + report.unchanged)[:MAX_LISTED])
        return render_added(report.added, report.replaced, report.unchanged, report.errors, titles)

    def add_url(self, url: str) -> str:
        return _render_one(self.isnad.add_url(url))

    # -- feeds ------------------------------------------------------------------------------
    def feeds(self) -> str:
        return render_feeds(self.isnad.feeds.all())

    def subscribe_feed(self, url: str, every: float | None, source: str) -> str:
        """Subscribe and fetch the feed at once (its entries become articles)."""
        try:
            feed = self.isnad.feeds.add((url or "").strip(), int(every or 60), source or "")
            reports = self.isnad.feeds.refresh(feed.url)
        except RagError as exc:
            return render_notice(str(exc)) + render_feeds(self.isnad.feeds.all())
        return render_feeds(self.isnad.feeds.all(), reports)

    def api_add_feed(self, url: str, every_minutes: int, source: str) -> dict[str, Any]:
        """Subscribe and fetch now: {"feed": {url, source, every_minutes, last_fetch, last_new, last_error},
        "report": {status, new, seen, errors}}; a bad address raises (the client sees the message)."""
        import dataclasses

        feed = self.isnad.feeds.add((url or "").strip(), int(every_minutes or 60), source or "")
        [report] = self.isnad.feeds.refresh(feed.url)
        stored = next(f for f in self.isnad.feeds.all() if f.url == feed.url)
        return {"feed": {k: v for k, v in dataclasses.asdict(stored).items() if k not in ("etag", "last_modified")},
                "report": dataclasses.asdict(report)}

    def refresh_feeds(self) -> str:
        try:
            reports = self.isnad.feeds.refresh()
        except RagError as exc:
            return render_notice(str(exc)) + render_feeds(self.isnad.feeds.all())
        return render_feeds(self.isnad.feeds.all(), reports)

    def _titles(self, ids: list[str]) -> dict[str, str]:
        titles = {}
        for article_id in ids:
            try:
                titles[article_id] = self.isnad.get(article_id).title
            except NotFoundError:  # deleted meanwhile by another tab
                pass
        return titles

    # -- API --------------------------------------------------------------------------------
    def api_ask(self, question: str, history: list[str] | None = None) -> dict[str, Any]:
        return answer_json(self.isnad.ask(question, history=history or []))

    def api_verify(self, claim: str, article_id: str | None = None) -> dict[str, Any]:
        from ..contract import verdict_json

        return verdict_json(self.isnad.verify(claim, (article_id or "").strip() or None))

    def check_claim(self, claim: str, article_id: str) -> str:
        """The "Check a claim" panel: the verdict as HTML, or the error in words."""
        try:
            return render_verdict(self.isnad.verify(claim, (article_id or "").strip() or None))
        except RagError as exc:
            return render_verdict(None, str(exc))


def _render_one(added: Added) -> str:
    if added.status == "error":
        return render_notice("; ".join(added.errors))
    ids = {added.status: [added.id]}
    return render_added(ids.get("added", []), ids.get("replaced", []), ids.get("unchanged", []),
                        titles={added.id: added.title})
