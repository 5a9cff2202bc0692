"""Shared fixtures. Every database lives in tmp_path; unit tests use the hash embedder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.settings import Settings, apply_offline_env, default_model_dir

apply_offline_env()

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED_DATA = ROOT.parent / "shared" / "data"
SEED_ID = "armenia-azerbaijan-2021"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash")


@pytest.fixture
def isnad(settings: Settings) -> Isnad:
    return Isnad(settings)


def real_model_path() -> str:
    return os.environ.get("RAG_EMBED_MODEL") or str(default_model_dir())


@pytest.fixture(scope="session")
def real_embedder():
    """The real EmbeddingGemma model, loaded once per test session, in the runtime the app would choose
    (RAG_EMBED_RUNTIME=auto: OpenVINO on a CPU where it is installed)."""
    from rag.embedder import make_embedder
    from rag.settings import Settings

    path = real_model_path()
    if not Path(path).is_dir():
        pytest.fail(f"the embedding model is not at {path}; run `python -m rag setup-model` first")
    embedder = make_embedder(Settings.from_env({}, embed_model=path))
    embedder.warm_up()
    return embedder


CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port with its files in path/data, logging to path/server.log;
    returns once it answers (skips the test when it cannot start). The caller stops it."""
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.skip("the `chroma` command (from the chromadb package) is not installed")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with (path / "server.log").open("a") as log:
        proc = subprocess.Popen([str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(path / "data"),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.skip(f"`chroma run` did not start: {(path / 'server.log').read_text()[-500:]}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL the server-mode tests may create databases in: RAG_TEST_DATABASE_URL, else
    the local one `scripts/postgres.sh` installs (with apt, as root) and starts."""
    url = os.environ.get("RAG_TEST_DATABASE_URL", "")
    if not url:
        script = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
        try:
            done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"PostgreSQL could not be started by scripts/postgres.sh: {exc}")
        if done.returncode != 0:
            pytest.skip(f"PostgreSQL could not be had (scripts/postgres.sh): {done.stderr.strip()[-300:]}")
        url = done.stdout.strip().splitlines()[-1]
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        pytest.skip(f"PostgreSQL at {url.rsplit('@', 1)[-1]} is not reachable: {exc}")
    return url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases (dropped afterwards); returns their URLs."""
    import uuid

    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"isnad_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return postgres_url.rsplit("/", 1)[0] + "/" + name

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in made:
            # A backend this role may not end (an autovacuum worker that just started on the database, a
            # killed process's session still closing) makes the drop fail for a moment: try again for 10 s.
            for attempt in range(20):
                try:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    break
                except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
                    if attempt == 19:
                        raise
                    time.sleep(0.5)


# ---------------------------------------------------------------- browser (each browser module defines app_url)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ar")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()
