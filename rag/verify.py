"""Check a claim against the articles: find the span that supports it, then check its facts.

    >>> verdict = isnad.verify("حث رئيس المجلس الأوروبي على وقف إطلاق النار")   # doctest: +SKIP
    >>> verdict.supported, verdict.citations[0].quote                              # doctest: +SKIP

1. The claim is embedded like a question; the candidate sentences are those of the best passages
   (retrieval over the whole index, or every sentence of one article with `article_id`).
2. The supporting sentence is the one closest to the claim (similarity plus the IDF-weighted share
   of the claim's words it contains, as retrieval scores sentences).
   A sentence that addresses a language model ("ignore previous instructions…", "تجاهل التعليمات
   السابقة…") is an instruction planted in an article and never counts as support.
3. It supports the claim only if it is close enough and the claim's checkable facts hold there:
   every number and month the claim states (digits, Arabic-Indic digits, number words, month
   names of any calendar, in Arabic or English), the claim's rare words (names, places) for an
   Arabic claim and its Latin-script names for any claim, and the same polarity (a claim that
   something happened is not supported by a sentence saying it did not).
A verdict's citation is the verbatim span, checked against the stored article.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .answer import Answerer, cite, read_item
from .arabic import language, terms
from .embedder import Embedder
from .errors import EmptyQuestionError, NotFoundError
from .facts import months, negated, numbers
from .index import Index
from .retrieve import QueryTerms, Retrieval, Retriever
from .scorer import Candidate
from .settings import Settings
from .types import Article, Chunk, Citation, Hit

MAX_CLAIM_CHARS = 2000
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
_SENTENCE_START = {"The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This", "That", "These", "There",
                   "According", "After", "Before", "During", "When", "While", "By", "From", "For", "With", "As"}


@dataclass(frozen=True)
class VerifyPolicy:
    # Chosen on claims made from ARCD-train (`python benchmarks/claims.py --calibrate`), see BENCHMARKS.md.
    min_similarity: float = 0.45
    lexical_weight: float = Settings.lexical_weight  # share of the claim's words in the sentence, as in retrieval
    rare_idf: float = 3.0  # an Arabic claim word this rare in the index must be in the support
    passages: int = 5


@dataclass(frozen=True)
class Verdict:
    claim: str
    supported: bool
    score: float  # similarity of the claim and its best supporting sentence
    reason: str
    citations: list[Citation] = field(default_factory=list)  # the supporting span, when supported
    closest: Citation | None = None  # the closest span, when not supported
    timings_ms: dict[str, float] = field(default_factory=dict)


class Verifier:
    """Checks claims with the parts it needs: the index (articles, chunks, term statistics), the
    retriever (the closest passages), the answerer (their candidate sentences and the reader) and
    the embedder (a claim against one article)."""

    def __init__(self, index: Index, retriever: Retriever, answerer: Answerer, embedder: Embedder,
                 policy: VerifyPolicy | None = None):
        self.index = index
        self.retriever = retriever
        self.answerer = answerer
        self.embedder = embedder
        self.policy = policy or VerifyPolicy()

    def verify(self, claim: str, article_id: str | None = None) -> Verdict:
        claim = (claim or "").strip()
        if not any(ch.isalnum() for ch in claim):
            raise EmptyQuestionError("the claim is empty (it has no words); write the sentence to check")
        if len(claim) > MAX_CLAIM_CHARS:
            raise EmptyQuestionError(f"the claim is {len(claim)} characters long; check one sentence at a time "
                                     f"(under {MAX_CLAIM_CHARS})")
        t0 = time.perf_counter()
        self.index.open()
        lang = language(claim)
        if article_id:
            article = self.index.article(article_id)
            if article is None:
                raise NotFoundError(f"no article with id {article_id!r}; `python -m rag list` shows the ids")
            retrieval = self._whole_article(article, claim, lang)
            cands = self.answerer.candidates(retrieval, passages=len(retrieval.hits))
        else:
            retrieval = self.retriever.retrieve(claim, self.policy.passages, lang=lang)
            cands = self.answerer.candidates(retrieval, passages=self.policy.passages)
        return self._judge(claim, cands, retrieval, retrieval.query_vector, lang, t0)

    def _whole_article(self, article: Article, claim: str, lang: str) -> Retrieval:
        qvec = self.embedder.embed_queries([claim])[0]
        hits = [Hit(Chunk(row.id, article.id, row.idx, row.start, row.end, article.text[row.start:row.end]), 1.0)
                for row in self.index.chunks_of(article.id)]
        return Retrieval(hits, {article.id: article}, qvec, lang, {}, query=claim)

    def in_passages(self, claim: str, claim_vector: np.ndarray, retrieval: Retrieval,
                    passages: list[int]) -> Verdict:
        """Is `claim` supported by the given passages of a retrieval (0-based hit indexes)? What a
        generated sentence is checked against: only the passages it cites."""
        t0 = time.perf_counter()
        cited = replace(retrieval, hits=[retrieval.hits[i] for i in passages])
        cands = self.answerer.candidates(cited, passages=len(cited.hits))
        return self._judge(claim, cands, cited, claim_vector, language(claim), t0)

    def _judge(self, claim: str, cands: list[Candidate], retrieval: Retrieval, qvec: np.ndarray, lang: str,
               t0: float) -> Verdict:
        if not cands:
            return Verdict(claim, False, 0.0, "no passage to check it against",
                           timings_ms={"total": (time.perf_counter() - t0) * 1000})
        query_terms = QueryTerms.of(self.index, claim)
        # A term no indexed chunk contains gets infinity: nothing in the index can support it.
        idf = {t: math.inf if t in query_terms.unknown else w for t, w in query_terms.weights.items()}
        best, sim = self._support(cands, qvec, query_terms.known())
        reason = self._check(claim, best.text, sim, idf, lang) or self._read(claim, best, cands, retrieval)
        citation = cite(1, best, retrieval)
        timings = {"total": (time.perf_counter() - t0) * 1000}
        if reason is None and citation is not None:
            return Verdict(claim, True, round(sim, 4), "supported", [citation], None, timings)
        return Verdict(claim, False, round(sim, 4), reason or "the supporting quote could not be checked",
                       [], citation, timings)

    def _support(self, cands: list[Candidate], qvec: np.ndarray, known: QueryTerms) -> tuple[Candidate, float]:
        """The candidate closest to the claim (similarity plus the share of its words), and its similarity."""
        best, best_score, best_sim = cands[0], -math.inf, 0.0
        for c in cands:
            sim = float(c.vector @ qvec)
            score = sim + self.policy.lexical_weight * known.overlap(c.text)
            if score > best_score:
                best, best_score, best_sim = c, score, sim
        return best, best_sim

    def _read(self, claim: str, best: Candidate, cands: list[Candidate], retrieval: Retrieval) -> str | None:
        """With a calibrated reader, the support must also be read as stating the claim."""
        reader = self.answerer.reader
        if reader is None or reader.threshold is None:
            return None
        reading = reader.read(claim, [read_item(best, retrieval, cands)])
        if not reading.probabilities or reading.reader == "none" or reading.scores[0] >= reader.threshold:
            return None
        return f"the reader does not find the claim stated in the closest passage (score {reading.scores[0]:.2f})"

    def _check(self, claim: str, support: str, sim: float, idf: dict[str, float], lang: str) -> str | None:
        """Why `support` does not support `claim`, or None when it does."""
        missing_numbers = sorted(numbers(claim) - numbers(support))
        if missing_numbers:
            return f"the number {_fmt(missing_numbers[0])} is not in the closest passage"
        missing_months = sorted(months(claim) - months(support))
        if missing_months:
            return f"the month {missing_months[0]} (of the year) is not in the closest passage"
        if negated(claim) != negated(support):
            return ("the closest passage says the opposite" if negated(support)
                    else "the claim denies what the closest passage says")
        # Latin-script names can be checked against a passage in Latin script, or against the
        # Latin names an Arabic passage gives in parentheses for an Arabic claim that has them too;
        # an English claim's names are usually transliterated in an Arabic passage.
        names = [w for w in _LATIN_NAME.findall(claim) if w not in _SENTENCE_START]
        if names and (language(support) == "en" or (lang == "ar" and _LATIN_NAME.search(support))):
            lowered = support.lower()
            absent = [w for w in names if w.lower() not in lowered]
            if absent:
                return f"{absent[0]!r} is not in the closest passage"
        if lang == "ar":
            present = set(terms(support))
            rare = [t for t, w in idf.items() if w >= self.policy.rare_idf and t not in present]
            if rare:
                word = next((w for w in re.findall(r"[^\W_]+", claim) if rare[0] in terms(w)), rare[0])
                return f"{word!r} is not in the closest passage"
        if sim < self.policy.min_similarity:
            return f"no passage says this (closest similarity {sim:.2f})"
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
