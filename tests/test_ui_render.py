"""Fast tests of the web app's pure parts: HTML rendering, URL fetching, start-up rules.

No model (the handler tests use the hash embedder), no browser, no Gradio server.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.conversation import ALONE
from rag.errors import InputError, SettingsError
from rag.ingest.fetch import blocked, check_url, fetch, page_article
from rag.settings import Settings
from rag.types import Answer, AnswerSentence, Article, Citation, Passage
from rag.web.article import error_where, highlight, render_added, render_article, render_library
from rag.web.launch import check_bind, is_loopback, parse_auth
from rag.web.render import Turn, esc, link_html, render_chat, render_sources, safe_url, text_dir
from rag.web.style import font_css

ROOT = Path(__file__).resolve().parent.parent
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(1)</script>"
AR = "اتهمت أرمينيا وأذربيجان بعضهما البعض ببدء الاشتباكات."
EN = "The European Union offered to mediate."


def _answer(question: str, quotes: list[str], abstained: bool = False) -> Answer:
    cites = [Citation(n, "art-1", "عنوان <b>", q, 10 * n, 10 * n + len(q), "2021-11-16", "src", "javascript:alert(1)")
             for n, q in enumerate(quotes, 1)]
    passages = [Passage("art-1", "عنوان", 0, 50, 0.5, q) for q in quotes]
    return Answer(question, " ".join(f"{q} [{n}]" for n, q in enumerate(quotes, 1)), abstained,
                  [] if abstained else cites, passages, "ar" if text_dir(question) == "rtl" else "en", {},
                  [] if abstained else [AnswerSentence(q, n) for n, q in enumerate(quotes, 1)])


# ---------------------------------------------------------------- escaping


def test_article_html_is_escaped():
    text = f"قبل {XSS_IMG} وسط {XSS_SCRIPT} بعد"
    out = render_article(Article("x", f"title {XSS_SCRIPT}", text, url="javascript:alert(1)"), 0, 3)
    assert "<img" not in out and "<script" not in out
    assert esc(XSS_IMG) in out and esc(XSS_SCRIPT) in out
    assert "javascript:" not in out


def test_chat_and_sources_escape_questions_quotes_and_titles():
    turns = [Turn(f"why {XSS_IMG}?", _answer(f"why {XSS_IMG}?", [f"{AR} {XSS_SCRIPT}"]))]
    for out in (render_chat(turns), render_sources(turns)):
        assert "<img" not in out and "<script" not in out and "<b>" not in out
        assert "javascript:" not in out  # the citation's url is not http(s): no link at all


def test_library_escapes_titles_and_ids():
    from rag.storebase import ArticleInfo

    out = render_library([ArticleInfo('id"><img src=x>', XSS_SCRIPT, None, XSS_IMG, None, 1, 10)])
    assert "<img" not in out and "<script" not in out
    assert 'data-id="id&quot;&gt;&lt;img src=x&gt;"' in out


# ---------------------------------------------------------------- the highlight


_TAGS = re.compile(r'</?p>|<mark (?:id="cite-mark"|class="cite-more")>|</mark>')


def _marked(out: str) -> tuple[list[str], str]:
    """(the paragraphs as plain text, the marked text) of highlight()'s output."""
    assert "<" not in _TAGS.sub("", out), out  # no markup but ours
    paragraphs = [html.unescape(re.sub(r"</?mark[^>]*>", "", p)) for p in re.findall(r"<p>(.*?)</p>", out, re.DOTALL)]
    marked = "".join(html.unescape(m) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", out, re.DOTALL))
    return paragraphs, marked


def test_mark_wraps_exactly_the_span():
    text = "أ<ب>&ج د \"ه\" و"
    out = highlight(text, 2, 7)
    assert f'<p>{esc(text[:2])}<mark id="cite-mark">{esc(text[2:7])}</mark>{esc(text[7:])}</p>' == out


@given(st.text(alphabet=st.sampled_from("اب ج<>&\"'\nxy"), min_size=1, max_size=60), st.data())
def test_mark_placement_property(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    out = highlight(text, start, end)
    paragraphs, marked = _marked(out)
    assert paragraphs == [p for i, p in enumerate(text.split("\n")) if p.strip() or _touches(text, i, start, end)]
    assert marked == text[start:end].replace("\n", "")
    assert out.count('id="cite-mark"') == (1 if text[start:end].replace("\n", "") else 0)


def _touches(text: str, i: int, start: int, end: int) -> bool:
    ps = sum(len(p) + 1 for p in text.split("\n")[:i])
    pe = ps + len(text.split("\n")[i])
    return max(start, ps) < min(end, pe)


@pytest.mark.parametrize("span", [(None, None), (5, 5), (-1, 3), (3, 999), (4, 2)])
def test_bad_span_gives_no_mark(span):
    out = highlight("some text\nhere", *span)
    assert "<mark" not in out and out == "<p>some text</p><p>here</p>"


def test_viewer_of_seed_article_marks_the_cited_quote():
    from rag.ingest.loaders import load_paths

    article = load_paths([ROOT / "corpus"]).articles[0]
    start = article.text.index("مجموعة مينسك")
    out = render_article(article, start, start + len("مجموعة مينسك"))
    assert '<article class="isnad-article" dir="rtl" lang="ar"' in out
    assert '<mark id="cite-mark">مجموعة مينسك</mark>' in out


# ---------------------------------------------------------------- direction


@pytest.mark.parametrize("text, expected", [(AR, "rtl"), (EN, "ltr"), ("من هو Aliyev؟", "rtl"),
                                            ("The talks in Minsk were led by «علي».", "ltr")])
def test_text_dir(text, expected):
    assert text_dir(text) == expected


def test_english_question_with_arabic_quotes_sets_direction_per_sentence():
    q = "Who mediated between Armenia and Azerbaijan?"
    out = render_chat([Turn(q, _answer(q, [AR, EN]))])
    assert '<div class="msg user" dir="ltr" lang="en">' in out
    assert '<p class="sent" dir="rtl">' + esc(AR) in out
    assert '<p class="sent" dir="ltr">' + esc(EN) in out
    assert out.count('class="cite"') == 2


def test_chat_states_searching_streaming_and_abstained():
    q = "من توسط بين أرمينيا وأذربيجان؟"
    assert "bot pending" in render_chat([Turn(q)])
    partial = render_chat([Turn(q, _answer(q, [AR, AR + " ثانية"]), shown=1)])
    assert "bot streaming" in partial and partial.count('class="cite"') == 1
    abstained = _answer(q, [AR], abstained=True)
    out = render_chat([Turn(q, abstained)])
    assert "abstained" in out and 'data-kind="p"' in out
    assert 'data-kind="p"' in render_sources([Turn(q, abstained)])
    assert 'class="note"' not in out
    alone = replace(abstained, note=ALONE["ar"])  # a follow-up asked first says so, right to left, escaped
    assert f'<p class="note" dir="rtl">{ALONE["ar"]}</p>' in render_chat([Turn("ومتى حدث ذلك؟", alone)])


# ---------------------------------------------------------------- urls


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://example.com/a.html",
                                 "data:text/html,<b>x</b>", "", "   ", "example.com/page", "http://",
                                 "https://exa mple.com/"])
def test_check_url_refuses(url):
    with pytest.raises(InputError):
        check_url(url)
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["http://example.com/a", "https://news.example.org/ar/2021/11/16?x=1"])
def test_check_url_accepts_http_and_https(url):
    assert check_url(url) == url and safe_url(url) == url
    assert link_html(url, "link").startswith('<a class="ext" href="')


def test_refused_scheme_message_is_clear():
    with pytest.raises(InputError, match="only http:// and https://"):
        check_url("file:///etc/passwd")


@given(st.one_of(st.text(max_size=40), st.from_regex(r"(?i)(https?|javascript|data|file|ftp):/{0,3}[^\n]{0,30}",
                                                       fullmatch=True)))
def test_one_url_rule_for_import_link_and_fetch(url):
    """An address a loader accepts is exactly one that may become a link and be asked for."""
    from rag.ingest.loaders import article_from_record

    try:
        imported = article_from_record({"title": "T", "text": "Body", "url": url}, source="a.jsonl", line=1).url
    except InputError:
        imported = "refused"
    if not url.strip():
        assert imported is None
        return
    linked = safe_url(url)
    assert imported == (linked if linked is not None else "refused")
    if linked is not None:
        assert linked.lower().startswith(("http://", "https://")) and link_html(url, "l")
    else:
        assert link_html(url, "l") == ""
        with pytest.raises(InputError):
            fetch(url, max_bytes=1024)  # refused before any connection


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        routes = {
            "/article.html": (200, "text/html; charset=utf-8",
                              "<html><head><title>خبر تجريبي</title></head><body><article><h1>خبر تجريبي</h1>"
                              + "<p>" + "هذا نص خبر تجريبي طويل بما يكفي ليستخرجه المحلل. " * 8 + "</p>"
                              + "</article></body></html>"),
            "/big.html": (200, "text/html", "x" * 5000),
            "/to-ftp": (302, "text/plain", ""),
            "/to-inside": (302, "text/plain", ""),
        }
        code, ctype, body = routes.get(self.path, (404, "text/plain", "missing"))
        self.send_response(code)
        if code == 302:
            port = self.server.server_address[1]
            self.send_header("Location", "ftp://example.com/x" if self.path == "/to-ftp"
                             else f"http://127.0.0.2:{port}/article.html")
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_and_parse_a_page(pages):
    page = fetch(f"{pages}/article.html", max_bytes=100_000, allow_private=True)
    article = page_article(page)
    assert "هذا نص خبر تجريبي" in article.text
    assert article.url == f"{pages}/article.html" and article.id.startswith("a-")


def test_fetch_size_limit(pages):
    with pytest.raises(InputError, match="limit"):
        fetch(f"{pages}/big.html", max_bytes=1000, allow_private=True)


def test_fetch_refuses_redirect_to_other_scheme(pages):
    with pytest.raises(InputError, match="redirects"):
        fetch(f"{pages}/to-ftp", max_bytes=1000, allow_private=True)


def test_fetch_reports_http_errors(pages):
    with pytest.raises(InputError, match="404"):
        fetch(f"{pages}/nope", max_bytes=1000, allow_private=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "0.0.0.0", "224.0.0.1", "100.64.0.1", "::1", "fe80::1", "fc00::1",
                                     "::ffff:127.0.0.1", "::ffff:169.254.169.254", "240.0.0.1"])
def test_internal_addresses_are_blocked(address):
    assert blocked(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_not(address):
    assert blocked(address) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_fetch_refuses_this_servers_own_network_by_default(pages, host):
    url = pages.replace("127.0.0.1", host) + "/article.html"
    with pytest.raises(InputError, match="RAG_FETCH_PRIVATE=1") as info:
        fetch(url, max_bytes=100_000)
    assert "loopback" in str(info.value)


def test_every_redirect_hop_is_checked(pages, monkeypatch):
    """The first address passes (as a public one would); the redirect to another internal one does not."""
    import rag.ingest.fetch as fetch_module

    real = fetch_module.blocked
    monkeypatch.setattr(fetch_module, "blocked", lambda a: None if a == "127.0.0.1" else real(a))
    assert "هذا نص" in page_article(fetch(f"{pages}/article.html", max_bytes=100_000)).text
    with pytest.raises(InputError, match="127.0.0.2, a loopback address"):
        fetch(f"{pages}/to-inside", max_bytes=100_000)


# ---------------------------------------------------------------- start-up rules


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_public_hosts(host):
    assert not is_loopback(host)


def test_public_bind_refused_without_login():
    public = Settings.from_env({}, host="0.0.0.0")
    with pytest.raises(SettingsError, match="RAG_AUTH"):
        check_bind(public, [])
    check_bind(public, [("ann", "secret")])
    check_bind(public.replace(allow_public=True), [])
    check_bind(Settings.from_env({}), [])


def test_parse_auth(tmp_path):
    assert parse_auth("") == []
    assert parse_auth("ann:s3:cret") == [("ann", "s3:cret")]
    users = tmp_path / "users"
    users.write_text("# logins\nann:one\n\nbob:two\n", encoding="utf-8")
    assert parse_auth(str(users)) == [("ann", "one"), ("bob", "two")]
    for bad in ("nopassword", ":x", "ann:", str(tmp_path / "missing-file")):
        with pytest.raises(SettingsError):
            parse_auth(bad)
    users.write_text("ann:one\nbroken\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=":2"):
        parse_auth(str(users))


def test_app_refuses_public_bind_before_loading_anything(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RAG_HOST": "0.0.0.0", "RAG_DB_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr and "RAG_ALLOW_PUBLIC=1" in done.stderr


def test_app_reports_a_busy_port_before_loading_anything(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RAG_PORT": str(port), "RAG_DB_DIR": str(tmp_path)}
        done = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
    assert done.returncode == 2 and f"cannot serve on 127.0.0.1:{port}" in done.stderr


def test_app_help_lists_settings():
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0
    for name in ("RAG_PORT", "RAG_DB_DIR", "RAG_AUTH", "RAG_HOST", "RAG_MAX_UPLOAD_MB"):
        assert name in done.stdout


def test_font_css_serves_local_files_and_falls_back():
    css = font_css()
    assert "gradio_api/file=/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf" in css or \
        'local("Noto Naskh Arabic")' in css
    assert "http" not in css  # no CDN


# ---------------------------------------------------------------- results of adding


def test_import_errors_name_file_and_line():
    error = InputError("line is not valid JSON", source="/tmp/gradio/abc123/news.jsonl", line=2)
    assert error_where(error) == "news.jsonl:2"
    out = render_added(["a-1"], [], [], [error], {"a-1": "<b>t</b>"})
    assert "news.jsonl:2" in out and "/tmp/gradio" not in out and "<b>t</b>" not in out


# ---------------------------------------------------------------- handlers (hash embedder)


@pytest.fixture
def handlers(isnad):
    from rag.web.handlers import Handlers

    isnad.ingest([ROOT / "corpus"])
    return Handlers(isnad)


def test_ask_stream_shows_searching_then_cited_answer(handlers):
    steps = list(handlers.ask_stream("من توسط بين أرمينيا وأذربيجان؟", []))
    assert "bot pending" in steps[0][0]
    chat, turns, sources, box = steps[-1]
    assert box == "" and len(turns) == 1 and turns[0].answer is not None
    if not turns[0].answer.abstained:  # the hash embedder may abstain; the real model is tested in the browser
        assert 'class="cite"' in chat and "[1]" in sources
        _, viewer = handlers.open_cite(turns, {"turn": 0, "kind": "c", "n": 1})
        c = turns[0].answer.citations[0]
        assert f'<mark id="cite-mark">{esc(c.quote)}</mark>' in viewer


def test_follow_up_passes_earlier_questions(handlers, monkeypatch):
    seen = {}
    real = handlers.isnad.ask

    def spy(question, **kw):
        seen[question] = kw.get("history")
        return real(question, **kw)

    monkeypatch.setattr(handlers.isnad, "ask", spy)
    *_, (_, turns, _, _) = handlers.ask_stream("من توسط بين أرمينيا وأذربيجان؟", [])
    list(handlers.ask_stream("ومتى حدث ذلك؟", turns))
    assert seen["ومتى حدث ذلك؟"] == ["من توسط بين أرمينيا وأذربيجان؟"]


def test_open_cite_ignores_bad_event_data(handlers):
    for data in ({}, {"turn": "x"}, {"turn": 5, "kind": "c", "n": 1}, {"turn": -1, "kind": "c", "n": 1}):
        _, viewer = handlers.open_cite([], data)
        assert "<mark" not in viewer


def test_add_pasted_validates_and_indexes(handlers):
    bad = handlers.add_pasted("", "text", "", "", "").as_json()
    assert bad["status"] == "error" and "title" in bad["errors"][0]
    assert handlers.add_pasted("t", "x", "", "", "javascript:alert(1)").status == "error"
    ok = handlers.add_pasted("خبر", "نص الخبر عن مهرجان زنجبيلستان.", "2024-01-02", "وكالة", "https://e.com/a")
    assert ok.status == "added" and ok.id.startswith("a-")
    assert ok.as_json() == {"status": "added", "id": ok.id, "title": "خبر", "chunks": ok.chunks}
    assert handlers.add_pasted("خبر", "نص الخبر عن مهرجان زنجبيلستان.", "2024-01-02", "وكالة",
                               "https://e.com/a").status == "unchanged"
    assert "خبر" in handlers.library("خبر")


def test_import_files_keeps_good_lines_and_reports_bad_ones(handlers, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"id": "g1", "title": "good one", "text": "Body one."}\n{oops\n'
                    '{"id": "g2", "title": "good two", "text": "Body two."}\n', encoding="utf-8")
    out = handlers.import_files([str(path)])
    assert "batch.jsonl:2" in out and "2 added" in out
    library = handlers.library()
    assert "good one" in library and "good two" in library


def test_delete_needs_confirmation(handlers):
    viewer, pending, confirm = handlers.library_action({"action": "delete", "id": "armenia-azerbaijan-2021"})
    assert pending == "armenia-azerbaijan-2021" and "cannot be undone" in confirm
    assert handlers.isnad.get("armenia-azerbaijan-2021")  # still there until confirmed
    handlers.delete(pending, "")
    assert "armenia-azerbaijan-2021" not in handlers.library()


def test_verdict_is_rendered_as_text() -> None:
    from rag.types import Citation
    from rag.verify import Verdict
    from rag.web.render import render_verdict

    quote = '<img src=x onerror="alert(1)"> نص'
    c = Citation(1, "a<b>", "<script>t</script>", quote, 0, len(quote))
    html_ = render_verdict(Verdict("<b>claim</b>", False, 0.31, "'<x>' is not in the closest passage", [], c))
    assert "<img" not in html_ and "<script>" not in html_ and "<x>" not in html_
    assert "&lt;img" in html_ and "unsupported" in html_
    assert render_verdict(None, "the claim is <empty>") == '<p class="error" dir="auto">the claim is &lt;empty&gt;</p>'


def test_refused_generated_sentences_are_struck_through_in_a_fold_and_escaped() -> None:
    from rag.types import Answer, Citation, GeneratedSentence
    from rag.web.render import Turn, render_chat

    c = Citation(1, "a", "t", "نص مقتبس.", 0, 9)
    ans = Answer("q", "نص مقتبس. [1]", False, [c], [], "ar", {}, [AnswerSentence("جملة مولدة.", 1)], mode="generated",
                 generated=[GeneratedSentence("جملة مولدة.", True, [1]),
                            GeneratedSentence("<b>500</b> قتيل.", False, [], "the number 500 is not in the closest passage")])
    turn = Turn("q")
    turn.answer = ans
    out = render_chat([turn])
    assert '<details class="unsupported">' in out and "<s>&lt;b&gt;500&lt;/b&gt; قتيل.</s>" in out
    assert out.index("جملة مولدة.") < out.index("details")
    note = Answer("q", "x", False, [c], [], "en", {}, [AnswerSentence("x", 1)], note="the language model <timed out>")
    turn.answer = note
    assert '<p class="note" dir="auto">the language model &lt;timed out&gt;</p>' in render_chat([turn])
    assert 'class="reader"' not in render_chat([turn])  # the sentence scorer alone: nothing to say


def test_the_reader_in_force_is_named_under_the_answer() -> None:
    from rag.types import Answer, Citation
    from rag.web.render import Turn, render_chat

    c = Citation(1, "a", "t", "نص مقتبس.", 0, 9, reader_score=0.9)
    turn = Turn("من توسط؟")
    turn.answer = Answer("من توسط؟", "نص مقتبس. [1]", False, [c], [], "ar", {}, [AnswerSentence("نص مقتبس.", 1)],
                         reader="rerank API http://h/rerank <x>")
    out = render_chat([turn])
    assert ('<p class="reader" dir="auto">اختيرت الجمل بواسطة: <span dir="ltr">rerank API http://h/rerank &lt;x&gt;</span></p>'
            in out)


def test_a_contradicted_claim_shows_its_verdict_and_what_differs_highlighted() -> None:
    from rag.verify import Verdict
    from rag.web.render import render_verdict

    quote = "صدم بسيارته 3 من أفراد الأمن في شمال إسرائيل"
    span = Citation(1, "ram", "عربي يدهس شرطيا", quote, 10, 10 + len(quote))
    v = Verdict("صدم سائق ثلاثة من أفراد الأمن في جنوب إسرائيل", False, 0.8,
                "the article says 'شمال', the claim 'جنوب'", [], span, verdict="contradicted")
    out = render_verdict(v)
    assert "Contradicted by the articles" in out and 'class="verdict contradicted"' in out
    assert '<mark class="differs">شمال</mark>' in out and "contradicting span" in out
    quote = "من ناحية أخرى، اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد تصعيد الوضع"
    said = Verdict("اتهمت أرمينيا أذربيجان بتصعيد الوضع", False, 0.7,
                   "the article has 'الأذرية' say it, the claim 'أرمينيا'", [],
                   Citation(1, "az", "اشتباكات", quote, 0, len(quote)), verdict="contradicted")
    assert '<mark class="differs">الأذرية</mark>' in render_verdict(said)  # who says it
    nothing = Verdict("x", False, 0.2, "no passage says this (closest similarity 0.20)", [], span)
    assert "Not found in the articles" in render_verdict(nothing) and "<mark" not in render_verdict(nothing)


def test_the_answer_is_shown_before_its_corroboration_is_looked_up(handlers, monkeypatch):
    calls = []
    real_ask, real_corroborate = handlers.isnad.ask, handlers.isnad.corroborate
    monkeypatch.setattr(handlers.isnad, "ask", lambda q, **kw: calls.append(("ask", kw)) or real_ask(q, **kw))
    monkeypatch.setattr(handlers.isnad, "corroborate", lambda a: calls.append(("corroborate", a)) or real_corroborate(a))
    steps = list(handlers.ask_stream("متى بدأت المفاوضات في إطار مجموعة مينسك؟", []))
    turn = steps[-1][1][0]
    assert calls[0] == ("ask", {"history": [], "extractive": False, "corroborate": False})
    assert turn.answer.citations  # the seed article's Minsk sentence, even with the hash embedder
    assert calls[1][0] == "corroborate" and set(turn.answer.corroboration) == {c.n for c in turn.answer.citations}
