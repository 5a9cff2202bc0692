"""Keep the SQLite store and the Chroma vectors in step, atomically per article.

The dense unit is the sentence: every sentence of every chunk is embedded once (cached by
title and text) and stored in Chroma under `<chunk id>/<n>`, so retrieval scores a chunk by its
best sentence and the answer step finds its sentence vectors ready. (On the pooled Arabic QA
sets dense scoring ranked the gold passage first 0.831 of the time against 0.798 with
whole-chunk vectors, and each character is embedded once, not once per chunk and once per
sentence; benchmarks/fusion_variants.py, BENCHMARKS.md.)

Adding an article:
1. embed what is not in the vector cache (nothing is written yet);
2. one SQLite transaction: the article's new rows marked `pending` + its vectors in the cache;
3. Chroma: delete the article's old vectors, upsert the new ones (ids are deterministic);
4. its copies (the same report republished: rag/copies.py) looked for and its group stored;
5. one SQLite transaction: mark it `ready`.
Search only sees `ready` articles, so after a crash at any step the article is either fully
searchable or absent. `heal()` (run on open) finishes pending articles from the vector cache
and removes the vectors of deleted ones; upserts by id mean no duplicates.
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .arabic import terms
from .chunking import chunk_article, text_hash
from .copies import CopyPolicy, band_keys, jaccard, shingles
from .embedder import Embedder
from .errors import EmptyIndexError, InputError, StoreError, UnreachableError
from .ids import unit_id
from .pgstore import AdvisoryLock, PgStore
from .sentences import split_sentences
from .settings import Settings
from .store import Store
from .storebase import ArticleInfo, ChunkRef, ChunkRow, ScoredId
from .types import Article, Chunk, Filters, is_iso_date
from .vectors import VectorStore, metadata
from .writelock import WriteLock

Progress = Callable[[int], None]


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0  # sentence texts that went through the model (cache misses)


def check_article(article: Article) -> None:
    """Refuse an article the index cannot store, before anything is written."""
    where = f"article {article.id!r}"
    if not article.id or not article.id.strip():
        raise InputError("an article has an empty id; give it an id or leave the field out")
    if not article.text.strip():
        raise InputError(f"{where} has no text")
    if article.date is not None and not is_iso_date(article.date):
        raise InputError(f"{where}: date {article.date!r} is not YYYY-MM-DD; write it as 2021-11-16")


def content_hash(article: Article) -> str:
    parts = [article.title, article.text, article.date or "", article.source or "", article.url or ""]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def embed_key(title: str, text: str) -> str:
    """Cache key of one embedded text: the title is part of what the model reads."""
    return text_hash(f"{title}\x00{text}")


# What Chroma holds; an index written by an earlier version (chunk vectors) is rebuilt on open.
DENSE_UNIT = "sentence"


@dataclass(frozen=True)
class Unit:
    """One sentence of one chunk, as stored in Chroma; `text == article.text[start:end]`."""

    id: str
    key: str
    text: str
    start: int
    end: int


def sentence_units(article: Article, chunks: Sequence[Chunk]) -> list[Unit]:
    """The sentences of each chunk, split exactly as the answer step splits them."""
    units = []
    for chunk in chunks:
        for n, (s, e) in enumerate(split_sentences(article.text, chunk.start, chunk.end)):
            text = article.text[s:e]
            units.append(Unit(unit_id(chunk.id, n), embed_key(article.title, text), text, s, e))
    return units


def chroma_error(exc: BaseException) -> bool:
    """Is this one of Chroma's own errors (its files, its engine), rather than ours?"""
    return type(exc).__module__.startswith("chromadb")


class Index:
    def __init__(self, db_dir: Path, embedder: Embedder, chunk_chars: int = Settings.chunk_chars,
                 overlap_sentences: int = Settings.chunk_overlap_sentences, batch_articles: int = 32,
                 chroma_url: str = "", database_url: str = ""):
        self.db_dir = db_dir
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap_sentences = overlap_sentences
        self.batch_articles = batch_articles
        self.copy_policy = CopyPolicy()
        self.store: Store | PgStore
        self.lock: WriteLock | AdvisoryLock
        if database_url:  # server mode: PostgreSQL (+ a Chroma server)
            self.store, self.lock = PgStore(database_url), AdvisoryLock(database_url)
            self.store.before_commit = self.lock.still_held  # no commit after the lock was lost
        else:
            self.store, self.lock = Store(db_dir / "isnad.sqlite3"), WriteLock(db_dir / "write.lock")
        self.vectors = VectorStore(db_dir / "chroma", self.lock, chroma_url, self.index_id)
        self.vectors.before_use = self.sync
        self._opened = False
        self._generation: int | None = None  # the store's generation this process's vectors reflect
        self._interrupted = False  # a write of this process raised: heal before the next one

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> Index:
        s = settings
        return cls(s.db_dir, embedder, s.chunk_chars, s.chunk_overlap_sentences,
                   chroma_url=s.chroma_url, database_url=s.database_url)

    # -- lifecycle --------------------------------------------------------------------------
    def open(self) -> Index:
        if self._opened:
            return self
        with self.writing():
            self._open_locked()
        self._opened = True
        return self

    def _open_locked(self) -> None:
        built_with = self.store.get_meta("embed_model")
        if built_with is None:
            self.store.set_meta("embed_model", self.embedder.name)
        elif built_with != self.embedder.name:
            raise StoreError(
                f"the index in {self.db_dir} was built with the embedding model {built_with!r}, "
                f"not {self.embedder.name!r}. Use the same model (RAG_EMBED_MODEL) or another "
                "database folder (RAG_DB_DIR / --db)."
            )
        if self.store.get_meta("dense_unit") != DENSE_UNIT:
            self._rebuild_dense()
        self.heal_or_rebuild()
        if self.vectors.url or not self.vectors.has_files():  # (Chroma's files there: not lost, and not loaded here)
            self.restore_lost_vectors()
        missing = self.store.ids_without_bands()  # stored before copies were looked for, or a write cut short
        if missing:
            self.find_copies(missing)

    def restore_lost_vectors(self) -> bool:
        """If Chroma holds no vector while articles are stored — a Chroma server that came back
        without this index's collection (a new server, its data lost), or a removed chroma folder —
        write them all again from the article store and the vector cache (no model needed). Run on
        open, before an import on a Chroma server, and when a search finds nothing; True if it rebuilt."""
        if not self._vectors_lost():  # as nearly always: no lock taken
            return False
        with self.writing():  # look again under the lock: another process may have rebuilt them meanwhile
            if not self._vectors_lost():
                return False
            print(f"isnad: the vector index of {self.db_dir if not self.vectors.url else self.vectors.url} "
                  "holds none of the stored articles' vectors; writing them again from the article store",
                  file=sys.stderr)
            self._rebuild_vectors()
            return True

    def _vectors_lost(self) -> bool:
        return self.store.has_ready_articles() and self.vectors.count() == 0

    def index_id(self) -> str:
        """This index's own name, made once: its collection's name on a shared Chroma server."""
        found = self.store.get_meta("index_id")
        if found is None:
            self.store.set_meta_once("index_id", f"isnad-{uuid.uuid4().hex[:16]}")
            found = self.store.get_meta("index_id")
        return str(found)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's write lock (across processes); see what others wrote first, and
        tell other processes afterwards that this one wrote."""
        with self.lock.held():
            self.sync()
            before = self.store.changes()
            try:
                if self._interrupted:  # an earlier write broke off (a server went away): finish or undo it
                    self._interrupted = False
                    self._heal_or_rebuild()
                yield
            except BaseException:
                self._interrupted = True
                raise
            finally:
                if self.store.changes() != before:
                    self._generation = self.store.bump_generation()

    def sync(self) -> None:
        """If another process has written to the index since this one last looked, reopen the
        vectors (SQLite reads are always current)."""
        generation = self.store.generation()
        if self._generation is not None and generation != self._generation:
            self.vectors.reload()
        self._generation = generation

    def heal_or_rebuild(self) -> dict[str, int]:
        """`heal()`; if Chroma cannot read its own files (SIGKILL in the middle of Chroma's write can
        leave them so), rebuild the vectors from the article store and the vector cache instead:
        SQLite is the source of truth, and the cache spares the model."""
        with self.writing():
            return self._heal_or_rebuild()

    def _heal_or_rebuild(self) -> dict[str, int]:
        try:
            return self.heal()
        except Exception as exc:  # noqa: BLE001 - only Chroma's own errors are handled here
            if not chroma_error(exc):
                raise
            print(f"isnad: Chroma's files in {self.db_dir / 'chroma'} are damaged ({type(exc).__name__}); "
                  "rebuilding the vector index from the article store", file=sys.stderr)
            self._rebuild_vectors()
            return {**self.heal(), "rebuilt": 1}

    def rebuild_vectors(self) -> None:
        """Throw Chroma's files away and write every article's vectors anew (from the cache)."""
        with self.writing():
            self._rebuild_vectors()

    def _rebuild_vectors(self) -> None:
        """(Its callers say why.)"""
        self.vectors.wipe()
        self.store.set_meta("dense_unit", "")
        self._rebuild_dense(announce=False)

    def _rebuild_dense(self, announce: bool = True) -> None:
        """Re-index every stored article with sentence vectors (an index from an earlier version).

        All articles are marked pending first, so a crash part-way leaves nothing half-visible
        and the next open starts the rebuild again; the vector cache spares the model where it can."""
        articles = self.store.all_articles()
        if articles:
            if announce:
                print(f"isnad: re-indexing {len(articles)} articles in {self.db_dir} sentence by sentence "
                      "(done once)", file=sys.stderr)
            self.store.mark_all_pending()
            self.vectors.reset()
            self._opened = True  # add() below must not come back here
            try:
                self.add(articles)
            finally:
                self._opened = False
        self.store.set_meta("dense_unit", DENSE_UNIT)

    def heal(self) -> dict[str, int]:
        """Finish what a crash interrupted. Returns how many articles were completed/removed."""
        removed = 0
        for article_id in self.store.tombstone_ids():
            self.vectors.delete_article(article_id)
            self.store.clear_tombstone(article_id)
            removed += 1
        completed = 0
        for article_id in self.store.pending_ids():
            article = self.store.get_article(article_id, ready_only=False)
            units = [] if article is None else sentence_units(article, [
                Chunk(row.id, article_id, row.idx, row.start, row.end, article.text[row.start:row.end])
                for row in self.store.chunks_of(article_id)])
            cached = self.store.vectors_for(u.key for u in units)
            if article is None or any(u.key not in cached for u in units):
                self.delete(article_id)
                removed += 1
                continue
            try:
                self.vectors.delete_article(article_id)
                meta = metadata(article.id, article.date, article.source)
                self.vectors.upsert([u.id for u in units], np.stack([cached[u.key] for u in units]) if units
                                    else np.zeros((0, 1), np.float32), [meta] * len(units))
            except Exception as exc:  # noqa: BLE001 - whatever broke, an article we cannot finish is removed
                if chroma_error(exc) or isinstance(exc, UnreachableError):  # ...unless Chroma itself is broken
                    raise  # (heal_or_rebuild rebuilds it) or out of reach: the article waits for the next heal
                self.delete(article_id)
                removed += 1
                continue
            self.store.mark_ready(article_id)
            completed += 1
        return {"completed": completed, "removed": removed}

    # -- reading: the one way in for retrieval, answers, claims and the app -------------------
    def dense(self, vector: np.ndarray, n: int, filters: Filters) -> list[ScoredId]:
        """Sentence unit ids with their cosine, best first, ready articles and pending alike (callers
        keep only chunks that `chunks()` returns)."""
        self.open()
        found = self.vectors.query(vector, n, filters)
        if not found and self.restore_lost_vectors():
            found = self.vectors.query(vector, n, filters)
        return [ScoredId(uid, score) for uid, score in found]

    def lexical(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[ScoredId]:
        """Chunk ids with their BM25 score, best first, ready articles only."""
        self.open()
        return self.store.lexical_search(query_terms, n, filters)

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRef]:
        """Where each chunk of a ready article is; unknown or pending ids are left out."""
        self.open()
        return self.store.chunks_by_ids(chunk_ids)

    def chunks_of(self, article_id: str) -> list[ChunkRow]:
        self.open()
        return self.store.chunks_of(article_id)

    def articles(self, ids: Iterable[str]) -> dict[str, Article]:
        """Ready articles by id."""
        self.open()
        return self.store.get_articles(ids)

    def article(self, article_id: str) -> Article | None:
        self.open()
        return self.store.get_article(article_id)

    def term_frequencies(self, query_terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(chunks indexed, {term: chunks holding it}): the IDF weights' statistics, always current."""
        self.open()
        return self.store.term_frequencies(query_terms)

    def cached_vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Sentence vectors from the embedding cache, by embed_key."""
        self.open()
        return self.store.vectors_for(keys)

    def cache_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        self.store.put_vectors(vectors)

    def cached_vector_pages(self, size: int = 5000) -> Iterator[dict[str, np.ndarray]]:
        """The whole embedding cache, `size` vectors at a time (to seed another index's cache)."""
        self.open()
        after = ""
        while page := self.store.vector_page(after, size):
            yield dict(page)
            after = page[-1][0]

    def close(self) -> None:
        """Close the database connection (SQLite folds its write-ahead log back into the file,
        so the folder can be copied); the next read opens it again."""
        self.store.close()

    def ready_articles(self) -> list[Article]:
        self.open()
        pending = set(self.store.pending_ids())
        return [a for a in self.store.all_articles() if a.id not in pending]

    def list_articles(self, title_query: str = "", limit: int | None = None) -> list[ArticleInfo]:
        self.open()
        return self.store.list_articles(title_query, limit)

    def sources(self) -> list[str]:
        self.open()
        return self.store.sources()

    def counts(self) -> dict[str, int]:
        self.open()
        return {**self.store.counts(), "vectors": self.vectors.count()}

    def require_articles(self) -> None:
        """Raise EmptyIndexError, saying what to do, when no article is ready to answer from."""
        self.open()
        if self.store.has_ready_articles():
            return
        pending = len(self.store.pending_ids())
        raise EmptyIndexError(
            f"the index in {self.db_dir} holds no article yet"
            + (f" ({pending} still being added: ask again when the import is done)" if pending else
               ": add some in the app's \"Add articles\" tab, or with `python -m rag ingest corpus/` (the default "
               "corpus) or your own files, folders or web pages; the app loads the default corpus when it starts"))

    # -- writing ----------------------------------------------------------------------------
    def add(self, articles: Sequence[Article], progress: Progress | None = None) -> AddResult:
        """Add or replace articles; identical ones are skipped. Embeds in batches."""
        self.open()
        for article in articles:
            check_article(article)
        if self.vectors.url and articles:  # a long-running process: the server may have come back empty
            self.restore_lost_vectors()
        result = AddResult()
        for i in range(0, len(articles), self.batch_articles):
            batch = _last_wins(articles[i: i + self.batch_articles])
            self._add_batch(batch, result)
            if progress:
                progress(len(articles[i: i + self.batch_articles]))
        return result

    def _add_batch(self, batch: Sequence[Article], result: AddResult) -> None:
        # Embed first, without the write lock (the slow part: another process may write meanwhile)...
        states = self.store.states(a.id for a in batch)
        planned = {}
        for a in batch:
            h = content_hash(a)
            old = states.get(a.id)
            if old is None or not old.is_ready(h):
                planned[a.id] = _Pending(a, h, chunk_article(a, self.chunk_chars, self.overlap_sentences))
        known = self._vectors_for(list(planned.values()), result)
        # ...then decide and write under it, from the states as they are now: per batch, so a long
        # import lets the app's own writes (and its questions) in between.
        with self.writing():
            self._write_batch(batch, planned, known, result)

    def _write_batch(self, batch: Sequence[Article], planned: dict[str, _Pending], known: dict[str, np.ndarray],
                     result: AddResult) -> None:
        states = self.store.states(a.id for a in batch)
        stale = set(states) | (set(self.store.tombstone_ids()) & {a.id for a in batch})
        todo: list[_Pending] = []
        for article in batch:
            h = content_hash(article)
            old = states.get(article.id)
            if old is not None and old.is_ready(h):
                result.unchanged.append(article.id)
                continue
            (result.replaced if old else result.added).append(article.id)
            todo.append(planned.get(article.id) or
                        _Pending(article, h, chunk_article(article, self.chunk_chars, self.overlap_sentences)))
        if not todo:
            return
        vectors = self._vectors_for(todo, result, known)
        for p in todo:
            self.store.write_pending(p.article, p.content_hash, p.chunks,
                                     [" ".join(terms(c.text)) for c in p.chunks],
                                     [text_hash(c.text) for c in p.chunks],
                                     {u.key: vectors[u.key] for u in p.units})
        for p in todo:
            if p.article.id in stale:  # old vectors of a replaced, half-written or half-deleted version
                self.vectors.delete_article(p.article.id)
        ids = [u.id for p in todo for u in p.units]
        metas = [metadata(p.article.id, p.article.date, p.article.source) for p in todo for _ in p.units]
        if ids:
            self.vectors.upsert(ids, np.stack([vectors[u.key] for p in todo for u in p.units]), metas)
        self.find_copies([p.article.id for p in todo])
        for p in todo:
            self.store.mark_ready(p.article.id)
        result.chunks += sum(len(p.chunks) for p in todo)

    def _vectors_for(self, todo: Sequence[_Pending], result: AddResult,
                     known: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Sentence vectors from `known`, the cache, the rest from the model in one call (it sorts
        by length)."""
        wanted: dict[str, tuple[str, str]] = {}
        for p in todo:
            for u in p.units:
                wanted[u.key] = (p.article.title, u.text)
        known = known or {}
        vectors = {k: known[k] for k in wanted if k in known}
        vectors.update(self.store.vectors_for(k for k in wanted if k not in vectors))
        missing = [k for k in wanted if k not in vectors]
        if missing:
            embedded = self.embedder.embed_documents([wanted[k][1] for k in missing],
                                                     [wanted[k][0] for k in missing])
            vectors.update(zip(missing, embedded, strict=True))
            result.embedded += len(missing)
        return vectors

    def find_copies(self, article_ids: Sequence[str]) -> None:
        """Look for each article's copies among the stored ones (MinHash bands, then the exact
        Jaccard of the texts) and store its bands and group. Called with the write lock held.
        Of a copy group, at most `copy_policy.per_group` members are measured and one match is
        enough: a feed of near-identical items costs the same per item as any other."""
        policy = self.copy_policy
        texts = self.store.texts(article_ids)
        for article_id in article_ids:
            if article_id not in texts:
                continue
            own, keys = band_keys(texts[article_id], policy)
            candidates = self.store.copy_candidates(keys, exclude=article_id)
            groups = self.store.copy_groups(candidates) if candidates else {}
            tried: dict[str, int] = {}
            chosen = []
            for c in candidates:
                g = groups.get(c)
                if g is None or tried.get(g, 0) < policy.per_group:
                    chosen.append(c)
                    if g is not None:
                        tried[g] = tried.get(g, 0) + 1
            others = self.store.texts(chosen) if chosen else {}
            same, joined = [], set()
            for c in chosen:
                g = groups.get(c)
                if (g is None or g not in joined) and c in others and \
                        jaccard(own, shingles(others[c][: policy.chars])) >= policy.jaccard:
                    same.append(c)
                    if g is not None:
                        joined.add(g)
            self.store.put_copies(article_id, keys, same)

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, list[str]]:
        """article id -> the other ready articles of its copy group (only articles that have copies)."""
        self.open()
        groups = self.store.copy_groups(article_ids)
        members = self.store.group_members(set(groups.values())) if groups else {}
        out = {a: [m for m in members.get(g, []) if m != a] for a, g in groups.items()}
        return {a: m for a, m in out.items() if m}

    def copy_groups(self, article_ids: Iterable[str]) -> dict[str, str]:
        """article id -> its copy group, for articles that have copies."""
        self.open()
        return self.store.copy_groups(article_ids)

    def delete(self, article_id: str) -> bool:
        with self.writing():
            found = self.store.delete_with_tombstone(article_id)
            self.vectors.delete_article(article_id)
            self.store.clear_tombstone(article_id)
        return found


class _Pending:
    """An article on its way in: its chunks and their sentences."""

    def __init__(self, article: Article, content_hash: str, chunks: list[Chunk]):
        self.article = article
        self.content_hash = content_hash
        self.chunks = chunks
        self.units = sentence_units(article, chunks)


def _last_wins(batch: Sequence[Article]) -> list[Article]:
    """Within one batch an id appearing twice keeps its last version."""
    return list({a.id: a for a in batch}.values())
