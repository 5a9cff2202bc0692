"""Several processes on one index (hash embedder, a few seconds each), with Chroma embedded in
the folder, with a Chroma server, and with PostgreSQL + a Chroma server: an import in another process (`rag ingest`) while this one
answers, two imports at once, and the write lock that keeps them apart — released even when its
holder is SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.errors import EmptyIndexError
from rag.settings import Settings
from rag.writelock import WriteLock

ROOT = Path(__file__).resolve().parent.parent
TOWNS = ["حلب", "حمص", "طرطوس", "إدلب", "درعا", "الرقة", "دير الزور", "اللاذقية", "السويداء", "القنيطرة"]


def isnad(db: Path, servers: dict[str, str] | None = None) -> Isnad:
    return Isnad(Settings.from_env(servers or {}, db_dir=str(db), embed_model="hash", abstain_below=0.0))


@pytest.fixture(params=["embedded", "chroma-server", "postgres"])
def servers(request: pytest.FixtureRequest) -> dict[str, str]:
    """The RAG_* variables of the back end under test (empty: everything in the index folder)."""
    if request.param == "embedded":
        return {}
    env = {"RAG_CHROMA_URL": request.getfixturevalue("chroma_server")}
    if request.param == "postgres":
        env["RAG_DATABASE_URL"] = request.getfixturevalue("postgres_database")()
    return env


def write_jsonl(path: Path, prefix: str, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            town = TOWNS[i % len(TOWNS)]
            fh.write(json.dumps({"id": f"{prefix}{i}", "title": f"خبر {prefix} {i} من {town}",
                                 "text": f"افتتحت بلدية {town} مشروع {prefix} رقم {i} لتحسين الطرق. "
                                         f"وقال رئيس البلدية إن المشروع {prefix}{i} يكلف {i + 10} مليون ليرة."},
                                ensure_ascii=False) + "\n")
    return path


def ingest(db: Path, *paths: Path, servers: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"RAG_EMBED_MODEL": "hash",
                                                                                **(servers or {})}
    return subprocess.Popen([sys.executable, "-m", "rag", "ingest", *map(str, paths), "--db", str(db)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    return err


def test_an_article_imported_by_another_process_is_answerable_at_once(tmp_path: Path, servers: dict[str, str]) -> None:
    db = tmp_path / "db"
    app = isnad(db, servers)
    app.add_articles([])  # opens the index; its vectors are now loaded in this process
    with pytest.raises(EmptyIndexError):  # nothing to answer from yet; the question loads its view of the vectors
        app.ask("مشروع الطرق في حلب", k=3)
    finish(ingest(db, write_jsonl(tmp_path / "a.jsonl", "cli", 20), servers=servers))
    hits = app.retriever.retrieve("افتتحت بلدية حلب مشروع cli رقم 0 لتحسين الطرق", 5, mode="dense").hits
    assert hits and hits[0].chunk.article_id.startswith("cli")  # dense: Chroma, not only SQLite
    assert app.check().ok


def test_questions_are_answered_while_another_process_imports(tmp_path: Path, servers: dict[str, str]) -> None:
    db = tmp_path / "db"
    app = isnad(db, servers)
    app.add_articles([])
    proc = ingest(db, write_jsonl(tmp_path / "big.jsonl", "imp", 1500), servers=servers)
    answered, errors = 0, []
    while proc.poll() is None:
        try:
            answer = app.ask(f"كم يكلف مشروع الطرق في {TOWNS[answered % len(TOWNS)]}؟", k=3)
            for c in answer.citations:
                assert app.get(c.article_id).text[c.start:c.end] == c.quote
            answered += 1
        except EmptyIndexError:  # asked before the import's first batch is in: said so, not an answer
            if answered:
                errors.append("the index was empty again after an answer")
        except Exception as exc:  # noqa: BLE001 - every failure is collected and reported
            errors.append(repr(exc))
    finish(proc)
    assert errors == []
    # Questions were answered while the import ran: embedded Chroma reads the folder again after each
    # batch another process writes, so a question waits on that and 4 to 8 are answered here.
    assert answered >= 2
    assert app.info()["index"]["articles"] == 1500 and app.check().ok


def test_two_imports_at_once_never_corrupt(tmp_path: Path, servers: dict[str, str]) -> None:
    db = tmp_path / "db"
    isnad(db, servers).add_articles([])
    a = write_jsonl(tmp_path / "a.jsonl", "a", 400)
    b = write_jsonl(tmp_path / "b.jsonl", "b", 400)
    shared = write_jsonl(tmp_path / "shared.jsonl", "s", 100)  # both import these ids
    first, second = ingest(db, a, shared, servers=servers), ingest(db, shared, b, servers=servers)
    finish(first)
    finish(second)
    fresh = isnad(db, servers)
    assert fresh.info()["index"]["articles"] == 900
    report = fresh.check()
    assert report.ok, report


def process_holding(make_lock: str) -> subprocess.Popen[str]:
    """A process that runs `make_lock` (which binds `lock`), holds it and sleeps; returns once it holds it."""
    holder = subprocess.Popen([sys.executable, "-c", f"import time\n{make_lock}\n"
                               "with lock.held():\n    print('held', flush=True); time.sleep(60)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_the_write_lock_waits_for_another_process_and_is_freed_by_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "write.lock"
    holder = process_holding(f"from pathlib import Path; from rag.writelock import WriteLock\n"
                             f"lock = WriteLock(Path({str(path)!r}))")
    import fcntl

    fd = os.open(path, os.O_RDWR)
    with pytest.raises(BlockingIOError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert f"process {holder.pid}" in path.read_text()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            assert time.monotonic() < deadline, "the lock outlived the process that held it"
            time.sleep(0.05)
    os.close(fd)
    lock = WriteLock(path, say=False)
    with lock.held(), lock.held():  # re-entrant in one process
        pass


def test_the_postgres_write_lock_waits_and_is_freed_by_sigkill(postgres_database) -> None:  # type: ignore[no-untyped-def]
    from rag.pgstore import AdvisoryLock

    url = postgres_database()
    holder = process_holding(f"from rag.pgstore import AdvisoryLock\nlock = AdvisoryLock({url!r})")
    import psycopg

    probe = AdvisoryLock(url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_try_advisory_lock(%s)", (probe.key,)).fetchone()[0] is False
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 10
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (probe.key,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the lock outlived the process that held it"
            time.sleep(0.05)
        conn.execute("SELECT pg_advisory_unlock(%s)", (probe.key,))
    with probe.held(), probe.held():  # re-entrant in one process
        pass
