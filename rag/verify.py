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

from .arabic import language, terms
from .errors import EmptyQuestionError, NotFoundError
from .facts import months, negated, numbers
from .retrieve import Retrieval
from .scorer import Candidate
from .types import Article, Chunk, Citation, Hit

MAX_CLAIM_CHARS = 2000
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
_SENTENCE_START = {"The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This", "That", "These", "There",
                   "According", "After", "Before", "During", "When", "While", "By", "From", "For", "With", "As"}


@dataclass(frozen=True)
class VerifyPolicy:
    # Chosen on claims made from ARCD-train (`python benchmarks/claims.py --calibrate`), see BENCHMARKS.md.
    min_similarity: float = 0.45
    lexical_weight: float = 0.15  # share of the claim's words in the sentence, as in retrieval
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
    def __init__(self, isnad, policy: VerifyPolicy | None = None):  # type: ignore[no-untyped-def]
        self.isnad = isnad
        self.policy = policy or VerifyPolicy()

    def verify(self, claim: str, article_id: str | None = None) -> Verdict:
        claim = (claim or "").strip()
        if not any(ch.isalnum() for ch in claim):
            raise EmptyQuestionError("the claim is empty (it has no words); write the sentence to check")
        if len(claim) > MAX_CLAIM_CHARS:
            raise EmptyQuestionError(f"the claim is {len(claim)} characters long; check one sentence at a time "
                                     f"(under {MAX_CLAIM_CHARS})")
        t0 = time.perf_counter()
        isnad = self.isnad
        isnad.index.open()
        lang = language(claim)
        if article_id:
            article = isnad.index.article(article_id)
            if article is None:
                raise NotFoundError(f"no article with id {article_id!r}; `python -m rag list` shows the ids")
            retrieval = _whole_article(isnad, article, claim, lang)
            cands = isnad.answerer.candidates(retrieval, passages=len(retrieval.hits))
        else:
            retrieval = isnad.retriever.retrieve(claim, self.policy.passages, lang=lang)
            cands = isnad.answerer.candidates(retrieval, passages=self.policy.passages)
        return self._judge(claim, cands, retrieval, retrieval.query_vector, lang, t0)

    def in_passages(self, claim: str, claim_vector: np.ndarray, retrieval: Retrieval,
                    passages: list[int]) -> Verdict:
        """Is `claim` supported by the given passages of a retrieval (0-based hit indexes)? What a
        generated sentence is checked against: only the passages it cites."""
        t0 = time.perf_counter()
        cited = replace(retrieval, hits=[retrieval.hits[i] for i in passages])
        cands = self.isnad.answerer.candidates(cited, passages=len(cited.hits))
        return self._judge(claim, cands, cited, claim_vector, language(claim), t0)

    def _judge(self, claim: str, cands: list[Candidate], retrieval: Retrieval, qvec: np.ndarray, lang: str,
               t0: float) -> Verdict:
        if not cands:
            return Verdict(claim, False, 0.0, "no passage to check it against",
                           timings_ms={"total": (time.perf_counter() - t0) * 1000})
        idf = self._idf(claim)
        best, _, sim = self._support(cands, qvec, idf)
        reason = self._check(claim, best.text, sim, idf, lang)
        citation = _cite(best, retrieval)
        timings = {"total": (time.perf_counter() - t0) * 1000}
        if reason is None and citation is not None:
            return Verdict(claim, True, round(sim, 4), "supported", [citation], None, timings)
        return Verdict(claim, False, round(sim, 4), reason or "the supporting quote could not be checked",
                       [], citation, timings)

    def _idf(self, claim: str) -> dict[str, float]:
        """The claim's terms -> IDF; a term no indexed chunk contains gets infinity (it cannot be
        supported by anything in the index)."""
        unique = list(dict.fromkeys(terms(claim, query=True)))
        n, df = self.isnad.index.term_frequencies(unique)
        return {t: math.log((n + 1) / (df[t] + 0.5)) if df.get(t) else math.inf for t in unique}

    def _support(self, cands: list[Candidate], qvec: np.ndarray, idf: dict[str, float]
                 ) -> tuple[Candidate, float, float]:
        idf = {t: w for t, w in idf.items() if math.isfinite(w)}
        total = sum(idf.values())
        best, best_score, best_sim = cands[0], -math.inf, 0.0
        for c in cands:
            sim = float(c.vector @ qvec)
            present = set(terms(c.text))
            share = sum(w for t, w in idf.items() if t in present) / total if total > 0 else 0.0
            score = sim + self.policy.lexical_weight * share
            if score > best_score:
                best, best_score, best_sim = c, score, sim
        return best, best_score, best_sim

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


def _whole_article(isnad, article: Article, claim: str, lang: str) -> Retrieval:  # type: ignore[no-untyped-def]
    qvec = isnad.embedder.embed_queries([claim])[0]
    hits = [Hit(Chunk(cid, article.id, idx, s, e, article.text[s:e]), 1.0)
            for cid, idx, s, e, _ in isnad.index.chunks_of(article.id)]
    return Retrieval(hits, {article.id: article}, qvec, lang, {}, query=claim)


def _cite(cand: Candidate, retrieval: Retrieval) -> Citation | None:
    article = retrieval.articles[cand.article_id]
    if article.text[cand.start: cand.end] != cand.text:  # never show an unchecked quote
        return None
    return Citation(1, article.id, article.title, cand.text, cand.start, cand.end, article.date, article.source,
                    article.url)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
