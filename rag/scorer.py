"""A learned sentence scorer: does this sentence answer the question, not only share its topic?

Every sentence of the retrieved passages gets a few features, and a linear model learned from
ARCD-train (`python benchmarks/train_scorer.py`, weights in `rag/data/sentence_scorer.json`)
combines them:

    cos          similarity of question and sentence (EmbeddingGemma; cos_en: the same, English questions)
    topic        similarity of the sentence to the centroid of all candidate sentences: what every
                 retrieved passage is about, which the question need not be asking
    overlap      IDF-weighted share of the question's terms in the sentence (IDF of the whole index)
    focus        the same with IDF over the candidate passages only, so the words that every passage
                 shares ("أرمينيا وأذربيجان") weigh nothing and the asking words ("توسط") weigh most
    novelty      share of the sentence's terms the question does not have (an answer adds something)
    fit_*        the question wants a number / date / person / place and the sentence holds one;
    miss_type    ... and it does not
    neighbour    best similarity of the question to the sentence before or after (context for a
                 sentence that starts "وقال" or with a pronoun)
    passage_gap  how far below the best passage this sentence's passage was retrieved
    log_len      length of the sentence

A second small model on the best sentence's features decides whether any sentence answers at all
(`answerable`); below its calibrated threshold the answer abstains.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .answer_types import TYPES, evidence, question_type
from .arabic import normalize, terms
from .errors import SettingsError

MODEL_PATH = Path(__file__).resolve().parent / "data" / "sentence_scorer.json"

SENTENCE_FEATURES = ("cos", "cos_en", "topic", "overlap", "focus", "novelty", "fit_number", "fit_date",
                     "fit_person", "fit_place", "miss_type", "neighbour", "passage_gap", "log_len")
QUESTION_FEATURES = ("best_score", "margin", "best_cos", "max_cos", "best_overlap", "best_focus", "best_fit",
                     "typed", "unknown_terms", "numbers_missing", "terms_missing", "is_en")


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage; `text == article.text[start:end]`."""

    article_id: str
    start: int
    end: int
    text: str
    passage: int  # rank of its passage among the retrieved, 0 = best
    passage_score: float
    vector: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float


@dataclass(frozen=True)
class Judgement:
    """Candidates best first, and how likely it is that the best one answers the question."""

    ranked: list[Scored]
    answerable: float
    abstain: bool
    question_type: str
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScorerModel:
    weights: dict[str, float]
    answer_weights: dict[str, float]
    answer_bias: float
    threshold: float  # abstain when P(answerable) is below this
    info: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ScorerModel:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"cannot read the sentence scorer's weights {path}: {exc}; "
                                "restore the file from git or retrain: python benchmarks/train_scorer.py") from exc
        return cls(raw["weights"], raw["answerable"]["weights"], raw["answerable"]["bias"],
                   raw["answerable"]["threshold"], raw.get("info", {}))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = {"weights": self.weights,
               "answerable": {"weights": self.answer_weights, "bias": self.answer_bias, "threshold": self.threshold},
               "info": self.info}
        path.write_text(json.dumps(raw, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def default_model(path: Path = MODEL_PATH) -> ScorerModel:
    return ScorerModel.load(path)


@dataclass(frozen=True)
class QuestionContext:
    """What the features need to know about the question."""

    text: str  # the question as asked (its type comes from here)
    vector: np.ndarray
    language: str
    idf: dict[str, float]  # the question's terms -> IDF over the whole index
    unknown: float = 0.0  # IDF-weighted share of the question's terms that no indexed chunk contains
    # article id -> its title, date and text: does the best sentence's article mention the
    # question's numbers (a year: "زلزال المغرب عام 2023") and its words at all?
    articles: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def sentence_features(q: QuestionContext, cands: Sequence[Candidate]) -> np.ndarray:
    """One row of SENTENCE_FEATURES per candidate."""
    n = len(cands)
    out = np.zeros((n, len(SENTENCE_FEATURES)), np.float32)
    if n == 0:
        return out
    vecs = np.stack([c.vector for c in cands]).astype(np.float32)
    cos = vecs @ q.vector.astype(np.float32)
    centroid = vecs.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    topic = vecs @ centroid
    qterms = list(q.idf)
    sent_terms = [set(terms(c.text)) for c in cands]
    # Local IDF: over the candidate passages (a passage = the union of its sentences' terms).
    passages: dict[tuple[str, int], set[str]] = {}
    for c, ts in zip(cands, sent_terms, strict=True):
        passages.setdefault((c.article_id, c.passage), set()).update(ts)
    p = len(passages)
    local = {t: math.log((p + 0.5) / (sum(t in ts for ts in passages.values()) + 0.5)) for t in qterms}
    g_total = sum(q.idf.values())
    l_total = sum(local.values())
    kind = question_type(q.text)
    best_passage_score = max(c.passage_score for c in cands)
    qset = set(qterms)
    for i, (c, ts) in enumerate(zip(cands, sent_terms, strict=True)):
        prev_cos = cos[i - 1] if i > 0 and _adjacent(cands[i - 1], c) else cos[i]
        next_cos = cos[i + 1] if i + 1 < n and _adjacent(c, cands[i + 1]) else cos[i]
        ev = evidence(c.text, q.text)
        row = {
            "cos": cos[i],
            "cos_en": cos[i] if q.language == "en" else 0.0,
            "topic": topic[i],
            "overlap": sum(w for t, w in q.idf.items() if t in ts) / g_total if g_total > 0 else 0.0,
            "focus": sum(w for t, w in local.items() if t in ts) / l_total if l_total > 0 else 0.0,
            "novelty": (len(ts - qset) / len(ts) if ts else 0.0) if q.language == "ar" else 0.0,
            "miss_type": float(kind != "other" and not ev[kind]),
            "neighbour": max(prev_cos, next_cos),
            "passage_gap": best_passage_score - c.passage_score,
            "log_len": math.log(max(len(c.text), 1)) / 5.0,
        }
        for t in TYPES:
            row[f"fit_{t}"] = float(kind == t and ev[t])
        out[i] = [row[f] for f in SENTENCE_FEATURES]
    return out


def _adjacent(a: Candidate, b: Candidate) -> bool:
    return a.article_id == b.article_id and a.passage == b.passage


class SentenceScorer:
    """Scores candidate sentences with a learned linear model and judges answerability."""

    def __init__(self, model: ScorerModel | None = None, threshold: float | None = None):
        self.model = model or default_model()
        self.w = np.array([self.model.weights.get(f, 0.0) for f in SENTENCE_FEATURES], np.float32)
        self.aw = np.array([self.model.answer_weights.get(f, 0.0) for f in QUESTION_FEATURES], np.float32)
        self.threshold = self.model.threshold if threshold is None else threshold

    def judge(self, q: QuestionContext, cands: Sequence[Candidate]) -> Judgement:
        feats = sentence_features(q, cands)
        scores = feats @ self.w if len(cands) else np.zeros(0, np.float32)
        order = sorted(range(len(cands)), key=lambda i: (-float(scores[i]), cands[i].passage, cands[i].start))
        ranked = [Scored(cands[i], float(scores[i])) for i in order]
        kind = question_type(q.text)
        qf = question_features(q, feats, scores, order, kind, cands[order[0]].article_id if order else "")
        z = float(np.array([qf[f] for f in QUESTION_FEATURES], np.float32) @ self.aw) + self.model.answer_bias
        p = 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
        return Judgement(ranked, p, not ranked or p < self.threshold, kind, qf)


def question_features(q: QuestionContext, feats: np.ndarray, scores: np.ndarray, order: Sequence[int],
                      kind: str, best_article: str = "") -> dict[str, float]:
    """QUESTION_FEATURES of a question whose candidates have `feats`, ranked by `scores` in `order`;
    `best_article` is the id of the best candidate's article."""
    col = {f: i for i, f in enumerate(SENTENCE_FEATURES)}
    if not len(order):
        return {f: 0.0 for f in QUESTION_FEATURES} | {"is_en": float(q.language == "en")}
    best = feats[order[0]]
    numbers_missing, terms_missing = _missing(q, best_article)
    second = float(scores[order[1]]) if len(order) > 1 else float(scores[order[0]]) - 5.0
    return {
        "best_score": float(scores[order[0]]),
        "margin": float(scores[order[0]]) - second,
        "best_cos": float(best[col["cos"]]),
        "max_cos": float(feats[:, col["cos"]].max()),
        "best_overlap": float(best[col["overlap"]]),
        "best_focus": float(best[col["focus"]]),
        "best_fit": float(kind != "other" and not best[col["miss_type"]]),
        "typed": float(kind != "other"),
        "unknown_terms": q.unknown if q.language == "ar" else 0.0,
        "numbers_missing": numbers_missing,
        "terms_missing": terms_missing if q.language == "ar" else 0.0,
        "is_en": float(q.language == "en"),
    }


_NUMBER = re.compile(r"\d+")


def _missing(q: QuestionContext, article_id: str) -> tuple[float, float]:
    """Shares of the question's numbers, and of its (IDF-weighted) terms, absent from the article."""
    text = q.articles.get(article_id)
    if text is None:
        return 0.0, 0.0
    norm = normalize(text)
    asked = set(_NUMBER.findall(normalize(q.text)))
    have = set(_NUMBER.findall(norm))
    numbers = len(asked - have) / len(asked) if asked else 0.0
    total = sum(q.idf.values())
    if total <= 0:
        return numbers, 0.0
    present = set(terms(text))
    return numbers, sum(w for t, w in q.idf.items() if t not in present) / total
