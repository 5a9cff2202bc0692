"""Extractive answers: the sentences of the retrieved passages that best answer the question,
quoted verbatim, each followed by its citation marker.

Sentences are scored by their own embedding against the question: the index embeds every
sentence at ingest (they are its dense unit), so the answer step reads them from the vector
cache and calls the model only for a sentence it cannot find there. (Sentence vectors
pooled from the passage's own model pass, "late chunking", cost nothing extra but picked the
answer-bearing sentence of the gold XQuAD passage less often: 0.755/0.744 against 0.822/0.844
for Arabic/English questions.) A penalty for coming from a lower-ranked passage adjusts the score.
Every citation is checked against the stored article text before it is returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .embedder import Embedder
from .index import embed_key
from .retrieve import Retrieval
from .sentences import split_sentences
from .store import Store
from .types import Answer, Citation, Hit, Passage

NOT_FOUND = {
    "ar": "لم أجد إجابة لهذا السؤال في المقالات. هذه أقرب المقاطع إليه.",
    "en": "Not found in the articles. These are the closest passages.",
}


@dataclass(frozen=True)
class AnswerPolicy:
    max_sentences: int = 3
    # The highest threshold at which no tuning subset abstains on more than 5 % of its answerable
    # questions (benchmarks/quality.py): ARCD-train 1.3 %, TyDi 0.5 %, MLQA 4.4 %.
    abstain_below: float = 0.32
    passages_considered: int = 3
    # Weight of the question's words in a sentence's score (IDF-weighted share, as in
    # retrieval); None: the weight retrieval used (0 for English questions).
    lexical_bonus: float | None = None
    rank_penalty: float = 0.25
    # A further sentence is quoted only when it scores within this margin of the best one...
    extra_sentence_margin: float = 0.06
    # ...and, maximal-marginal-relevance style, it is chosen for what it adds: its score minus
    # this much of its similarity to the sentences already chosen.
    redundancy_penalty: float = 0.3


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    start: int
    end: int
    text: str
    score: float = 0.0


class Answerer:
    def __init__(self, store: Store, embedder: Embedder, policy: AnswerPolicy | None = None):
        self.store = store
        self.embedder = embedder
        self.policy = policy or AnswerPolicy()

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        t0 = time.perf_counter()
        passages = [_passage(h, retrieval) for h in retrieval.hits]
        best_dense = max((h.dense for h in retrieval.hits if h.dense is not None), default=None)
        if not retrieval.hits or best_dense is None or best_dense < self.policy.abstain_below:
            return self._abstain(question, retrieval, passages, t0)
        ranked, vectors = self._rank_sentences(question, retrieval)
        if not ranked:
            return self._abstain(question, retrieval, passages, t0)
        chosen = self._choose(ranked, vectors, retrieval)
        citations = []
        for n, cand in enumerate(chosen, 1):
            citation = _cite(n, cand, retrieval)
            if citation is not None:
                citations.append(citation)
        if not citations:
            return self._abstain(question, retrieval, passages, t0)
        sentences = [(c.quote, c.n) for c in citations]
        text = " ".join(f"{quote} [{n}]" for quote, n in sentences)
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        return Answer(question, text, False, citations, passages, retrieval.language, timings, sentences)

    def _choose(self, ranked: list[_Candidate], vectors: dict[str, np.ndarray],
                retrieval: Retrieval) -> list[_Candidate]:
        floor = ranked[0].score - self.policy.extra_sentence_margin
        pool = [c for c in ranked[1:] if c.score >= floor]
        chosen = [ranked[0]]
        while pool and len(chosen) < self.policy.max_sentences:
            def gain(c: _Candidate) -> float:
                v = vectors[_key(c, retrieval)]
                return c.score - self.policy.redundancy_penalty * max(
                    float(v @ vectors[_key(x, retrieval)]) for x in chosen)
            best = max(pool, key=gain)
            chosen.append(best)
            pool.remove(best)
        return chosen

    def _rank_sentences(self, question: str, retrieval: Retrieval
                        ) -> tuple[list[_Candidate], dict[str, np.ndarray]]:
        hits = retrieval.hits[: self.policy.passages_considered]
        seen: set[tuple[str, int]] = set()
        cands: list[_Candidate] = []
        for hit in hits:
            text = retrieval.articles[hit.chunk.article_id].text
            for s, e in split_sentences(text, hit.chunk.start, hit.chunk.end):
                if (hit.chunk.article_id, s) not in seen:
                    seen.add((hit.chunk.article_id, s))
                    cands.append(_Candidate(hit, s, e, text[s:e]))
        vectors = self._sentence_vectors(cands, retrieval)
        bonus = retrieval.lexical_weight if self.policy.lexical_bonus is None else self.policy.lexical_bonus
        best_hit = hits[0].score
        scored = []
        for cand in cands:
            score = float(vectors[_key(cand, retrieval)] @ retrieval.query_vector)
            if bonus and retrieval.query_terms is not None:
                score += bonus * retrieval.query_terms.overlap(cand.text)
            score -= self.policy.rank_penalty * (best_hit - cand.hit.score)
            scored.append(_Candidate(cand.hit, cand.start, cand.end, cand.text, score))
        scored.sort(key=lambda c: -c.score)
        return scored, vectors

    def _sentence_vectors(self, cands: list[_Candidate], retrieval: Retrieval) -> dict[str, np.ndarray]:
        keys = {_key(c, retrieval): c for c in cands}
        vectors = self.store.vectors_for(keys)
        missing = [k for k in keys if k not in vectors]
        if missing:
            titles = [retrieval.articles[keys[k].hit.chunk.article_id].title for k in missing]
            fresh = self.embedder.embed_documents([keys[k].text for k in missing], titles)
            new = dict(zip(missing, fresh, strict=True))
            self.store.put_vectors(new)
            vectors.update(new)
        return vectors

    def _abstain(self, question: str, retrieval: Retrieval, passages: list[Passage], t0: float) -> Answer:
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        text = NOT_FOUND[retrieval.language]
        return Answer(question, text, True, [], passages, retrieval.language, timings, [])


def _key(cand: _Candidate, retrieval: Retrieval) -> str:
    return embed_key(retrieval.articles[cand.hit.chunk.article_id].title, cand.text)


def _cite(n: int, cand: _Candidate, retrieval: Retrieval) -> Citation | None:
    article = retrieval.articles[cand.hit.chunk.article_id]
    if article.text[cand.start: cand.end] != cand.text:  # never show an unchecked quote
        return None
    return Citation(n, article.id, article.title, cand.text, cand.start, cand.end,
                    article.date, article.source, article.url)


def _passage(hit: Hit, retrieval: Retrieval) -> Passage:
    article = retrieval.articles[hit.chunk.article_id]
    return Passage(article.id, article.title, hit.chunk.start, hit.chunk.end, round(hit.score, 4),
                   hit.chunk.text)
