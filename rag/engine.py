"""The library's front door: one object that the CLI, the web app and tests all drive.

    >>> isnad = Isnad(Settings.from_env({"RAG_EMBED_MODEL": "hash", "RAG_DB_DIR": "/tmp/x"}))
    >>> report = isnad.ingest(["corpus"])          # doctest: +SKIP
    >>> isnad.ask("من توسط بين أرمينيا وأذربيجان؟").citations[0].quote   # doctest: +SKIP

Nothing heavy happens in the constructor: the model loads and the database opens on first use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .answer import Answerer, AnswerPolicy
from .arabic import language
from .conversation import ALONE, contextual_query, is_follow_up
from .embedder import Embedder, make_embedder
from .errors import EmptyQuestionError, InputError, NotFoundError, RagError, SettingsError
from .index import AddResult, Index
from .ingest.loaders import load_paths
from .reader import make_reader, make_verdict_reader
from .retrieve import Retrieval, RetrievalPolicy, Retriever
from .settings import Settings
from .storebase import ArticleInfo
from .types import Answer, AnswerSentence, Article, Filters

if TYPE_CHECKING:
    from .generate import ChatModel
    from .health import HealthReport
    from .verify import Verdict, Verifier

MAX_QUESTION_CHARS = 2000


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def merge(self, result: AddResult) -> None:
        self.added += result.added
        self.replaced += result.replaced
        self.unchanged += result.unchanged
        self.chunks += result.chunks
        self.embedded += result.embedded

    def summary(self) -> str:
        return (f"added {len(self.added)}, unchanged {len(self.unchanged)}, replaced "
                f"{len(self.replaced)}, failed {len(self.errors)} ({self.chunks} chunks, "
                f"{self.embedded} sentences embedded, {self.seconds:.1f} s)")


@dataclass(frozen=True)
class Added:
    """What adding one article did: the `add_article` API's answer."""

    status: str  # "added", "replaced", "unchanged" or "error"
    id: str = ""
    title: str = ""
    chunks: int = 0
    errors: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        if self.status == "error":
            return {"status": "error", "errors": list(self.errors)}
        return {"status": self.status, "id": self.id, "title": self.title, "chunks": self.chunks}


class Isnad:
    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None,
                 chat_model: ChatModel | None = None):
        self.settings = settings or Settings.from_env()
        self.embedder = embedder or make_embedder(self.settings)
        s = self.settings
        self.index = Index.from_settings(s, self.embedder)
        self.retriever = Retriever(self.index, self.embedder, RetrievalPolicy.from_settings(s))
        self.answerer = Answerer(self.index, self.embedder, AnswerPolicy.from_settings(s),
                                 reader=make_reader(s, self.embedder))
        self._verifier: Verifier | None = None
        self._chat_model: ChatModel | None = chat_model
        from .feeds import Feeds

        self.feeds = Feeds(self)  # subscribed RSS/Atom feeds: add, list, remove, refresh

    # -- adding -----------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], progress: Callable[[int, int], None] | None = None
               ) -> IngestReport:
        """Load files/folders, and web pages for http(s) addresses, and add every good article; bad
        files, lines and pages are reported."""
        start = time.perf_counter()
        items = [str(p) for p in paths]
        urls = [p for p in items if p.lower().startswith(("http://", "https://"))]
        files: list[str] = []
        too_big: list[str] = []
        for p in items:
            if p not in urls:
                big = Path(p).is_file() and Path(p).stat().st_size > self.max_upload_bytes
                (too_big if big else files).append(p)
        loaded = load_paths(files)
        report = IngestReport(errors=[InputError(f"file is over the {self.settings.max_upload_mb} MB limit "
                                                 "(RAG_MAX_UPLOAD_MB)", source=p) for p in too_big]
                              + list(loaded.errors))
        articles = list(loaded.articles)
        for url in urls:
            try:
                articles.append(self.fetch_article(url))
            except InputError as exc:
                report.errors.append(exc if exc.source else InputError(exc.reason, source=url))
        report.merge(self.add_articles(articles, progress))
        report.seconds = time.perf_counter() - start
        return report

    def add_articles(self, articles: list[Article], progress: Callable[[int, int], None] | None = None
                     ) -> AddResult:
        total = len(articles)
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total)

        return self.index.add(articles, step)

    @property
    def max_upload_bytes(self) -> int:
        """The largest file or fetched page accepted (RAG_MAX_UPLOAD_MB)."""
        return self.settings.max_upload_mb * 1024 * 1024

    def fetch_article(self, url: str) -> Article:
        """A public web page as an article (its main text); InputError says why not."""
        from .ingest.fetch import fetch, page_article

        return page_article(fetch(url, self.max_upload_bytes, allow_private=self.settings.fetch_private))

    def add_one(self, article: Article) -> Added:
        try:
            result = self.add_articles([article])
        except RagError as exc:
            return Added("error", errors=(str(exc),))
        status = "added" if result.added else "replaced" if result.replaced else "unchanged"
        return Added(status, article.id, article.title, result.chunks)

    def add_record(self, record: dict[str, object]) -> Added:
        """One article from fields (title, text, date, source, url), checked as an import line is."""
        from .ingest.loaders import article_from_record

        try:
            article = article_from_record(record, source="pasted", line=None)
        except InputError as exc:
            return Added("error", errors=(exc.reason,))
        return self.add_one(article)

    def add_url(self, url: str) -> Added:
        try:
            article = self.fetch_article(url)
        except InputError as exc:
            return Added("error", errors=(exc.reason if exc.source == "" else str(exc),))
        return self.add_one(article)

    def delete(self, article_id: str) -> None:
        self.index.open()
        if not self.index.delete(article_id):
            raise NotFoundError(f"no article with id {article_id!r}; `python -m rag list` shows the ids")

    # -- asking -----------------------------------------------------------------------------
    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            mode: str = "hybrid", history: Sequence[str] = (), extractive: bool = False,
            corroborate: bool | None = None) -> Answer:
        """Answer `question`; `history` holds the earlier questions of the conversation
        (oldest first), used to resolve follow-ups such as "ومتى حدث ذلك؟". With a language
        model configured (RAG_LLM_BASE_URL) the answer is generated and verified sentence by
        sentence, unless `extractive`; on any failure of the model the extractive answer comes
        back with a `note` saying why. `corroborate` (default: the setting) looks each citation up
        in the other articles; the app does it after showing the answer (`Isnad.corroborate`)."""
        question = (question or "").strip()
        if not any(ch.isalnum() for ch in question):  # also "؟؟" or only zero-width characters
            raise EmptyQuestionError("the question is empty (it has no words); type a question about the articles")
        if len(question) > MAX_QUESTION_CHARS:
            raise EmptyQuestionError(
                f"the question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
        if k is not None and (not isinstance(k, int) or k <= 0):
            raise SettingsError(f"--k must be a positive whole number (passages to retrieve), got {k!r}")
        self.index.open()
        start = time.perf_counter()
        query = self._query(question, history, extractive)
        lang = language(question)
        retrieval = self.retriever.retrieve(query, k or self.settings.k, filters, lang=lang, mode=mode)
        if not retrieval.hits:
            self.index.require_articles()  # nothing to answer from: say what to do, not "not found"
        choice = self.answerer.choose(question, retrieval)
        answer = self.answerer.answer(question, retrieval, choice)
        chat = None if extractive else self.chat_model
        # Where the closest articles cannot hold the answer (they never name the question's place, or were all
        # written before the year it asks about: `choice.note`), a language model is not asked to write one.
        if chat is not None and retrieval.hits and not (choice.abstain and choice.note):
            answer = self._generated(question, self.answerer.reader_order(choice, retrieval), answer, chat)
        if answer.abstained and not history and is_follow_up(question) and not answer.note:
            answer = replace(answer, note=ALONE[lang if lang in ALONE else "en"])  # "ومتى حدث ذلك؟" asked first
        if (self.settings.corroborate if corroborate is None else corroborate) and answer.citations:
            answer = self.corroborate(answer)
        timings = answer.timings_ms
        return replace(answer, timings_ms={**timings, "retrieve": timings["embed"] + timings["search"],
                                           "total": (time.perf_counter() - start) * 1000})

    def corroborate(self, answer: Answer) -> Answer:
        """The answer with, for each citation, the other articles that state its sentence, state it
        differently, or are copies of its article (rag/corroborate.py)."""
        from .corroborate import Corroborator

        t0 = time.perf_counter()
        found = Corroborator(self.index, self.retriever, self.answerer, self.verifier)
        corroboration = {c.n: found.of(c) for c in answer.citations}
        return replace(answer, corroboration=corroboration,
                       timings_ms={**answer.timings_ms, "corroborate": (time.perf_counter() - t0) * 1000})

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> Retrieval:
        """The passages hybrid retrieval finds for `query`, best first, with their articles (no answer
        step): what the LangChain retriever returns."""
        self.index.open()
        return self.retriever.retrieve(query, k or self.settings.k, filters)

    def _query(self, question: str, history: Sequence[str], extractive: bool) -> str:
        """What to search with: the question; a follow-up rewritten by the language model when one
        is configured, else joined to the question it follows."""
        fallback = contextual_query(question, history)
        chat = None if extractive else self.chat_model
        if chat is None or fallback == question:
            return fallback
        from .generate import rewrite_follow_up

        return rewrite_follow_up(chat, question, history) or fallback

    @property
    def chat_model(self) -> ChatModel | None:
        """The language model that generates answers, when one is configured."""
        if self._chat_model is None and self.settings.llm_base_url:
            from .generate import OpenAICompatible

            s = self.settings
            self._chat_model = OpenAICompatible(s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout)
        return self._chat_model

    def _generated(self, question: str, retrieval: Retrieval, extractive: Answer, chat: ChatModel) -> Answer:
        from .generate import LLMError, build_messages, verify_reply

        t0 = time.perf_counter()
        try:
            reply = "".join(chat.stream(build_messages(question, retrieval, self.settings.answer_sentences + 1)))
        except LLMError as exc:
            return replace(extractive, note=f"{exc}; this is the extractive answer")
        timings = {**extractive.timings_ms, "generate": (time.perf_counter() - t0) * 1000}
        if not reply.strip():
            return replace(extractive, note="the language model returned an empty answer; this is the extractive "
                                            "answer", timings_ms=timings)
        gen = verify_reply(self.verifier, self.embedder, retrieval, reply)
        kept = [g for g in gen.sentences if g.supported]
        timings["verify"] = (time.perf_counter() - t0) * 1000 - timings["generate"]
        if not kept:
            return replace(extractive, generated=gen.sentences, timings_ms=timings,
                           note="no sentence of the generated answer is supported by the passages it cites; "
                                "this is the extractive answer")
        sentences = [AnswerSentence(g.text, g.citations[0]) for g in kept]
        text = " ".join(f"{s.text} [{s.citation}]" for s in sentences)
        return Answer(question=question, answer=text, abstained=False, citations=gen.citations,
                      passages=extractive.passages, language=extractive.language, timings_ms=timings,
                      sentences=sentences, mode="generated", generated=gen.sentences, reader=extractive.reader)

    def verify(self, claim: str, article_id: str | None = None) -> Verdict:
        """Is `claim` supported by the articles (or by the one article `article_id`)? The verdict
        carries the verbatim supporting span, or the reason it is not supported; with
        RAG_CORROBORATE, also the other articles that state the supporting sentence or state it
        differently."""
        verdict = self.verifier.verify(claim, article_id)
        if self.settings.corroborate and verdict.citations:
            from .corroborate import Corroborator

            found = Corroborator(self.index, self.retriever, self.answerer, self.verifier).of(verdict.citations[0])
            verdict = replace(verdict, corroboration=found)
        return verdict

    @property
    def verifier(self) -> Verifier:
        """The claim checker (also what generated sentences are checked with); built on first use."""
        if self._verifier is None:
            from .verify import Verifier

            self._verifier = Verifier(self.index, self.retriever, self.answerer, self.embedder,
                                      verdict_reader=make_verdict_reader(self.settings, self.embedder))
        return self._verifier

    # -- operations -------------------------------------------------------------------------
    def export(self) -> list[Article]:
        """Every searchable article, in the order added: what `rag export` writes."""
        return self.index.ready_articles()

    def check(self, repair: bool = False) -> HealthReport:
        """Do the article store, the lexical index and Chroma agree? With `repair`, make them."""
        from .health import check
        from .health import repair as fix

        if not repair:
            self.index.open()
            self.index.sync()  # this process's view of the vectors, as of now
            return check(self.index)
        with self.index.writing():
            return fix(self.index)

    # -- reading ----------------------------------------------------------------------------
    def get(self, article_id: str) -> Article:
        self.index.open()
        article = self.index.article(article_id)
        if article is None:
            raise NotFoundError(f"no article with id {article_id!r}; `python -m rag list` shows the ids")
        return article

    def list_articles(self, title_query: str = "", limit: int | None = None) -> list[ArticleInfo]:
        return self.index.list_articles(title_query, limit)

    def sources(self) -> list[str]:
        return self.index.sources()

    def info(self) -> dict[str, object]:
        self.index.open()
        counts = self.index.counts()
        reader = self.answerer.reader
        names = self.verifier.names
        return {"settings": self.settings.as_dict(), "index": counts,
                "embed_model": self.embedder.name, "model_runs": self.model_runs(),
                "reader": reader.name if reader is not None else "off (the sentence scorer alone)",
                "claim_reading": self._claim_reading(),
                "claim_names": (f"read by the name probe learned on {names.probe.embedder}"
                                + (f"; {len(names.table):,} common words read ahead" if names.table else ""))
                if names is not None else
                "no name probe for this model: every rare word of an Arabic claim must be in its sentence"}

    def _claim_reading(self) -> str:
        """What reads a claim the word rules find only worded otherwise (does not load a model)."""
        own = self.verifier.verdict_reader
        if own is not None:
            return f"the verdict head of {self.settings.verdict_weights}"
        if getattr(self.answerer.reader, "has_verdicts", False):
            return "the verdict head of the answer's reader"
        return "none: the word rules and the name probe decide"

    def model_runs(self) -> str:
        """Where and in what precision the embedding model runs, and why: "bfloat16 on cpu: the CPU
        computes bfloat16 natively (AVX512_BF16)". Does not load the model."""
        precision = getattr(self.embedder, "precision", None)
        if precision is None:
            return f"{self.embedder.name} (no neural model)"
        from .embedder import resolve_device
        from .precision import cpu_profile

        device = resolve_device(self.settings.device)
        where = f"{device} ({cpu_profile().describe()})" if device == "cpu" else device
        runtime = getattr(self.embedder, "runtime", "torch")
        why = getattr(self.embedder, "runtime_reason", "")
        return f"{precision.dtype} on {where}: {precision.reason}; runs in {runtime}" + (f" ({why})" if why else "")

    def warm_up(self) -> None:
        """Load the model (and the built-in readers, converting them for OpenVINO when that is not done
        yet) and open the index now rather than on the first question."""
        self.index.open()
        self.embedder.embed_queries(["warm up"])
        for reader in (self.answerer.reader, self.verifier.verdict_reader):
            reader_warm_up = getattr(reader, "warm_up", None)
            if reader_warm_up is not None:
                reader_warm_up()
