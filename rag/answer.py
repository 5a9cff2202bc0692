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
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .arabic import words
from .asking_verb import embedding_wording
from .embedder import Embedder
from .index import Unit, sentence_units
from .injection import planted
from .names import place_mentioned, places_named
from .reader import Reader, Reading, ReadItem
from .retrieve import QueryTerms, Retrieval
from .scorer import Candidate, Judgement, QuestionContext, Scored, SentenceScorer
from .sentences import sentence_before
from .settings import Settings
from .speaker import by_asked_speaker
from .timeline import asked_after

if TYPE_CHECKING:
    from .index import Index
from .types import Answer, AnswerSentence, Citation, Hit, Passage

# Two sentences that share this share of their words are one sentence to a reader (Jaccard of word sets).
SAME_WORDING = 0.9
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
    # With a reader: the scorer's best `reader_candidates` sentences of the best `reader_passages`
    # passages are read; a further sentence is quoted when the reader scores it within
    # `reader_margin` of the best (on its probability scale) and above the threshold.
    reader_candidates: int = Settings.reader_candidates
    reader_passages: int = 5
    reader_margin: float = 0.25
    # A follow-up's sentences are compared with the joint query plus this much of the follow-up alone.
    follow_up_weight: float = 1.0

    @classmethod
    def from_settings(cls, s: Settings) -> AnswerPolicy:
        return cls(s.answer_sentences, None if s.abstain_below < 0 else s.abstain_below,
                   reader_candidates=s.reader_candidates)


@dataclass(frozen=True)
class Choice:
    """What the answer step decided: the candidates best first (each with the score it was ranked
    by), whether to decline, and which reader read them (its scores are the citations')."""

    ranked: list[Scored]
    abstain: bool
    reader: Reading | None = None
    ms: float = 0.0  # how long choosing took (scoring and reading)
    note: str = ""  # why it declines, where a reader should know ("the passages do not mention …")
    # How many of `ranked`, at its end, another speaker than the one asked about says (speaker.py): quoted
    # only where nothing else is.
    others: int = 0


class Answerer:
    def __init__(self, index: Index, embedder: Embedder, policy: AnswerPolicy | None = None,
                 scorer: SentenceScorer | None = None, reader: Reader | None = None):
        self.index = index
        self.embedder = embedder
        self.policy = policy or AnswerPolicy()
        self._scorer = scorer
        self.reader = reader

    @property
    def scorer(self) -> SentenceScorer:
        """Loaded on first use (its weights are a small JSON file)."""
        if self._scorer is None:
            self._scorer = SentenceScorer()
        return self._scorer

    def answer(self, question: str, retrieval: Retrieval, choice: Choice | None = None) -> Answer:
        # A choice made before (the engine keeps it to order an LLM's passages) counts as answer time.
        t0 = time.perf_counter() - (choice.ms / 1000 if choice is not None else 0.0)
        passages = [_passage(h, retrieval) for h in retrieval.hits]
        choice = choice or self.choose(question, retrieval)
        reader = choice.reader
        name, note = (reader.reader, reader.note) if reader else ("", "")
        note = "; ".join(n for n in (choice.note, note) if n)
        if choice.abstain:
            return self._abstain(question, retrieval, passages, t0, name, note)
        citations: list[Citation] = []
        for scored in self._pick(choice):
            citation = cite(len(citations) + 1, scored.candidate, retrieval,
                            scored.score if reader is not None else None)
            if citation is not None:
                citations.append(citation)
        if not citations:
            return self._abstain(question, retrieval, passages, t0, name, note)
        sentences = [AnswerSentence(c.quote, c.n) for c in citations]
        text = " ".join(f"{s.text} [{s.citation}]" for s in sentences)
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        return Answer(question=question, answer=text, abstained=False, citations=citations, passages=passages,
                      language=retrieval.language, timings_ms=timings, sentences=sentences, note=note,
                      reader=name)

    def choose(self, question: str, retrieval: Retrieval) -> Choice:
        """The sentence scorer ranks every candidate; a reader, when there is one, reads the scorer's
        best and decides their order and (with a calibrated threshold) whether any answers."""
        t0 = time.perf_counter()
        passages = self.policy.reader_passages if self.reader is not None else None
        cands = self.candidates(retrieval, passages)
        judgement = self.scorer.judge(self.context(question, retrieval, {c.article_id for c in cands}), cands)
        # A question on what one country's body said: sentences where another's speaks go last (speaker.py).
        own, others = by_asked_speaker(question, judgement.ranked, _text, _sentence_before(retrieval))
        judgement = replace(judgement, ranked=own + others)
        threshold = self.scorer.threshold if self.policy.abstain_below is None else self.policy.abstain_below
        scorer_says_no = not judgement.ranked or judgement.answerable < threshold
        # A reader that only orders (no threshold) is not asked when the scorer declines: its order would
        # not be shown.
        if self.reader is None or not judgement.ranked or (scorer_says_no and self.reader.threshold is None):
            return _checked(question, retrieval, Choice(judgement.ranked, scorer_says_no,
                                                       ms=(time.perf_counter() - t0) * 1000, others=len(others)))
        top = judgement.ranked[: self.policy.reader_candidates]
        reading = self.reader.read(question, [read_item(s.candidate, retrieval, cands) for s in top])
        # The order: the reader's score (as a logit when it is a probability), plus the reading's `blend`
        # times the scorer's (calibrated with the built-in reader, 0 for the plug-ins). Stable: ties keep the
        # scorer's order. Each candidate keeps the reader's own score, which the threshold judges.
        combined = [(_logit(r) if reading.probabilities else r) + reading.blend * top[i].score
                    for i, r in enumerate(reading.scores)]
        order = sorted(range(len(top)), key=lambda i: -combined[i])
        own, others = by_asked_speaker(question, [Scored(top[i].candidate, reading.scores[i]) for i in order], _text,
                                       _sentence_before(retrieval))
        ranked = own + others
        judged_by_reader = reading.probabilities and self.reader.threshold is not None and reading.reader != "none"
        abstain = ranked[0].score < self.reader.threshold if judged_by_reader else scorer_says_no  # type: ignore[operator]
        return _checked(question, retrieval, Choice(ranked, abstain, reading, ms=(time.perf_counter() - t0) * 1000,
                                                    others=len(others)))

    @staticmethod
    def reader_order(choice: Choice, retrieval: Retrieval) -> Retrieval:
        """The retrieval with its passages in the reader's order (the best score of their sentences
        that it read; passages it did not read keep their place after those): what a language model
        is given, so that the passage most likely to state the answer comes first."""
        if choice.reader is None:
            return retrieval
        best: dict[int, float] = {}
        for s in choice.ranked:
            best[s.candidate.passage] = max(best.get(s.candidate.passage, -math.inf), s.score)
        order = sorted(range(len(retrieval.hits)), key=lambda i: (i not in best, -best.get(i, 0.0), i))
        return replace(retrieval, hits=[retrieval.hits[i] for i in order])

    def judge(self, question: str, retrieval: Retrieval) -> Judgement:
        """The candidate sentences ranked by the scorer alone, and whether the best one answers."""
        cands = self.candidates(retrieval)
        return self.scorer.judge(self.context(question, retrieval, {c.article_id for c in cands}), cands)

    def context(self, question: str, retrieval: Retrieval, article_ids: set[str] | None = None) -> QuestionContext:
        """`question` as asked (its answer type); the searched query's terms and vector; the text
        of the candidates' articles (`article_ids`)."""
        qt = QueryTerms.of(self.index, retrieval.query or question)
        texts = {aid: "\n".join([a.title, a.date or "", a.text]) for aid in (article_ids or ())
                 if (a := retrieval.articles.get(aid)) is not None}
        return QuestionContext(question, self._asking_vector(question, retrieval), retrieval.language, qt.weights,
                               qt.unknown_share(), texts)

    def _asking_vector(self, question: str, retrieval: Retrieval) -> np.ndarray:
        """What the sentences are compared with. A follow-up was searched together with the question it
        follows ("Which player…? How old is he?"): that finds the story, but ranks its sentences by the
        earlier question, which the first answer has already quoted. Its sentences are ranked by both:
        the joint query and the follow-up alone, which says what is asked now."""
        vector = retrieval.query_vector
        if not retrieval.query or retrieval.query.strip() == question.strip() or not len(vector):
            return vector
        own = self.embedder.embed_queries([embedding_wording(question)])[0]
        both = np.asarray(vector, np.float32) + self.policy.follow_up_weight * np.asarray(own, np.float32)
        return both / max(float(np.linalg.norm(both)), 1e-9)

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

    def _pick(self, choice: Choice) -> list[Scored]:
        """The best candidate, and further ones that score close to it, each chosen for what it adds
        (its score minus a share of its similarity to those already chosen); not another speaker's
        sentence after one that may be the asked speaker's."""
        ranked = choice.ranked
        quotable = len(ranked) - choice.others if choice.others < len(ranked) else len(ranked)
        if choice.reader is not None:
            unit = 1.0 if choice.reader.probabilities else max(abs(ranked[0].score), 1.0)
            floor = ranked[0].score - self.policy.reader_margin * unit
            if self.reader is not None and self.reader.threshold is not None and choice.reader.probabilities:
                floor = max(floor, self.reader.threshold)
        else:
            unit = abs(self.scorer.model.weights.get("cos", 1.0)) or 1.0  # score units per unit of similarity
            floor = ranked[0].score - self.policy.extra_sentence_margin * unit
        # The same sentence in another passage or article (a copy, a paragraph stored twice) is quoted once,
        # where it ranks best: again, it would read as a second source saying something more.
        seen = [_wording(ranked[0])]
        pool = []
        for c in ranked[1:quotable]:
            if c.score >= floor and not any(_same_wording(wording := _wording(c), s) for s in seen):
                seen.append(wording)
                pool.append(c)
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

    def _abstain(self, question: str, retrieval: Retrieval, passages: list[Passage], t0: float, reader: str = "",
                 note: str = "") -> Answer:
        timings = {**retrieval.timings_ms, "answer": (time.perf_counter() - t0) * 1000}
        return Answer(question=question, answer=NOT_FOUND[retrieval.language], abstained=True, citations=[],
                      passages=passages, language=retrieval.language, timings_ms=timings, note=note, reader=reader)


NOT_MENTIONED = {
    "ar": "أقرب المقاطع إلى السؤال لا تذكر {}.",
    "en": "The closest passages do not mention {}.",
}
WRITTEN_BEFORE = {
    "ar": "أقرب المقالات إلى السؤال كُتبت كلها قبل عام {}.",
    "en": "The closest articles were all written before {}.",
}


def _when_written(question: str, retrieval: Retrieval, choice: Choice) -> Choice:
    """A question about a year that has passed is not answered from articles all written before it
    ("Who won the 2022 World Cup?" by an article of 2015 on Qatar's preparations): the answer declines
    and says so (timeline.asked_after); where the scorer declined already, the note still says why."""
    if choice.note or not choice.ranked:
        return choice
    dates = [retrieval.articles[aid].date for aid in dict.fromkeys(s.candidate.article_id for s in choice.ranked)]
    year = asked_after(question, dates)
    if year is None:
        return choice
    lang = retrieval.language if retrieval.language in WRITTEN_BEFORE else "en"
    return replace(choice, abstain=True, note=WRITTEN_BEFORE[lang].format(year))


def _checked(question: str, retrieval: Retrieval, choice: Choice) -> Choice:
    """The choice, declined where the closest articles cannot hold the answer: they never name the place
    the question names, or were all written before the year it asks about."""
    return _when_written(question, retrieval, _where_named(question, retrieval, choice))


def _where_named(question: str, retrieval: Retrieval, choice: Choice) -> Choice:
    """A question that names a country, city or people is not answered from articles that never name it
    ("When did the Sri Lanka Easter bombings happen?" by a bombing in Bahrain): where no candidate's
    article names it, the answer declines and says which it does not find (also where the scorer declined
    already). Where one does, the order stands (a paragraph may leave its country to its neighbours)."""
    asked = places_named(question)
    if choice.note or not choice.ranked or not asked:
        return choice
    articles = {s.candidate.article_id: retrieval.articles[s.candidate.article_id] for s in choice.ranked}
    unsaid = {aid: [w for w in asked if not place_mentioned(w, f"{a.title}\n{a.text}")]
              for aid, a in articles.items()}
    if not all(unsaid.values()):
        return choice
    missing = [w for w in asked if all(w in words for words in unsaid.values())] or asked
    lang = retrieval.language if retrieval.language in NOT_MENTIONED else "en"
    return replace(choice, abstain=True, note=NOT_MENTIONED[lang].format("، ".join(missing) if lang == "ar"
                                                                          else ", ".join(missing)))


def cite(n: int, cand: Candidate, retrieval: Retrieval, reader_score: float | None = None) -> Citation | None:
    """Citation number `n` of a candidate, or None when its text is not its span of the stored
    article: a quote is never shown unchecked."""
    article = retrieval.articles[cand.article_id]
    if article.text[cand.start: cand.end] != cand.text:
        return None
    return Citation(n, article.id, article.title, cand.text, cand.start, cand.end,
                    article.date, article.source, article.url, reader_score)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _wording(scored: Scored) -> frozenset[str]:
    """A sentence's words, spelling variants, diacritics and punctuation aside."""
    return frozenset(words(scored.candidate.text))


def _same_wording(a: frozenset[str], b: frozenset[str]) -> bool:
    """What a reader would call the same sentence: at least `SAME_WORDING` of their words in common
    (a copy edited by a word or two, a reference mark added)."""
    return len(a & b) >= SAME_WORDING * max(len(a | b), 1)


def _text(scored: Scored) -> str:
    return scored.candidate.text


def _sentence_before(retrieval: Retrieval) -> Callable[[Scored], str]:
    """The sentence before a candidate's in its article ("" for an article's first)."""
    def before(scored: Scored) -> str:
        article = retrieval.articles.get(scored.candidate.article_id)
        return sentence_before(article.text, scored.candidate.start) if article else ""
    return before


def read_item(cand: Candidate, retrieval: Retrieval, cands: list[Candidate]) -> ReadItem:
    """A candidate as the reader sees it: its text, its article's title, its neighbours in its passage."""
    at = cands.index(cand)
    before = cands[at - 1].text if at > 0 and _same_passage(cands[at - 1], cand) else ""
    after = cands[at + 1].text if at + 1 < len(cands) and _same_passage(cand, cands[at + 1]) else ""
    return ReadItem(cand.text, retrieval.articles[cand.article_id].title, before, after)


def _same_passage(a: Candidate, b: Candidate) -> bool:
    return a.article_id == b.article_id and a.passage == b.passage


def _passage(hit: Hit, retrieval: Retrieval) -> Passage:
    article = retrieval.articles[hit.chunk.article_id]
    return Passage(article.id, article.title, hit.chunk.start, hit.chunk.end, round(hit.score, 4),
                   hit.chunk.text)
