"""Feeds: subscribe to an outlet's RSS 2.0 or Atom feed and add its new entries as articles.

    >>> isnad.feeds.add("https://www.example.com/rss.xml", every_minutes=30, source="Example")  # doctest: +SKIP
    >>> isnad.feeds.refresh()                                                                 # doctest: +SKIP
    [FeedReport(url='https://www.example.com/rss.xml', status='ok', new=12, ...)]

A refresh is one conditional GET (If-None-Match / If-Modified-Since with the validators of the
last answer), so an unchanged feed costs one request and a 304. The feed is parsed by
feedparser; each entry not seen before (by its guid, else its link) becomes an article: the
entry's full content when the feed carries one (`content:encoded`, Atom `content`), else its page,
fetched and reduced to its main text as "add from a URL" does. Title, date, source and url come
from the feed. An entry that fails (no link and no text, a page that does not answer) is reported
and the other entries are kept; an entry whose page failed is tried again at the next refresh, even
when the feed has not changed (the validators of that answer are not kept). The feeds and the entries seen
live in the article store (SQLite or PostgreSQL), so server mode and every process share them.
Every fetch keeps the rules of URL import: public addresses only (RAG_FETCH_PRIVATE=1 lifts that),
redirects checked hop by hop, size and time limits.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .errors import InputError, NotFoundError, RagError
from .ingest.urls import check_url
from .types import Article

if TYPE_CHECKING:
    from .engine import Isnad

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MIN_FULL_TEXT = 400  # characters of entry content that count as the article itself, not a teaser
MAX_ENTRIES = 5000  # entries read from one feed answer


@dataclass(frozen=True)
class Feed:
    url: str
    source: str
    every_minutes: int
    etag: str | None = None
    last_modified: str | None = None
    last_fetch: str | None = None  # ISO time of the last refresh, UTC
    last_error: str | None = None
    last_new: int = 0  # articles the last refresh added
    added_at: str = ""

    def due(self, now: datetime.datetime) -> bool:
        if not self.last_fetch:
            return True
        last = datetime.datetime.fromisoformat(self.last_fetch)
        return now - last >= datetime.timedelta(minutes=self.every_minutes)


@dataclass(frozen=True)
class Entry:
    guid: str
    link: str
    title: str
    date: str | None
    text: str  # the entry's own text (content or summary, HTML stripped); may be a teaser


@dataclass
class FeedReport:
    url: str
    status: str = "ok"  # ok, unchanged (304), error (the feed itself failed)
    new: int = 0
    seen: int = 0  # entries already in the archive
    errors: list[str] = field(default_factory=list)  # the feed's error, or one per failed entry


def parse(body: bytes, url: str) -> list[Entry]:
    """The entries of an RSS 2.0 or Atom document; InputError when it is not one."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        why = parsed.get("bozo_exception")
        detail = f" ({str(why).splitlines()[0][:160]})" if why else ""
        raise InputError(f"{url} is not an RSS or Atom feed{detail}; give the address of the feed itself "
                         "(often /rss, /feed or /atom.xml), not of a web page")
    entries = []
    for e in parsed.entries[:MAX_ENTRIES]:
        link = (e.get("link") or "").strip()
        guid = (e.get("id") or link or "").strip()
        if not link.lower().startswith(("http://", "https://")):
            link = ""  # feedparser makes a link of a bare guid ("p3"); that is no address
        content = max((c.get("value", "") for c in e.get("content", [])), key=len, default="")
        text = _plain(content or e.get("summary", ""))
        entries.append(Entry(guid, link, _plain(e.get("title", "")), _date(e), text))
    return entries


def _plain(markup: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", markup or "", flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</p>|</div>|</li>|</h\d>", "\n", text, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _date(entry: dict) -> str | None:  # type: ignore[type-arg]
    for key in ("published_parsed", "updated_parsed"):
        t = entry.get(key)
        if t:
            try:
                return datetime.date(t.tm_year, t.tm_mon, t.tm_mday).isoformat()
            except ValueError:
                continue
    return None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


class Feeds:
    """The feeds of one index: subscribe, list, remove, refresh (see the module docstring)."""

    def __init__(self, isnad: Isnad, clock: Callable[[], datetime.datetime] = _now, timeout: float | None = None):
        from .ingest.fetch import TIMEOUT_S

        self.isnad = isnad
        self.clock = clock
        self.timeout = timeout or TIMEOUT_S  # seconds for the feed and for each entry's page

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.isnad.index.store

    def add(self, url: str, every_minutes: int = 60, source: str = "") -> Feed:
        url = check_url(url)
        if not isinstance(every_minutes, int) or every_minutes < 1:
            raise InputError(f"--every must be a whole number of minutes, at least 1; got {every_minutes!r}")
        source = (source or "").strip() or (re.sub(r"^www\.", "", url.split("/")[2].split(":")[0]))
        feed = Feed(url, source, every_minutes, added_at=self.clock().isoformat())
        self.isnad.index.open()
        with self.isnad.index.writing():
            self.store.put_feed(feed)
        return self.store.get_feed(url) or feed

    def all(self) -> list[Feed]:
        self.isnad.index.open()
        return self.store.list_feeds()

    def remove(self, url: str) -> None:
        self.isnad.index.open()
        with self.isnad.index.writing():
            if not self.store.delete_feed(url):
                raise NotFoundError(f"no feed {url!r}; `python -m rag feed list` shows the feeds")

    def refresh(self, url: str | None = None, due_only: bool = False) -> list[FeedReport]:
        """Refresh one feed, every feed, or (due_only) the feeds whose interval has passed."""
        feeds = self.all()
        if url is not None:
            feeds = [f for f in feeds if f.url == url]
            if not feeds:
                raise NotFoundError(f"no feed {url!r}; add it first with `python -m rag feed add URL`")
        now = self.clock()
        return [self._refresh(f) for f in feeds if not due_only or f.due(now)]

    def _refresh(self, feed: Feed) -> FeedReport:
        from .ingest.fetch import fetch

        report = FeedReport(feed.url)
        settings = self.isnad.settings
        try:
            page = fetch(feed.url, self.isnad.max_upload_bytes, self.timeout, settings.fetch_private,
                         accept=FEED_ACCEPT, etag=feed.etag, last_modified=feed.last_modified)
            if page.unchanged:
                report.status = "unchanged"
                self._save(feed, report, page.etag, page.last_modified)
                return report
            entries = parse(page.body, feed.url)
        except InputError as exc:
            report.status = "error"
            report.errors.append(exc.reason)
            self._save(feed, report, feed.etag, feed.last_modified)
            return report
        seen = self.store.feed_items_seen(feed.url, [e.guid for e in entries if e.guid])
        todo = [e for e in entries if e.guid not in seen]
        report.seen = len(entries) - len(todo)
        articles, guids = [], []
        retry = False  # an entry's page failed: worth trying again even if the feed does not change
        for entry in todo:
            try:
                article = self._article(entry, feed)
            except InputError as exc:
                report.errors.append(f"{entry.link or entry.title or entry.guid or 'an entry'}: {exc.reason}")
                retry |= bool(entry.guid and entry.link and len(entry.text) < MIN_FULL_TEXT)
                continue
            articles.append(article)
            guids.append(entry.guid)
        if articles:
            try:
                result = self.isnad.add_articles(articles)
            except RagError as exc:
                report.status = "error"
                report.errors.append(f"the new entries could not be stored: {exc}")
                self._save(feed, report, feed.etag, feed.last_modified)
                return report
            report.new = len(result.added)
        # When an entry's page failed, the validators are not kept: the next refresh must not be told
        # "304 unchanged" before it has tried that page again. (An entry that can never be read, with
        # no link and no text, does not hold the feed back.)
        etag, last_modified = (feed.etag, feed.last_modified) if retry else (page.etag, page.last_modified)
        self._save(feed, report, etag, last_modified, [(g, a.id) for g, a in zip(guids, articles, strict=True)])
        return report

    def _article(self, entry: Entry, feed: Feed) -> Article:
        from .ingest.loaders import article_from_record

        if not entry.guid:
            raise InputError("the entry has neither a guid nor a link, so it could not be told apart from others")
        if len(entry.text) >= MIN_FULL_TEXT or not entry.link:
            if not entry.text:
                raise InputError("the entry has no link and no text")
            record = {"title": entry.title or entry.text.splitlines()[0][:120], "text": entry.text,
                      "date": entry.date, "source": feed.source, "url": entry.link or None}
            return article_from_record(record, source=feed.url, line=None)
        from .ingest.fetch import fetch, page_article

        article = page_article(fetch(entry.link, self.isnad.max_upload_bytes, self.timeout,
                                     self.isnad.settings.fetch_private))
        return replace(article, title=entry.title or article.title, date=entry.date or article.date,
                       source=feed.source, url=entry.link)

    def _save(self, feed: Feed, report: FeedReport, etag: str | None, last_modified: str | None,
              items: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        error = "; ".join(report.errors)[:2000] or None
        updated = replace(feed, etag=etag, last_modified=last_modified, last_fetch=self.clock().isoformat(),
                          last_error=error, last_new=report.new)
        with self.isnad.index.writing():
            self.store.put_feed(updated)
            if items:
                self.store.add_feed_items(feed.url, items)


class Refresher:
    """Refreshes the due feeds in a background thread of the running app, every `every_s` seconds.
    Questions never wait for it: it only adds articles, as an import does. A failure is printed and
    the next round tries again."""

    def __init__(self, feeds: Feeds, every_s: float = 60.0, log: Callable[[str], None] = print):
        import threading

        self.feeds, self.every_s, self.log = feeds, every_s, log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-refresher", daemon=True)

    def start(self) -> Refresher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def round(self) -> list[FeedReport]:
        try:
            reports = self.feeds.refresh(due_only=True)
        except RagError as exc:
            self.log(f"feeds: refresh failed ({exc}); trying again in {self.every_s:.0f} s")
            return []
        for r in reports:
            if r.new or r.errors:
                self.log(f"feeds: {r.url}: {r.new} new" + (f"; {len(r.errors)} errors" if r.errors else ""))
        return reports

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.round()
