"""Who else reports a cited sentence, and does anyone report it differently?

For each citation of an answer, the cited sentence is looked up in the *other* articles: its
stored vector (no model call) goes through dense retrieval, and in each
other article the sentence closest to it is read with the claim checks of `rag verify`
(numbers, months, weekdays, names across scripts, opposite actions, negation):

    corroborated_by   articles of other outlets whose closest sentence states the same fact (similarity
                      ≥ `same_fact`, nothing differs), each with that verbatim span
    disputed_by       articles whose closest sentence is nearly the same (similarity ≥ `dispute_similarity`)
                      but states another number, date, name, place or the opposite, with the reason
                      ("the article says 16, the claim 12" — "the claim" is the cited sentence)
    copies            articles that are the same report republished (a wire story): the other members
                      of the cited article's copy group, found at ingest (rag/copies.py: MinHash
                      candidates, word 5-shingle Jaccard ≥ 0.5). A copy is one report: it is listed as
                      "also published by", never as corroboration.

A copy group counts once: of the articles that agree (or differ), one per group is listed, and
none of the cited article's own group agrees with it. A copy can differ, though: a wire story
republished with another number ("six journalists" / "three journalists") is listed as a dispute
too — the republished version changed the fact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .answer import Answerer
from .arabic import language
from .index import Index, embed_key
from .retrieve import QueryTerms, Retriever
from .scorer import Candidate
from .types import Article, Citation
from .verify import WEEKDAYS, Verifier


@dataclass(frozen=True)
class Echo:
    """Another article's sentence about a cited fact: the verbatim span, and why it differs."""

    article_id: str
    source: str | None
    date: str | None
    quote: str
    start: int
    end: int
    reason: str = ""
    score: float = 0.0  # similarity of this sentence and the cited one (stored vectors, cosine)


@dataclass(frozen=True)
class Corroboration:
    corroborated_by: list[Echo] = field(default_factory=list)
    disputed_by: list[Echo] = field(default_factory=list)
    copies: list[tuple[str, str | None]] = field(default_factory=list)  # (article_id, source)


@dataclass(frozen=True)
class CorroborationPolicy:
    articles: int = 8  # other passages retrieved per citation
    # similarity of two stored sentences (each embedded with its own article title) that state the same
    # thing. Read on two days of five outlets (benchmarks/corroboration_scan.py, 16 agreements drawn at
    # random): the 4 that were the same story but another statement scored 0.70-0.76, the right ones
    # 0.72-0.87; at 0.75, 10 of the 11 kept are right (at 0.70, 11 of 16)
    same_fact: float = 0.75
    # a differing number, date, name or place is a dispute only between close sentences, and a number only
    # where it counts the same thing (Verifier.differs(same_slot=True)). Read on 43 hand-labelled pairs of
    # outlets (benchmarks/corroboration_cases.py) and on two days of five outlets (corroboration_scan.py):
    # at 0.85, 11 of 21 real disagreements found and no wrong dispute; at 0.80, 14 of 21 and 1 wrong dispute
    # in the 382 sentences of the scan; at 0.75, 16 of 21 and 5 wrong ones (chosen on these two sets)
    dispute_similarity: float = 0.80


class Corroborator:
    def __init__(self, index: Index, retriever: Retriever, answerer: Answerer, verifier: Verifier,
                 policy: CorroborationPolicy | None = None):
        self.index, self.retriever, self.answerer, self.verifier = index, retriever, answerer, verifier
        self.policy = policy or CorroborationPolicy()

    def of(self, citation: Citation) -> Corroboration:
        p = self.policy
        vector = self._vector(citation)
        lang = language(citation.quote)
        # dense only: what is kept is decided by the similarity of the two sentences' vectors, so the
        # passages whose sentences are closest to this vector are the ones to read (word overlap
        # re-scoring cost two thirds of the lookup and changed nothing it finds)
        retrieval = self.retriever.retrieve(citation.quote, p.articles + 1, lang=lang, mode="dense", vector=vector)
        cited = retrieval.articles.get(citation.article_id) or self.index.article(citation.article_id)
        if cited is None:
            return Corroboration()
        copies = self.index.copies_of([cited.id]).get(cited.id, [])
        others = {h.chunk.article_id for h in retrieval.hits} - {citation.article_id}
        published = self.index.articles(copies)
        also = [(a, published[a].source) for a in copies if a in published]
        if not others:
            return Corroboration(copies=also)
        cands = [c for c in self.answerer.candidates(retrieval, passages=len(retrieval.hits))
                 if c.article_id in others]
        best: dict[str, tuple[float, Candidate]] = {}
        for c in cands:
            sim = float(c.vector @ vector)
            if c.article_id not in best or sim > best[c.article_id][0]:
                best[c.article_id] = (sim, c)
        query_terms = QueryTerms.of(self.index, citation.quote)
        idf = {t: math.inf if t in query_terms.unknown else w for t, w in query_terms.weights.items()}
        groups = self.index.copy_groups(best)
        counted: set[str] = set()  # copy groups already listed: a republished report counts once
        agree, differ = [], []
        for article_id, (sim, cand) in sorted(best.items(), key=lambda kv: -kv[1][0]):
            article = retrieval.articles.get(article_id)
            if article is None or sim < p.same_fact or groups.get(article_id) in counted:
                continue
            echo = _echo(article, cand, sim)
            # A dispute needs a difference in the same slot ("قتل 9" / "قتل 16"); an agreement needs
            # no difference at all: a number that may or may not be the same quantity is neither.
            reason = self.verifier.differs(citation.quote, cand.text, lang, idf, same_slot=True)
            if reason is None:
                # a copy is the same report, not a second one; an outlet does not corroborate itself
                if (self.verifier.differs(citation.quote, cand.text, lang, idf) is None and article_id not in copies
                        and not (article.source and article.source == cited.source)):
                    agree.append(echo)
                else:
                    continue
            elif sim >= p.dispute_similarity and not _weak(reason):
                differ.append(Echo(**{**echo.__dict__, "reason": reason}))
            else:
                continue
            if article_id in groups:
                counted.add(groups[article_id])
        return Corroboration(agree, _other_sources_first(differ, cited), also)

    def _vector(self, citation: Citation) -> np.ndarray:
        """The cited sentence's stored vector; embedded as a document when it is not one sentence."""
        key = embed_key(citation.title, citation.quote)
        found = self.index.cached_vectors([key]).get(key)
        if found is not None:
            return found / (np.linalg.norm(found) or 1.0)
        return self.index.embedder.embed_documents([citation.quote], [citation.title])[0]


def _echo(article: Article, cand: Candidate, sim: float) -> Echo:
    return Echo(article.id, article.source, article.date, cand.text, cand.start, cand.end, score=round(sim, 4))


def _weak(reason: str) -> bool:
    """A weekday or a "not" that differs between two outlets' sentences: read on two days of five
    outlets (benchmarks/corroboration_scan.py), all 9 such disputes were two different facts (a report
    of Monday's statement and one of Wednesday's decision; "لم" elsewhere in a sentence), none a
    disagreement. Numbers, months, names, places and opposite actions stay."""
    return reason.startswith(("the article says the opposite", "the claim denies")) or any(
        f"says {day}, the claim" in reason for day in WEEKDAYS)


def _other_sources_first(echoes: list[Echo], cited: Article) -> list[Echo]:
    """Other outlets before the cited article's own outlet (which agrees with itself)."""
    return sorted(echoes, key=lambda e: (e.source is not None and e.source == cited.source,))
