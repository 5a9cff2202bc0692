"""Hostile and broken input: each gets a clear message, and everything else is kept (hash embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.engine import MAX_QUESTION_CHARS, Isnad
from rag.errors import EmptyQuestionError
from rag.ingest.loaders import load_paths
from rag.settings import Settings

ZW = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters
BIDI = "\u202e\u202d\u2066\u2069"  # right-to-left override and isolates


@pytest.fixture
def isnad(tmp_path: Path) -> Isnad:
    return Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0))


def test_ten_thousand_line_jsonl_with_bad_lines_keeps_every_good_article(isnad: Isnad, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    bad = {17: "{not json", 4242: json.dumps({"title": "no text"}), 9999: json.dumps({"text": 5})}
    with path.open("w", encoding="utf-8") as fh:
        for n in range(1, 10_001):
            fh.write(bad.get(n, json.dumps({"id": f"n{n}", "title": f"خبر {n}", "text": f"وقع الحدث رقم {n} اليوم."},
                                           ensure_ascii=False)) + "\n")
    report = isnad.ingest([path])
    assert len(report.added) == 10_000 - len(bad)
    assert sorted(e.line for e in report.errors) == sorted(bad)  # type: ignore[type-var]
    assert all(str(path) in str(e) for e in report.errors)
    assert isnad.check().ok


def test_control_zero_width_bidi_and_emoji_keep_citations_verbatim(isnad: Isnad, tmp_path: Path) -> None:
    text = (f"ارتفع{ZW}ت أسعار النفط 3.5 في المئة 🛢️📈 يوم الاثنين.\x07 قال محلل {BIDI}إن الطلب قوي\x00."
            "\nThe rise was 3.5% on Monday 🚀. 石油価格が上昇した。")
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"id": "odd", "title": "نفط‮", "text": text}, ensure_ascii=False), encoding="utf-8")
    report = isnad.ingest([path])
    assert report.added == ["odd"] or report.errors, report.errors
    if report.added:
        stored = isnad.get("odd").text
        for q in ("كم ارتفعت أسعار النفط؟", "How much did oil rise?", "石油価格"):
            for c in isnad.ask(q, k=2).citations:
                assert stored[c.start:c.end] == c.quote
        assert isnad.check().ok


@pytest.mark.parametrize("question", ["", "   ", "\u200b\u200b", "x" * 100_000])
def test_empty_or_huge_questions_get_a_clear_message(isnad: Isnad, question: str) -> None:
    with pytest.raises(EmptyQuestionError, match="empty|characters long"):
        isnad.ask(question)
    assert MAX_QUESTION_CHARS < 100_000


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\x00b.txt", "no-such-dir/../x.md"])
def test_odd_paths_are_reported_not_raised(tmp_path: Path, name: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("عنوان\nنص خبر قصير.", encoding="utf-8")
    loaded = load_paths([str(tmp_path / name), str(good)])
    assert [a.title for a in loaded.articles] == ["عنوان"]
    assert len(loaded.errors) == 1 and str(loaded.errors[0])


def test_a_50_mb_article_is_refused_unread_and_the_other_files_kept(isnad: Isnad, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    big = folder / "archive.txt"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("أرشيف كامل\n")
        for _ in range(50 * 1024):  # 50 MB of Arabic text
            fh.write("نص طويل جداً " * 45 + "\n")
    assert big.stat().st_size >= 50 * 1024 * 1024
    (folder / "good.md").write_text("# خبر صغير\nافتُتح جسر جديد فوق نهر الخابور.", encoding="utf-8")
    report = isnad.ingest([folder])
    assert report.added == ["good"]
    [error] = report.errors
    assert str(big) in str(error) and "split it" in str(error) and "MB" in str(error)
    assert isnad.check().ok


def test_an_article_over_the_character_limit_is_refused_in_every_format(isnad: Isnad, tmp_path: Path) -> None:
    from rag.ingest.loaders import MAX_ARTICLE_CHARS

    long_text = "كلمة " * (MAX_ARTICLE_CHARS // 5 + 10)
    lines = [{"id": "a", "title": "أ", "text": "خبر قصير عن المطر."}, {"id": "b", "title": "ب", "text": long_text},
             {"id": "c", "title": "ج", "text": "خبر قصير عن الثلج."}]
    (tmp_path / "mixed.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines),
                                          encoding="utf-8")
    (tmp_path / "long.md").write_text("# طويل\n" + long_text, encoding="utf-8")  # under the size check
    report = isnad.ingest([tmp_path / "mixed.jsonl", tmp_path / "long.md"])
    assert sorted(report.added) == ["a", "c"]
    assert sorted((Path(e.source).name, e.line) for e in report.errors) == [("long.md", None), ("mixed.jsonl", 2)]
    assert all(f"{MAX_ARTICLE_CHARS:,}" in e.reason for e in report.errors)
