"""Crash safety of `python -m rag ingest`: SIGKILL it part way, run it again, check the index.

The hash-embedder variant is fast (a few seconds): crash safety is about the store, not the model.
The real-model variant kills once, on short articles, and takes about half a minute on CPU.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_DATA, real_model_path

DEMO = SHARED_DATA / "news_demo" / "demo_300.jsonl"
N_ARTICLES = 300

pytestmark = [
    pytest.mark.integration,
    pytest.mark.data,
    pytest.mark.skipif(not DEMO.is_file(), reason=f"the evaluation data is not at {DEMO}; see ../shared/data"),
]


def environment(model: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    if model:
        env["RAG_EMBED_MODEL"] = model
    return env


def rag(db: Path, env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag", *args, "--db", str(db)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def rag_json(db: Path, env: dict[str, str], *args: str) -> object:
    done = rag(db, env, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def raw_counts(db: Path) -> dict[str, int] | None:
    """Read the SQLite file directly, read-only, without healing anything; None if not readable yet."""
    path = db / "isnad.sqlite3"
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            q = conn.execute
            return {
                "ready": q("SELECT count(*) FROM articles WHERE state = 'ready'").fetchone()[0],
                "pending": q("SELECT count(*) FROM articles WHERE state = 'pending'").fetchone()[0],
                "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
            }
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def ingest_and_kill(db: Path, env: dict[str, str], should_kill, timeout: float = 300,  # type: ignore[no-untyped-def]
                    source: Path = DEMO) -> tuple[bool, dict[str, int] | None]:
    """Start an ingest, SIGKILL it once should_kill(counts, seconds) is true. Returns (killed, counts)."""
    proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(source), "--db", str(db), "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    try:
        while proc.poll() is None:
            counts = raw_counts(db)
            if counts is not None and should_kill(counts, time.monotonic() - start):
                proc.send_signal(signal.SIGKILL)
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                pytest.fail(f"ingest did not reach the kill point in {timeout} s")
            time.sleep(0.003)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode == -signal.SIGKILL, raw_counts(db)


def chunk_rows(db: Path) -> list[tuple[str, int, int, str]]:
    conn = sqlite3.connect(f"file:{db / 'isnad.sqlite3'}?mode=ro", uri=True)
    try:
        return sorted(conn.execute("SELECT id, start, end, text_hash FROM chunks").fetchall())
    finally:
        conn.close()


def chroma_ids(db: Path) -> list[str]:
    from rag.vectors import VectorStore

    return sorted(VectorStore(db / "chroma").collection.get(include=[])["ids"])


def unit_ids(db: Path) -> list[str]:
    from rag.index import sentence_units
    from rag.store import Store
    from rag.types import Chunk

    store = Store(db / "isnad.sqlite3")
    try:
        ids = []
        for a in store.all_articles():
            chunks = [Chunk(cid, a.id, i, s, e, a.text[s:e]) for cid, i, s, e, _ in store.chunks_of(a.id)]
            ids += [u.id for u in sentence_units(a, chunks)]
        return sorted(ids)
    finally:
        store.close()


def summary_counts(stdout: str) -> dict[str, int]:
    import re

    m = re.search(r"added (\d+), unchanged (\d+), replaced (\d+), failed (\d+) \((\d+) chunks, (\d+) sentences embedded",
                  stdout)
    assert m, stdout
    keys = ["added", "unchanged", "replaced", "failed", "chunks", "embedded"]
    return dict(zip(keys, map(int, m.groups()), strict=True))


def check_complete(db: Path, env: dict[str, str], questions: int = 2, expected: int = N_ARTICLES) -> dict[str, int]:
    """All articles there, none pending, SQLite chunks == Chroma vectors id for id, verbatim citations."""
    items = rag_json(db, env, "list", "--json")
    assert isinstance(items, list)
    ids = [i["id"] for i in items]
    assert len(ids) == expected == len(set(ids))
    info = rag_json(db, env, "info", "--json")
    counts = info["index"]  # type: ignore[index]
    assert counts["articles"] == expected and counts["pending"] == 0, counts
    rows = chunk_rows(db)
    assert len(rows) == len({r[0] for r in rows}) == counts["chunks"]
    units = unit_ids(db)  # Chroma holds one vector per sentence of each chunk
    assert chroma_ids(db) == units and counts["vectors"] == len(units) >= counts["chunks"], counts
    health = rag(db, env, "check", "--json")  # the product's own consistency check agrees
    assert health.returncode == 0 and json.loads(health.stdout)["ok"] is True, health.stdout[-2000:]
    # a couple of questions in one process: each citation is a verbatim slice of `show --json`
    titles = [i["title"] for i in items[:: max(1, len(items) // questions)][:questions]]
    batch = db.parent / f"questions-{db.name}.jsonl"
    batch.write_text("".join(json.dumps({"id": n, "question": t}, ensure_ascii=False) + "\n"
                             for n, t in enumerate(titles)), encoding="utf-8")
    done = rag(db, env, "ask", "--batch", str(batch), "--k", "3")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == list(range(len(titles)))
    texts: dict[str, str] = {}
    for answer in answers:
        assert len(answer["passages"]) == 3
        for c in answer["citations"]:
            if c["article_id"] not in texts:
                texts[c["article_id"]] = rag_json(db, env, "show", c["article_id"], "--json")["text"]  # type: ignore[index]
            assert c["quote"] == texts[c["article_id"]][c["start"]:c["end"]]
    assert texts, "no question was answered with a citation"
    return counts


def test_sigkill_during_hash_ingest_heals(tmp_path: Path) -> None:
    env = environment("hash")
    db = tmp_path / "db"
    # A clean run to compare with, in parallel with the killed ones.
    clean = tmp_path / "clean"
    clean_run = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(DEMO), "--db", str(clean), "--quiet"],
                                 cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed_mid_way = 0
    # Kill as soon as anything is written (inside the first batch), then in the middle of the run.
    for threshold in (1, 150):
        killed, counts = ingest_and_kill(
            db, env, lambda c, s, t=threshold: c["ready"] + c["pending"] >= t)  # type: ignore[misc]
        if killed and counts is not None and counts["ready"] < N_ARTICLES:
            killed_mid_way += 1
        # open (and so heal) after each crash: nothing half-done remains
        info = rag_json(db, env, "info", "--json")["index"]  # type: ignore[index]
        assert info["pending"] == 0 and info["vectors"] == len(unit_ids(db)) >= info["chunks"], info
    assert killed_mid_way >= 1, "the ingest always finished before it could be killed; nothing was tested"

    done = rag(db, env, "ingest", str(DEMO), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    report = summary_counts(done.stdout)
    assert report["failed"] == 0 and report["added"] + report["unchanged"] + report["replaced"] == N_ARTICLES
    counts = check_complete(db, env)

    # The resumed index holds exactly what one clean run produces.
    _, clean_err = clean_run.communicate(timeout=300)
    assert clean_run.returncode == 0, clean_err[-2000:]
    assert chunk_rows(db) == chunk_rows(clean)
    assert counts["chunks"] == len(chunk_rows(clean))


def short_articles(path: Path, n: int, chars: int = 400) -> Path:
    """The first `n` articles of demo_300, each cut after its last full stop within `chars` characters:
    batches of 32 articles that the real model embeds in seconds rather than a minute each."""
    out = []
    with DEMO.open(encoding="utf-8") as src:
        for _, line in zip(range(n), src, strict=False):
            article = json.loads(line)
            text = article["text"][:chars]
            end = text.rfind(".")
            article["text"] = text[: end + 1] if end > chars // 4 else text
            out.append(json.dumps(article, ensure_ascii=False) + "\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def test_sigkill_during_real_model_ingest_heals(tmp_path: Path) -> None:
    """Real EmbeddingGemma: one SIGKILL once the first batch of 32 articles is stored (the second is
    being embedded), heal, resume a little.

    The articles are demo_300's first 72, cut to their first sentences, so that a batch takes seconds
    (the model loads in ~10 s and embeds ~10 passages/s on 2 cores): about half a minute in all.
    The resume adds a few more articles (the first lines of the same file); the hash variant resumes
    the whole 300.
    """
    if not Path(real_model_path()).is_dir():
        pytest.fail(f"the embedding model is not at {real_model_path()}; run `python -m rag setup-model` first")
    env = environment(os.environ.get("RAG_EMBED_MODEL", ""))
    db = tmp_path / "db"
    n = 72
    source = short_articles(tmp_path / "short.jsonl", n)
    killed, at_kill = ingest_and_kill(db, env, lambda c, s: c["ready"] > 0, timeout=480, source=source)
    assert killed and at_kill is not None and 0 < at_kill["ready"] < n, at_kill

    # Opening heals: the interrupted batch is completed from the vector cache or absent.
    info = rag_json(db, env, "info", "--json")["index"]  # type: ignore[index]
    assert info["pending"] == 0 and info["vectors"] == len(unit_ids(db)) >= info["chunks"], info
    assert info["articles"] >= at_kill["ready"]
    done_articles, done_vectors = info["articles"], info["vectors"]

    # Articles are added in file order, so the stored ones are the first lines of the file.
    more = 4
    head = tmp_path / "head.jsonl"
    with source.open(encoding="utf-8") as src:
        head.write_text("".join(line for _, line in zip(range(done_articles + more), src, strict=False)),
                        encoding="utf-8")
    done = rag(db, env, "ingest", str(head), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    report = summary_counts(done.stdout)
    assert report["unchanged"] == done_articles and report["added"] == more, report
    counts = check_complete(db, env, questions=1, expected=done_articles + more)
    # only the new articles' sentences went through the model
    assert 0 < report["embedded"] <= counts["vectors"] - done_vectors


# ---------------------------------------------------------------- server mode: PostgreSQL + a Chroma server
def pg_counts(url: str) -> dict[str, int] | None:
    """Read PostgreSQL directly, without healing anything; None until the schema exists."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            states = dict(conn.execute("SELECT state, count(*) FROM articles GROUP BY state").fetchall())
            chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()
    except psycopg.Error:
        return None
    return {"ready": states.get("ready", 0), "pending": states.get("pending", 0), "chunks": chunks[0] if chunks else 0}


def pg_chunk_rows(url: str) -> list[tuple[str, int, int, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return sorted(conn.execute('SELECT id, start, "end", text_hash FROM chunks').fetchall())


def server_units_and_vectors(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """(the sentence unit ids the stored chunks call for, the ids the Chroma server holds)."""
    from rag.engine import Isnad
    from rag.index import sentence_units
    from rag.settings import Settings
    from rag.types import Chunk

    index = Isnad(Settings.from_env(env)).index
    units = []
    for a in index.ready_articles():
        chunks = [Chunk(c.id, a.id, c.idx, c.start, c.end, a.text[c.start:c.end]) for c in index.chunks_of(a.id)]
        units += [u.id for u in sentence_units(a, chunks)]
    held = index.vectors.collection.get(include=[])["ids"]
    index.close()
    return sorted(units), sorted(held)


def test_sigkill_during_server_mode_ingest_heals(tmp_path: Path, chroma_server: str, postgres_database) -> None:  # type: ignore[no-untyped-def]
    """The same trial against PostgreSQL + `chroma run`: SIGKILL `rag ingest` inside its first batch and
    in the middle, open (heal), resume; the result equals a clean run's, and the stores agree id for id."""
    url = postgres_database()
    env = {**environment("hash"), "RAG_CHROMA_URL": chroma_server, "RAG_DATABASE_URL": url}
    db = tmp_path / "db"  # unused by the stores in server mode; the CLI still takes a folder
    clean = tmp_path / "clean"  # a clean run in the index folder, to compare with
    clean_run = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(DEMO), "--db", str(clean), "--quiet"],
                                 cwd=ROOT, env=environment("hash"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
    killed_mid_way = 0
    for threshold in (1, 150):
        proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(DEMO), "--db", str(db), "--quiet"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        counts = None
        while proc.poll() is None:
            counts = pg_counts(url)
            if counts is not None and counts["ready"] + counts["pending"] >= threshold:
                proc.send_signal(signal.SIGKILL)
                break
            if time.monotonic() - start > 300:
                proc.kill()
                pytest.fail("ingest did not reach the kill point in 300 s")
            time.sleep(0.01)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
        if proc.returncode == -signal.SIGKILL and counts is not None and counts["ready"] < N_ARTICLES:
            killed_mid_way += 1
        info = rag_json(db, env, "info", "--json")["index"]  # type: ignore[index]
        units, held = server_units_and_vectors(env)
        assert info["pending"] == 0 and units == held and info["vectors"] == len(units) >= info["chunks"], info
    assert killed_mid_way >= 1, "the ingest always finished before it could be killed; nothing was tested"

    done = rag(db, env, "ingest", str(DEMO), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    report = summary_counts(done.stdout)
    assert report["failed"] == 0 and report["added"] + report["unchanged"] + report["replaced"] == N_ARTICLES
    items = rag_json(db, env, "list", "--json")
    assert isinstance(items, list) and len({i["id"] for i in items}) == len(items) == N_ARTICLES
    health = rag(db, env, "check", "--json")
    assert health.returncode == 0 and json.loads(health.stdout)["ok"] is True, health.stdout[-2000:]
    units, held = server_units_and_vectors(env)
    assert units == held

    _, clean_err = clean_run.communicate(timeout=300)
    assert clean_run.returncode == 0, clean_err[-2000:]
    assert pg_chunk_rows(url) == chunk_rows(clean)  # what one clean run produces, in either back end
