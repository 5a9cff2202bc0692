"""Keep the SQLite store and the Chroma vectors in step, atomically per article.

Adding an article:
1. embed what is not in the vector cache (nothing is written yet);
2. one SQLite transaction: the article's new rows marked `pending` + its vectors in the cache;
3. Chroma: delete the article's old vectors, upsert the new ones (ids are deterministic);
4. one SQLite transaction: mark it `ready`.
Search only sees `ready` articles, so after a crash at any step the article is either fully
searchable or absent. `heal()` (run on open) finishes pending articles from the vector cache
and removes the vectors of deleted ones; upserts by id mean no duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .arabic import terms
from .chunking import chunk_article, text_hash
from .embedder import Embedder
from .errors import InputError, StoreError
from .sentences import split_sentences
from .store import Store
from .types import Article, Chunk, is_iso_date
from .vectors import VectorStore, metadata

Progress = Callable[[int], None]


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0  # chunk texts that went through the model (cache misses)


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
    """Cache key of one embedded passage: the title is part of what the model reads."""
    return text_hash(f"{title}\x00{text}")



class Index:
    def __init__(self, db_dir: Path, embedder: Embedder, chunk_chars: int = 700,
                 overlap_sentences: int = 1, batch_articles: int = 32, sentences_at_ingest: bool = False):
        self.db_dir = db_dir
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap_sentences = overlap_sentences
        self.batch_articles = batch_articles
        # Embed every sentence now (answers then need no model call beyond the question) rather
        # than when it is first a candidate answer: ingest costs about three times as much.
        self.sentences_at_ingest = sentences_at_ingest
        self.store = Store(db_dir / "isnad.sqlite3")
        self.vectors = VectorStore(db_dir / "chroma")
        self._opened = False

    # -- lifecycle --------------------------------------------------------------------------
    def open(self) -> Index:
        if self._opened:
            return self
        built_with = self.store.get_meta("embed_model")
        if built_with is None:
            self.store.set_meta("embed_model", self.embedder.name)
        elif built_with != self.embedder.name:
            raise StoreError(
                f"the index in {self.db_dir} was built with the embedding model {built_with!r}, "
                f"not {self.embedder.name!r}. Use the same model (RAG_EMBED_MODEL) or another "
                "database folder (RAG_DB_DIR / --db)."
            )
        self.heal()
        self._opened = True
        return self

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
            rows = self.store.chunks_of(article_id)
            cached = self.store.vectors_for(r[4] for r in rows)
            if article is None or len(cached) < len({r[4] for r in rows}):
                self.delete(article_id)
                removed += 1
                continue
            try:
                self.vectors.delete_article(article_id)
                meta = metadata(article.id, article.date, article.source)
                self.vectors.upsert([r[0] for r in rows], np.stack([cached[r[4]] for r in rows]) if rows
                                    else np.zeros((0, 1), np.float32), [meta] * len(rows))
            except Exception:  # noqa: BLE001 - whatever broke, an article we cannot finish is removed
                self.delete(article_id)
                removed += 1
                continue
            self.store.mark_ready(article_id)
            completed += 1
        return {"completed": completed, "removed": removed}

    # -- writing ----------------------------------------------------------------------------
    def add(self, articles: Sequence[Article], progress: Progress | None = None,
            sentences: bool | None = None) -> AddResult:
        """Add or replace articles; identical ones are skipped. Embeds in batches.

        `sentences` overrides `sentences_at_ingest` for this call."""
        with_sentences = self.sentences_at_ingest if sentences is None else sentences
        self.open()
        for article in articles:
            check_article(article)
        result = AddResult()
        for i in range(0, len(articles), self.batch_articles):
            batch = _last_wins(articles[i: i + self.batch_articles])
            self._add_batch(batch, result, with_sentences)
            if progress:
                progress(len(articles[i: i + self.batch_articles]))
        return result

    def _add_batch(self, batch: Sequence[Article], result: AddResult, with_sentences: bool) -> None:
        states = self.store.states(a.id for a in batch)
        stale = set(states) | (set(self.store.tombstone_ids()) & {a.id for a in batch})
        todo: list[_Pending] = []
        for article in batch:
            h = content_hash(article)
            old = states.get(article.id)
            if old == (h, "ready"):
                result.unchanged.append(article.id)
                continue
            (result.replaced if old else result.added).append(article.id)
            todo.append(_Pending(article, h, chunk_article(article, self.chunk_chars, self.overlap_sentences)))
        if not todo:
            return
        vectors = self._vectors_for(todo, result, with_sentences)
        for p in todo:
            self.store.write_pending(p.article, p.content_hash, p.chunks,
                                     [" ".join(terms(c.text)) for c in p.chunks], p.chunk_keys,
                                     {k: vectors[k] for k in p.chunk_keys})
        for p in todo:
            if p.article.id in stale:  # old vectors of a replaced, half-written or half-deleted version
                self.vectors.delete_article(p.article.id)
        ids = [c.id for p in todo for c in p.chunks]
        metas = [metadata(p.article.id, p.article.date, p.article.source) for p in todo for _ in p.chunks]
        if ids:
            self.vectors.upsert(ids, np.stack([vectors[k] for p in todo for k in p.chunk_keys]), metas)
        for p in todo:
            self.store.mark_ready(p.article.id)
        result.chunks += len(ids)

    def _vectors_for(self, todo: Sequence[_Pending], result: AddResult,
                     with_sentences: bool) -> dict[str, np.ndarray]:
        """Chunk vectors from the cache, the rest from the model (one batch, longest first)."""
        wanted: dict[str, tuple[str, str]] = {}
        for p in todo:
            for chunk, key in zip(p.chunks, p.chunk_keys, strict=True):
                wanted[key] = (p.article.title, chunk.text)
        sentences: dict[str, tuple[str, str]] = {}
        if with_sentences:
            for p in todo:
                for s, e in split_sentences(p.article.text):
                    text = p.article.text[s:e]
                    sentences[embed_key(p.article.title, text)] = (p.article.title, text)
        vectors = self.store.vectors_for([*wanted, *sentences])
        extra = {k: v for k, v in sentences.items() if k not in vectors}
        if extra:
            fresh = self.embedder.embed_documents([t for _, t in extra.values()], [ti for ti, _ in extra.values()])
            self.store.put_vectors(dict(zip(extra, fresh, strict=True)))
        missing = [k for k in wanted if k not in vectors]
        if missing:
            embedded = self.embedder.embed_documents([wanted[k][1] for k in missing],
                                                     [wanted[k][0] for k in missing])
            vectors.update(zip(missing, embedded, strict=True))
            result.embedded += len(missing)
        return vectors

    def delete(self, article_id: str) -> bool:
        found = self.store.delete_with_tombstone(article_id)
        self.vectors.delete_article(article_id)
        self.store.clear_tombstone(article_id)
        return found


class _Pending:
    """An article on its way in: its chunks and their cache keys."""

    def __init__(self, article: Article, content_hash: str, chunks: list[Chunk]):
        self.article = article
        self.content_hash = content_hash
        self.chunks = chunks
        self.chunk_keys = [embed_key(article.title, c.text) for c in chunks]


def _last_wins(batch: Sequence[Article]) -> list[Article]:
    """Within one batch an id appearing twice keeps its last version."""
    return list({a.id: a for a in batch}.values())
