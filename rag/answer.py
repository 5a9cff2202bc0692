"""Extractive answers: the sentences of the retrieved passages that answer the question,
quoted verbatim, each followed by its citation marker.

Every sentence of the best passages is a candidate; the learned sentence scorer (scorer.py)
ranks them by whether they hold what was asked (a number for "كم", a person for "who", the
question's focus words rather than the topic every passage shares), and its answerability model
decides whether the best one answers at all. When it does not, the answer says so and lists the
closest passages. Sentence vectors come from the vector cache (the index embeds every sentence
at ingest); the model is called only for a sentence it cannot find there.
Every citation is checked against the stored article text before it is returned.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .arabic import terms
from .embedder import Embedder
from .index import Unit, sentence_units
from .injection import planted
from .retrieve import Retrieval
from .scorer import Candidate, Judgement, QuestionContext, Scored, SentenceScorer
from .settings import Settings

if TYPE_CHECKING:
    from .index import Index
from .types import Answer, Citation, Hit, Passage

NOT_FOUND = {
    "ar": "لم أجد إجابة لهذا السؤال في المقالات. هذه أقرب المقاطع إليه.",
    "en": "Not found in the articles. These are the closest passages.",
}


@dataclass(frozen=True)
class AnswerPolicy:
    max_sentences: int = Settings.answer_sentences
    # Abstain when the scorer's estimated chance that its best sentence answers is below this;
    # None: the threshold calibrated with the scorer (rag/data/sentence_scorer.json).
    abstain_below: float | None = None
    passages_considered: int = 3
    # A further sentence is quoted only when it scores within this margin of the best one
    # (in units of question-sentence similarity, converted by the scorer's weight for it)...
    extra_sentence_margin: float = 0.06
    # ...and, maximal-marginal-relevance style, it is chosen for what it adds: its score minus
    # this much of its similarity to the sentences already chosen.
    redundancy_penalty: float = 0.3

    @classmethod
    def from_settings(cls, s: Settings) -> AnswerPolicy:
        return cls(s.answer_sentences, None if s.abstain_below < 0 else s.abstain_below)


class Answerer:
    def __init__(self, index: Index, embedder: Embedder, policy: AnswerPolicy | None = None,
                 scorer: SentenceScorer | None = None):
        self.index = index
        self.embedder = embedder
        self.policy = policy or AnswerPolicy()
        self._scorer = scorer

    @property
    def scorer(self) -> SentenceScorer:
        """Loaded on first use (its weights are a small JSON file)."""
        if self._scorer is None:
            self._scorer = SentenceScorer()
        return self._scorer

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        t0 = time.perf_counter()
        passages = [_passage(h, retrieval) for h in retrieval.hits]
        judgement = self.judge(question, retrieval)
        threshold = self.scorer.threshold if self.policy.abstain_below is None else self.policy.abstain_below
        if not judgement.ranked or judgement.answerable < threshold:
            return self._abstain(question, retrieval, passages, t0)
        citations = []
        for n, scored in enumerate(self._choose(judgement.ranked), 1):
            citation = _cite(n, scored.candidate, retrieval)
            if citation is not None:
                citations.append(citation)
        if not citations:
            return self._abstain(question, retrieval, passages, t0)
        sentences = [(c.quote, c.n) for c in citations]
        text = " ".join(f"{quote} [{n}]" for quote, n in sentences)
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        return Answer(question, text, False, citations, passages, retrieval.language, timings, sentences)

    def judge(self, question: str, retrieval: Retrieval) -> Judgement:
        """The candidate sentences ranked by the scorer, and whether the best one answers."""
        cands = self.candidates(retrieval)
        return self.scorer.judge(self.context(question, retrieval, {c.article_id for c in cands}), cands)

    def context(self, question: str, retrieval: Retrieval, article_ids: set[str] | None = None) -> QuestionContext:
        """`question` as asked (its answer type); the searched query's terms and vector; the text
        of the candidates' articles (`article_ids`)."""
        unique = list(dict.fromkeys(terms(retrieval.query or question, query=True)))
        n, df = self.index.term_frequencies(unique)
        idf = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in unique}
        total = sum(idf.values())
        unknown = sum(w for t, w in idf.items() if df.get(t, 0) == 0) / total if total > 0 else 0.0
        texts = {aid: "\n".join([a.title, a.date or "", a.text]) for aid in (article_ids or ())
                 if (a := retrieval.articles.get(aid)) is not None}
        return QuestionContext(question, retrieval.query_vector, retrieval.language, idf, unknown, texts)

    def candidates(self, retrieval: Retrieval, passages: int | None = None) -> list[Candidate]:
        """Every sentence of the best `passages` passages (default: the policy's) once, in passage
        order, with its vector; instructions planted for a language model are left out."""
        units: list[tuple[int, Hit, Unit]] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(retrieval.hits[: passages or self.policy.passages_considered]):
            article = retrieval.articles[hit.chunk.article_id]
            for unit in sentence_units(article, [hit.chunk]):
                if (article.id, unit.start) not in seen and not planted(unit.text):
                    seen.add((article.id, unit.start))
                    units.append((rank, hit, unit))
        vectors = self._vectors({u.key: (retrieval.articles[h.chunk.article_id].title, u.text) for _, h, u in units})
        return [Candidate(h.chunk.article_id, u.start, u.end, u.text, rank, h.score, vectors[u.key])
                for rank, h, u in units]

    def _choose(self, ranked: list[Scored]) -> list[Scored]:
        unit = abs(self.scorer.model.weights.get("cos", 1.0)) or 1.0  # score units per unit of similarity
        floor = ranked[0].score - self.policy.extra_sentence_margin * unit
        pool = [c for c in ranked[1:] if c.score >= floor]
        chosen = [ranked[0]]
        while pool and len(chosen) < self.policy.max_sentences:
            def gain(c: Scored) -> float:
                return c.score - self.policy.redundancy_penalty * unit * max(
                    float(c.candidate.vector @ x.candidate.vector) for x in chosen)
            best = max(pool, key=gain)
            chosen.append(best)
            pool.remove(best)
        return chosen

    def _vectors(self, wanted: dict[str, tuple[str, str]]) -> dict[str, np.ndarray]:
        """Sentence vectors by cache key; the model embeds only what the cache lacks."""
        vectors = self.index.cached_vectors(wanted)
        missing = [k for k in wanted if k not in vectors]
        if missing:
            fresh = self.embedder.embed_documents([wanted[k][1] for k in missing], [wanted[k][0] for k in missing])
            new = dict(zip(missing, fresh, strict=True))
            self.index.cache_vectors(new)
            vectors.update(new)
        return vectors

    def _abstain(self, question: str, retrieval: Retrieval, passages: list[Passage], t0: float) -> Answer:
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        text = NOT_FOUND[retrieval.language]
        return Answer(question, text, True, [], passages, retrieval.language, timings, [])


def _cite(n: int, cand: Candidate, retrieval: Retrieval) -> Citation | None:
    article = retrieval.articles[cand.article_id]
    if article.text[cand.start: cand.end] != cand.text:  # never show an unchecked quote
        return None
    return Citation(n, article.id, article.title, cand.text, cand.start, cand.end,
                    article.date, article.source, article.url)


def _passage(hit: Hit, retrieval: Retrieval) -> Passage:
    article = retrieval.articles[hit.chunk.article_id]
    return Passage(article.id, article.title, hit.chunk.start, hit.chunk.end, round(hit.score, 4),
                   hit.chunk.text)
