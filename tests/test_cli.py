"""The command line contract (rag/cli.py), run in-process with the hash embedder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CORPUS, SEED_ID

from rag.cli import main

SUMMARY = re.compile(
    r"^added (\d+), unchanged (\d+), replaced (\d+), failed (\d+) \((\d+) chunks, (\d+) sentences embedded, [\d.]+ s\)$")
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "passages", "timings_ms", "reader"}
CITATION_KEYS = {"n", "article_id", "title", "date", "source", "url", "quote", "start", "end", "reader_score",
                 "corroborated_by", "disputed_by", "copies"}
PASSAGE_KEYS = {"article_id", "title", "start", "end", "score"}
QUESTION = "ماذا طلبت أرمينيا من روسيا؟"  # the CLI's plumbing, with the hash embedder: any question it answers


@pytest.fixture(autouse=True)
def hash_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    monkeypatch.setenv("RAG_DB_DIR", str(tmp_path / "env-db"))  # never the user's real index


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "db")


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], db: str):
        self.capsys = capsys
        self.db = db

    def __call__(self, *args: str, db: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        argv = [*args, "--db", self.db] if db else list(args)
        rc = main(argv)
        out, err = self.capsys.readouterr()
        return rc, out, err

    def json(self, *args: str) -> object:
        rc, out, err = self(*args)
        assert rc == 0, err
        return json.loads(out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], db: str) -> Cli:
    return Cli(capsys, db)


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    rc, out, err = cli("ingest", str(CORPUS), "--quiet")
    assert rc == 0, err
    return cli


def summary(out: str) -> dict[str, int]:
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    m = SUMMARY.match(lines[0])
    assert m, lines[0]
    keys = ["added", "unchanged", "replaced", "failed", "chunks", "embedded"]
    return dict(zip(keys, map(int, m.groups()), strict=True))


# -- ingest -----------------------------------------------------------------------------------

def test_ingest_prints_a_summary_and_is_idempotent(cli: Cli) -> None:
    rc, out, err = cli("ingest", str(CORPUS), "--quiet")
    assert rc == 0, err
    first = summary(out)
    assert first["added"] == 1 and first["failed"] == 0 and first["embedded"] >= first["chunks"] > 0
    rc, out, _ = cli("ingest", str(CORPUS), "--quiet")
    assert rc == 0
    again = summary(out)
    assert again["unchanged"] == 1 and again["added"] == 0 and again["embedded"] == 0


def test_ingest_progress_goes_to_stderr(cli: Cli) -> None:
    rc, out, err = cli("ingest", str(CORPUS))
    assert rc == 0
    summary(out)  # stdout holds only the summary line


def test_ingest_bad_and_good_files(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("# عنوان جيد\n\nنص جيد للمقال.", encoding="utf-8")
    (folder / "bad.pdf").write_text("not supported", encoding="utf-8")  # skipped inside a folder
    rc, out, err = cli("ingest", str(folder), str(tmp_path / "missing.txt"), "--quiet")
    assert rc == 1
    counts = summary(out)
    assert counts["added"] == 1 and counts["failed"] == 1
    assert "missing.txt" in err and "no such file" in err
    assert [a["id"] for a in cli.json("list", "--json")] == ["good"]  # type: ignore[union-attr]


def test_ingest_issue_bad_input_scenario(cli: Cli, tmp_path: Path) -> None:
    """A JSONL with a truncated line and a line without text, a Windows-1256 .txt, an empty file."""
    folder = tmp_path / "upload"
    folder.mkdir()
    lines = [
        json.dumps({"id": "j1", "title": "المقال الأول", "text": "نص المقال الأول عن الحدود."}, ensure_ascii=False),
        '{"id": "j2", "title": "مقطوع", "text": "نص لم يكتمل',
        json.dumps({"id": "j3", "title": "بلا نص"}, ensure_ascii=False),
        json.dumps({"id": "j4", "title": "المقال الرابع", "text": "نص المقال الرابع."}, ensure_ascii=False),
    ]
    (folder / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cp_text = "هذا نص عربي محفوظ بترميز Windows-1256؛ «مع علامات» وأرقام 2021."
    (folder / "windows.txt").write_bytes(f"عنوان بترميز ويندوز\n\n{cp_text}".encode("cp1256"))
    (folder / "empty.txt").write_bytes(b"")

    rc, out, err = cli("ingest", str(folder), "--quiet")
    assert rc != 0
    counts = summary(out)
    assert counts["added"] == 3 and counts["failed"] == 3

    jsonl = str(folder / "news.jsonl")
    error_lines = [line for line in err.splitlines() if line.strip()]
    assert any(f"{jsonl}:2" in line and "JSON" in line for line in error_lines), err
    assert any(f"{jsonl}:3" in line and '"text"' in line for line in error_lines), err
    assert any(str(folder / "empty.txt") in line and "empty" in line for line in error_lines), err
    assert not any(f"{jsonl}:1" in line or f"{jsonl}:4" in line for line in error_lines)

    stored = {a["id"] for a in cli.json("list", "--json")}  # type: ignore[union-attr]
    assert stored == {"j1", "j4", "windows"}
    shown = cli.json("show", "windows", "--json")
    assert shown["title"] == "عنوان بترميز ويندوز"  # type: ignore[index]
    assert shown["text"] == cp_text  # type: ignore[index]


def test_ingest_nothing_usable(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    rc, out, err = cli("ingest", str(tmp_path / "empty"), "--quiet")
    assert rc == 1
    assert summary(out)["added"] == 0
    assert "no supported files" in err


# -- ask --------------------------------------------------------------------------------------

def test_ask_json_contract(seeded: Cli) -> None:
    result = seeded.json("ask", QUESTION, "--json", "--k", "3")
    assert isinstance(result, dict)
    assert ANSWER_KEYS <= set(result) <= ANSWER_KEYS | {"language", "mode", "sentences", "unsupported", "note"}
    assert result["mode"] == "extractive" and result["unsupported"] == [] and "note" not in result
    assert [s["citations"] for s in result["sentences"]] == [[c["n"]] for c in result["citations"]]
    assert result["question"] == QUESTION
    assert isinstance(result["answer"], str) and isinstance(result["abstained"], bool)
    assert result["language"] == "ar"
    assert len(result["passages"]) == 3
    for p in result["passages"]:
        assert set(p) == PASSAGE_KEYS
        assert isinstance(p["score"], float)
    scores = [p["score"] for p in result["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert {"retrieve", "answer", "total"} <= set(result["timings_ms"])
    assert all(isinstance(v, int | float) for v in result["timings_ms"].values())
    assert not result["abstained"] and result["citations"]
    article = seeded.json("show", SEED_ID, "--json")
    assert isinstance(article, dict)
    for n, c in enumerate(result["citations"], 1):
        assert set(c) == CITATION_KEYS
        assert c["n"] == n
        assert c["quote"] == article["text"][c["start"]:c["end"]]
        assert (c["article_id"], c["title"], c["date"]) == (SEED_ID, article["title"], article["date"])
    assert "[1]" in result["answer"]
    for p in result["passages"]:
        assert 0 <= p["start"] < p["end"] <= len(article["text"])


@pytest.mark.parametrize("k", ["1", "5"])
def test_ask_k_sets_the_number_of_passages(seeded: Cli, k: str) -> None:
    result = seeded.json("ask", QUESTION, "--json", "--k", k)
    assert len(result["passages"]) == int(k)  # type: ignore[index]


def test_ask_default_k_comes_from_the_environment(seeded: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_K", "2")
    assert len(seeded.json("ask", QUESTION, "--json")["passages"]) == 2  # type: ignore[index]


def test_ask_text_output(seeded: Cli) -> None:
    rc, out, err = seeded("ask", QUESTION)
    assert rc == 0, err
    assert "[1]" in out
    assert re.search(rf"^\[1\] .*\({re.escape(SEED_ID)}, \d+-\d+\)", out, re.MULTILINE)


def test_ask_abstains_in_the_question_language(seeded: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_ABSTAIN_BELOW", "0.99")
    result = seeded.json("ask", "Who mediated between Armenia and Azerbaijan?", "--json", "--k", "2")
    assert result["abstained"] is True and result["citations"] == []  # type: ignore[index]
    assert result["language"] == "en" and len(result["passages"]) == 2  # type: ignore[index]
    rc, out, _ = seeded("ask", QUESTION)
    assert rc == 0 and "لم أجد" in out
    assert re.search(rf"^- .+\({re.escape(SEED_ID)}, \d+-\d+, score -?[\d.]+\)$", out, re.MULTILINE)


def test_ask_source_and_date_filters(seeded: Cli) -> None:
    none = seeded.json("ask", QUESTION, "--json", "--source", "nowhere")
    assert none["passages"] == [] and none["abstained"] is True  # type: ignore[index]
    dated = seeded.json("ask", QUESTION, "--json", "--since", "2021-11-16", "--until", "2021-11-16")
    assert dated["passages"]  # type: ignore[index]
    later = seeded.json("ask", QUESTION, "--json", "--since", "2021-11-17")
    assert later["passages"] == []  # type: ignore[index]


def test_ask_bad_date_is_a_usage_error(seeded: Cli) -> None:
    """--since 2021/11/01 must give exit 2 and a message, not a ValueError traceback."""
    try:
        rc, _, err = seeded("ask", QUESTION, "--since", "2021/11/01")
    except ValueError as exc:
        pytest.fail(f"bad --since crashed with {exc!r}")
    assert rc == 2
    assert "2021/11/01" in err


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_exits_2_with_a_message(seeded: Cli, question: str) -> None:
    rc, out, err = seeded("ask", question)
    assert rc == 2
    assert out == ""
    assert err.startswith("error:") and ("question" in err.lower() or "QUESTION" in err)


def test_asking_an_empty_index_says_how_to_fill_it(cli: Cli) -> None:
    for args in (("ask", "Who mediated?"), ("verify", "Russia mediated.")):
        rc, out, err = cli(*args)
        assert rc == 2 and out == ""
        assert err.startswith("error: the index in ") and "rag ingest corpus/" in err


def test_missing_question_exits_2(seeded: Cli) -> None:
    rc, _, err = seeded("ask")
    assert rc == 2 and "--batch" in err


@pytest.mark.parametrize("k", ["0", "-1"])
def test_ask_k_must_be_positive(seeded: Cli, k: str) -> None:
    """--k -1 used to return one passage less than there are; --k 0 silently meant the default."""
    rc, out, err = seeded("ask", QUESTION, "--json", "--k", k)
    assert rc == 2, out[:300]
    assert "--k" in err or "k must" in err


def test_ask_batch(seeded: Cli, tmp_path: Path) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "q1", "question": QUESTION}, ensure_ascii=False),
        "",
        json.dumps({"id": 2, "question": "Who mediated between Armenia and Azerbaijan?"}),
    ]) + "\n", encoding="utf-8")
    rc, out, err = seeded("ask", "--batch", str(batch), "--k", "2")
    assert rc == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["q1", 2]
    for r in results:
        assert ANSWER_KEYS <= set(r) and "error" not in r
        assert len(r["passages"]) == 2
        for c in r["citations"]:
            assert set(c) == CITATION_KEYS
    assert results[0]["question"] == QUESTION


def test_ask_batch_bad_lines_give_error_objects_and_exit_1(seeded: Cli, tmp_path: Path) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "ok", "question": QUESTION}, ensure_ascii=False),
        '{"id": "broken", "question": ',
        json.dumps({"id": "noq"}),
        json.dumps({"id": "empty", "question": "  "}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "ok2", "question": "Who mediated?"}),
    ]) + "\n", encoding="utf-8")
    rc, out, _ = seeded("ask", "--batch", str(batch))
    assert rc == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 6
    assert [r["id"] for r in results] == ["ok", None, "noq", "empty", None, "ok2"]
    for r, lineno in zip(results[1:5], [2, 3, 4, 5], strict=True):
        assert set(r) == {"id", "error"}
        assert f"{batch}:{lineno}" in r["error"]
    assert "question" in results[2]["error"]
    assert "error" not in results[0] and "error" not in results[5]


def test_ask_batch_missing_file_is_a_usage_error(seeded: Cli, tmp_path: Path) -> None:
    """A missing --batch file must give exit 2 and a message, not a FileNotFoundError traceback."""
    missing = tmp_path / "nope.jsonl"
    try:
        rc, _, err = seeded("ask", "--batch", str(missing))
    except OSError as exc:
        pytest.fail(f"missing --batch file crashed with {exc!r}")
    assert rc == 2
    assert str(missing) in err


def test_ask_batch_file_that_is_not_utf8(seeded: Cli, tmp_path: Path) -> None:
    """A Windows-1256 batch file must give a message naming the file, not a UnicodeDecodeError traceback."""
    batch = tmp_path / "cp1256.jsonl"
    batch.write_bytes(json.dumps({"id": "q", "question": QUESTION}, ensure_ascii=False).encode("cp1256") + b"\n")
    try:
        rc, _, err = seeded("ask", "--batch", str(batch))
    except UnicodeDecodeError as exc:
        pytest.fail(f"a non-UTF-8 --batch file crashed with {exc!r}")
    assert rc in (1, 2)
    assert str(batch) in err or rc == 1


# -- show, list, delete, info -----------------------------------------------------------------

def test_show_json_includes_the_text(seeded: Cli) -> None:
    article = seeded.json("show", SEED_ID, "--json")
    assert isinstance(article, dict)
    assert {"id", "title", "text", "date", "source", "url"} <= set(article)
    assert article["id"] == SEED_ID and article["date"] == "2021-11-16"
    assert "مينسك" in article["text"]


def test_show_text(seeded: Cli) -> None:
    rc, out, _ = seeded("show", SEED_ID)
    assert rc == 0
    assert out.splitlines()[0] == "اشتباكات على الحدود بين أرمينيا وأذربيجان"
    assert "2021-11-16" in out and "مينسك" in out


def test_list_json(seeded: Cli) -> None:
    items = seeded.json("list", "--json")
    assert isinstance(items, list) and len(items) == 1
    assert items[0]["id"] == SEED_ID and items[0]["chunks"] > 0
    assert seeded.json("list", "--json", "--title", "أرمينيا")[0]["id"] == SEED_ID  # type: ignore[index]
    assert seeded.json("list", "--json", "--title", "no such title") == []


def test_list_text(seeded: Cli) -> None:
    rc, out, _ = seeded("list")
    assert rc == 0 and out.startswith(SEED_ID + "\t2021-11-16")


def test_delete_then_show_exits_2(seeded: Cli) -> None:
    rc, out, _ = seeded("delete", SEED_ID)
    assert rc == 0 and SEED_ID in out
    rc, out, err = seeded("show", SEED_ID)
    assert rc == 2 and out == ""
    assert SEED_ID in err and "no article" in err
    assert seeded.json("list", "--json") == []
    info = seeded.json("info", "--json")
    assert info["index"]["articles"] == info["index"]["chunks"] == info["index"]["vectors"] == 0  # type: ignore[index]
    rc, _, err = seeded("delete", SEED_ID)
    assert rc == 2 and "no article" in err


def test_info_json(seeded: Cli, db: str) -> None:
    info = seeded.json("info", "--json")
    assert isinstance(info, dict)
    assert info["settings"]["embed_model_path"] == "hash"
    assert info["settings"]["db_dir"] == db
    assert info["embed_model"] == "hash-256"
    index = info["index"]
    assert index["articles"] == 1 and index["pending"] == 0
    assert index["vectors"] >= index["chunks"] > 0  # one vector per sentence
    assert index["cached_vectors"] > 0


def test_info_text(seeded: Cli) -> None:
    rc, out, _ = seeded("info")
    assert rc == 0
    assert re.search(r"^embed_model_path\s+hash$", out, re.MULTILINE)
    assert "index: articles 1" in out


def test_db_flag_beats_environment(cli: Cli, tmp_path: Path) -> None:
    rc, _, _ = cli("ingest", str(CORPUS), "--quiet")
    assert rc == 0
    assert not (tmp_path / "env-db").exists()
    rc, out, _ = cli("list", "--json", db=False)  # RAG_DB_DIR: an empty index
    assert rc == 0 and json.loads(out) == []


def test_bad_setting_exits_2(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_K", "many")
    rc, _, err = cli("list")
    assert rc == 2 and "RAG_K" in err


def test_other_model_index_exits_2(seeded: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash:128")
    rc, _, err = seeded("list")
    assert rc == 2 and "hash-256" in err and "RAG_EMBED_MODEL" in err


def test_help_lists_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "show", "list", "delete", "info", "setup-model"):
        assert command in out
    assert "RAG_EMBED_MODEL" in out and "RAG_DB_DIR" in out


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_ingest_refuses_a_url_on_this_machine_and_keeps_the_files(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.cli import main

    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    monkeypatch.delenv("RAG_FETCH_PRIVATE", raising=False)
    good = tmp_path / "a.txt"
    good.write_text("عنوان\nنص خبر قصير عن معرض الكتاب.", encoding="utf-8")
    rc = main(["ingest", "http://169.254.169.254/latest/meta-data/", str(good), "--db", str(tmp_path / "db"),
               "--quiet"])
    out, err = capsys.readouterr()
    assert rc == 1 and "added 1" in out
    assert "http://169.254.169.254/latest/meta-data/" in err and "link-local" in err and "RAG_FETCH_PRIVATE" in err
