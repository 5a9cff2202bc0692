"""Hybrid retrieval: dense + lexical fusion, filters, modes (rag/retrieve.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.embedder import HashEmbedder
from rag.index import Index, sentence_units
from rag.retrieve import RetrievalPolicy, Retriever
from rag.store import Store
from rag.types import Article, Filters
from rag.vectors import VectorStore

# Six articles on three topics, two sources, three dates; one without date or source.
ARTICLES = [
    Article("border-a", "اشتباكات حدودية", "اندلعت اشتباكات على الحدود بين أرمينيا وأذربيجان. وسقط قتلى وجرحى.",
            "2021-11-16", "alpha"),
    Article("border-b", "توتر على الحدود",
            "تجددت الاشتباكات على الحدود بين البلدين. ودعا الاتحاد الأوروبي إلى التهدئة.", "2020-09-27", "beta"),
    Article("minsk", "مجموعة مينسك", "بدأت المفاوضات في إطار مجموعة مينسك التابعة لمنظمة الأمن والتعاون في أوروبا.",
            "1992-03-24", "alpha"),
    Article("book-fair", "معرض الكتاب", "افتتح معرض الشارقة الدولي للكتاب أبوابه بمشاركة ألف دار نشر.",
            "2021-11-03", "beta"),
    Article("oil", "أسعار النفط", "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار أوبك خفض الإنتاج.",
            "2021-11-20", "gamma"),
    Article("undated", "الاشتباكات مجددا", "اشتباكات جديدة على الحدود الأرمينية الأذربيجانية بلا تاريخ.", None, None),
]
QUESTION = "الاشتباكات على الحدود بين أرمينيا وأذربيجان"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index(tmp_path_factory.mktemp("retrieve") / "db", HashEmbedder(256), chunk_chars=200)
    index.add(ARTICLES)
    return index


def retriever(index: Index, **policy: float) -> Retriever:
    return Retriever(index, index.embedder, RetrievalPolicy(**policy))  # type: ignore[arg-type]


def ids(retrieval) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.chunk.article_id for h in retrieval.hits]


META = {a.id: a for a in ARTICLES}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_modes_find_the_topic(built: Index, mode: str) -> None:
    got = retriever(built).retrieve(QUESTION, 3, mode=mode)
    assert got.hits
    assert set(ids(got)[:2]) <= {"border-a", "border-b", "undated"}
    for hit in got.hits:
        article = got.articles[hit.chunk.article_id]
        assert hit.chunk.text == article.text[hit.chunk.start:hit.chunk.end]
    scores = [h.score for h in got.hits]
    assert scores == sorted(scores, reverse=True)


def test_k_limits_the_hits(built: Index) -> None:
    r = retriever(built)
    assert len(r.retrieve(QUESTION, 2).hits) == 2
    assert len(r.retrieve(QUESTION, 6, mode="dense").hits) == 6
    assert len(r.retrieve(QUESTION, 50, mode="dense").hits) == len(ARTICLES)  # one chunk each


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_k_larger_than_the_candidate_pools_still_gives_k_hits(built: Index, mode: str) -> None:
    """`ask --k 50` with the default 40 candidates must not silently return fewer than k passages."""
    small = retriever(built, dense_candidates=2, lexical_candidates=2)
    assert len(small.retrieve("Who fought on the border?", 5, mode=mode).hits) == 5


def test_dense_mode_scores_are_cosines(built: Index) -> None:
    got = retriever(built).retrieve(QUESTION, 6, mode="dense")
    for hit in got.hits:
        assert hit.dense is not None and hit.score == pytest.approx(hit.dense)
        assert hit.lexical is None
        assert -1.0001 <= hit.score <= 1.0001


def test_lexical_mode_never_embeds(built: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    def no(*a: object, **k: object) -> None:
        raise AssertionError("embedder called in lexical mode")

    monkeypatch.setattr(HashEmbedder, "embed_queries", no)
    got = retriever(built).retrieve(QUESTION, 3, mode="lexical")
    assert got.hits and all(h.lexical is not None and h.lexical > 0 for h in got.hits)


def test_hybrid_score_is_best_sentence_plus_bounded_bonus(built: Index) -> None:
    r = retriever(built, lexical_weight=0.1)
    got = r.retrieve(QUESTION, 6)
    assert got.language == "ar" and got.query_terms is not None and got.lexical_weight == 0.1
    assert any(h.lexical for h in got.hits)
    for h in got.hits:
        units = sentence_units(got.articles[h.chunk.article_id], [h.chunk])
        vecs = built.store.vectors_for(u.key for u in units)
        sims = [float(vecs[u.key] @ got.query_vector) for u in units]
        assert h.dense == pytest.approx(max(sims), abs=1e-6)  # exact, from the cache
        fused = max(s + 0.1 * got.query_terms.overlap(u.text) for s, u in zip(sims, units, strict=True))
        assert h.score == pytest.approx(fused, abs=1e-6)
        assert 0.0 <= h.score - h.dense <= 0.1 + 1e-9


def test_rare_question_words_weigh_more(built: Index) -> None:
    got = retriever(built).retrieve("الحدود مينسك", 3)
    weights = got.query_terms.weights
    assert len(weights) == 2
    rare = next(t for t in weights if t.startswith("مينسك"))
    common = next(t for t in weights if t != rare)
    assert weights[rare] > weights[common] > 0
    assert got.query_terms.overlap("مجموعة مينسك") > got.query_terms.overlap("على الحدود") > 0
    assert got.query_terms.overlap("الحدود ومجموعة مينسك") == pytest.approx(1.0)
    assert got.query_terms.overlap("معرض الكتاب") == 0.0


def test_english_questions_get_no_lexical_bonus(built: Index) -> None:
    got = retriever(built).retrieve("clashes on the border", 3)
    assert got.language == "en" and got.query_terms is None and got.lexical_weight == 0.0


def test_lexical_weight_zero_equals_dense_order(built: Index) -> None:
    for question in (QUESTION, "أسعار النفط", "معرض الكتاب في الشارقة", "مينسك"):
        hybrid = retriever(built, lexical_weight=0.0).retrieve(question, 6)
        dense = retriever(built).retrieve(question, 6, mode="dense")
        assert [h.chunk.id for h in hybrid.hits] == [h.chunk.id for h in dense.hits]
        assert [h.score for h in hybrid.hits] == pytest.approx([h.score for h in dense.hits])


def test_english_question_gets_no_lexical_contribution(built: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    def no(*a: object, **k: object) -> None:
        raise AssertionError("lexical search used for an English question")

    monkeypatch.setattr(Store, "lexical_search", no)
    got = retriever(built, lexical_weight=1.0).retrieve("Who fought on the border of Armenia?", 4)
    assert got.language == "en"
    assert got.hits and all(h.lexical is None for h in got.hits)
    dense = retriever(built).retrieve("Who fought on the border of Armenia?", 4, mode="dense")
    assert [h.chunk.id for h in got.hits] == [h.chunk.id for h in dense.hits]


def test_lang_argument_overrides_detection(built: Index) -> None:
    got = retriever(built, lexical_weight=1.0).retrieve(QUESTION, 4, lang="en")
    assert got.language == "en" and all(h.lexical is None for h in got.hits)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_source_filter(built: Index, mode: str) -> None:
    got = retriever(built).retrieve(QUESTION, 10, Filters(sources=("beta",)), mode=mode)
    assert got.hits
    assert {META[i].source for i in ids(got)} == {"beta"}
    both = retriever(built).retrieve(QUESTION, 10, Filters(sources=("alpha", "gamma")), mode=mode)
    assert both.hits and {META[i].source for i in ids(both)} <= {"alpha", "gamma"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_date_filter(built: Index, mode: str) -> None:
    f = Filters(date_from="2021-01-01", date_to="2021-11-16")
    got = retriever(built).retrieve(QUESTION, 10, f, mode=mode)
    assert got.hits
    for aid in ids(got):
        assert META[aid].date is not None and "2021-01-01" <= META[aid].date <= "2021-11-16"  # type: ignore[operator]
    assert "border-a" in ids(got)  # inclusive bounds
    assert "undated" not in ids(got)
    only_from = retriever(built).retrieve(QUESTION, 10, Filters(date_from="2021-11-17"), mode=mode)
    assert set(ids(only_from)) <= {"oil"}


def test_filters_apply_to_both_sides_of_hybrid(built: Index) -> None:
    """The lexical side must not smuggle in a filtered-out article that the dense side dropped."""
    f = Filters(sources=("gamma",))
    got = retriever(built, lexical_weight=1.0).retrieve(QUESTION, 10, f)
    assert ids(got) == ["oil"]
    f = Filters(date_to="1999-12-31")
    got = retriever(built, lexical_weight=1.0).retrieve(QUESTION, 10, f)
    assert ids(got) == ["minsk"]


def test_filter_matching_nothing(built: Index) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        got = retriever(built).retrieve(QUESTION, 5, Filters(sources=("nowhere",)), mode=mode)
        assert got.hits == []


def test_lexical_hit_outside_dense_candidates_gets_its_dense_score(built: Index) -> None:
    r = retriever(built, dense_candidates=1, lexical_weight=0.5)
    got = r.retrieve(QUESTION, 6)
    assert len(got.hits) > 1  # the lexical side added candidates
    vec = got.query_vector
    for h in got.hits:  # a chunk's dense score is its best sentence's
        units = sentence_units(got.articles[h.chunk.article_id], [h.chunk])
        stored = built.store.vectors_for(u.key for u in units)
        expected = max(float(stored[u.key] @ vec) for u in units)
        assert h.dense == pytest.approx(expected, abs=2e-3)


def test_only_ready_articles_appear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = Index(tmp_path / "db", HashEmbedder(256), chunk_chars=200)
    index.add(ARTICLES[:2])
    pending = Article("pending", "الاشتباكات", QUESTION + ". " + QUESTION, "2021-11-16", "alpha")
    with monkeypatch.context() as m:
        def boom(*a: object, **k: object) -> None:
            raise RuntimeError("crash before mark_ready")

        m.setattr(Store, "mark_ready", boom)
        with pytest.raises(RuntimeError):
            index.add([pending])
    assert index.vectors.count() > index.store.counts()["chunks"]  # its vectors are in Chroma...
    for mode in ("hybrid", "dense", "lexical"):
        got = retriever(index).retrieve(QUESTION, 10, mode=mode)
        assert "pending" not in ids(got)  # ...but it is not searchable
        assert "pending" not in got.articles


def test_deleted_articles_disappear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = Index(tmp_path / "db", HashEmbedder(256), chunk_chars=200)
    index.add(ARTICLES)
    with monkeypatch.context() as m:  # vectors left behind by an interrupted delete
        def boom(*a: object, **k: object) -> None:
            raise RuntimeError("crash")

        m.setattr(VectorStore, "delete_article", boom)
        with pytest.raises(RuntimeError):
            index.delete("border-a")
    for mode in ("hybrid", "dense", "lexical"):
        assert "border-a" not in ids(retriever(index).retrieve(QUESTION, 10, mode=mode))


def test_empty_index(tmp_path: Path) -> None:
    index = Index(tmp_path / "db", HashEmbedder(256))
    index.open()
    for mode in ("hybrid", "dense", "lexical"):
        got = retriever(index).retrieve(QUESTION, 5, mode=mode)
        assert got.hits == [] and got.articles == {}


def test_timings_are_reported(built: Index) -> None:
    got = retriever(built).retrieve(QUESTION, 3)
    assert set(got.timings_ms) >= {"embed", "search"}
    assert all(v >= 0 for v in got.timings_ms.values())


def test_common_terms_are_left_out_of_the_lexical_search() -> None:
    from rag.retrieve import QueryTerms

    q = QueryTerms({"نادر": 5.0, "شائع": 0.5, "اخر": 1.0}, frozenset({"شائع"}))
    assert q.selective() == ["نادر", "اخر"]
    everywhere = QueryTerms({"ا": 0.1, "ب": 0.3, "ج": 0.2}, frozenset({"ا", "ب", "ج"}))
    assert everywhere.selective() == ["ب", "ج"]  # the two rarest
    assert QueryTerms().selective() == []
