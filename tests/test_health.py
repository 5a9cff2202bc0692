"""`rag export` and `rag check [--repair]` (hash embedder, real SQLite and Chroma on disk)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS
from test_answer import EXTRA

from rag.cli import main
from rag.engine import Isnad
from rag.settings import Settings


@pytest.fixture
def engine(tmp_path: Path) -> Isnad:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", chunk_chars=300))
    isnad.ingest([CORPUS])
    isnad.add_articles(EXTRA)
    return isnad


def test_a_fresh_index_is_healthy(engine: Isnad) -> None:
    report = engine.check()
    assert report.ok, report.problems
    assert report.articles == 4 and report.chunks > 4 and report.vectors >= report.chunks


def test_export_then_ingest_gives_the_same_articles(engine: Isnad, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    out = tmp_path / "all.jsonl"
    assert main(["export", "--db", str(engine.settings.db_dir), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [a.id for a in engine.export()]
    assert main(["ingest", str(out), "--db", str(tmp_path / "copy"), "--quiet"]) == 0
    copy = Isnad(engine.settings.replace(db_dir=tmp_path / "copy"))
    assert copy.export() == engine.export()
    capsys.readouterr()
    assert main(["export", "--db", str(engine.settings.db_dir)]) == 0  # standard output by default
    assert len(capsys.readouterr().out.splitlines()) == len(rows)


def break_it(engine: Isnad) -> None:
    """Four kinds of damage: a lost vector, an orphan vector, a stale chunk span, an interrupted add."""
    index = engine.index
    ids = sorted(index.vectors.ids())
    index.vectors.delete_ids([ids[0]])
    index.vectors.upsert(["ghost::0/0"], np.ones((1, 256), np.float32) / 16, [{"article_id": "ghost"}])
    with index.store.transaction() as conn:
        conn.execute("UPDATE chunks SET text_hash = 'x' WHERE article_id = 'oil' AND idx = 0")
        conn.execute("UPDATE articles SET state = 'pending' WHERE id = 'fair'")


def test_check_finds_each_kind_of_damage_and_repair_fixes_it(engine: Isnad, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    break_it(engine)
    report = engine.check()
    assert not report.ok
    assert report.pending == ["fair"] and report.vectors_orphan == ["ghost::0/0"]
    assert len(report.vectors_missing) == 1 and report.bad_spans == ["oil::0"]
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    db = str(engine.settings.db_dir)
    engine.index.store.close()
    assert main(["check", "--db", db]) == 1
    assert "--repair" in capsys.readouterr().out
    assert main(["check", "--db", db, "--repair"]) == 0
    out = capsys.readouterr().out
    assert "repaired:" in out and "healthy" in out
    assert main(["check", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    again = Isnad(engine.settings)
    assert {a.id for a in again.export()} == {a.id for a in engine.export()} | {"fair"}
    answer = again.ask("ارتفعت أسعار النفط", k=3)
    for c in answer.citations:
        assert again.get(c.article_id).text[c.start:c.end] == c.quote


def test_chroma_files_it_cannot_read_are_rebuilt_from_the_article_store(engine: Isnad) -> None:
    """A SIGKILL in the middle of Chroma's own write once left files that Chroma refused to read
    (benchmarks/crash_trials.py): the index rebuilds the vectors from SQLite and the vector cache."""
    before = sorted(engine.index.vectors.ids())
    engine.index.vectors.wipe()
    engine.index.vectors.path.mkdir(parents=True)
    (engine.index.vectors.path / "chroma.sqlite3").write_bytes(b"this is not a database")
    report = engine.check()
    assert not report.ok and report.problems == [p for p in report.problems if "Chroma cannot read" in p]
    fixed = engine.check(repair=True)
    assert fixed.ok, fixed.problems
    assert any("rebuilt the vector index" in line for line in fixed.repaired)
    assert sorted(engine.index.vectors.ids()) == before
    answer = engine.ask("ارتفعت أسعار النفط", k=3)
    assert answer.citations


def test_a_removed_chroma_folder_is_written_again_on_open_from_the_vector_cache(
        engine: Isnad, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chroma's folder deleted (or a Chroma server that came back empty, tests/test_server_outage.py):
    the index finds no vector while articles are stored (on open, or at the first search that finds
    nothing) and writes them again, without the model —
    before, the index answered from the lexical search alone and only `rag check` noticed."""
    before = sorted(engine.index.vectors.ids())
    engine.index.close()
    engine.index.vectors.wipe()  # removes the folder, and Chroma's in-process client of it
    assert not engine.index.vectors.path.exists()
    again = Isnad(engine.settings)
    monkeypatch.setattr(again.embedder, "embed_documents",
                        lambda *a, **k: pytest.fail("the model was asked for vectors the cache holds"))
    answer = again.ask("ارتفعت أسعار النفط", k=3)
    assert answer.citations
    assert sorted(again.index.vectors.ids()) == before
    assert again.check().ok


def test_an_empty_index_opens_without_loading_chroma(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.index.open()
    assert isnad.index.vectors._client is None  # nothing stored: nothing to check in Chroma


def test_opening_rebuilds_a_chroma_that_fails_while_healing(engine: Isnad, monkeypatch: pytest.MonkeyPatch) -> None:
    import chromadb.errors

    index = engine.index
    with index.store.transaction() as conn:
        conn.execute("UPDATE articles SET state = 'pending' WHERE id = 'oil'")
    calls = {"n": 0}
    real = index.vectors.delete_article

    def broken(article_id: str) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise chromadb.errors.InternalError("Failed to apply logs to the hnsw segment writer")
        real(article_id)

    monkeypatch.setattr(index.vectors, "delete_article", broken)
    assert index.heal_or_rebuild().get("rebuilt") == 1
    assert engine.check().ok


ODD_IDS = ["agency", "agency/2021/11/16/story", "وكالة::خبر/1", "https://example.com/news/2021/11/16/a::b"]


@pytest.mark.parametrize("broken", ODD_IDS)
def test_repair_finds_the_article_whose_id_holds_slashes_or_colons(tmp_path: Path, broken: str,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """News archives use paths and URLs as ids. `rag check` once cut a sentence id at its first "/",
    so the vectors of "agency/2021/11/16/story" were counted against "agency" and `--repair`
    re-indexed that one (or none) and left them missing. Vectors removed by hand -> check names the
    article -> repair -> healthy and answerable."""
    from rag.types import Article

    texts = {aid: f"خبر رقم {n}: ارتفعت أسعار النفط {n + 3} بالمئة في السوق يوم الثلاثاء. وقال محللون إن الطلب "
                  f"زاد في آسيا." for n, aid in enumerate(ODD_IDS)}
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([Article(aid, f"عنوان {n}", text) for n, (aid, text) in enumerate(texts.items())])
    lost = sorted(u for u in isnad.index.vectors.ids() if u.startswith(broken + "::"))
    assert lost
    isnad.index.vectors.delete_ids(lost)
    report = isnad.check()
    assert report.vectors_missing == lost
    assert any(broken in p for p in report.problems)
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    db = str(isnad.settings.db_dir)
    isnad.index.close()
    assert main(["check", "--db", db, "--repair"]) == 0
    out = capsys.readouterr().out
    assert f"re-indexed 1 articles: {broken}" in out and "healthy" in out
    again = Isnad(isnad.settings)
    assert again.check().ok
    assert set(lost) <= again.index.vectors.ids()
    n = ODD_IDS.index(broken)
    answer = again.ask(f"خبر رقم {n} ارتفعت أسعار النفط {n + 3} بالمئة", k=5)
    assert broken in {c.article_id for c in answer.citations} | {p.article_id for p in answer.passages}
