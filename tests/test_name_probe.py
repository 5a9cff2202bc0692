"""The name probe (rag/name_probe.py) and how a claim check uses it: a paraphrase's own words may be
missing from the sentence, a name may not (a word embedder made for the test; real model at the end)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.embedder import HashEmbedder
from rag.engine import Isnad
from rag.errors import SettingsError
from rag.name_probe import PROBE_PATH, NameProbe, NameReader
from rag.settings import Settings
from rag.types import Article
from rag.verify import VerifyPolicy

DIM = 256
NAME_DIM = DIM - 1
# Single words the test embedder knows: a concept each (one dimension), names also on NAME_DIM.
CONCEPTS = {"محللون": 250, "خبراء": 250, "سكان": 251, "كوهين": 252, "لندن": 253}
NAMES = {"كوهين", "لندن"}
ARTICLE = Article("oil", "أسعار النفط", "ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين. "
                  "وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق.", "2022-10-03", None, None)


class WordEmbedder(HashEmbedder):
    """The hash embedder for texts; for one word alone, a vector on its concept's dimension (a word it
    does not know gets a dimension of its own below 250), as a real model places synonyms together."""

    def __init__(self) -> None:
        super().__init__(DIM)
        self.name = "test-words"
        self.words_embedded: list[str] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        out = super().embed_queries(texts)
        for i, t in enumerate(texts):
            if " " in t.strip():
                continue
            self.words_embedded.append(t)
            v = np.zeros(DIM, np.float32)
            v[CONCEPTS.get(t, sum(map(ord, t)) % 200)] = 1.0
            if t in NAMES:
                v[NAME_DIM] = 1.0
            out[i] = v / np.linalg.norm(v)
        return out


def probe(embedder: str = "test-words") -> NameProbe:
    weights = np.zeros(DIM, np.float32)
    weights[NAME_DIM] = 10.0
    return NameProbe(weights, -5.0, 0.5, embedder)


def test_the_probe_reads_names_and_caches_each_word() -> None:
    embedder = WordEmbedder()
    reader = NameReader(embedder, probe())
    assert reader.names(["كوهين", "خبراء", "لندن", "سكان"]) == ["كوهين", "لندن"]
    assert reader.names(["كوهين", "خبراء"]) == ["كوهين"]
    assert sorted(embedder.words_embedded) == sorted(["كوهين", "خبراء", "لندن", "سكان"])  # each once
    assert reader.unmatched(["خبراء", "سكان"], ["محللون", "قرار"], 0.99) == ["سكان"]  # "محللون" says "خبراء"


def test_a_sentence_is_read_only_until_the_decision_holds() -> None:
    embedder = WordEmbedder()
    reader = NameReader(embedder, probe())
    others = ["قرار", "أسعار", "محللون", "الأسواق", "الإنتاج", "النفط", "دعم"]
    # Read to the end: the words no word of the sentence comes near.
    assert reader.unmatched(["خبراء", "سكان"], others, 0.5) == ["سكان"]
    # A decision that holds once "خبراء" is matched: the sentence's words after it are not read.
    embedder = WordEmbedder()
    reader = NameReader(embedder, probe())
    assert reader.unmatched(["خبراء", "سكان"], others, 0.5, lambda rest: "خبراء" not in rest, first=3) == ["سكان"]
    assert "محللون" in embedder.words_embedded and len(embedder.words_embedded) < 2 + len(others)
    assert reader.unmatched(["خبراء"], others, 0.5, lambda rest: True) == ["خبراء"]  # settled before reading
    assert reader.unmatched(["خبراء"], [], 0.5) == ["خبراء"]


def test_the_words_that_look_alike_are_read_first() -> None:
    embedder = WordEmbedder()
    reader = NameReader(embedder, probe())
    others = ["قرار", "أسعار", "الأسواق", "الإنتاج", "النفط", "دعم", "كوهينة"]
    embedder.words_embedded.clear()
    assert reader.unmatched(["كوهين"], others, 0.9, lambda rest: not rest, first=1) == ["كوهين"]
    assert embedder.words_embedded[:2] == ["كوهين", "كوهينة"]  # the claim's word with its look-alike
    assert len(embedder.words_embedded) == 1 + len(others)  # then, unmatched, all the rest


def test_the_probe_applies_only_to_the_model_it_was_learned_on(tmp_path: Path) -> None:
    path = tmp_path / "probe.json"
    probe().save(path)
    assert NameReader.of(WordEmbedder(), path) is not None
    assert NameReader.of(HashEmbedder(DIM), path) is None  # another model: the caller keeps its word rule
    shipped = NameProbe.load(PROBE_PATH)
    assert shipped.embedder == "embeddinggemma-300m" and len(shipped.weights) == 768
    assert 0.0 < shipped.threshold < 1.0


def test_a_broken_probe_file_says_how_to_get_it_back(tmp_path: Path) -> None:
    path = tmp_path / "probe.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="train_names.py"):
        NameProbe.load(path)
    path.write_text(json.dumps({"weights": [1.0]}), encoding="utf-8")
    with pytest.raises(SettingsError, match="restore the file from git"):
        NameProbe.load(path)


def test_vectors_of_another_size_are_refused_with_what_to_do() -> None:
    reader = NameReader(WordEmbedder(), NameProbe(np.zeros(8, np.float32), 0.0, 0.5, "test-words"))
    with pytest.raises(SettingsError, match="retrain"):
        reader.names(["كوهين"])


def engine_with(db: Path, article: Article, policy: VerifyPolicy) -> Isnad:
    """An index of one article, the test word embedder and its probe, checking claims under `policy`."""
    isnad = Isnad(Settings.from_env({}, db_dir=str(db), embed_model="hash"), WordEmbedder())
    isnad.add_articles([article])
    isnad.verify("warm up")
    isnad.verifier.policy = policy
    isnad.verifier.names = NameReader(isnad.embedder, probe())
    return isnad


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    # The hash embedder's similarities are not the real model's: check the words, not the thresholds.
    return engine_with(tmp_path_factory.mktemp("names") / "db", ARTICLE,
                       VerifyPolicy(min_similarity=0.2, paraphrase_similarity=0.2))


def test_a_claim_in_its_own_words_is_supported(engine: Isnad) -> None:
    v = engine.verify("وقال خبراء إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق", "oil")
    assert v.verdict == "supported", v.reason
    assert v.citations[0].quote == "وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق."


@pytest.mark.parametrize(("claim", "why"), [
    ("وقال كوهين إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق", "'كوهين' is not in the closest passage"),
    ("وقال سكان إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق", "(it has 'محللون' there)"),  # no synonym
    ("وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار في أسواق لندن", "'لندن' is not in the closest passage"),
])
def test_a_name_or_a_word_the_sentence_has_nothing_for_is_not_supported(engine: Isnad, claim: str,
                                                                        why: str) -> None:
    v = engine.verify(claim, "oil")
    assert not v.supported
    assert why in v.reason, v.reason


def test_without_the_probe_every_rare_word_must_be_in_the_sentence(engine: Isnad) -> None:
    verifier = engine.verifier
    verifier.names = None
    try:
        v = engine.verify("وقال خبراء إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق", "oil")
    finally:
        verifier.names = NameReader(engine.embedder, probe())
    assert not v.supported and "'خبراء' is not in the closest passage" in v.reason


@pytest.mark.integration
def test_the_real_model_tells_names_from_common_words(real_embedder) -> None:  # type: ignore[no-untyped-def]
    reader = NameReader.of(real_embedder)
    assert reader is not None
    # Not words of the training data's questions or of the claim benchmark.
    names = ["بوتين", "ميركل", "أردوغان", "نتنياهو", "الخرطوم", "مدريد", "غوتيريش", "بايدن"]
    common = ["أعلن", "اجتماع", "ارتفاع", "المفاوضات", "قرر", "انتخابات", "الاقتصاد", "الهجوم", "تصريحات"]
    assert len(reader.names(names)) >= 7, reader.probabilities(names)
    assert reader.names(common) == [], reader.probabilities(common)



# The closest sentence puts another word where the claim has "سكان"; the next one says it all, with more.
TWO = Article("opec", "قرار أوبك+", "وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق العالمية. "
              "وقال سكان إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق العالمية بعد اجتماع طويل ومفاوضات شاقة.",
              "2022-10-03", None, None)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    # Every word counts as rare in an index of one article; the hash similarities are not the model's.
    return engine_with(tmp_path_factory.mktemp("two") / "db", TWO,
                       VerifyPolicy(min_similarity=0.2, paraphrase_similarity=0.2, rare_idf=0.0, support_margin=1.0))


def checked(verifier, claim: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[str]]:  # type: ignore[no-untyped-def]
    """The verdict, and the sentences read for it."""
    read: list[str] = []
    check = verifier._check

    def spy(claim, support, *args):  # type: ignore[no-untyped-def]
        read.append(support[0].text)
        return check(claim, support, *args)

    monkeypatch.setattr(verifier, "_check", spy)
    return verifier.verify(claim, "opec"), read


def test_another_close_sentence_may_state_what_the_closest_leaves_unsaid(two: Isnad,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    claim = "وقال سكان إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق العالمية"
    verifier = two.verifier
    wider = verifier.policy
    monkeypatch.setattr(verifier, "policy", replace(wider, support_candidates=1))
    alone = verifier.verify(claim, "opec")
    assert not alone.supported and "(it has 'محللون' there)" in alone.reason  # the closest sentence alone
    monkeypatch.setattr(verifier, "policy", wider)
    v, read = checked(verifier, claim, monkeypatch)
    assert v.verdict == "supported", v.reason
    assert v.citations[0].quote.startswith("وقال سكان") and len(read) == 2
    monkeypatch.setattr(verifier, "policy", replace(wider, support_margin=0.0))  # only as close as the closest
    assert not verifier.verify(claim, "opec").supported


def test_a_name_where_the_closest_sentence_has_another_word_is_the_verdict(two: Isnad,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    v, read = checked(two.verifier, "وقال كوهين إن قرار أوبك+ خفض الإنتاج دعم الأسعار في الأسواق العالمية",
                      monkeypatch)
    assert not v.supported and "(it has 'محللون' there)" in v.reason, v.reason
    assert len(read) == 1  # no other sentence is read: none can undo another name in its place



# The closest sentence states the claim with "خبراء" as its own word for "محللون"; the next one says "خبراء".
PLAIN = Article("plain", "قرار أوبك+", "وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار. "
                "وقال خبراء إن قرار أوبك+ خفض الإنتاج دعم أسعار النفط في الأسواق العالمية بعد اجتماع طويل.",
                "2022-10-03", None, None)


def test_a_sentence_nearly_as_close_that_says_more_of_the_claim_is_cited(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    isnad = engine_with(tmp_path / "db", PLAIN, VerifyPolicy(min_similarity=0.2, paraphrase_similarity=0.2,
                                                             rare_idf=0.0, support_margin=1.0))
    claim = "وقال خبراء إن قرار أوبك+ خفض الإنتاج دعم الأسعار"
    v = isnad.verify(claim, "plain")
    assert v.verdict == "supported", v.reason
    assert v.citations[0].quote.startswith("وقال خبراء")
    verifier = isnad.verifier
    monkeypatch.setattr(verifier, "policy", replace(verifier.policy, support_candidates=1))
    alone = verifier.verify(claim, "plain")  # the closest alone: it states the claim in other words
    assert alone.verdict == "supported" and alone.citations[0].quote.startswith("وقال محللون")
