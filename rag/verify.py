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
   names of any calendar, in Arabic or English; a rounded value is the same), its weekday (in the
   sentence or elsewhere in the article), the names of an Arabic claim (read by the name probe,
   rag/name_probe.py; its other words may be its own) and the Latin-script names of any claim,
   and the same polarity (a claim that something happened is not supported by a sentence saying
   it did not; a statement denied denies any saying by the same country), and each place in the
   role the claim gives it (rag/roles.py: the words around it in Arabic, the prepositions across
   languages).
A verdict's citation is the verbatim span, checked against the stored article.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .answer import Answerer, cite, read_item
from .arabic import language, normalize, strip_diacritics, terms, written_words
from .embedder import Embedder
from .errors import EmptyQuestionError, NotFoundError
from .facts import (
    month_days,
    months,
    negated,
    negation_scopes,
    number_contexts,
    numbers,
    opposite_action,
    period_name,
    periods,
    plain_saying,
    skeleton,
    speech_at,
    statement_at,
    unmatched,
    weekdays,
)
from .index import Index
from .name_probe import NameReader, look_alikes
from .names import arabic_place, is_place, name_in, names_a_place, place_ids, place_said, same_name
from .retrieve import QueryTerms, Retrieval, Retriever
from .roles import role_pieces, swapped_member, swapped_place, swapped_role
from .scorer import Candidate
from .sentences import clauses
from .settings import Settings
from .speaker import other_sayer
from .timeline import asked_after, states_what_happened
from .types import Article, Chunk, Citation, Hit

MAX_CLAIM_CHARS = 2000
SUPPORTED, CONTRADICTED, NOT_FOUND = "supported", "contradicted", "not found"
_DAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}
WEEKDAYS = tuple(_DAYS.values())
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
_SENTENCE_START = {"The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This", "That", "These", "There",
                   "According", "After", "Before", "During", "When", "While", "By", "From", "For", "With", "As"}
_TITLE_WORDS = {"President", "Minister", "Prime", "Foreign", "Defense", "Defence", "Interior", "Ministry", "Council",
                "Group", "Army", "Forces", "Union", "Republic", "Government", "Parliament", "Court", "Party",
                "Organization", "Organisation", "Security", "General", "Secretary", "King", "Prince", "Crown",
                "Sheikh", "Emir", "Mr", "Mrs", "Ms", "Dr", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December", "National", "International", "Committee",
                "Agency", "News", "Bank", "Central", "Supreme", "High", "Office", "Department", "Police", "Navy",
                "Air", "Force", "Cup", "League", "World", "North", "South", "East", "Western", "Eastern",
                "Northern", "Southern", "Co", "Cooperation", "Assembly", "Health", "Education", "Economy", "Middle",
                "Earth", "Sea", "Coast", "River", "Island", "Islands", "Province", "City", "Capital", "Minutes"}


UNMATCHED_FIRST = 6  # the sentence words read first for a claim's own words (NameReader.unmatched)


@dataclass(frozen=True)
class VerifyPolicy:
    # Chosen on claims made from ARCD-train (`python benchmarks/claims.py --calibrate`), see BENCHMARKS.md.
    min_similarity: float = 0.45
    contradict_similarity: float = 0.45  # a differing fact is a contradiction only in a passage this close
    swap_context: float = 0.6  # share of an Arabic claim's other words its sentence must have for a swap
    lexical_weight: float = Settings.lexical_weight  # share of the claim's words in the sentence, as in retrieval
    rare_idf: float = 3.0  # an Arabic claim word this rare in the index must be in the support ...
    # ... when it is a name (rag/name_probe.py); a common word may be the claim's own wording, if the
    # support is at least this close to it (chosen on benchmarks/data/claims_news.json, BENCHMARKS.md)
    paraphrase_similarity: float = 0.5
    name_idf: float = 2.0  # a claim word this rare that the probe reads as a name must be in the article
    verbatim_share: float = 0.85  # a claim this much word for word from its sentence has no words of its own
    word_similarity: float = 0.5  # a sentence word this close to a claim word says it in other words
    passages: int = 5
    # Where nothing but its similarity keeps the closest sentence from stating a claim, this many of the
    # closest are compared clause by clause too (rag/sentences.py `clauses`): a claim may restate one
    # clause of a long sentence. 0: never.
    clause_sentences: int = 3
    clause_margin: float = 0.05  # ... those at most this much below it
    # How many of the closest sentences may each state the claim, if at most `support_margin` less
    # similar to it than the closest (chosen on benchmarks/data/claims_news.json, BENCHMARKS.md)
    support_candidates: int = 3
    support_margin: float = 0.05
    # With a reader that has a verdict head (train_reader.py --claim-pairs): a sentence that leaves only
    # the claim's wording unsaid supports it when read so with at least this probability; a sentence the
    # word rules find nothing against contradicts it when read so with at least `read_contradict`. None:
    # the head's reading alone never contradicts (every head trained so far rejected more true claims
    # than it caught false ones that way, at any bar: BENCHMARKS.md, "The verdict head as a rescue").
    read_support: float = 0.5
    read_contradict: float | None = None
    # A claim's place where its sentence names two in that role: another place's lead-up words must be
    # this much closer to the claim's (query against query) to contradict it (`_role_by_reading`; chosen on the
    # default corpus's claims, BENCHMARKS.md "Two places in one role").
    role_margin: float = 0.15


_NOT_NAMED = "; the article does not"
_NOT_HERE = "; the closest passage does not"
# Another speaker in the closest passage: another close sentence may have the claim's say it.
_SAID_BY = "the article has "


@dataclass(frozen=True)
class Shortfall:
    """Why a sentence does not state a claim, or what it states differently. `firm`: it states
    something else (another number, another name where the claim has one), which no other sentence
    can undo; otherwise another close sentence may state the claim."""

    reason: str
    firm: bool = False
    number: float | None = None  # the claim's number that the sentence does not give
    wording: bool = False  # only a word the claim may say in its own way (no number, date, name or place)
    faint: bool = False  # nothing but the similarity: the closest sentence is not close enough


@dataclass(frozen=True)
class Verdict:
    claim: str
    supported: bool
    score: float  # similarity of the claim and its best supporting sentence
    reason: str
    citations: list[Citation] = field(default_factory=list)  # the supporting span, when supported
    closest: Citation | None = None  # the closest span, when not supported (the contradicting one, when contradicted)
    timings_ms: dict[str, float] = field(default_factory=dict)
    verdict: str = ""  # supported, contradicted or not found
    corroboration: Any = None  # corroborate.Corroboration of the supporting span, when looked up

    def __post_init__(self) -> None:
        if not self.verdict:
            object.__setattr__(self, "verdict", SUPPORTED if self.supported else NOT_FOUND)


class Verifier:
    """Checks claims with the parts it needs: the index (articles, chunks, term statistics), the
    retriever (the closest passages), the answerer (their candidate sentences and the reader) and
    the embedder (a claim against one article)."""

    def __init__(self, index: Index, retriever: Retriever, answerer: Answerer, embedder: Embedder,
                 policy: VerifyPolicy | None = None, verdict_reader: Any = None):
        self.index = index
        self.retriever = retriever
        self.answerer = answerer
        self.embedder = embedder
        self.policy = policy or VerifyPolicy()
        # A reader whose verdict head reads claims (RAG_VERDICT_WEIGHTS); else the answer's reader's head.
        self.verdict_reader = verdict_reader
        self._names: NameReader | None | bool = False  # False: not looked up yet

    @property
    def names(self) -> NameReader | None:
        """The name probe for this embedder, or None (another model: every rare word must be present)."""
        if self._names is False:
            self._names = NameReader.of(self.embedder)
        return self._names  # type: ignore[return-value]

    @names.setter
    def names(self, reader: NameReader | None) -> None:
        self._names = reader

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
            if not retrieval.hits:
                self.index.require_articles()  # nothing to check against: say what to do
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
            return Verdict(claim, False, 0.0, "no passage to check it against", verdict=NOT_FOUND,
                           timings_ms={"total": (time.perf_counter() - t0) * 1000})
        query_terms = QueryTerms.of(self.index, claim)
        # A term no indexed chunk contains gets infinity: nothing in the index can support it.
        idf = {t: math.inf if t in query_terms.unknown else w for t, w in query_terms.weights.items()}
        ranked = self._support(cands, qvec, query_terms.known())
        best, sim, found, short = self._choose(claim, ranked, cands, retrieval, idf, lang)
        if found is None and short is not None and short.faint and self.policy.clause_sentences and not clauses(claim):
            # Not close enough, and nothing else against it: a claim of one clause may restate one clause of a
            # long sentence. (A claim of several is not judged by a part of the sentence.)
            again = self._by_clauses(ranked, qvec, retrieval, query_terms.known())
            if again is not ranked:
                ranked = again
                best, sim, found, short = self._choose(claim, ranked, cands, retrieval, idf, lang)
        read = self._read_verdicts(claim, ranked, best, sim, found, short, cands, retrieval, idf, lang)
        if read is not None:
            best, sim, found, short = read
        conflict = found.reason if found is not None else None
        missing = short.reason if short is not None else None
        citation = cite(1, best, retrieval)
        timings = {"total": (time.perf_counter() - t0) * 1000}
        if citation is None:
            return Verdict(claim, False, round(sim, 4), "the closest quote could not be checked", verdict=NOT_FOUND,
                           timings_ms=timings)
        dated = retrieval.articles[best.article_id].date
        year = asked_after(claim, [dated], happened=states_what_happened)
        if year is not None and (conflict is not None or missing is None):
            # An article of 2017 may say that Qatar was to host the 2022 World Cup; not that it hosted it, nor
            # that anything else happened then (neither supported nor contradicted by it).
            return Verdict(claim, False, round(sim, 4), f"the article was written in {str(dated)[:4]}, before "
                           f"{year}: it cannot say what happened then", [], citation, timings, NOT_FOUND)
        if conflict is None and missing is None:
            # Two places in the role the claim gives its place ("stationed in Armenia" against "a base in
            # Armenia and peacekeepers stationed in Nagorno-Karabakh"): the one the claim's words go with.
            other = self._role_by_reading(claim, best)
            timings = {"total": (time.perf_counter() - t0) * 1000}
            if other is not None and sim >= self.policy.contradict_similarity:
                return Verdict(claim, False, round(sim, 4), other, [], citation, timings, CONTRADICTED)
            return Verdict(claim, True, round(sim, 4), "supported", [citation], None, timings, SUPPORTED)
        if conflict is not None and sim >= self.policy.contradict_similarity:
            return Verdict(claim, False, round(sim, 4), conflict, [], citation, timings, CONTRADICTED)
        if short is not None and short.number is not None:
            elsewhere = _number_elsewhere(claim, short.number, best, cands, retrieval, qvec,
                                          self.policy.contradict_similarity)
            if elsewhere is not None and (span := cite(1, elsewhere[0], retrieval)) is not None:
                return Verdict(claim, False, round(elsewhere[1], 4), elsewhere[2], [], span, timings, CONTRADICTED)
        return Verdict(claim, False, round(sim, 4), missing or f"no passage says this ({conflict})", [], citation,
                       timings, NOT_FOUND)

    def _choose(self, claim: str, ranked: list[tuple[Candidate, float]], cands: list[Candidate], retrieval: Retrieval,
                idf: dict[str, float], lang: str) -> tuple[Candidate, float, Shortfall | None, Shortfall | None]:
        """The sentence a verdict rests on, and what differs or is unsaid in it: the closest, or one nearly
        as close that states the claim (more plainly)."""
        best, sim, found, short = self._check(claim, ranked[0], cands, retrieval, idf, lang)
        problem = found or short
        if problem is not None and not problem.firm:
            # The closest sentence leaves a word or a name unsaid ("تأهل" where it says "وصعد"):
            # another sentence nearly as close may state the claim. One that states something else
            # (another number, a name in the claim's name's place) is the claim's verdict, and stays so.
            # Of those that do, the one that leaves the fewest of the claim's rare words unsaid (in Arabic).
            stating = []
            for other in ranked[1:self.policy.support_candidates]:
                if other[1] < sim - self.policy.support_margin:
                    continue
                checked = self._check(claim, other, cands, retrieval, idf, lang)
                if checked[2] is None and checked[3] is None:
                    stating.append(checked)
                    if lang != "ar":
                        break
            if stating:
                best, sim, found, short = min(stating, key=lambda c: self._unsaid_count(claim, c[0].text, idf))
        elif problem is None and lang == "ar" and (left := self._unsaid_count(claim, best.text, idf)):
            # The closest sentence states the claim only if some of its rare words are taken as the
            # claim's own wording; one nearly as close that leaves fewer of them unsaid states it more
            # plainly ("لجأت يريفان إلى موسكو مطالبة بدعم عسكري" for "طلبت أرمينيا دعما عسكريا من روسيا",
            # where the closest says that Russia made no statement on Armenia's request): cite that one.
            for other in ranked[1:self.policy.support_candidates]:
                if other[1] < sim - self.policy.support_margin or self._unsaid_count(claim, other[0].text, idf) >= left:
                    continue
                checked = self._check(claim, other, cands, retrieval, idf, lang)
                if checked[2] is None and checked[3] is None:
                    best, sim, found, short = checked
                    break
        return best, sim, found, short

    def _read_verdicts(self, claim: str, ranked: list[tuple[Candidate, float]], best: Candidate, sim: float,
                       found: Shortfall | None, short: Shortfall | None, cands: list[Candidate],
                       retrieval: Retrieval, idf: dict[str, float], lang: str
                       ) -> tuple[Candidate, float, Shortfall | None, Shortfall | None] | None:
        """The verdict head's reading of the closest sentences, where the reader has one: a sentence
        that leaves only the claim's wording unsaid, and that nothing the rules check contradicts,
        supports the claim when read so; with `read_contradict` set, a sentence the rules find nothing
        against contradicts it when read so. Numbers, dates, names and places stay checks: a reading
        does not undo them. None: the rules' verdict stands (and the head is not asked where its
        reading could change nothing)."""
        reader = self.verdict_reader if self.verdict_reader is not None else self.answerer.reader
        verdicts = getattr(reader, "verdicts", None) if getattr(reader, "has_verdicts", False) else None
        if verdicts is None or found is not None and found.firm:
            return None
        rescue = short is not None and short.wording and found is None
        bar = self.policy.read_contradict
        if not rescue and bar is None:  # nothing a reading could change: not worth a pass of the model
            return None
        close = [(c, s) for c, s in ranked[: self.policy.support_candidates] if s >= sim - self.policy.support_margin]
        if not any(c is best for c, _ in close):
            close = [(best, sim), *close]
        probs = verdicts(claim, [read_item(c, retrieval, cands) for c, _ in close])
        if rescue:
            for (cand, s), p in zip(close, probs, strict=True):
                if p[SUPPORTED] >= self.policy.read_support and self._conflict(claim, cand.text, lang, idf) is None:
                    return cand, s, None, None
        at = next(i for i, (c, _) in enumerate(close) if c is best)
        if bar is not None and found is None and probs[at][CONTRADICTED] >= bar and (short is None or short.wording):
            reason = f"read as stating otherwise than the claim (verdict head {probs[at][CONTRADICTED]:.2f})"
            return best, sim, Shortfall(reason, firm=True), short
        return None

    def _role_by_reading(self, claim: str, support: Candidate) -> str | None:
        """Where the support names the claim's place and another in the role the claim gives it (`roles.role_pieces`),
        the words leading up to each place are read against the claim's words, places left out of both
        ("peacekeepers are stationed in" against "قاعدة عسكرية في" and "قوات حفظ السلام … متمركزة في"): when
        another place's are closer by `role_margin`, the article puts another place where the claim puts its
        own (a reason to say so); None otherwise."""
        for place, said, pieces in role_pieces(claim, support.text):
            vectors = np.asarray(self.embedder.embed_queries([said] + [lead for lead, _, _ in pieces]), np.float32)
            sims = [float(v @ vectors[0]) for v in vectors[1:]]
            best = max(range(len(pieces)), key=sims.__getitem__)
            own = max(s for s, (_, _, mine) in zip(sims, pieces, strict=True) if mine)
            if not pieces[best][2] and sims[best] - own >= self.policy.role_margin:
                return f"the article says {pieces[best][1]!r}, the claim {place!r}"
        return None

    def _support(self, cands: list[Candidate], qvec: np.ndarray,
                 known: QueryTerms) -> list[tuple[Candidate, float]]:
        """The candidates with their similarity to the claim, closest first (similarity plus the
        share of the claim's words)."""
        scored = []
        for i, c in enumerate(cands):
            sim = float(c.vector @ qvec)
            scored.append((-(sim + self.policy.lexical_weight * known.overlap(c.text)), i, c, sim))
        return [(c, sim) for _, _, c, sim in sorted(scored, key=lambda x: (x[0], x[1]))]

    def _by_clauses(self, ranked: list[tuple[Candidate, float]], qvec: np.ndarray, retrieval: Retrieval,
                    known: QueryTerms) -> list[tuple[Candidate, float]]:
        """The closest sentences again, each as close as its closest clause: a claim that restates one
        clause of a long sentence ("The peace agreement was signed on 9 November 2020." of "… لروسيا
        قاعدة عسكرية في أرمينيا …، كما اتفقت عليه باكو ويريفان وموسكو في اتفاقية السلام الثلاثية المبرمة في
        9 نوفمبر 2020") is far from the whole (0.42) and close to the clause (0.60). The checks still read
        the whole sentence, and the whole sentence is cited."""
        head = ranked[: self.policy.clause_sentences]
        floor = self.policy.min_similarity - self.policy.clause_margin
        pieces = [(k, piece) for k, (c, sim) in enumerate(head) if sim >= floor for piece in clauses(c.text)]
        if not pieces:
            return ranked
        titles = [retrieval.articles[head[k][0].article_id].title for k, _ in pieces]
        vectors = self.embedder.embed_documents([piece for _, piece in pieces], titles)
        closest = [sim for _, sim in head]
        for (k, _), vector in zip(pieces, vectors, strict=True):
            closest[k] = max(closest[k], float(np.asarray(vector, np.float32) @ qvec))
        scored = [(c, closest[k] if k < len(head) else sim) for k, (c, sim) in enumerate(ranked)]
        order = sorted(range(len(scored)), key=lambda i: (-(scored[i][1] + self.policy.lexical_weight
                                                             * known.overlap(scored[i][0].text)), i))
        return [scored[i] for i in order]

    def _check(self, claim: str, support: tuple[Candidate, float], cands: list[Candidate], retrieval: Retrieval,
               idf: dict[str, float], lang: str) -> tuple[Candidate, float, Shortfall | None, Shortfall | None]:
        """What differs between the claim and one candidate, and what the candidate leaves unsaid."""
        cand, sim = support
        article = retrieval.articles.get(cand.article_id)
        text = article.text if article else ""
        conflict = self._conflict(claim, cand.text, lang, idf, article=text)
        year = article.date[:4] if article is not None and article.date else ""
        short = None if conflict else self._missing(claim, cand.text, sim, idf, lang, text, year)
        if conflict is None and short is None:
            unread = self._read(claim, cand, cands, retrieval)
            short = Shortfall(unread) if unread else None
        return cand, sim, conflict, short

    def _read(self, claim: str, best: Candidate, cands: list[Candidate], retrieval: Retrieval) -> str | None:
        """With a calibrated reader, the support must also be read as stating the claim."""
        reader = self.answerer.reader
        if reader is None or reader.threshold is None:
            return None
        reading = reader.read(claim, [read_item(best, retrieval, cands)])
        if not reading.probabilities or reading.reader == "none" or reading.scores[0] >= reader.threshold:
            return None
        return f"the reader does not find the claim stated in the closest passage (score {reading.scores[0]:.2f})"

    def differs(self, claim: str, support: str, lang: str, idf: dict[str, float],
                same_slot: bool = False) -> str | None:
        """What the support states differently from the claim: another number, month, name or place,
        the opposite action, or the negation. None when nothing differs. With `same_slot`, two numbers
        differ only where they count or date the same thing (a word around them in common: "قتل 9
        أشخاص" / "قتل 16 مدنيا"), as two outlets' sentences on one story hold many numbers, and a
        direction in a country's name ("كوريا الشمالية") is no opposite of another."""
        found = self._conflict(claim, support, lang, idf, same_slot)
        return found.reason if found is not None else None

    def _conflict(self, claim: str, support: str, lang: str, idf: dict[str, float],
                  same_slot: bool = False, article: str = "") -> Shortfall | None:
        """`differs`, and whether another sentence may still state the claim (not `firm`): only where
        the support leaves out a name the claim gives and names no one else ("Tamim" in a sentence on
        Abadi alone, when the sentence before names both)."""
        reason = self._differs(claim, support, lang, idf, same_slot, article)
        if reason is None:
            return None
        return Shortfall(reason, firm=not (reason.endswith((_NOT_NAMED, _NOT_HERE)) or reason.startswith(_SAID_BY)))

    def _differs(self, claim: str, support: str, lang: str, idf: dict[str, float], same_slot: bool,
                 article: str = "") -> str | None:
        claim_numbers, support_numbers = numbers(claim, pairs=False), numbers(support)
        others = frozenset(unmatched(support_numbers, claim_numbers))
        claim_near, support_near = (number_contexts(claim), number_contexts(support)) if same_slot else ({}, {})
        claim_days, support_days = month_days(claim), month_days(support)
        for extra in unmatched(claim_numbers, support_numbers):
            # Another value of the same order ("16" for "12", "17.75" for "18.75"); a number far from
            # every one of the article's ("three months" against "52 billion") is only missing, and a
            # count is no other value of a day of a month ("ثلاثة مواقع" / "9 نوفمبر").
            close = [v for v in others if _same_order(v, extra) and (v in support_days) == (extra in claim_days)
                     and (not same_slot or claim_near.get(extra, frozenset()) & support_near.get(v, frozenset()))]
            if close:
                other = min(close, key=lambda v: abs(v - extra))
                return f"the article says {_fmt(other)}, the claim {_fmt(extra)}"
        claim_months, support_months = months(claim), months(support)
        if claim_months - support_months and support_months - claim_months:
            return (f"the article says month {min(support_months - claim_months)}, "
                    f"the claim month {min(claim_months - support_months)}")
        claim_parts, support_parts = periods(claim), periods(support)
        if claim_parts - support_parts and support_parts - claim_parts:
            return (f"the article says {period_name(min(support_parts - claim_parts))}, "
                    f"the claim {period_name(min(claim_parts - support_parts))}")
        claim_days, support_days = weekdays(claim), weekdays(support)
        if claim_days - support_days and support_days - claim_days:
            return (f"the article says {_DAYS[min(support_days - claim_days)]}, "
                    f"the claim {_DAYS[min(claim_days - support_days)]}")
        flipped = opposite_action(claim, support, names=same_slot)
        if flipped is not None:
            return f"the article says {flipped[0]!r}, the claim {flipped[1]!r}"
        if negated(claim) != negated(support) and self._denies(*((support, claim) if negated(support)
                                                                 else (claim, support))):
            return ("the article says the opposite (it negates it)" if negated(support)
                    else "the claim denies what the article says")
        if not same_slot and (sayers := other_sayer(claim, support, article)) is not None:
            return f"{_SAID_BY}{sayers[0]!r} say it, the claim {sayers[1]!r}"
        member = swapped_member(claim, support)  # "روسيا والولايات المتحدة وألمانيا" / "… وفرنسا"
        if member is not None:
            return f"the article says {member[0]!r}, the claim {member[1]!r}"
        absent = _absent_names(claim, support)
        if absent:
            named = _other_name(claim, support, idf)
            if named:
                return f"the article names {named!r}, the claim {absent[0]!r}"
            unnamed = [n for n in absent if not article or _name_differs(n, article)]
            if unnamed:
                return f"the claim names {unnamed[0]!r}{_NOT_NAMED}"
            # Named elsewhere in the article: a person there may be another than this sentence's
            # actor ("Prince Mohammed bin Salman" where it says Khalid); a place is only not given
            # here, which `_missing` says.
            persons = [n for n in absent if not any(names_a_place(p) for p in n.split())]
            if persons:
                return f"the claim names {persons[0]!r}{_NOT_HERE}"
        if lang == "en" and language(support) == "ar" and (bearer := _namesake(claim, support)) is not None:
            return f"the article names {bearer[0]!r}, the claim {bearer[1]!r}"
        if lang == "en" and not same_slot and language(support) == "ar":
            role = swapped_role(claim, support)  # the prepositions say it: "to Armenia" / "لأذربيجان"
            if role is not None:
                return f"the article says {role[0]!r}, the claim {role[1]!r}"
        if lang == "ar":
            place = None if same_slot else swapped_place(claim, support)
            if place is not None:
                return f"the article says {place[0]!r}, the claim {place[1]!r}"
            swapped = _swapped_word(claim, support, idf, self.policy.rare_idf, self.policy.swap_context)
            # Without a model that reads, only a swap of one country, city or people for another
            # ("قطرية" for "مصرية") is sure to be a different fact; another word in that slot may
            # be the paraphrase's own (it is then only "not in the closest passage").
            if swapped is not None and all(arabic_place(w) for w in swapped):
                return f"the article says {swapped[0]!r}, the claim {swapped[1]!r}"
        return None

    def _unsaid_count(self, claim: str, support: str, idf: dict[str, float]) -> int:
        """How many of an Arabic claim's rare words (`rare_idf`) the support does not have, in any form
        (a capital for its country)."""
        return sum(1 for w in _missing_words(claim, support) if _weight(w, idf) >= self.policy.rare_idf)

    def _denies(self, negated_text: str, other: str) -> bool:
        """Does a negation of `negated_text` deny what `other` says? Only where what it negates is
        in `other` (a word of it, or, read by the model, a word near one): "… الحدود، التي لم يتم
        تحديدها" denies that the border was drawn, not that the clashes began; "ليس صحيحا أن …" denies
        everything after it. Without the model, across languages: every negation denies."""
        scopes = negation_scopes(negated_text)
        if any(not scope for scope in scopes):
            return True
        said = set(terms(other))
        words = [w for scope in scopes for w in scope]
        if any(_word_terms(w) & said for w in words) or _saying_denied(negated_text, words, other):
            return True
        names = self.names
        if names is None:
            return language(negated_text) != language(other)
        near = names.unmatched(words, _content_words(other), self.policy.word_similarity)
        return len(near) < len(set(words))

    def _missing(self, claim: str, support: str, sim: float, idf: dict[str, float], lang: str,
                 article: str = "", year: str = "") -> Shortfall | None:
        """Why the closest passage does not state the claim, when nothing in it contradicts the claim.
        A day of a month the passage gives without its year is of the `year` its article was written
        ("في 16 نوفمبر" in an article of 2021 says "16 November 2021")."""
        missing_numbers = unmatched(numbers(claim, pairs=False), numbers(support))
        if year.isdigit() and months(support):
            missing_numbers = [n for n in missing_numbers if n != int(year)]
        if missing_numbers:
            return Shortfall(f"the number {_fmt(missing_numbers[0])} is not in the closest passage",
                             number=missing_numbers[0])
        missing_months = sorted(months(claim) - months(support))
        if missing_months:
            return Shortfall(f"the month {missing_months[0]} (of the year) is not in the closest passage")
        missing_parts = sorted(periods(claim) - periods(support))
        if missing_parts:
            return Shortfall(f"{period_name(missing_parts[0])} (of the year) is not in the closest passage")
        # A day the sentence does not name may be the article's dateline ("on Tuesday" from its first
        # line): it holds if the article names it, not if the article names only other days.
        missing_days = sorted(weekdays(claim) - weekdays(support) - weekdays(article))
        if missing_days:
            others = sorted(weekdays(article) - weekdays(claim))
            return Shortfall(f"{_DAYS[missing_days[0]]} is not in the closest passage"
                             + (f" (the article names {', '.join(_DAYS[d] for d in others)})" if others else ""))
        places = [n for n in _absent_names(claim, support) if any(names_a_place(p) for p in n.split())]
        if places:  # named elsewhere in the article (else it differs), but a place must be in this sentence
            return Shortfall(f"{places[0]!r} is not in the closest passage (the article names it elsewhere)")
        if lang == "ar":
            why = self._unsaid(claim, support, sim, idf, article)
            if why is not None:
                return why
        if sim < self.policy.min_similarity:
            # Three places: a similarity just under the bar must not read as the bar ("0.448, below 0.45").
            bar = self.policy.min_similarity
            return Shortfall(f"no passage says this (closest similarity {sim:.3f}, below {bar:g})", faint=True)
        return None

    def _unsaid(self, claim: str, support: str, sim: float, idf: dict[str, float], article: str) -> Shortfall | None:
        """Why the words of an Arabic claim that its sentence lacks keep it from being supported.

        With the name probe (rag/name_probe.py): a person the claim names and neither the sentence nor
        its article does, a place the sentence does not give (a capital counts for its country:
        "الدوحة" for "قطر"), a name in another word's slot, or a rare word the sentence has no word near
        where it takes another's slot or the claim otherwise repeats the sentence; the claim's other rare
        words may be its own wording when the sentence is close enough (`paraphrase_similarity`).
        Without the probe (another embedding model): every rare word must be in the sentence."""
        swapped = _swapped_word(claim, support, idf, self.policy.rare_idf, self.policy.swap_context)
        present = set(terms(support))
        names = self.names
        if names is None:
            if swapped is not None:  # another word where the claim has a rare one: a name may differ
                return Shortfall(f"{swapped[1]!r} is not in the closest passage (it has {swapped[0]!r} there)",
                                 firm=True)
            gone = [t for t, w in idf.items() if w >= self.policy.rare_idf and t not in present]
            if gone:
                word = next((w for w in written_words(claim, digits=True) if gone[0] in terms(w)), gone[0])
                return Shortfall(f"{word!r} is not in the closest passage", wording=True)
            return None

        def weight(word: str) -> float:
            return _weight(word, idf)

        missing = _missing_words(claim, support)
        if any(plain_saying(w) for w in written_words(support)):  # "لم تعلق" for "لم تدل بأي تصريحات"
            missing = [w for w in missing if not plain_saying(w)]
            if swapped is not None and plain_saying(swapped[0]) and plain_saying(swapped[1]):
                swapped = None
        candidates = [w for w in missing if weight(w) >= self.policy.name_idf]
        claim_terms = set(terms(claim))
        others = [w for w in _content_words(support) if not set(terms(w)) & claim_terms]

        # A word of the claim's own is one the sentence has another word for ("تأهل" / "صعد"); one
        # it has nothing near is another fact, when it takes another word's slot or the claim
        # otherwise repeats the sentence ("ولد في القاهرة" / "ولد في دمشق").
        def says_the_rest(without: list[str]) -> bool:
            rest = [t for t in dict.fromkeys(terms(claim)) if not any(t in terms(w) for w in without)]
            return bool(rest) and sum(t in present for t in rest) >= self.policy.verbatim_share * len(rest)

        # What the checks below may read, in one model call (a call costs about what a few more words
        # in it do): the probe's words, the swapped slot's, and where the sentence's words may be
        # read (see the end), the first few that `unmatched` reads.
        ahead = [*candidates, *(swapped or ())]
        most = [w for w in missing if weight(w) >= self.policy.rare_idf]  # the rare words below, at most
        most_verbatim = says_the_rest(most)
        if sim >= self.policy.paraphrase_similarity and (swapped is not None or most_verbatim):
            read_ahead = most if most_verbatim else [swapped[1]]  # type: ignore[index]
            ahead += look_alikes(read_ahead, others)[:UNMATCHED_FIRST]
        names.vectors(ahead)
        named = set(names.names(candidates))
        named |= {w for w in missing if arabic_place(w)}
        if swapped is not None and swapped[1] in named:  # another name in the claim's name's place
            return Shortfall(f"{swapped[1]!r} is not in the closest passage (it has {swapped[0]!r} there)", firm=True)
        if swapped is not None and (arabic_place(swapped[0]) or names.names([swapped[0]])):
            swapped = None  # a common word where the sentence has a name: another word order ("دونالد ترامب")
        in_article = set(terms(article))
        # A person may be named in an earlier sentence ("وأضاف …"); a place must be in this one.
        unsaid = [w for w in missing if w in named and (arabic_place(w) or not _word_terms(w) & in_article)]
        if unsaid:
            return Shortfall(f"{unsaid[0]!r} is not in the closest passage" + (
                "" if arabic_place(unsaid[0]) else ", nor elsewhere in its article"))
        rare = [w for w in missing if weight(w) >= self.policy.rare_idf and w not in named]
        if not rare:
            return None
        if sim < self.policy.paraphrase_similarity:  # (first: reading the words below could only reject it too)
            return Shortfall(f"{rare[0]!r} is not in the closest passage, which is not close enough to say it "
                             f"in other words (similarity {sim:.2f})", wording=True)
        verbatim = says_the_rest(rare)  # (at most: leaving fewer words out says less of the rest)
        if swapped is not None or verbatim:  # the words are read only where it can matter
            read = rare if verbatim else [swapped[1]]  # type: ignore[index]

            def rejects(other: list[str]) -> bool:  # (more words unmatched can only reject more)
                return (swapped is not None and swapped[1] in other) or (verbatim and bool(other)
                                                                         and says_the_rest(other))

            # The sentence's words are read only until the claim's can no longer be rejected.
            other = names.unmatched(read, others, self.policy.word_similarity, lambda rest: not rejects(rest),
                                    UNMATCHED_FIRST)
            if swapped is not None and swapped[1] in other:
                return Shortfall(f"{swapped[1]!r} is not in the closest passage (it has {swapped[0]!r} there)",
                                 wording=True)
            if verbatim and other and says_the_rest(other):
                return Shortfall(f"{other[0]!r} is not in the closest passage, which says the rest of the claim "
                                 "word for word", wording=True)
        return None


def _saying_denied(negated_text: str, negated: list[str], other: str) -> bool:
    """A negation of saying ("فإن روسيا لم تدل بأي تصريحات", "Moscow did not comment") denies any saying by
    the same actor in the other text ("Russia condemned Armenia's request."): a country or city before the
    negated words is one before the other text's first word of saying."""
    said_at = statement_at(other)
    if said_at is None or not any(speech_at(w) == 0 for w in negated):
        return False
    words = written_words(negated_text)
    at = next((k for k, w in enumerate(words) if w in negated), len(words))
    actors = frozenset().union(*(place_ids(w) for w in words[:at]))
    said = written_words(other)
    # The sayer: before the verb ("Russia condemned"), or in Arabic right after it ("أدانت روسيا").
    sayer = said[:said_at] + ([] if said[said_at].isascii() else said[said_at + 1:said_at + 2])
    return bool(actors & frozenset().union(*(place_ids(w) for w in sayer)))


def _weight(word: str, idf: dict[str, float]) -> float:
    """How rare the word is in the index: its rarest term's IDF."""
    return max((idf.get(t, 0.0) for t in terms(word)), default=0.0)


def _missing_words(claim: str, support: str) -> list[str]:
    """The claim's content words the support does not have in any form (a capital for its country)."""
    present = set(terms(support))
    return [w for w in _content_words(claim) if not _word_terms(w) & present and not place_said(w, support)]


def _absent_names(claim: str, support: str) -> list[str]:
    """The claim's checkable Latin-script names the support does not give (`_name_differs`); a
    Latin-script support writes every name as the claim does, so all of the claim's are checkable."""
    latin = language(support) == "en"
    return [n for n in claim_names(claim) if (latin or _checkable_name(n, claim)) and _name_differs(n, support)]


def _word_terms(word: str) -> set[str]:
    """The word's terms, and those of it without the alef of an indefinite accusative ("هجوما" / "هجوم",
    "حوثيا" / "الحوثي"), which the stemmer keeps."""
    out = set(terms(word))
    if word.endswith("ا") and len(word) > 4:
        out |= set(terms(word[:-1]))
    return out


def _content_words(text: str) -> list[str]:
    """The words of `text` that carry meaning, once each, without their short vowels (which would
    split a word: "الاِتِّحَاد")."""
    return [w for w in dict.fromkeys(re.findall(r"[^\W\d_]+", strip_diacritics(text))) if len(w) > 2 and terms(w)]


def claim_names(claim: str) -> list[str]:
    """The Latin-script names a claim states: runs of capitalised words ("Charles Michel", one name:
    a passage may give only the surname) that are not a sentence's first word, a title or a common
    noun written with a capital."""
    names: list[str] = []
    last_end = -2
    first = re.match(r"\W*([A-Za-z]+)(\W+([A-Za-z]+))?", claim)
    for m in _LATIN_NAME.finditer(claim):
        w = m.group()
        # The claim's first word is capitalised anyway ("Three members…", "Hundreds of…"): a name
        # only when the next word is one too ("Mahmoud Abbas") or it is a country or city ("Egypt's").
        opening = first is not None and m.start() == first.start(1) and not (
            first.group(3) and first.group(3)[:1].isupper()) and not is_place(w)
        if w in _SENTENCE_START or w in _TITLE_WORDS or opening:
            last_end = -2
            continue
        if names and claim[last_end:m.start()] == " ":
            names[-1] += " " + w
        else:
            names.append(w)
        last_end = m.end()
    return names


_PERSON_TITLES = {"President", "Minister", "Prince", "King", "Sheikh", "Emir", "Secretary", "General", "Mr", "Mrs",
                  "Ms", "Dr", "Ambassador", "Spokesman", "Spokeswoman", "Chancellor", "Governor", "Mayor", "Senator",
                  "counterpart", "leader", "president", "minister", "spokesman", "envoy", "coach", "striker"}


_PLACE_NOUNS = frozenset({"region", "province", "district", "governorate", "city", "town", "village", "county",
                          "camp", "valley", "neighbourhood", "neighborhood"})


def _checkable_name(name: str, claim: str) -> bool:
    """A name whose absence from an Arabic passage means something: a country, city or people the
    exonym table knows, a person named after a title ("Prince Mohammed bin Salman", "counterpart
    Sergei Lavrov"), or a place of one word before the word for its kind ("the Lachin region"). Other
    capitalised words ("Academy Award", "Championship Game") are often translated, not transliterated,
    and cannot be looked for letter by letter."""
    if any(is_place(part) for part in name.split()):
        return True
    before = claim[: claim.find(name)].split()
    after = claim[claim.find(name) + len(name):].split()
    # A place of one word called what it is ("the Lachin region", "Idlib province") is written letter by
    # letter; one of several ("the Grand Mosque area") is as often translated.
    return (bool(before) and before[-1].strip(",") in _PERSON_TITLES) or (
        " " not in name and bool(after) and after[0].strip(".,;:").lower() in _PLACE_NOUNS)


def _name_differs(name: str, support: str) -> bool:
    """No part of the name is in the support (a passage may give only the surname, "ميشيل", or
    translate a part: "Saxon Garden"), or an English support gives it another first name
    ("Donald Michel" against "Charles Michel")."""
    parts = name.split()
    # Of a place, the word that makes it one must be there: "Los Angeles" is not "لاس فيغاس".
    # A place alone may be said by its country or capital ("Ankara" / "تركيا"); within a longer
    # name it is part of that name ("Real Madrid" is no city).
    places = [p for p in parts if names_a_place(p)]
    if places and not all(name_in(p, support) or (len(parts) == 1 and place_said(p, support)) for p in places):
        return True
    found = [p for p in parts if name_in(p, support) or (len(parts) == 1 and place_said(p, support))]
    if not found:
        return True
    for p in found:
        m = re.search(r"\b([A-Z][a-z]+) " + re.escape(p) + r"\b", support)
        if m and m.group(1) not in parts and m.group(1) not in _TITLE_WORDS | _SENTENCE_START:
            return True
    return False


def _namesake(claim: str, support: str) -> tuple[str, str] | None:
    """A person of an English claim whose first name an Arabic support gives, followed by another
    surname than the claim's, which it never gives ("John Kelly" where it says "جون بولتون"): (the
    support's two words, the claim's name). Only a person's name: one the claim puts after a title
    ("Minister …") or before a word of saying ("… told reporters"), or one the support marks as a name
    («…»); the names of bodies, works and places are translated more often than transliterated
    ("Harvard Business School": "كلية هارفارد للأعمال")."""
    words = written_words(support)
    marked = {w for q in re.findall(r"«([^»]{2,40})»", support) for w in q.split()}
    for name in claim_names(claim):
        parts = name.split()
        if len(parts) < 2 or any(names_a_place(p) for p in parts) or name_in(parts[-1], support):
            continue
        before, rest = claim[: claim.find(name)].split(), claim[claim.find(name) + len(name):].split()
        person = bool(before and before[-1].strip(",") in _PERSON_TITLES or rest and speech_at(rest[0]) == 0)
        for k, w in enumerate(words[:-1]):
            after = words[k + 1]
            if not (terms(w) and terms(after)) or arabic_place(w) or arabic_place(after):
                continue
            if (person or {w, after} <= marked) and same_name(parts[0], w) \
                    and not any(same_name(p, after) for p in parts[1:]):
                return f"{w} {after}", name
    return None


def _other_name(claim: str, support: str, idf: dict[str, float]) -> str | None:
    """The support's name that the claim does not have (what the article names instead): a «quoted»
    name first (Arabic news marks names so), then a Latin-script one, then a lone rare word."""
    claim_terms = set(terms(claim))
    parts = [n for name in claim_names(claim) for n in name.split()]
    for q in re.findall(r"«([^»]{2,40})»", support):
        if not any(same_name(n, word) for n in parts for word in q.split()):
            return q
    words = written_words(support)
    latin = [w for w in words if _LATIN_NAME.fullmatch(w) and w not in _SENTENCE_START and w not in claim]
    if latin:
        return latin[0]
    rare = [w for w in words if len(w) > 3 and not (set(terms(w)) & claim_terms)]
    return rare[0] if len(rare) == 1 else None


def _swapped_word(claim: str, support: str, idf: dict[str, float], rare_idf: float,
                  context: float) -> tuple[str, str] | None:
    """A rare word of an Arabic claim in a slot where the support has another word: the same word
    before it (or after it) in both, a different word between ("زار مدينة سوسة" / "زار مدينة صفاقس"),
    and the rest of the claim said by the support (at least `context` of its other words): a claim
    that differs in one name, not a paraphrase that differs in many words."""
    c_words = written_words(claim, digits=True)
    s_words = written_words(support, digits=True)
    c_norm = [normalize(w) for w in c_words]
    s_norm = [normalize(w) for w in s_words]
    s_terms = set(terms(support))
    claim_terms = list(dict.fromkeys(terms(claim)))
    for i, w in enumerate(c_words):
        t = terms(w)
        if not t or t[0] in s_terms or idf.get(t[0], 0.0) < rare_idf:
            continue
        others = [x for x in claim_terms if x != t[0]]
        if not others or sum(x in s_terms for x in others) < context * len(others):
            continue
        for j, sw in enumerate(s_norm):
            before = i > 0 and j > 0 and c_norm[i - 1] == s_norm[j - 1] and len(sw) > 1
            after = i + 1 < len(c_norm) and j + 1 < len(s_norm) and c_norm[i + 1] == s_norm[j + 1]
            if (before or after) and sw != c_norm[i] and not (set(terms(s_words[j])) & set(terms(claim))) \
                    and len(sw) > 2 and not _is_function_word(sw):
                return s_words[j], w
    return None


def _number_elsewhere(claim: str, value: float, best: Candidate, cands: list[Candidate], retrieval: Retrieval,
                      qvec: np.ndarray, min_similarity: float) -> tuple[Candidate, float, str] | None:
    """The closest sentence does not give the claim's number: the closest other sentence of its article
    (at least `min_similarity` to the claim) that gives the same quantity another value ("البالغ من
    العمر 43 عاما" for the claim's "البالغ من العمر 53 عاما": two words around the number in common, a
    value of the same order), when the article nowhere states the claim's value of what the claim counts
    (it may of something else: "ثلاثة رؤساء مشاركين" for a claim of "ثلاثة مواقع عسكرية", no word around
    either in common). Words around a number are compared by their skeletons ("مواقع" / "موقعين"). That
    sentence, its similarity, and what differs."""
    article = retrieval.articles.get(best.article_id)
    if article is None:
        return None
    near = {skeleton(t) for t in number_contexts(claim).get(value, frozenset())}
    if unmatched(frozenset({value}), numbers(article.text)) != [value] and any(
            {skeleton(t) for t in words} & near for v, words in number_contexts(article.text).items()
            if not unmatched(frozenset({value}), frozenset({v}))):
        return None
    same_article = [(float(c.vector @ qvec), i, c) for i, c in enumerate(cands)
                    if c.article_id == best.article_id and c.start != best.start]
    for sim, _, cand in sorted(same_article, key=lambda x: (-x[0], x[1])):
        if sim < min_similarity:
            break
        for other, words in sorted(number_contexts(cand.text).items()):
            if other != value and _same_order(other, value) and len({skeleton(t) for t in words} & near) >= 2:
                return cand, sim, f"the article says {_fmt(other)}, the claim {_fmt(value)}"
    return None


def _same_order(a: float, b: float) -> bool:
    """Values a changed fact could swap for each other: within a factor of ten."""
    lo, hi = sorted((abs(a), abs(b)))
    return hi == 0 or (lo > 0 and hi / lo <= 10)


def _is_function_word(word: str) -> bool:
    return not terms(word)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
