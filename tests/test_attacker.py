"""The web app as an attacker sees it (no login, the default local instance).

* Every text field of an article (title, text, source, url) and the question are shown as text:
  HTML, markdown links and images, javascript:/data: addresses and right-to-left overrides never
  become elements, handlers, dialogs or navigation — also for a `javascript:` url already stored
  in an index (written by an older version or by hand).
* The UI's own events are reachable through the queue (the page needs them), so each is called
  with hostile input: server paths and a file reference outside Gradio's upload folder. None
  reads a file of the server.
* Gradio serves no file but what the page needs, and an upload over RAG_MAX_UPLOAD_MB is refused
  before its body has been sent whole.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, ROOT, ask, open_tab, running_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

UPLOAD_LIMIT_MB = 1
SECRET = Path("/etc/passwd")  # any file of the server the app has no business reading
RLO, LRO = "\u202e", "\u202d"
HOSTILE = {
    "title": f"<img src=x onerror=alert(1)>سوق قرطبان ![x](javascript:alert(2)) {RLO}gpj.exe",
    "text": ("افتتحت بلدية قرطبان سوقاً جديداً للتوابل في وسط المدينة القديمة. "
             "[اضغط هنا](javascript:alert(3)) <a href=\"javascript:alert(4)\">رابط</a> "
             "<iframe src=\"data:text/html,<script>alert(5)</script>\"></iframe> "
             f"<svg onload=alert(6)></svg> ويضم السوق مئة وعشرين متجراً {LRO}abc{RLO} للتوابل والعطور."),
    "source": f"<script>window.__xss=7</script>{RLO}وكالة",
    "url": 'https://example.com/a"onmouseover="alert(8)',
}
QUESTION = "<img src=x onerror=alert(9)> كم متجراً في سوق قرطبان؟"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-attacker")


@pytest.fixture(scope="module")
def app_url(work: Path) -> Iterator[str]:
    with running_app(work, RAG_MAX_UPLOAD_MB=str(UPLOAD_LIMIT_MB)) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url: str):  # type: ignore[no-untyped-def]
    from gradio_client import Client

    return Client(app_url, verbose=False)


def add(client, **fields: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return client.predict(title=fields.get("title", ""), text=fields.get("text", ""), date="",
                          source=fields.get("source", ""), url=fields.get("url", ""), api_name="/add_article")


def injected(page) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """What an injection would have left in the document."""
    return page.evaluate("""() => ({
        elements: [...document.querySelectorAll('#chat img, #chat iframe, #chat svg, #chat script, '
            + '#sources img, #sources iframe, #sources svg, #sources script, #viewer img, #viewer iframe, '
            + '#viewer svg, #viewer script, #library-viewer img, #library-viewer iframe, #library-viewer svg, '
            + '#library-viewer script')].map(e => e.tagName),
        handlers: [...document.querySelectorAll('[onerror],[onload],[onmouseover],[onclick]')].map(e => e.outerHTML.slice(0, 80)),
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
            .filter(h => !/^(#|https?:|\\/|\\?|$)/i.test(h.trim())),
        xss: typeof window.__xss,
    })""")


def test_hostile_fields_are_shown_as_text_and_bad_addresses_refused(client, page, work: Path) -> None:  # type: ignore[no-untyped-def]
    for bad in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " JAVASCRIPT:alert(1)"):
        refused = add(client, title="عنوان", text="نص قصير عن بلدة خيالية.", url=bad)
        assert refused["status"] == "error" and "http://" in refused["errors"][0], refused
    added = add(client, **HOSTILE)
    assert added["status"] == "added", added
    # An index written by an older version (or by hand) may already hold a javascript: address.
    legacy = add(client, title="مقال قديم عن ميناء قرطبان", text="ميناء قرطبان صغير وتصل إليه السفن مرتين في الأسبوع.")
    with sqlite3.connect(work / "db" / "isnad.sqlite3") as db:
        db.execute("UPDATE articles SET url = ? WHERE id = ?", ("javascript:window.__xss=10", legacy["id"]))

    start = page.url
    bot = ask(page, QUESTION)
    assert "<img src=x onerror=alert(9)>" in page.inner_text("#chat")
    bot.locator("a.cite").first.click()
    page.locator("#viewer article").wait_for()
    open_tab(page, "Library")
    for article_id in (added["id"], legacy["id"]):
        page.locator(f"#library button.lib-open[data-id='{article_id}']").click()
        page.locator(f"#library-viewer article[data-id='{article_id}']").wait_for()
        page.wait_for_timeout(300)  # give any injected handler a chance to run
        found = injected(page)
        assert found == {"elements": [], "handlers": [], "links": [], "xss": "undefined"}, found
    shown = page.inner_text("#library-viewer") + page.inner_text("#chat") + page.inner_text("#sources")
    for literal in ("[اضغط هنا](javascript:alert(3))", '<a href="javascript:alert(4)">', "<svg onload=alert(6)>"):
        assert literal in shown, literal
    assert RLO in page.inner_text("body")  # kept as a character, not stripped and not obeyed by the layout
    assert page.dialogs == [] and page.url == start  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the queue and files


def _config(app_url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(app_url + "config", timeout=30) as response:
        return json.loads(response.read())


def _call_event(app_url: str, fn_index: int, data: list) -> list[dict]:  # type: ignore[type-arg]
    """Join the queue for one event as the page would, and read its messages to the end."""
    session = uuid.uuid4().hex[:11]
    body = json.dumps({"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                       "trigger_id": None}).encode()
    request = urllib.request.Request(app_url + "gradio_api/queue/join", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return [{"msg": "refused", "status": exc.code, "body": exc.read().decode("utf-8", "replace")}]
    messages = []
    with urllib.request.urlopen(f"{app_url}gradio_api/queue/data?session_hash={session}", timeout=120) as stream:
        for raw in stream:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            messages.append(message)
            if message.get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                break
    return messages


def test_the_uis_own_events_read_no_server_file_whatever_they_are_sent(app_url: str, work: Path) -> None:
    if not SECRET.exists():
        pytest.skip(f"{SECRET} is not on this machine")
    config = _config(app_url)
    kinds = {c["id"]: c.get("type") for c in config["components"]}
    file_ref = {"path": str(SECRET), "orig_name": "passwd.txt", "meta": {"_type": "gradio.FileData"}}
    called = 0
    for dep in config["dependencies"]:
        if not dep.get("backend_fn"):
            continue
        data = [[file_ref] if kinds.get(i) == "file" else f"../../../..{SECRET}" for i in dep["inputs"]]
        messages = _call_event(app_url, dep["id"], data)
        called += 1
        assert "root:" not in json.dumps(messages, ensure_ascii=False), (dep["id"], messages)
        if "file" in (kinds.get(i) for i in dep["inputs"]):  # Gradio refuses a path it did not receive
            assert messages[-1].get("success") is False, messages
    assert called >= 8  # every event of the page was tried
    with sqlite3.connect(work / "db" / "isnad.sqlite3") as db:
        leaked = db.execute("SELECT id FROM articles WHERE text LIKE '%root:%'").fetchall()
    assert leaked == []
    assert urllib.request.urlopen(app_url, timeout=30).status == 200  # still serving


@pytest.mark.parametrize("path", [str(SECRET), "../../../../etc/passwd", str(ROOT / "app.py"),
                                  "README.md", "rag/settings.py", "db/isnad.sqlite3"])
def test_gradio_serves_no_file_of_the_server(app_url: str, path: str) -> None:
    url = f"{app_url}gradio_api/file={urllib.parse.quote(path)}"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=30)
    assert err.value.code in (403, 404)


def test_an_upload_over_the_limit_is_refused_before_it_is_sent_whole(app_url: str) -> None:
    boundary = "isnadboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    total = 50 * 1024 * 1024  # announced; only a little over the limit is ever sent
    host = urllib.parse.urlsplit(app_url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    conn.putrequest("POST", "/gradio_api/upload")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + total + len(boundary) + 8))
    conn.endheaders()
    conn.send(head)
    piece = ("ن" * 32768).encode()  # 64 KB of Arabic text
    sent = 0
    try:
        while sent < (UPLOAD_LIMIT_MB + 1) * 1024 * 1024:
            conn.send(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: refused early
    response = conn.getresponse()  # answered while 48 MB of the announced body were never sent
    assert response.status == 413, (response.status, response.read()[:200])
    assert sent < total
    conn.close()
