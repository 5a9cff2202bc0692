"""Quality regression on a small XQuAD slice with the real model.

The first 40 XQuAD paragraphs (8 Wikipedia articles x 5 paragraphs, so most distractors share
the topic of the gold passage) go into a fresh index with the default settings; their 225
Arabic questions and the 225 parallel English ones are asked in hybrid mode. The floors sit a
little below what was measured (values in the comments), so a change that costs a few points
of retrieval or of answer quality fails here before it shows up in `benchmarks/quality.py`.
"""

from __future__ import annotations

import sys

import pytest

from rag.engine import Isnad
from rag.settings import Settings
from tests.conftest import ROOT, SHARED_DATA

XQUAD = SHARED_DATA / "xquad" / "xquad_ar_en_aligned.jsonl"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.data,
    pytest.mark.skipif(not XQUAD.is_file(), reason=f"the XQuAD evaluation data is not at {XQUAD} "
                       "(see ../shared/data/README.md)"),
]

sys.path.insert(0, str(ROOT / "benchmarks"))

N_PARAGRAPHS = 40
# Measured 2026-12-01 (EmbeddingGemma bf16, 2 CPU cores, default settings, learned sentence
# scorer and answerability model, about 25 s):
#   xquad_ar R@1 0.960, first quote contains the answer 0.769, abstained 0.076
#   xquad_en R@1 0.951, first quote contains the answer 0.818, abstained 0.044
# The floors leave about three points for bf16 arithmetic on other CPUs.
FLOORS = {
    #            R@1    answer in first quote
    "xquad_ar": (0.93, 0.74),
    "xquad_en": (0.92, 0.79),
}
MAX_ABSTAIN = 0.09


@pytest.fixture(scope="module")
def slice_results(tmp_path_factory, real_embedder):  # type: ignore[no-untyped-def]
    import qa_data
    import quality

    data = qa_data.xquad_slice(N_PARAGRAPHS, SHARED_DATA)
    emb = quality.CachingEmbedder(real_embedder)
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path_factory.mktemp("quality") / "db")), embedder=emb)
    isnad.add_articles(list(data.articles.values()))  # embeds every sentence, in batches
    emb.prime([q.question for q in data.questions])
    records = quality.ask_all(isnad, data.questions, "hybrid", 10)
    return quality.summarise(data.questions, records)


@pytest.mark.parametrize("subset", sorted(FLOORS))
def test_retrieval_r1_floor(slice_results, subset):  # type: ignore[no-untyped-def]
    got = slice_results[subset]
    assert got["n"] == 225
    assert got["r1"] >= FLOORS[subset][0], f"{subset} R@1 fell to {got['r1']:.3f}"


@pytest.mark.parametrize("subset", sorted(FLOORS))
def test_first_quote_contains_answer_floor(slice_results, subset):  # type: ignore[no-untyped-def]
    got = slice_results[subset]
    assert got["quote"] >= FLOORS[subset][1], f"{subset} answer-in-first-quote fell to {got['quote']:.3f}"


def test_answerable_questions_are_rarely_abstained(slice_results):  # type: ignore[no-untyped-def]
    assert slice_results["ALL"]["abstain"] <= MAX_ABSTAIN
