"""Hybrid retrieval: dense (Chroma) and lexical (FTS5 BM25) candidates, scored per sentence.

Chroma holds sentence vectors, so a chunk's dense score is the similarity of its best sentence
to the question. In hybrid mode the candidates of both sides (the best dense chunks and the
best BM25 chunks) are re-scored sentence by sentence, exactly, from the vector cache:

    score(chunk) = max over its sentences of  cosine(question, sentence) + w * overlap

where `overlap` is the IDF-weighted share of the question's terms that the sentence contains
(0..1), so the words of the question only reorder chunks whose best sentences are close in
meaning, and a rare name in the question counts for more than a common word. On the pooled
Arabic QA sets this sentence-level bonus helped every subset but TyDi, where it cost 0.002-0.003,
and did a little better than the earlier chunk-level BM25 bonus (benchmarks/fusion_variants.py,
BENCHMARKS.md).
For an English question over Arabic articles lexical matching cannot help, so w is 0 there
(BM25 R@1 0.03 against dense 0.90 on XQuAD English questions).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .arabic import language, terms
from .asking_verb import embedding_wording
from .embedder import Embedder
from .ids import chunk_of_unit
from .index import Index, Unit, sentence_units
from .settings import Settings
from .storebase import ChunkRef
from .types import Article, Chunk, Filters, Hit

COMMON_SHARE = 0.1


@dataclass(frozen=True)
class QueryTerms:
    """A question's (or claim's) terms with IDF weights over the index, the one place they are
    computed; `overlap` is the weighted share of them a text contains.

    IDF = log((chunks + 1) / (chunks holding the term + 0.5)); a term no chunk holds is `unknown`."""

    weights: dict[str, float] = field(default_factory=dict)
    common: frozenset[str] = frozenset()  # in more than COMMON_SHARE of the chunks
    unknown: frozenset[str] = frozenset()  # in no chunk at all

    @classmethod
    def of(cls, index: Index, text: str) -> QueryTerms:
        unique = list(dict.fromkeys(terms(text, query=True)))
        n, df = index.term_frequencies(unique)
        return cls({t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in unique},
                   frozenset(t for t in unique if df.get(t, 0) > COMMON_SHARE * n),
                   frozenset(t for t in unique if df.get(t, 0) == 0))

    def known(self) -> QueryTerms:
        """The same without the terms no chunk holds."""
        return QueryTerms({t: w for t, w in self.weights.items() if t not in self.unknown}, self.common)

    def unknown_share(self) -> float:
        total = sum(self.weights.values())
        return sum(w for t, w in self.weights.items() if t in self.unknown) / total if total > 0 else 0.0

    def selective(self) -> list[str]:
        """The terms worth a lexical search: not the common ones (BM25 would have to score every
        chunk holding them, for little), or the two rarest when all are common."""
        rare = [t for t in self.weights if t not in self.common]
        return rare or sorted(self.weights, key=lambda t: -self.weights[t])[:2]

    def overlap(self, text: str) -> float:
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        present = set(terms(text))
        return sum(w for t, w in self.weights.items() if t in present) / total


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    articles: dict[str, Article]
    query_vector: np.ndarray
    language: str
    timings_ms: dict[str, float]
    query_terms: QueryTerms | None = None  # set when the lexical bonus applies (Arabic, hybrid)
    lexical_weight: float = 0.0
    query: str = ""  # the text searched (a follow-up: with the question it follows)


@dataclass(frozen=True)
class RetrievalPolicy:
    """How many candidates each side fetches and how much the question's words count; the
    user-facing defaults are the settings' (settings.py)."""

    dense_candidates: int = Settings.dense_candidates  # sentences asked of Chroma
    lexical_candidates: int = Settings.lexical_candidates  # chunks asked of the lexical index
    lexical_weight: float = Settings.lexical_weight
    rescored: int = 30  # best dense chunks re-scored beside the lexical ones

    @classmethod
    def from_settings(cls, s: Settings) -> RetrievalPolicy:
        return cls(s.dense_candidates, s.lexical_candidates, s.lexical_weight)


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, policy: RetrievalPolicy | None = None):
        self.index = index
        self.embedder = embedder
        self.policy = policy or RetrievalPolicy()

    def retrieve(self, query: str, k: int, filters: Filters | None = None,
                 lang: str | None = None, mode: str = "hybrid", vector: np.ndarray | None = None) -> Retrieval:
        """`mode` is "hybrid", "dense" or "lexical" (the last two for evaluation). `vector`: the
        query's vector when the caller has it (a stored sentence's), so nothing is embedded."""
        filters = filters or Filters()
        lang = lang or language(query)
        t0 = time.perf_counter()
        qvec: np.ndarray
        if vector is not None:
            qvec = np.asarray(vector, np.float32)
        else:
            qvec = (self.embedder.embed_queries([embedding_wording(query)])[0] if mode != "lexical"
                    else np.zeros(0, np.float32))
        t1 = time.perf_counter()
        dense: dict[str, float] = {}
        if mode != "lexical":  # sentences, best first: a chunk keeps its best one
            for hit in self.index.dense(qvec, max(self.policy.dense_candidates, 4 * k), filters):
                dense.setdefault(chunk_of_unit(hit.id), hit.score)
        weight = self.policy.lexical_weight if lang == "ar" else 0.0
        rescoring = mode == "hybrid" and weight > 0
        lexical: dict[str, float] = {}
        query_terms = None
        n_lexical = max(self.policy.lexical_candidates, k)
        if mode == "lexical":  # plain BM25 over every term (the evaluation baseline)
            lexical = dict(self.index.lexical(terms(query, query=True), n_lexical, filters))
            candidates = list(lexical)
        elif rescoring:
            query_terms = QueryTerms.of(self.index, query)
            lexical = dict(self.index.lexical(query_terms.selective(), n_lexical, filters))
            candidates = list(dict.fromkeys([*list(dense)[: max(self.policy.rescored, k)], *lexical]))
        else:
            candidates = list(dense)
        rows = self.index.chunks(candidates)  # ready articles only
        articles: dict[str, Article] = {}
        if query_terms is not None:
            articles = self.index.articles({rows[cid].article_id for cid in rows})
            sentence_scores = self._rescore(list(rows), rows, articles, qvec, query_terms, weight)
        scored = []
        for cid in rows:
            lex = lexical.get(cid)
            if rescoring:
                d, score = sentence_scores[cid]
            elif mode == "lexical":
                d, score = None, lex or 0.0
            else:
                d, score = dense[cid], dense[cid]
            scored.append((score, cid, d, lex))
        scored.sort(key=lambda s: (-s[0], s[1]))
        scored = scored[:k]
        wanted = {rows[cid].article_id for _, cid, _, _ in scored} - set(articles)
        articles.update(self.index.articles(wanted))
        hits = []
        for score, cid, d, lex in scored:
            ref = rows[cid]
            if ref.article_id not in articles:  # deleted between the two reads
                continue
            chunk = Chunk(cid, ref.article_id, ref.idx, ref.start, ref.end,
                          articles[ref.article_id].text[ref.start:ref.end])
            hits.append(Hit(chunk, float(score), d, lex))
        t2 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1000, "search": (t2 - t1) * 1000}
        return Retrieval(hits, articles, qvec, lang, timings, query_terms, weight if query_terms else 0.0, query)

    def _rescore(self, chunk_ids: list[str], rows: dict[str, ChunkRef],
                 articles: dict[str, Article], qvec: np.ndarray, query_terms: QueryTerms,
                 weight: float) -> dict[str, tuple[float, float]]:
        """chunk id -> (best sentence similarity, best sentence similarity + lexical bonus)."""
        units: dict[str, list[Unit]] = {}
        for cid in chunk_ids:
            ref = rows[cid]
            if ref.article_id in articles:
                units[cid] = sentence_units(articles[ref.article_id],
                                            [Chunk(cid, ref.article_id, ref.idx, ref.start, ref.end, "")])
        vecs = self.index.cached_vectors(u.key for us in units.values() for u in us)
        out = {}
        for cid in chunk_ids:
            sims = [(float(vecs[u.key] @ qvec), u.text) for u in units.get(cid, []) if u.key in vecs]
            if not sims:
                out[cid] = (0.0, 0.0)
                continue
            out[cid] = (max(s for s, _ in sims), max(s + weight * query_terms.overlap(t) for s, t in sims))
        return out
