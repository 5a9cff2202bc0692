"""Feeds (rag/feeds.py) against a feed server of our own on 127.0.0.1: first fetch, a refresh with one
new entry, an unchanged feed answered 304, a malformed feed, 1,000 entries, a page that times out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rag.cli import main
from rag.engine import Isnad
from rag.errors import InputError, NotFoundError
from rag.feeds import Feeds, parse
from rag.settings import Settings

BODY = ("أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة صفاقس يضم مئتي سرير. وقال الوزير إن المستشفى "
        "سيخدم سكان الجنوب التونسي. ") * 4


def rss(items: list[dict[str, str]]) -> bytes:
    parts = []
    for it in items:
        content = f"<content:encoded><![CDATA[<p>{it['text']}</p>]]></content:encoded>" if it.get("text") else ""
        link = f"<link>{it['link']}</link>" if it.get("link") else ""
        guid = f"<guid>{it['guid']}</guid>" if it.get("guid") else ""
        parts.append(f"<item><title>{it['title']}</title>{link}{guid}"
                     f"<pubDate>Tue, 16 Nov 2021 10:00:00 GMT</pubDate>{content}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>أخبار</title>'
            f"{''.join(parts)}</channel></rss>").encode()


class FeedServer:
    """Serves `routes[path] = (content_type, body)`; honours If-None-Match with the body's ETag;
    `slow` paths answer after `delay` seconds."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.slow: set[str] = set()
        self.delay = 3.0
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                if self.path in server.slow:
                    time.sleep(server.delay)
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                kind, body = server.routes[self.path]
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def feed(self, path: str, items: list[dict[str, str]]) -> str:
        self.routes[path] = ("application/rss+xml; charset=utf-8", rss(items))
        return self.base + path


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    thread = threading.Thread(target=s.httpd.serve_forever, daemon=True)
    thread.start()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def isnad(tmp_path: Path) -> Isnad:
    engine = Isnad(Settings.from_env({"RAG_FETCH_PRIVATE": "1"}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    engine.feeds = Feeds(engine, timeout=1.0)
    return engine


def items(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"title": f"خبر رقم {i}", "link": f"https://news.example/{i}", "guid": f"g{i}", "text": f"{BODY} ({i})"}
            for i in range(start, start + n)]


def test_first_fetch_adds_every_entry_with_its_feed_fields(isnad: Isnad, server: FeedServer) -> None:
    url = server.feed("/rss", items(3))
    isnad.feeds.add(url, every_minutes=15, source="وكالة تونس")
    [report] = isnad.feeds.refresh()
    assert (report.status, report.new, report.seen, report.errors) == ("ok", 3, 0, [])
    listed = isnad.list_articles()
    assert len(listed) == 3
    one = isnad.get(listed[0].id)
    assert one.title.startswith("خبر رقم") and one.source == "وكالة تونس" and one.date == "2021-11-16"
    assert one.url and one.url.startswith("https://news.example/") and "صفاقس" in one.text
    [feed] = isnad.feeds.all()
    assert feed.last_new == 3 and feed.last_fetch and feed.last_error is None and feed.etag


def test_a_refresh_adds_only_the_new_entry_and_an_unchanged_feed_costs_a_304(isnad: Isnad,
                                                                             server: FeedServer) -> None:
    url = server.feed("/rss", items(3))
    isnad.feeds.add(url)
    isnad.feeds.refresh()
    [again] = isnad.feeds.refresh()
    assert again.status == "unchanged" and again.new == 0
    assert server.requests[-1][1].get("If-None-Match")  # the conditional GET
    server.feed("/rss", items(1, start=3) + items(3))  # one new entry on top
    [report] = isnad.feeds.refresh(url)
    assert (report.status, report.new, report.seen) == ("ok", 1, 3)
    assert len(isnad.list_articles()) == 4


def test_a_malformed_feed_is_an_error_stored_with_it_and_the_other_feeds_go_on(isnad: Isnad,
                                                                              server: FeedServer) -> None:
    good = server.feed("/good", items(2))
    server.routes["/broken"] = ("application/rss+xml", b"<html><body>not a feed <p>at all</body></html>")
    bad = server.base + "/broken"
    isnad.feeds.add(bad)
    isnad.feeds.add(good)
    reports = {r.url: r for r in isnad.feeds.refresh()}
    assert reports[bad].status == "error" and "not an RSS or Atom feed" in reports[bad].errors[0]
    assert reports[good].new == 2
    stored = {f.url: f for f in isnad.feeds.all()}
    assert "not an RSS or Atom feed" in (stored[bad].last_error or "") and stored[good].last_error is None
    server.routes["/gone"] = ("text/plain", b"")
    isnad.feeds.add(server.base + "/missing")
    [missing] = isnad.feeds.refresh(server.base + "/missing")
    assert missing.status == "error" and "404" in missing.errors[0]


def test_an_entry_whose_page_times_out_is_reported_and_the_others_are_kept(isnad: Isnad,
                                                                           server: FeedServer) -> None:
    server.routes["/page-ok"] = ("text/html; charset=utf-8",
                                 f"<html><head><title>صفحة</title></head><body><article><p>{BODY}</p>"
                                 "</article></body></html>".encode())
    server.slow.add("/page-slow")
    server.routes["/page-slow"] = ("text/html; charset=utf-8",
                                   f"<html><body><article><p>{BODY} وصلت الصفحة متأخرة.</p></article></body></html>"
                                   .encode())
    entries = [{"title": "خبر له صفحة", "link": server.base + "/page-ok", "guid": "p1"},
               {"title": "خبر بطيء", "link": server.base + "/page-slow", "guid": "p2"},
               {"title": "بلا رابط ولا نص", "guid": "p3"},
               {"title": "نص كامل", "guid": "p4", "text": BODY + " نص كامل في الخلاصة"}]
    url = server.feed("/rss", entries)
    isnad.feeds.add(url)
    [report] = isnad.feeds.refresh()
    assert report.new == 2, report.errors  # the fetched page and the full-text entry
    assert len(report.errors) == 2
    assert any("page-slow" in e and "did not answer" in e for e in report.errors)
    assert any("no link and no text" in e for e in report.errors)
    titles = {a.title for a in isnad.list_articles()}
    assert titles == {"خبر له صفحة", "نص كامل"}
    server.slow.clear()  # the page answers now: the next refresh retries it, although the feed is unchanged
    [retried] = isnad.feeds.refresh()
    assert retried.status == "ok" and retried.new == 1 and retried.seen == 2
    [settled] = isnad.feeds.refresh()  # only the entry that can never be read is left: a 304 again
    assert settled.status == "unchanged"
    server.feed("/rss", entries + [{"title": "جديد", "guid": "p5", "text": BODY + " جديد"}])
    [later] = isnad.feeds.refresh()
    assert later.new == 1 and later.seen == 3


def test_a_feed_of_a_thousand_entries(isnad: Isnad, server: FeedServer) -> None:
    url = server.feed("/big", items(1000))
    isnad.feeds.add(url)
    [report] = isnad.feeds.refresh()
    assert (report.status, report.new) == ("ok", 1000)
    server.feed("/big", items(1000) + items(1, start=1000))
    [again] = isnad.feeds.refresh()
    assert (again.new, again.seen) == (1, 1000)


def test_atom_is_read_and_a_web_page_is_refused_with_what_to_do() -> None:
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            b'<entry><id>tag:x,2021:1</id><title>Ceasefire talks</title><link href="https://x.example/1"/>'
            b'<updated>2021-11-17T08:00:00Z</updated><content type="html">&lt;p&gt;Charles Michel spoke.&lt;/p&gt;'
            b'</content></entry></feed>')
    [entry] = parse(atom, "https://x.example/atom")
    assert (entry.guid, entry.link, entry.title, entry.date, entry.text) == (
        "tag:x,2021:1", "https://x.example/1", "Ceasefire talks", "2021-11-17", "Charles Michel spoke.")
    with pytest.raises(InputError, match="not an RSS or Atom feed.*/rss, /feed or /atom.xml"):
        parse(b"<!doctype html><html><body><p>hello</p></body></html>", "https://x.example/")


def test_feed_addresses_and_intervals_are_checked(isnad: Isnad) -> None:
    with pytest.raises(InputError):
        isnad.feeds.add("ftp://example.com/rss")
    with pytest.raises(InputError, match="--every"):
        isnad.feeds.add("https://example.com/rss", every_minutes=0)
    with pytest.raises(NotFoundError, match="feed list"):
        isnad.feeds.remove("https://example.com/none")


def test_private_addresses_are_refused_without_the_setting(tmp_path: Path, server: FeedServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_FETCH_PRIVATE", raising=False)
    engine = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    url = server.feed("/rss", items(1))
    engine.feeds.add(url)
    [report] = engine.feeds.refresh()
    assert report.status == "error" and "RAG_FETCH_PRIVATE" in report.errors[0]
    assert server.requests == []


def test_cli_feed_commands(tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_FETCH_PRIVATE", "1")
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    db = str(tmp_path / "db")
    url = server.feed("/rss", items(2))
    assert main(["feed", "add", url, "--every", "5", "--source", "Example", "--db", db]) == 0
    assert main(["feed", "refresh", "--db", db, "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["new"] == 2
    assert main(["feed", "list", "--db", db, "--json"]) == 0
    [feed] = json.loads(capsys.readouterr().out)
    assert feed["url"] == url and feed["every_minutes"] == 5 and feed["last_new"] == 2
    assert main(["feed", "remove", url, "--db", db]) == 0
    assert main(["feed", "list", "--db", db]) == 0
    assert "no feeds" in capsys.readouterr().out
    assert main(["feed", "refresh", "https://example.com/unknown", "--db", db]) == 2


def test_export_carries_the_feeds_to_another_index(tmp_path: Path, server: FeedServer,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_FETCH_PRIVATE", "1")
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    old, new = str(tmp_path / "old"), str(tmp_path / "new")
    first, second = server.feed("/a", items(1)), server.feed("/b", items(1))
    assert main(["feed", "add", first, "--every", "5", "--source", "أ", "--db", old]) == 0
    assert main(["feed", "add", second, "--db", old]) == 0
    articles, feeds = tmp_path / "articles.jsonl", tmp_path / "feeds.jsonl"
    assert main(["export", "--db", old, "--out", str(articles), "--feeds", str(feeds)]) == 0
    feeds.write_text(feeds.read_text(encoding="utf-8") + '{"url": "not a url"}\n{broken\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["feed", "add", "--from", str(feeds), "--db", new]) == 1  # two bad lines: said, skipped
    out = capsys.readouterr()
    assert "subscribed to 2 feeds" in out.out and "line 3" in out.err and "line 4" in out.err
    assert main(["feed", "list", "--db", new, "--json"]) == 0
    moved = json.loads(capsys.readouterr().out)
    assert [(f["url"], f["source"], f["every_minutes"]) for f in moved] == [(first, "أ", 5),
                                                                           (second, "127.0.0.1", 60)]


def test_the_apps_refresher_fetches_only_the_due_feeds(isnad: Isnad, server: FeedServer) -> None:
    import datetime

    from rag.feeds import Refresher

    now = [datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)]
    isnad.feeds = Feeds(isnad, clock=lambda: now[0], timeout=1.0)
    url = server.feed("/rss", items(2))
    isnad.feeds.add(url, every_minutes=30)
    said: list[str] = []
    refresher = Refresher(isnad.feeds, every_s=3600, log=said.append)
    assert [r.new for r in refresher.round()] == [2] and said
    now[0] += datetime.timedelta(minutes=10)
    assert refresher.round() == []  # not due yet: no request
    now[0] += datetime.timedelta(minutes=25)
    assert [r.status for r in refresher.round()] == ["unchanged"]
    assert len(server.requests) == 2
