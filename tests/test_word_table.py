"""The word table (rag/word_table.py): common words' vectors read once, so a claim check does not read
them through the model again (the test word embedder of test_name_probe; the real model at the end)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import SettingsError
from rag.name_probe import NameReader
from rag.word_table import TABLE_PATH, WordTable
from tests.test_name_probe import DIM, WordEmbedder, probe


def vectors_of(words: list[str]) -> np.ndarray:
    return np.asarray(WordEmbedder().embed_queries(words), np.float32)


def test_a_stored_word_comes_back_as_its_vector_to_rounding(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = ["أمام", "الأربعاء", "قطاع", "ساعة"]
    vecs = rng.normal(size=(4, 768)).astype(np.float32)
    WordTable.of(words, vecs, "some-model", {"words": 4}).save(tmp_path / "t.npz")
    table = WordTable.load(tmp_path / "t.npz")
    assert table.words == tuple(words) and table.embedder == "some-model" and table.info == {"words": 4}
    for w, v in zip(words, vecs, strict=True):
        got = table.get(w)
        assert got is not None and abs(float(np.linalg.norm(got)) - 1.0) < 1e-5
        assert float(got @ v) / float(np.linalg.norm(v)) > 0.9999
    assert table.get("كوالالمبور") is None


def test_a_table_needs_one_vector_for_each_word_once() -> None:
    with pytest.raises(ValueError, match="each word once"):
        WordTable.of(["قطاع", "قطاع"], np.ones((2, 8), np.float32), "m")
    with pytest.raises(ValueError, match="one vector for each word"):
        WordTable.of(["قطاع"], np.ones((2, 8), np.float32), "m")


def test_a_broken_table_says_how_to_get_it_back(tmp_path: Path) -> None:
    path = tmp_path / "t.npz"
    path.write_bytes(b"not a table")
    with pytest.raises(SettingsError, match="restore the file from git or rebuild it: python benchmarks/word_table.py"):
        WordTable.load(path)
    np.savez(path, words=np.array("أ\nب"), codes=np.zeros((3, 4), np.int8), scales=np.ones(2, np.float32),
             meta=np.array('{"embedder": "m"}'))
    with pytest.raises(SettingsError, match="2 words, codes of shape"):
        WordTable.load(path)


def test_the_words_of_the_table_are_not_read_through_the_model(tmp_path: Path) -> None:
    common = ["محللون", "خبراء", "سكان"]
    table = WordTable.of(common, vectors_of(common), "test-words")
    embedder = WordEmbedder()
    reader = NameReader(embedder, probe(), table=table)
    assert reader.names(["كوهين", "خبراء", "لندن", "سكان"]) == ["كوهين", "لندن"]
    assert sorted(embedder.words_embedded) == ["كوهين", "لندن"]  # the table's words were not read
    assert reader.unmatched(["خبراء", "سكان"], ["محللون", "قرار"], 0.99) == ["سكان"]
    assert sorted(embedder.words_embedded) == ["قرار", "كوهين", "لندن"]
    live = NameReader(WordEmbedder(), probe())
    assert np.allclose(reader.vectors(common), live.vectors(common), atol=0.01)


def test_a_table_read_by_another_model_is_not_used(tmp_path: Path) -> None:
    path, table = tmp_path / "probe.json", tmp_path / "t.npz"
    probe().save(path)
    WordTable.of(["سكان"], vectors_of(["سكان"]), "another-model").save(table)
    reader = NameReader.of(WordEmbedder(), path, table)
    assert reader is not None and reader.table is None
    WordTable.of(["سكان"], vectors_of(["سكان"]), "test-words").save(table)
    reader = NameReader.of(WordEmbedder(), path, table)
    assert reader is not None and reader.table is not None and len(reader.table) == 1
    WordTable.of(["سكان"], np.ones((1, DIM + 1), np.float32), "test-words").save(table)
    with pytest.raises(SettingsError, match="rebuild it: python benchmarks/word_table.py"):
        NameReader.of(WordEmbedder(), path, table)


def test_the_shipped_table_holds_common_words_of_the_shipped_model() -> None:
    table = WordTable.load(TABLE_PATH)
    assert table.embedder == "embeddinggemma-300m" and table.codes.shape == (len(table), 768)
    assert len(table) >= 10_000
    for word in ("أمام", "الثلاثاء", "قطاع", "وزير", "الحكومة"):
        assert table.get(word) is not None, word


@pytest.mark.integration
def test_the_table_holds_what_the_model_reads(real_embedder) -> None:  # type: ignore[no-untyped-def]
    reader = NameReader.of(real_embedder)
    assert reader is not None and reader.table is not None
    words = ["أمام", "الثلاثاء", "قطاع", "الحكومة", "وزير", "ارتفاع"]
    live = np.asarray(real_embedder.embed_queries(words), np.float32)
    stored = np.stack([reader.table.get(w) for w in words])  # type: ignore[misc]
    # bfloat16 or float32, torch or OpenVINO: rounding apart, the same vectors.
    assert (np.sum(live * stored, axis=1) / np.linalg.norm(live, axis=1) > 0.99).all()
