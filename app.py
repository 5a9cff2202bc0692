"""`python app.py`: index corpus/ if needed, load the model, serve the Isnad web app.

Settings come from RAG_* environment variables (`python app.py --help` lists them).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.errors import RagError, UnreachableError
from rag.settings import Settings, apply_offline_env, settings_help

CORPUS = Path(__file__).resolve().parent / "corpus"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Serve the Isnad web app: ask questions, check sources, add articles.",
        epilog="Settings (environment variables):\n" + settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.parse_args(argv)


def start(isnad: Any) -> None:
    """Index corpus/ (cheap when nothing changed: articles are skipped by content hash), load the model."""
    if CORPUS.is_dir():
        report = isnad.ingest([CORPUS])
        print(f"corpus: {report.summary()}", file=sys.stderr)
        for error in report.errors:
            print(f"corpus: failed: {error}", file=sys.stderr)
    isnad.warm_up()
    print(f"model: {isnad.model_runs()}", file=sys.stderr, flush=True)


def waiting_for_servers(step: Callable[[], None], seconds: float, pause: float = 2.0) -> None:
    """step(), again while PostgreSQL or the Chroma server is out of reach, for up to `seconds`
    (started together, the servers may come up after the app). Safe to repeat: an interrupted
    import is finished or undone, and a finished one is skipped."""
    deadline = time.monotonic() + seconds
    said = ""
    while True:
        try:
            step()
            return
        except UnreachableError as exc:
            if time.monotonic() + pause > deadline:
                raise
            if str(exc) != said:
                print(f"waiting for the servers (up to {seconds:.0f} s, RAG_SERVER_WAIT): {exc}", file=sys.stderr,
                      flush=True)
                said = str(exc)
            time.sleep(pause)


def main(argv: list[str] | None = None) -> int:
    parse_args(argv)
    apply_offline_env()  # before gradio, chromadb or transformers are imported
    from rag.web.launch import check_bind, check_port, parse_auth

    try:
        settings = Settings.from_env()
        logins = parse_auth(settings.auth)
        check_bind(settings, logins)  # refuse before spending time on the model
        check_port(settings.host, settings.port)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from rag.engine import Isnad

    isnad = Isnad(settings)
    try:
        waiting_for_servers(lambda: start(isnad), settings.server_wait)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from rag.feeds import Refresher
    from rag.web.page import build_app

    # Subscribed feeds (`python -m rag feed add URL`) are refreshed when due, in the background.
    Refresher(isnad.feeds, log=lambda m: print(m, file=sys.stderr, flush=True)).start()
    demo, launch_kwargs = build_app(isnad)
    # Gradio's MCP tools call the app without the login, so with a login they would only fail.
    mcp = settings.mcp and not logins
    print(f"Isnad: serving on http://{settings.host}:{settings.port}"
          + (f" (MCP tools at http://{settings.host}:{settings.port}/gradio_api/mcp/)" if mcp else ""),
          file=sys.stderr, flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=logins or None,
        auth_message="Isnad · إسناد" if logins else None,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=True,
        ssr_mode=False,
        footer_links=["api", "settings"],
        mcp_server=mcp,
        **launch_kwargs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
