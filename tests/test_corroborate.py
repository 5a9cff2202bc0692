"""Corroboration (rag/corroborate.py): who else states a cited sentence, who states it differently,
and which articles are copies of the cited one (hash embedder)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from rag.contract import answer_json
from rag.copies import band_keys, bands, jaccard, shingles, signature
from rag.corroborate import CorroborationPolicy, Corroborator
from rag.engine import Isnad
from rag.settings import Settings
from rag.types import Article, Citation

FACT = "قتل 12 شخصا في انفجار سيارة مفخخة في سوق ببغداد يوم الاثنين."
ARTICLES = [
    Article("a", "انفجار في بغداد", FACT + " وقالت الشرطة إن الانفجار وقع في ساعة الذروة. وأغلقت القوات المنطقة.",
            date="2021-05-03", source="وكالة أ"),
    Article("b", "تفجير دام في العاصمة العراقية",
            "أفادت مصادر أمنية بأن 12 شخصا قتلوا في انفجار سيارة مفخخة في سوق ببغداد يوم الاثنين. "
            "ونقل الجرحى إلى مستشفيات قريبة.", date="2021-05-03", source="وكالة ب"),
    Article("c", "حصيلة تفجير بغداد", "قتل 15 شخصا في انفجار سيارة مفخخة في سوق ببغداد يوم الاثنين. "
            "وأعلنت وزارة الصحة حصيلة الجرحى.", date="2021-05-04", source="وكالة ج"),
    Article("d", "انفجار في بغداد (رويترز)", FACT + " وقالت الشرطة إن الانفجار وقع في ساعة الذروة. "
            "وأغلقت القوات المنطقة. (رويترز)", date="2021-05-03", source="وكالة د"),
    Article("e", "افتتاح معرض الكتاب", "افتتح معرض الكتاب في الرياض بمشاركة ألف دار نشر.", source="وكالة ه"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path_factory.mktemp("co") / "db"), embed_model="hash",
                                    abstain_below=0.0))
    isnad.add_articles(ARTICLES)
    return isnad


def citation(engine: Isnad, article_id: str, quote: str) -> Citation:
    article = engine.get(article_id)
    start = article.text.index(quote)
    return Citation(1, article_id, article.title, quote, start, start + len(quote), article.date, article.source)


def test_agreeing_differing_and_copied_articles_are_told_apart(engine: Isnad) -> None:
    # the hash embedder's similarities are not the model's: a lower bar for "the same fact"
    found = Corroborator(engine.index, engine.retriever, engine.answerer, engine.verifier,
                         CorroborationPolicy(same_fact=0.3)).of(citation(engine, "a", FACT))
    assert [e.article_id for e in found.corroborated_by] == ["b"]
    assert [(e.article_id, e.reason) for e in found.disputed_by] == [("c", "the article says 15, the claim 12")]
    assert found.copies == [("d", "وكالة د")]  # a republished wire story is one report, not a second one
    for e in found.corroborated_by + found.disputed_by:
        assert engine.get(e.article_id).text[e.start:e.end] == e.quote  # verbatim spans
    assert "e" not in {e.article_id for e in found.corroborated_by + found.disputed_by}


def test_ask_json_carries_the_three_lists_for_every_citation(engine: Isnad) -> None:
    out = answer_json(engine.ask("كم شخصا قتل في انفجار بغداد يوم الاثنين؟"))
    assert out["citations"]
    for c in out["citations"]:
        assert {"corroborated_by", "disputed_by", "copies"} <= set(c)
    off = Isnad(engine.settings.replace(corroborate=False), engine.embedder)
    c0 = answer_json(off.ask("كم شخصا قتل في انفجار بغداد يوم الاثنين؟"))["citations"][0]
    assert (c0["corroborated_by"], c0["disputed_by"], c0["copies"]) == ([], [], [])


def test_shingle_jaccard_sees_a_copy_and_not_a_rewrite() -> None:
    a, d, b = (shingles(x.text) for x in (ARTICLES[0], ARTICLES[3], ARTICLES[1]))
    assert jaccard(a, d) > 0.7 and jaccard(a, b) < 0.2


def _text(rng: random.Random, n: int = 300) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


WORDS = [f"كلمة{i}" for i in range(2000)]


def test_minhash_bands_catch_near_copies_and_seldom_pair_other_texts() -> None:
    rng = random.Random(1)
    pairs_found, others_paired = 0, 0
    for _ in range(40):
        words = _text(rng)
        copy = list(words)
        for i in rng.sample(range(len(copy)), 6):  # an edited copy: J of the 5-shingles ≈ 0.8
            copy[i] = rng.choice(WORDS)
        (a, ka), (b, kb), (_, kc) = (band_keys(" ".join(w)) for w in (words, copy, _text(rng)))
        assert jaccard(a, b) > 0.5
        pairs_found += bool(set(ka) & set(kb))
        others_paired += bool(set(ka) & set(kc))
    assert pairs_found == 40 and others_paired == 0


def test_signatures_are_the_same_in_every_process() -> None:
    # stored band keys are compared with those of articles added later, by other processes:
    # nothing may depend on Python's per-process string hashing or a random stream
    keys = bands(signature(shingles("قتل 12 شخصا في انفجار سيارة مفخخة في سوق ببغداد يوم الاثنين")))
    assert len(keys) == 32 and keys[0] == EXPECTED_FIRST_BAND


EXPECTED_FIRST_BAND = "0:bd23bd30"  # computed once; a change here orphans every stored band


def test_copies_are_grouped_at_ingest_and_a_group_counts_once(tmp_path: Path) -> None:
    b_copy = Article("f", "تفجير دام في بغداد", ARTICLES[1].text + " (أ ف ب)", date="2021-05-03", source="وكالة و")
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0))
    isnad.add_articles(ARTICLES)
    isnad.add_articles([b_copy])
    assert isnad.index.copies_of(["a", "b", "c", "f"]) == {"a": ["d"], "b": ["f"], "f": ["b"]}
    found = Corroborator(isnad.index, isnad.retriever, isnad.answerer, isnad.verifier,
                         CorroborationPolicy(same_fact=0.3)).of(citation(isnad, "a", FACT))
    assert [e.article_id for e in found.corroborated_by] in (["b"], ["f"])  # one report, published twice
    assert found.copies == [("d", "وكالة د")]


def test_an_index_stored_before_copies_were_looked_for_finds_them_on_open(tmp_path: Path) -> None:
    settings = Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash")
    isnad = Isnad(settings)
    isnad.add_articles(ARTICLES)
    isnad.index.close()
    with sqlite3.connect(tmp_path / "db" / "isnad.sqlite3") as conn:  # as an index of an older version
        conn.execute("DELETE FROM copy_bands")
        conn.execute("DELETE FROM copy_groups")
    assert Isnad(settings).index.copies_of(["a", "d"]) == {"a": ["d"], "d": ["a"]}


def test_the_sources_panel_says_who_agrees_and_who_differs(engine: Isnad) -> None:
    from rag.corroborate import Corroboration, Echo
    from rag.web.render import Turn, render_sources

    answer = engine.ask("كم شخصا قتل في انفجار بغداد يوم الاثنين؟")
    n = answer.citations[0].n
    found = Corroboration([Echo("b", "وكالة ب", "2021-05-03", "قتل 12 شخصا", 0, 10)],
                          [Echo("c", "وكالة ج", None, "قتل 15 شخصا", 0, 10, "the article says 15, the claim 12")],
                          [("d", "وكالة د")])
    turn = Turn(answer.question)
    turn.answer = answer.__class__(**{**answer.__dict__, "corroboration": {n: found}})
    html = render_sources([turn])
    assert "مصادر أخرى توافق" in html and "تختلف" in html and "وكالة د" in html
    assert "the article says 15, the claim 12" in html and 'class="echoes"' in html


def test_settings_switch(tmp_path: Path) -> None:
    assert Settings.from_env({}).corroborate is True
    assert Settings.from_env({"RAG_CORROBORATE": "0"}, db_dir=str(tmp_path)).corroborate is False


def test_verify_json_lists_who_else_states_the_claim(engine: Isnad) -> None:
    from rag.contract import verdict_json
    from rag.verify import VerifyPolicy

    engine.verifier.policy = VerifyPolicy(min_similarity=0.2)
    out = verdict_json(engine.verify(FACT.rstrip(".")))
    assert out["verdict"] == "supported"
    assert isinstance(out["corroborated_by"], list) and isinstance(out["disputed_by"], list)


def test_a_copy_that_changed_a_number_is_listed_as_differing(tmp_path: Path) -> None:
    changed = Article("g", "انفجار في بغداد", ARTICLES[0].text.replace("قتل 12 شخصا", "قتل 14 شخصا"),
                      date="2021-05-03", source="وكالة ز")
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0))
    isnad.add_articles([*ARTICLES, changed])
    assert "g" in isnad.index.copies_of(["a"])["a"]  # the same wire story...
    found = Corroborator(isnad.index, isnad.retriever, isnad.answerer, isnad.verifier,
                         CorroborationPolicy(same_fact=0.3, dispute_similarity=0.3)).of(citation(isnad, "a", FACT))
    assert ("g", "the article says 14, the claim 12") in [(e.article_id, e.reason) for e in found.disputed_by]
    assert "g" not in [e.article_id for e in found.corroborated_by]  # ...republished with another number


def test_two_numbers_of_different_things_are_no_dispute(engine: Isnad) -> None:
    claim = "قتل 12 شخصا في انفجار سيارة مفخخة في بغداد بعد 20 دقيقة من وصول الشرطة"
    other = "قتل 12 شخصا في انفجار سيارة مفخخة في بغداد ونقل 15 جريحا إلى المستشفى"
    assert engine.verifier.differs(claim, other, "ar", {}) is not None  # a claim check: "20" is not there
    assert engine.verifier.differs(claim, other, "ar", {}, same_slot=True) is None  # 20 minutes, 15 injured


def test_an_article_that_copies_two_groups_joins_them_into_one(tmp_path: Path) -> None:
    rng = random.Random(5)
    x, y, z = _text(rng, 100), _text(rng, 100), _text(rng, 100)
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([Article("a1", "t", " ".join(x + y)), Article("a2", "t", " ".join(x + y) + " خاتمة"),
                        Article("b1", "t", " ".join(y + z)), Article("b2", "t", " ".join(y + z) + " خاتمة")])
    assert isnad.index.copies_of(["a1", "b1"]) == {"a1": ["a2"], "b1": ["b2"]}  # x+y and y+z: J ≈ 1/3
    isnad.add_articles([Article("m", "t", " ".join(x[50:] + y + z[:50]))])  # J ≈ 0.6 with both
    assert isnad.index.copies_of(["m"]) == {"m": ["a1", "a2", "b1", "b2"]}
    assert len(set(isnad.index.copy_groups(["a1", "a2", "b1", "b2", "m"]).values())) == 1
