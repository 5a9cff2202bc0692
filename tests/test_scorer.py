"""The learned sentence scorer: features, ranking, answerability, its weights file (no model)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rag.errors import SettingsError
from rag.scorer import (
    MODEL_PATH,
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    QuestionContext,
    ScorerModel,
    SentenceScorer,
    sentence_features,
)

COL = {f: i for i, f in enumerate(SENTENCE_FEATURES)}


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, np.float32)
    return v / np.linalg.norm(v)


def cand(text: str, vec: np.ndarray, passage: int = 0, start: int = 0, article: str = "a") -> Candidate:
    return Candidate(article, start, start + len(text), text, passage, 1.0 - 0.1 * passage, vec)


def ctx(question: str, vec: np.ndarray, idf: dict[str, float], lang: str = "ar") -> QuestionContext:
    return QuestionContext(question, vec, lang, idf)


def test_focus_weighs_the_asking_words_not_the_shared_topic() -> None:
    q = ctx("من توسط بين أرمينيا وأذربيجان؟", unit(1, 0, 0), {"توسط": 5.0, "ارمينيا": 3.0, "اذربيج": 3.0})
    cands = [cand("اتهمت أرمينيا وأذربيجان بعضهما البعض.", unit(1, 1, 0)),
             cand("وتوسط الاتحاد الأوروبي بين أرمينيا وأذربيجان.", unit(1, 1, 0), start=50),
             cand("قالت أرمينيا إن أذربيجان هاجمت.", unit(1, 1, 0), passage=1, article="b")]
    f = sentence_features(q, cands)
    assert f[1, COL["focus"]] > f[0, COL["focus"]] == pytest.approx(0.0)
    assert f[1, COL["overlap"]] == pytest.approx(1.0)
    assert f[0, COL["overlap"]] == pytest.approx(6 / 11)


def test_answer_type_features() -> None:
    q = ctx("كم عدد القتلى؟", unit(1, 0), {"قتل": 2.0})
    cands = [cand("قتل 12 جنديا.", unit(1, 0)), cand("قتل جنود كثيرون.", unit(1, 0), start=20)]
    f = sentence_features(q, cands)
    assert f[0, COL["fit_number"]] == 1.0 and f[0, COL["miss_type"]] == 0.0
    assert f[1, COL["fit_number"]] == 0.0 and f[1, COL["miss_type"]] == 1.0
    assert f[:, COL["fit_person"]].tolist() == [0.0, 0.0]


def test_english_questions_get_cos_en_and_no_novelty() -> None:
    q = ctx("How many soldiers were killed?", unit(1, 0), {"soldier": 2.0, "kill": 2.0}, lang="en")
    f = sentence_features(q, [cand("قتل 12 جنديا.", unit(1, 1))])
    assert f[0, COL["cos_en"]] == pytest.approx(f[0, COL["cos"]]) == pytest.approx(math.sqrt(0.5), abs=1e-6)
    assert f[0, COL["novelty"]] == 0.0


def test_neighbour_is_the_closest_adjacent_sentence_of_the_same_passage() -> None:
    q = ctx("سؤال", unit(1, 0), {})
    cands = [cand("أ.", unit(1, 0)), cand("ب.", unit(0, 1), start=5), cand("ج.", unit(1, 1), passage=1, article="b")]
    f = sentence_features(q, cands)
    assert f[1, COL["neighbour"]] == pytest.approx(1.0)  # the sentence before it matches
    assert f[2, COL["neighbour"]] == pytest.approx(f[2, COL["cos"]])  # another passage: no neighbour


def model(**weights: float) -> ScorerModel:
    w = dict.fromkeys(SENTENCE_FEATURES, 0.0) | weights
    return ScorerModel(w, dict.fromkeys(QUESTION_FEATURES, 0.0) | {"best_cos": 10.0}, -5.0, 0.5)


def test_judge_ranks_by_the_learned_weights_and_abstains_below_the_threshold() -> None:
    q = ctx("كم عدد القتلى؟", unit(1, 0), {"قتل": 2.0})
    cands = [cand("قتل جنود كثيرون.", unit(1, 0)), cand("قتل 12 جنديا.", unit(1, 0.3), start=20)]
    by_cos = SentenceScorer(model(cos=1.0)).judge(q, cands)
    assert by_cos.ranked[0].candidate.text == "قتل جنود كثيرون."
    typed = SentenceScorer(model(cos=1.0, fit_number=0.5)).judge(q, cands)
    assert typed.ranked[0].candidate.text == "قتل 12 جنديا."
    assert typed.question_type == "number"
    assert typed.answerable == pytest.approx(1 / (1 + math.exp(-(10 * typed.features["best_cos"] - 5))))
    assert not typed.abstain
    far = ctx("كم عدد القتلى؟", unit(0, 1), {"قتل": 2.0})
    assert SentenceScorer(model(cos=1.0)).judge(far, cands).abstain
    assert SentenceScorer(model(cos=1.0)).judge(q, []).abstain


def test_weights_round_trip(tmp_path: Path) -> None:
    m = model(cos=3.0, focus=1.5)
    m.save(tmp_path / "w.json")
    assert ScorerModel.load(tmp_path / "w.json") == m


def test_a_broken_weights_file_says_how_to_fix_it(tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="train_scorer.py"):
        ScorerModel.load(tmp_path / "w.json")


def test_the_shipped_weights_cover_every_feature() -> None:
    m = ScorerModel.load(MODEL_PATH)
    assert set(m.weights) == set(SENTENCE_FEATURES)
    assert set(m.answer_weights) == set(QUESTION_FEATURES)
    assert 0.0 < m.threshold < 1.0
    assert MODEL_PATH.stat().st_size < 5_000_000
