"""With a login (RAG_AUTH), every route but the login page itself refuses a caller without it:
the page's config, the API (named endpoints and the queue), files, and the MCP tools (off)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from test_browser import SEED_EN, running_app

from tests.conftest import SEED_ID

pytestmark = pytest.mark.browser  # starts app.py with the real model, like the browser tests
LOGIN = ("editor", "a long passphrase")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app-auth"), RAG_AUTH=":".join(LOGIN)) as url:
        yield url


def status(url: str, method: str = "GET", body: dict | None = None) -> int:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("path", "method", "body"), [
    ("config", "GET", None),
    ("gradio_api/info", "GET", None),
    ("gradio_api/queue/status", "GET", None),
    ("gradio_api/file=README.md", "GET", None),
    ("gradio_api/call/ask", "POST", {"data": ["who?"]}),
    ("gradio_api/call/verify", "POST", {"data": ["a claim"]}),
    ("gradio_api/call/add_article", "POST", {"data": ["t", "text"]}),
    ("gradio_api/queue/join", "POST", {"data": ["x"], "fn_index": 0, "session_hash": "abc"}),
])
def test_every_route_refuses_a_caller_without_the_login(app: str, path: str, method: str, body: dict | None) -> None:  # type: ignore[type-arg]
    assert status(app + path, method, body) == 401


def test_mcp_tools_are_off_with_a_login(app: str) -> None:
    assert status(app + "gradio_api/mcp/") == 404


def test_the_api_works_with_the_login(app: str) -> None:
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - gradio_client's own error type varies by version
        Client(app, verbose=False)
    client = Client(app, auth=LOGIN, verbose=False)
    result = client.predict(SEED_EN, api_name="/ask")
    assert result["citations"] and result["citations"][0]["article_id"] == SEED_ID
