"""The SQLite side of the index: articles, chunks, the lexical (FTS5) index, the embedding cache.

SQLite is the source of truth for what is searchable: an article is visible only once its row
says `ready`. See `index.py` for how this and the Chroma vectors are kept in step.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import StoreError
from .storebase import COPIES_SCHEMA, FEEDS_SCHEMA, ScoredId, SqlStore
from .types import Article, Chunk, Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT,
    source TEXT,
    url TEXT,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready')),
    added_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS articles_state ON articles(state);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
CREATE TABLE IF NOT EXISTS vectors (
    text_hash TEXT PRIMARY KEY,
    vector BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (article_id TEXT PRIMARY KEY);
""" + FEEDS_SCHEMA + COPIES_SCHEMA


class Store(SqlStore):
    """Cheap to construct; the database file is opened on first use."""

    # "+" keeps SQLite from driving a lookup by id through the state index (every article is
    # 'ready'): 368 ms against 1.5 ms for 70 chunk ids in a 50,000-article index.
    READY = "+a.state = 'ready'"

    def __init__(self, path: Path):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    # -- connection -------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.executescript(SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open the index database {self.path}: {exc}") from exc
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def changes(self) -> int:
        """Rows this process has changed so far (SQLite's count on our connection)."""
        with self._lock:
            return self.conn.total_changes

    def bump_generation(self) -> int:
        with self.transaction() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                         "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
            return int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    # -- writing: the lexical index is an FTS5 table ----------------------------------------------
    def write_pending(self, article: Article, content_hash: str, chunks: Sequence[Chunk],
                      chunk_terms: Sequence[str], hashes: Sequence[str],
                      vectors: dict[str, np.ndarray]) -> None:
        """Replace the article's rows by the new version, marked `pending`, in one transaction."""
        with self.transaction() as conn:
            self._write_article(conn, article, content_hash, vectors)
            for chunk, terms, h in zip(chunks, chunk_terms, hashes, strict=True):
                cur = conn.execute(
                    'INSERT INTO chunks(id, article_id, idx, start, "end", text_hash) VALUES (?,?,?,?,?,?)',
                    (chunk.id, article.id, chunk.index, chunk.start, chunk.end, h),
                )
                conn.execute("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", (cur.lastrowid, terms))

    def _delete_rows(self, conn: sqlite3.Connection, article_id: str) -> bool:
        conn.execute(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE article_id = ?)",
            (article_id,),
        )
        conn.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    # -- the lexical index ------------------------------------------------------------------
    def lexical_rows(self) -> tuple[dict[int, str], set[int]]:
        """({chunk rowid: its article id}, {rowids in the lexical index}), to check that they agree."""
        chunks = {int(r): a for r, a in self._query("SELECT rowid, article_id FROM chunks")}
        return chunks, {int(r[0]) for r in self._query("SELECT rowid FROM chunks_fts")}

    def delete_lexical_orphans(self) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM chunks_fts WHERE rowid NOT IN (SELECT rowid FROM chunks)")

    def lexical_search(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[ScoredId]:
        """BM25 over the stemmed terms: chunk ids with their scores, best first, higher is better."""
        unique = list(dict.fromkeys(t for t in query_terms if t))
        if not unique:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in unique)
        sql = (
            "SELECT c.id, -bm25(chunks_fts) AS score FROM chunks_fts"
            " JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN articles a ON a.id = c.article_id"
            " WHERE chunks_fts MATCH ? AND +a.state = 'ready'"
        )
        params: list[object] = [match]
        sql, params = _filter_sql(sql, params, filters)
        sql += " ORDER BY bm25(chunks_fts) LIMIT ?"
        params.append(n)
        return [ScoredId(r[0], float(r[1])) for r in self._query(sql, params)]

    def term_frequencies(self, query_terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(chunks in the lexical index, {term: chunks that contain it}), for IDF weights."""
        unique = list(dict.fromkeys(query_terms))
        n = self._query("SELECT count(*) FROM chunks")[0][0]
        if not unique:
            return n, {}
        marks = ",".join("?" * len(unique))
        rows = self._query(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", unique)
        return n, {t: int(d) for t, d in rows}


def _filter_sql(sql: str, params: list[object], filters: Filters) -> tuple[str, list[object]]:
    if filters.sources:
        sql += f" AND a.source IN ({','.join('?' * len(filters.sources))})"
        params.extend(filters.sources)
    if filters.date_from:
        sql += " AND a.date >= ?"
        params.append(filters.date_from)
    if filters.date_to:
        sql += " AND a.date <= ?"
        params.append(filters.date_to)
    return sql, params
