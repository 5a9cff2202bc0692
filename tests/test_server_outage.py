"""Server mode when a server goes away: a Chroma server or PostgreSQL killed (SIGKILL) and started again.

What a user of a long-running app should see: while a server is down, every request fails with a
message that names the server and says what to do (not a raw socket error); nothing is removed
because of it; once the server is back, the same process answers again without a restart, and
work cut short is finished (from the vector cache) or undone. `rag ingest` killed part way by a
PostgreSQL crash fails with such a message and, run again, completes the import.

Each test starts its own server to kill: a `chroma run`, or a private PostgreSQL cluster made with
the Debian package's `initdb` in tmp_path (skipped, with the reason, where neither can be had).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEED_ID, free_port, start_chroma
from test_crash import pg_counts

from rag.engine import Isnad
from rag.errors import UnreachableError
from rag.index import sentence_units
from rag.settings import Settings
from rag.types import Chunk, Filters
from rag.web.handlers import Handlers

pytestmark = pytest.mark.integration


def server_settings(db: Path, chroma_url: str, database_url: str) -> Settings:
    return Settings.from_env({}, db_dir=str(db), embed_model="hash", chroma_url=chroma_url, database_url=database_url)


def assert_consistent(isnad: Isnad) -> None:
    """Healthy, nothing pending, and the Chroma server holds exactly the sentence vectors the stored chunks call for."""
    report = isnad.check()
    assert report.ok, report.problems
    index = isnad.index
    units = []
    for a in index.ready_articles():
        chunks = [Chunk(c.id, a.id, c.idx, c.start, c.end, a.text[c.start:c.end]) for c in index.chunks_of(a.id)]
        units += [u.id for u in sentence_units(a, chunks)]
    assert sorted(index.vectors.collection.get(include=[])["ids"]) == sorted(units)
    assert index.store.pending_ids() == []


QUESTION = "من حث زعماء أذربيجان وأرمينيا على وقف إطلاق النار؟"  # words of the seed article: the hash embedder finds it


def assert_verbatim_answer(isnad: Isnad, question: str = QUESTION) -> None:
    answer = isnad.ask(question)
    assert answer.passages and answer.citations, answer.answer
    for c in answer.citations:
        assert isnad.get(c.article_id).text[c.start:c.end] == c.quote


def write_article(path: Path, article_id: str, title: str, body: str) -> Path:
    path.write_text(f"---\nid: {article_id}\ntitle: {title}\ndate: 2021-11-17\n---\n{body}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- a Chroma server killed and started again
def test_a_killed_chroma_server_is_reported_and_the_app_recovers_when_it_is_back(tmp_path: Path,
                                                                                  postgres_database) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    (tmp_path / "chroma").mkdir()
    chroma = start_chroma(tmp_path / "chroma", port)
    url = f"http://127.0.0.1:{port}"
    isnad = Isnad(server_settings(tmp_path / "db", url, postgres_database()))
    try:
        assert isnad.ingest([CORPUS]).added == [SEED_ID]
        assert_verbatim_answer(isnad)

        chroma.send_signal(signal.SIGKILL)
        chroma.wait(timeout=30)
        with pytest.raises(UnreachableError, match=rf"Chroma server at {url}.*chroma run"):
            isnad.ask("Who mediated between Armenia and Azerbaijan?")
        # the web app shows that message in the conversation, not a generic error
        chat = list(Handlers(isnad).ask_stream("من توسط بين أرمينيا وأذربيجان؟", []))[-1][0]
        assert f"Chroma server at {url}" in chat
        # an import while it is down fails with the same message and writes nothing
        second = write_article(tmp_path / "second.md", "talks-2021", "محادثات بين باكو ويريفان",
                               "التقى وزيرا خارجية البلدين في موسكو. وناقشا ترسيم الحدود بينهما.")
        with pytest.raises(UnreachableError, match="Chroma server"):
            isnad.ingest([second])
        assert [a.id for a in isnad.index.ready_articles()] == [SEED_ID]
        assert isnad.index.store.pending_ids() == []

        chroma = start_chroma(tmp_path / "chroma", port)  # the same folder and port
        assert_verbatim_answer(isnad)  # the same process answers
        assert isnad.ingest([second]).added == ["talks-2021"]  # and imports again
        assert sorted(a.id for a in isnad.index.ready_articles()) == sorted([SEED_ID, "talks-2021"])
        assert_consistent(isnad)
    finally:
        chroma.kill()  # first: nothing below may leave a server running
        chroma.wait(timeout=30)
        isnad.index.close()


def test_a_chroma_server_that_comes_back_empty_gets_the_vectors_again(tmp_path: Path, postgres_database,  # type: ignore[no-untyped-def]
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A Chroma server started again without its data (a new container, a lost volume): the open app and
    a new process each notice that no vector is left and write them again from the vector cache, so
    dense search works again (before: the open app failed every request with Chroma's NotFoundError,
    and a new process answered from the lexical index alone without a word)."""
    port = free_port()
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    chroma = start_chroma(tmp_path / "first", port)
    settings = server_settings(tmp_path / "db", f"http://127.0.0.1:{port}", postgres_database())
    isnad = Isnad(settings)
    try:
        assert isnad.ingest([CORPUS]).added == [SEED_ID]
        held = isnad.index.vectors.count()
        chroma.send_signal(signal.SIGKILL)
        chroma.wait(timeout=30)
        chroma = start_chroma(tmp_path / "second", port)  # the same port, none of the data
        embedded: list[int] = []
        embed = isnad.embedder.embed_documents
        monkeypatch.setattr(isnad.embedder, "embed_documents",
                            lambda texts, *rest: embedded.append(len(texts)) or embed(texts, *rest))
        assert_verbatim_answer(isnad)  # the same process: the vectors are written again, then found
        assert isnad.index.vectors.count() == held
        assert_consistent(isnad)
        assert embedded == []  # from the vector cache, not the model

        chroma.send_signal(signal.SIGKILL)
        chroma.wait(timeout=30)
        (tmp_path / "third").mkdir()
        chroma = start_chroma(tmp_path / "third", port)
        other = Isnad(settings)  # a process opening the index now
        try:
            assert_verbatim_answer(other)  # opening found no vector and wrote them again
            assert other.index.vectors.count() == held
            assert other.index.dense(other.embedder.embed_queries([QUESTION])[0], 5, Filters())
            assert_consistent(other)
            # the first process still holds the old server's collection: it fetches the new one by name
            assert_verbatim_answer(isnad)
            other.index.rebuild_vectors()  # another process makes the collection anew (`rag check --repair`)
            assert_verbatim_answer(isnad)
            assert isnad.index.vectors.count() == held
        finally:
            other.index.close()
    finally:
        chroma.kill()  # first: nothing below may leave a server running
        chroma.wait(timeout=30)
        isnad.index.close()


def test_a_write_that_lost_its_lock_does_not_commit(tmp_path: Path, chroma_server: str, postgres_database,  # type: ignore[no-untyped-def]
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The write lock's own connection ended by the server (pg_terminate_backend, an idle-connection
    timeout, a proxy) in the middle of a write: the lock went with it and another process may write
    now, so this write must not commit. It is rolled back with a clear error; the next write heals."""
    import psycopg

    from rag.pgstore import AdvisoryLock
    from rag.vectors import VectorStore

    url = postgres_database()
    isnad = Isnad(server_settings(tmp_path / "db", chroma_server, url))
    try:
        assert isnad.ingest([CORPUS]).added == [SEED_ID]
        index = isnad.index
        upsert = VectorStore.upsert

        def lock_dropped_meanwhile(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (index.lock._conn.info.backend_pid,))
            upsert(self, *args, **kwargs)

        second = write_article(tmp_path / "second.md", "talks-2021", "محادثات بين باكو ويريفان",
                               "التقى وزيرا خارجية البلدين في موسكو. وناقشا ترسيم الحدود بينهما.")
        with monkeypatch.context() as m:
            m.setattr(VectorStore, "upsert", lock_dropped_meanwhile)
            with pytest.raises(UnreachableError, match="lost the index's write lock"):
                isnad.ingest([second])
        assert index.store.pending_ids() == ["talks-2021"]  # never marked ready
        other = AdvisoryLock(url)  # the lock is free for another process
        with other.held():
            pass
        third = write_article(tmp_path / "third.md", "ceasefire-2021", "وقف إطلاق النار",
                              "أعلنت روسيا التوصل إلى وقف لإطلاق النار على الحدود. وقالت إن الهدوء عاد إلى المنطقة.")
        assert isnad.ingest([third]).added == ["ceasefire-2021"]  # takes the lock again, heals first
        assert sorted(a.id for a in index.ready_articles()) == sorted([SEED_ID, "talks-2021", "ceasefire-2021"])
        assert_consistent(isnad)
    finally:
        isnad.index.close()


# ---------------------------------------------------------------- servers that start after the app
def app_env(tmp_path: Path, chroma_url: str, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | {"RAG_EMBED_MODEL": "hash", "RAG_DB_DIR": str(tmp_path / "db"), "RAG_CHROMA_URL": chroma_url,
                  "RAG_DATABASE_URL": database_url, "RAG_HOST": "127.0.0.1", **extra}


def wait_for_text(path: Path, text: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while text not in path.read_text(encoding="utf-8", errors="replace"):
        assert proc.poll() is None, f"app.py exited with {proc.returncode}: {path.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"no {text!r} in {seconds:.0f} s: {path.read_text()[-2000:]}"
        time.sleep(0.2)


def test_the_app_waits_for_a_chroma_server_that_starts_after_it(tmp_path: Path, postgres_database) -> None:  # type: ignore[no-untyped-def]
    """`docker compose up` starts the servers and the app together; the app must not exit because
    Chroma answers a few seconds after it (it did: "error: cannot reach the Chroma server")."""
    import urllib.request

    port, app_port = free_port(), free_port()
    (tmp_path / "chroma").mkdir()
    env = app_env(tmp_path, f"http://127.0.0.1:{port}", postgres_database(), RAG_PORT=str(app_port))
    log = tmp_path / "app.log"
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    chroma = None
    try:
        wait_for_text(log, f"waiting for the servers (up to 120 s, RAG_SERVER_WAIT): cannot reach the Chroma server "
                           f"at http://127.0.0.1:{port}", app, 120)
        chroma = start_chroma(tmp_path / "chroma", port)
        wait_for_text(log, "Isnad: serving on", app, 120)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.5)
        assert "failed 0" in log.read_text()
        # the import the first try broke off was finished: the seed article is searchable, the stores agree
        isnad = Isnad(server_settings(tmp_path / "db", env["RAG_CHROMA_URL"], env["RAG_DATABASE_URL"]))
        try:
            assert [a.id for a in isnad.index.ready_articles()] == [SEED_ID]
            assert_consistent(isnad)
        finally:
            isnad.index.close()
    finally:
        app.terminate()
        app.wait(timeout=30)
        if chroma is not None:
            chroma.kill()
            chroma.wait(timeout=30)


def test_the_app_gives_up_on_servers_after_rag_server_wait(tmp_path: Path, postgres_database) -> None:  # type: ignore[no-untyped-def]
    env = app_env(tmp_path, f"http://127.0.0.1:{free_port()}", postgres_database(), RAG_PORT=str(free_port()),
                  RAG_SERVER_WAIT="3")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "error: cannot reach the Chroma server" in done.stderr and "chroma run" in done.stderr
    assert time.monotonic() - start < 60


# ---------------------------------------------------------------- PostgreSQL killed and started again
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                if p.parent.name.isdigit() else 0)


class PrivatePostgres:
    """A PostgreSQL cluster of its own in `folder`, on a free loopback port, that a test may kill."""

    def __init__(self, folder: Path):
        if not PG_BIN or not (PG_BIN[-1] / "initdb").exists():
            pytest.skip("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")
        self.bin = PG_BIN[-1]
        self.data = folder / "pgdata"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else ""  # the server refuses to run as root
        if self.user and not shutil.which("runuser"):
            pytest.skip("running as root without `runuser`: cannot start a private PostgreSQL as another user")
        folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(folder, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "isnad", "--no-sync")
        self.url = f"postgresql://isnad@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        cmd = [str(self.bin / program), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.skip(f"a private PostgreSQL could not be set up ({program}): {done.stderr.strip()[-300:]}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.data.parent / "server.log"),
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend: what a crash of the machine's database looks like."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        for p in [pid, *map(int, children.split())]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{p}").exists() for p in [pid, *map(int, children.split())]):
            assert time.monotonic() < deadline, "PostgreSQL's processes did not die"
            time.sleep(0.05)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    # not under tmp_path: pytest makes its folders private to this user, and the server runs as another
    folder = Path(tempfile.mkdtemp(prefix="isnad-pg-"))
    try:
        pg = PrivatePostgres(folder)
        pg.start()
        try:
            yield pg
        finally:
            pg.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def many_articles(path: Path, n: int) -> Path:
    """n small articles (sentences of the seed article, each with its own number), as JSONL."""
    body = (CORPUS / "armenia-azerbaijan-2021.md").read_text(encoding="utf-8").split("---")[-1]
    sentences = [s.strip() + "." for s in body.replace("\n", " ").split(".") if len(s.strip()) > 20]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(sentences[(i + j) % len(sentences)] for j in range(6)) + f" هذا الخبر رقم {i}."
            fh.write(json.dumps({"id": f"n{i:04d}", "title": f"خبر رقم {i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def ready_count(url: str) -> int:
    return (pg_counts(url) or {"ready": 0})["ready"]


def test_postgres_killed_mid_import_then_back(tmp_path: Path, chroma_server: str,
                                              private_postgres: PrivatePostgres) -> None:
    pg = private_postgres
    settings = server_settings(tmp_path / "db", chroma_server, pg.url)
    isnad = Isnad(settings)
    try:
        assert isnad.ingest([CORPUS]).added == [SEED_ID]
        assert_verbatim_answer(isnad)

        n = 400
        jsonl = many_articles(tmp_path / "many.jsonl", n)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAG_")}, "RAG_EMBED_MODEL": "hash",
               "RAG_CHROMA_URL": chroma_server, "RAG_DATABASE_URL": pg.url}
        cmd = [sys.executable, "-m", "rag", "ingest", str(jsonl), "--db", str(tmp_path / "db"), "--quiet"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        while proc.poll() is None and ready_count(pg.url) < 33:  # past its first batch of 32
            assert time.monotonic() - start < 300, "the import did not get going in 300 s"
            time.sleep(0.01)
        at_kill = ready_count(pg.url)
        pg.kill()
        out, err = proc.communicate(timeout=120)  # it must end, not hang on a dead connection
        assert at_kill < n + 1 and proc.returncode != 0, "the import finished before PostgreSQL was killed"
        assert "PostgreSQL" in err and "Traceback" not in err, err[-2000:]

        # the open app: a clear message while the database is down...
        with pytest.raises(UnreachableError, match="PostgreSQL at postgresql://isnad"):
            isnad.ask("من توسط بين أرمينيا وأذربيجان؟")
        chat = list(Handlers(isnad).ask_stream("Who mediated between Armenia and Azerbaijan?", []))[-1][0]
        assert "PostgreSQL" in chat
        # ...and answers again, without a restart, once it is back
        pg.start()
        assert_verbatim_answer(isnad)

        # the import, run again, completes: every article once, the stores in step
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(isnad.index.ready_articles()) == n + 1
        assert_consistent(isnad)
    finally:
        isnad.index.close()
