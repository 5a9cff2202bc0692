"""The web app's API endpoints as MCP tools, through the `mcp` package's own client over HTTP."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterator

import pytest
from test_browser import SEED_AR, running_app

from tests.conftest import SEED_ID

pytestmark = pytest.mark.browser  # starts app.py with the real model, like the browser tests


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app-mcp")) as url:
        yield url


def call(url: str, tool: str | None, args: dict) -> tuple[list[str], object]:  # type: ignore[type-arg]
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def run() -> tuple[list[str], object]:
        async with streamablehttp_client(url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                if tool is None:
                    return names, None
                name = next(n for n in names if n.endswith(tool))
                result = await session.call_tool(name, args)
                # Gradio writes a dict result as its Python repr.
                return names, ast.literal_eval(result.content[0].text)  # type: ignore[union-attr]

    return asyncio.run(run())


def test_mcp_lists_the_named_endpoints_and_answers_and_verifies(app: str) -> None:
    names, _ = call(app, None, {})
    assert {n.rsplit("_", 1)[-1] for n in names} >= {"ask", "verify"}
    assert len(names) == 4, names  # ask, verify, add_article, add_feed: no internal UI event
    _, answer = call(app, "ask", {"question": SEED_AR})
    assert answer["citations"][0]["article_id"] == SEED_ID  # type: ignore[index]
    _, verdict = call(app, "verify", {"claim": "بدأت المفاوضات في إطار مجموعة مينسك منذ عام 1998"})
    assert verdict["supported"] is False and "1998" in verdict["reason"]  # type: ignore[index]
