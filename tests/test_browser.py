"""The web app in headless Chromium: `python app.py` with the real model on a temporary index.

One app process serves the whole module; every test opens its own page. Gradio keeps a
heartbeat request open, so tests wait for selectors, never for "networkidle".
Screenshots go to test-artifacts/ (docs/screenshots/ holds the reviewed copies).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, SEED_ID, free_port, real_model_path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SEED_AR = "من توسط بين أرمينيا وأذربيجان؟"
SEED_EN = "Who mediated between Armenia and Azerbaijan?"
FOLLOW_UP = "ومتى حدث ذلك؟"
START_TIMEOUT_S = 300  # first start indexes corpus/ with the real model on 2 shared cores
ANSWER_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def _log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running_app(work: Path, **env_extra: str) -> Iterator[str]:
    """`python app.py` on a fresh index in `work`, with the real model; yields its URL."""
    model = real_model_path()
    if not Path(model).is_dir():
        pytest.fail(f"the embedding model is not at {model}; run `python -m rag setup-model` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DB_DIR=str(work / "db"), RAG_PORT=str(port), RAG_HOST="127.0.0.1", RAG_EMBED_MODEL=model,
               **env_extra)
    log_path = work / "app.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{_log_tail(log_path)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not serve {url} within {START_TIMEOUT_S} s:\n{_log_tail(log_path)}")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # RAG_FETCH_PRIVATE: the feed test serves its feed on 127.0.0.1
    with running_app(tmp_path_factory.mktemp("app"), RAG_FETCH_PRIVATE="1") as url:
        yield url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def ask(page, question: str):
    """Type a question, send it, wait for the finished answer; returns the answer's locator."""
    n = page.locator("#chat .turn").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    bot = page.locator(f"#chat .turn:nth-child({n + 1}) .msg.bot")
    page.wait_for_selector(f"#chat .turn:nth-child({n + 1}) .msg.bot:is(.done, .failed)", timeout=ANSWER_MS)
    return bot


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).click()


def paste_article(page, title: str, text: str, **fields: str) -> str:
    open_tab(page, "Add articles")
    page.fill("#paste-title textarea", title)
    page.fill("#paste-text textarea", text)
    for key, value in fields.items():
        page.fill(f"#paste-{key} textarea", value)
    page.click("#paste-btn")
    page.wait_for_selector("#paste-result .isnad-result", timeout=ANSWER_MS)
    return page.inner_text("#paste-result")


# ---------------------------------------------------------------- asking


def test_arabic_question_streams_a_cited_answer(page):
    # Record every state the answer passes through, to see that it streams.
    page.evaluate("""() => {
        window.__states = new Set();
        new MutationObserver(() => document.querySelectorAll('#chat .msg.bot').forEach(
            m => m.classList.forEach(c => window.__states.add(c)))
        ).observe(document.querySelector('#chat'), {subtree: true, childList: true, attributes: true});
    }""")
    bot = ask(page, SEED_AR)
    assert "done" in bot.get_attribute("class")
    assert bot.get_attribute("dir") == "rtl"
    assert bot.locator("a.cite", has_text="[1]").count() == 1
    states = page.evaluate("() => [...window.__states]")
    assert "pending" in states and "streaming" in states, states
    assert "اشتباكات على الحدود" in page.inner_text("#sources")
    # Arabic renders in the app's own Naskh face, fetched from the app (no CDN).
    page.wait_for_function("() => [...document.fonts].some(f => f.family.includes('Isnad Naskh') "
                           "&& f.status === 'loaded')")
    assert "Isnad Naskh" in bot.locator("p.sent").first.evaluate("e => getComputedStyle(e).fontFamily")
    shot(page, "chat.png")


def test_citation_click_opens_article_with_highlight(page):
    bot = ask(page, SEED_AR)
    first = bot.locator("p.sent").first
    quote = first.inner_text().rsplit("[1]", 1)[0].strip()
    bot.locator("a.cite", has_text="[1]").click()
    mark = page.locator("#viewer mark#cite-mark")
    mark.wait_for()
    assert mark.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("#viewer article").get_attribute("dir") == "rtl"
    assert " ".join(mark.inner_text().split()) == " ".join(quote.split())
    from playwright.sync_api import expect

    expect(mark).to_be_in_viewport()
    assert page.locator("#viewer article").get_attribute("data-id") == SEED_ID
    assert page.locator("#sources li.source.active").count() == 1
    page.wait_for_timeout(1000)  # let the smooth scroll settle before the screenshot
    shot(page, "viewer.png")


def test_follow_up_question_uses_the_conversation(page):
    ask(page, SEED_AR)
    bot = ask(page, FOLLOW_UP)
    assert "done" in bot.get_attribute("class") and "abstained" not in bot.get_attribute("class")
    assert bot.locator("a.cite").count() >= 1
    assert re.search(r"\d{4}|نوفمبر|سبتمبر|فبراير", bot.inner_text()), bot.inner_text()
    shot(page, "chat-follow-up.png")


def test_english_question_is_answered_with_markers(page):
    bot = ask(page, SEED_EN)
    assert "done" in bot.get_attribute("class")
    assert page.locator("#chat .msg.user").last.get_attribute("dir") == "ltr"
    assert bot.locator("a.cite").count() >= 1
    # The quotes are Arabic, so each quoted sentence reads right-to-left inside the English turn.
    assert bot.locator("p.sent").first.get_attribute("dir") == "rtl"


def test_unanswerable_question_abstains_and_lists_passages(page):
    bot = ask(page, "ما هي وصفة الكنافة النابلسية؟")
    if "abstained" not in bot.get_attribute("class"):
        pytest.skip("the model found an answer; abstention is covered by the library's tests")
    assert "لم أجد" in bot.inner_text()
    assert bot.locator("a.cite[data-kind=p]").count() >= 1
    bot.locator("a.cite[data-kind=p]").first.click()
    page.locator("#viewer mark#cite-mark").wait_for()


# ---------------------------------------------------------------- adding


def test_pasted_article_is_answerable_at_once(page):
    title = "مهرجان الفوانيس في قرية زنجبيلستان"
    text = ("أقيم مهرجان الفوانيس السنوي في قرية زنجبيلستان الجبلية يوم الجمعة الماضي. "
            "وقال رئيس بلدية زنجبيلستان إن المهرجان جذب أكثر من ثلاثة آلاف زائر هذا العام. "
            "وأضاف أن الفوانيس صُنعت يدوياً من ورق التوت الأحمر.")
    result = paste_article(page, title, text, date="2024-03-08", source="وكالة الاختبار")
    assert "1 added" in result or "0 added, 0 replaced, 1 unchanged" in result
    open_tab(page, "Ask")
    bot = ask(page, "كم زائراً جذب مهرجان زنجبيلستان؟")
    assert bot.locator("a.cite").count() >= 1
    assert title in page.inner_text("#sources")


def test_upload_reports_bad_line_and_keeps_good_articles(page, tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [json.dumps({"id": "up-one", "title": "سباق القوارب في بحيرة قرطبان", "text": "نص عن سباق القوارب."},
                        ensure_ascii=False),
             '{"id": "broken", "title": "no closing brace"',
             json.dumps({"id": "up-two", "title": "Glimmerfold regatta report", "text": "Boats raced at dawn."})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    open_tab(page, "Add articles")
    page.set_input_files("#upload input[type=file]", str(path))
    page.locator("#upload").get_by_text("batch.jsonl").first.wait_for(timeout=ANSWER_MS)  # the upload round trip
    page.click("#upload-btn")
    page.wait_for_selector("#upload-result .isnad-result", timeout=ANSWER_MS)
    result = page.inner_text("#upload-result")
    assert "batch.jsonl:2" in result and "2 added" in result, result
    open_tab(page, "Library")
    page.wait_for_selector("#library tr[data-id='up-two']")
    library = page.inner_text("#library")
    assert "سباق القوارب في بحيرة قرطبان" in library and "Glimmerfold regatta report" in library
    assert "اشتباكات على الحدود بين أرمينيا وأذربيجان" in library
    page.locator("#library tr[data-id='armenia-azerbaijan-2021'] button.lib-open").click()
    page.locator("#library-viewer article[data-id='armenia-azerbaijan-2021']").wait_for()
    assert page.locator("#library-viewer mark").count() == 0  # opened from the list: nothing to highlight
    shot(page, "library.png")
    page.fill("#library-search textarea", "Glimmerfold")
    page.press("#library-search textarea", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#library tbody tr').length === 1")
    assert page.locator("#library tr[data-id='up-two']").count() == 1


def test_article_html_is_shown_as_text_never_run(page):
    title = "<b>عنوان</b> اختبار الحقن"
    text = ("هذا مقال اختباري عن مدينة فرسكوندة الخيالية. <img src=x onerror=alert(1)> "
            "ثم نص آخر <script>window.__xss=1</script> عن سوق فرسكوندة القديم.")
    paste_article(page, title, text)
    open_tab(page, "Library")
    row = page.locator("#library tr", has_text="اختبار الحقن")
    row.locator("button.lib-open").click()
    viewer = page.locator("#library-viewer")
    viewer.locator(".isnad-article").wait_for()
    shown = viewer.inner_text()
    assert "<img src=x onerror=alert(1)>" in shown and "<script>window.__xss=1</script>" in shown
    assert title in shown
    # Also through the chat: the quote and the sources panel carry the same text.
    open_tab(page, "Ask")
    ask(page, "ما هو سوق فرسكوندة القديم؟")
    page.wait_for_timeout(500)  # give any injected handler a chance to fire
    for scope in ("#library-viewer", "#chat", "#sources", "#viewer"):
        assert page.locator(f"{scope} img").count() == 0, scope
        assert page.locator(f"{scope} script").count() == 0, scope
        assert page.locator(f"{scope} b").count() == 0, scope
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_delete_asks_for_confirmation(page):
    paste_article(page, "خبر سيُحذف عن جزيرة مرجانستان", "نص قصير عن جزيرة مرجانستان ومينائها الصغير.")
    open_tab(page, "Library")
    row = page.locator("#library tr", has_text="مرجانستان")
    row.locator("button.lib-delete").click()
    page.locator("#confirm-delete").wait_for(state="visible")
    assert row.count() == 1  # nothing is deleted before the confirmation
    page.click("#cancel-delete")
    page.locator("#confirm-delete").wait_for(state="hidden")
    assert row.count() == 1
    row.locator("button.lib-delete").click()
    page.click("#confirm-delete")
    row.wait_for(state="detached")
    page.fill("#library-search textarea", "مرجانستان")
    page.press("#library-search textarea", "Enter")
    page.wait_for_selector("#library .isnad-empty")


# ---------------------------------------------------------------- API


def test_gradio_client_ask_and_add_article(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict(SEED_AR, api_name="/ask")
    assert result["citations"] and result["citations"][0]["article_id"] == SEED_ID
    assert result["answer"].endswith("]") and not result["abstained"]
    # Warm answers take well under 2 s on an idle machine (about 0.4 s here); the bound is loose
    # because the 2 cores are shared, and only catches regressions such as reloading the model.
    warm = min(client.predict(SEED_AR, api_name="/ask")["timings_ms"]["total"] for _ in range(3))
    assert warm < 5000, warm
    follow = client.predict(question=FOLLOW_UP, history=[SEED_AR], api_name="/ask")
    assert follow["citations"]
    added = client.predict(title="خبر عبر الواجهة البرمجية عن وادي سنجرلان",
                           text="افتُتح جسر جديد فوق وادي سنجرلان بطول أربعمئة متر.",
                           date="2024-02-01", source="API", url="https://example.com/news/1",
                           api_name="/add_article")
    assert added["status"] in ("added", "unchanged") and added["id"].startswith("a-")
    bad = client.predict(title="", text="x", api_name="/add_article")
    assert bad["status"] == "error" and bad["errors"]
    answer = client.predict("ما طول الجسر فوق وادي سنجرلان؟", api_name="/ask")
    assert any(c["article_id"] == added["id"] for c in answer["citations"])


# ---------------------------------------------------------------- feeds


def test_subscribing_to_a_feed_adds_its_entries_and_lists_it(page):
    from test_feeds import FeedServer, items

    server = FeedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = server.feed("/rss", [dict(it, title=f"خلاصة تجريبية {i}") for i, it in enumerate(items(2))])
        open_tab(page, "Add articles")
        page.fill("#feed-url textarea", url)
        page.fill("#feed-source textarea", "Loopback News")
        page.click("#feed-add-btn")
        page.wait_for_selector("#feed-list table.feeds", timeout=ANSWER_MS)
        listed = page.inner_text("#feed-list")
        assert "2 new" in listed and url in listed and "Loopback News" in listed
        page.click("#feed-refresh-btn")  # unchanged: one conditional request, nothing added
        page.wait_for_function("document.querySelector('#feed-list').innerText.includes('unchanged')",
                               timeout=ANSWER_MS)
        open_tab(page, "Library")
        page.wait_for_selector("text=خلاصة تجريبية 1", timeout=ANSWER_MS)
    finally:
        server.httpd.shutdown()


def test_gradio_client_add_feed(app_url):
    from gradio_client import Client
    from test_feeds import FeedServer, items

    server = FeedServer()
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    try:
        url = server.feed("/api-rss", [dict(it, title=f"خبر الواجهة {i}") for i, it in enumerate(items(1, 50))])
        client = Client(app_url, verbose=False)
        out = client.predict(url=url, every_minutes=30, source="API Feed", api_name="/add_feed")
        assert out["report"]["new"] == 1 and out["feed"]["every_minutes"] == 30 and out["feed"]["source"] == "API Feed"
        with pytest.raises(Exception, match="http"):
            client.predict(url="ftp://example.com/rss", api_name="/add_feed")
    finally:
        server.httpd.shutdown()


# ---------------------------------------------------------------- claim check

CLAIM_OK = "حث رئيس المجلس الأوروبي زعماء أذربيجان وأرمينيا على وقف كامل لإطلاق النار"
CLAIM_BAD = "بدأت المفاوضات في إطار مجموعة مينسك منذ عام 1998"


def test_check_a_claim_panel_shows_the_span_or_why_not(page):
    open_tab(page, "Check a claim")
    page.fill("#claim textarea", CLAIM_OK)
    page.click("#check-btn")
    page.wait_for_selector("#claim-result .verdict", timeout=ANSWER_MS)
    assert "Supported" in page.inner_text("#claim-result .verdict")
    assert "شارل ميشيل" in page.inner_text("#claim-result .claim-span")
    shot(page, "check.png")
    page.fill("#claim textarea", CLAIM_BAD)
    page.click("#check-btn")
    page.wait_for_selector("#claim-result .verdict.contradicted", timeout=ANSWER_MS)
    assert "1998" in page.inner_text("#claim-result .reason")
    assert page.inner_text("#claim-result mark.differs") == "1992"  # what the article says, highlighted
    page.fill("#claim textarea", "   ")
    page.click("#check-btn")
    page.wait_for_selector("#claim-result .error", timeout=ANSWER_MS)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_gradio_client_verify(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    ok = client.predict(CLAIM_OK, api_name="/verify")
    assert ok["supported"] is True and ok["citations"][0]["article_id"] == SEED_ID
    bad = client.predict(claim=CLAIM_BAD, article_id=SEED_ID, api_name="/verify")
    assert bad["supported"] is False and "1998" in bad["reason"] and bad["closest"]["article_id"] == SEED_ID
    assert bad["verdict"] == "contradicted"


# ---------------------------------------------------------------- corroboration (last: it adds articles)


def test_sources_say_which_other_outlets_agree_and_which_differ(page):
    # The seed article says 1992; one pasted article says it in other words, one gives 1994. Which of
    # them is quoted first is the answer step's choice, so the test reads whatever the panel shows:
    # a line under the source that opens the other outlets' spans, and a differing year named as such.
    paste_article(page, "مفاوضات مينسك", "قال دبلوماسيون إن المفاوضات للتوصل إلى تسوية سلمية للنزاع بدأت منذ عام "
                  "1992 في إطار مجموعة مينسك التابعة لمنظمة الأمن والتعاون في أوروبا.", source="Loopback Daily")
    paste_article(page, "تاريخ المفاوضات", "بدأت المفاوضات للتوصل إلى تسوية سلمية للنزاع منذ عام 1994 في إطار "
                  "مجموعة مينسك التابعة لمنظمة الأمن والتعاون في أوروبا.", source="Other Wire")
    open_tab(page, "Ask")
    ask(page, "متى بدأت المفاوضات في إطار مجموعة مينسك؟")
    page.wait_for_selector("#sources details.echoes summary", timeout=ANSWER_MS)
    summary = page.inner_text("#sources details.echoes summary")
    assert "توافق" in summary or "تختلف" in summary, summary
    page.click("#sources details.echoes summary")
    spans = page.inner_text("#sources details.echoes")
    assert "Loopback Daily" in spans or "Other Wire" in spans or "armenia" in spans.lower(), spans
    if "تختلف" in summary:
        why = page.inner_text("#sources details.echoes li.differs .why")
        assert "1992" in why and "1994" in why, why
