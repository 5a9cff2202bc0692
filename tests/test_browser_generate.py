"""Generated answers in the browser: the app talks to a scripted OpenAI-compatible server on
loopback (tests/test_generate.py's), with the real embedding model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from test_browser import SEED_EN, ask, running_app, shot
from test_generate import Handler, Script, marker

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

GOOD = "Charles Michel, President of the European Council, urged the leaders of Azerbaijan and Armenia to a complete ceasefire"
BAD = "Russia sent 5000 soldiers to the border"


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, llm_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    Script.reply = staticmethod(  # type: ignore[assignment]
        lambda p: f"{GOOD} [{marker(p, 'ميشيل')}]. {BAD} [{marker(p, 'روسيا')}].")
    with running_app(tmp_path_factory.mktemp("app-llm"), RAG_LLM_BASE_URL=llm_url, RAG_LLM_MODEL="scripted") as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(url)
            page.wait_for_selector("#question textarea")
            yield page
            browser.close()


def test_generated_sentence_is_cited_and_the_unsupported_one_is_only_in_the_fold(page) -> None:  # type: ignore[no-untyped-def]
    bot = ask(page, SEED_EN)
    sentences = bot.locator("p.sent").all_inner_texts()
    assert len(sentences) == 1 and sentences[0].startswith(GOOD) and "[1]" in sentences[0]
    assert BAD not in " ".join(sentences)
    fold = bot.locator("details.unsupported")
    assert fold.count() == 1 and not fold.locator("s").is_visible()  # closed until the reader opens it
    fold.locator("summary").click()
    assert BAD in fold.locator("s").inner_text()
    bot.locator("a.cite").first.click()
    page.wait_for_selector("#viewer mark#cite-mark")
    assert "شارل ميشيل" in page.inner_text("#viewer mark#cite-mark")
    shot(page, "generated.png")
    assert page.locator("#extractive").is_visible()
