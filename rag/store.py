"""The SQLite side of the index: articles, chunks, the lexical (FTS5) index, the embedding cache.

SQLite is the source of truth for what is searchable: an article is visible only once its row
says `ready`. See `index.py` for how this and the Chroma vectors are kept in step.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import StoreError
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
"""


@dataclass(frozen=True)
class ArticleInfo:
    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    chunks: int
    chars: int


class ChunkRow(NamedTuple):
    """A stored chunk of a known article (`chunks_of`)."""

    id: str
    idx: int
    start: int
    end: int
    text_hash: str


class ChunkRef(NamedTuple):
    """Where a chunk found by id lives (`chunks_by_ids`)."""

    article_id: str
    idx: int
    start: int
    end: int
    text_hash: str


class Store:
    """Cheap to construct; the database file is opened on first use."""

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

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def set_meta_once(self, key: str, value: str) -> None:
        """Set `key` unless another writer (another process) already has."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """A number every committed write of the index raises (Index.bump): another process's
        write shows as a new number."""
        value = self.get_meta("generation")
        return int(value) if value else 0

    def changes(self) -> int:
        """Rows this process has changed so far (SQLite's count on our connection)."""
        with self._lock:
            return self.conn.total_changes

    def bump_generation(self) -> int:
        with self.transaction() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                         "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
            return int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    # -- writing ----------------------------------------------------------------------------
    def write_pending(self, article: Article, content_hash: str, chunks: Sequence[Chunk],
                      chunk_terms: Sequence[str], hashes: Sequence[str],
                      vectors: dict[str, np.ndarray]) -> None:
        """Replace the article's rows by the new version, marked `pending`, in one transaction."""
        with self.transaction() as conn:
            self._delete_rows(conn, article.id)
            # The caller deletes the article's old vectors next, which is all a tombstone asks for;
            # leaving it would make the next heal delete the new version's vectors.
            conn.execute("DELETE FROM tombstones WHERE article_id = ?", (article.id,))
            conn.execute(
                "INSERT INTO articles(id, title, text, date, source, url, content_hash, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                (article.id, article.title, article.text, article.date, article.source, article.url,
                 content_hash),
            )
            for chunk, terms, h in zip(chunks, chunk_terms, hashes, strict=True):
                cur = conn.execute(
                    "INSERT INTO chunks(id, article_id, idx, start, end, text_hash) VALUES (?,?,?,?,?,?)",
                    (chunk.id, article.id, chunk.index, chunk.start, chunk.end, h),
                )
                conn.execute("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", (cur.lastrowid, terms))
            conn.executemany(
                "INSERT OR IGNORE INTO vectors(text_hash, vector) VALUES (?, ?)",
                [(h, _to_blob(v)) for h, v in vectors.items()],
            )

    def mark_all_pending(self) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE articles SET state = 'pending'")

    def mark_ready(self, article_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE articles SET state = 'ready' WHERE id = ?", (article_id,))

    def delete_with_tombstone(self, article_id: str) -> bool:
        """Remove the article's rows and remember that its vectors still have to go."""
        with self.transaction() as conn:
            found = self._delete_rows(conn, article_id)
            conn.execute("INSERT OR IGNORE INTO tombstones(article_id) VALUES (?)", (article_id,))
        return found

    def clear_tombstone(self, article_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM tombstones WHERE article_id = ?", (article_id,))

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO vectors(text_hash, vector) VALUES (?, ?)",
                             [(h, _to_blob(v)) for h, v in vectors.items()])

    def clear_vectors(self) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM vectors")

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, article_id: str) -> bool:
        conn.execute(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE article_id = ?)",
            (article_id,),
        )
        conn.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    # -- reading ----------------------------------------------------------------------------
    def state(self, article_id: str) -> tuple[str, str] | None:
        """(content_hash, state) of a stored article, or None."""
        rows = self._query("SELECT content_hash, state FROM articles WHERE id = ?", (article_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def states(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i: i + 500]
            marks = ",".join("?" * len(part))
            for aid, h, st in self._query(
                f"SELECT id, content_hash, state FROM articles WHERE id IN ({marks})", part
            ):
                out[aid] = (h, st)
        return out

    def pending_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM articles WHERE state = 'pending'")]

    def tombstone_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT article_id FROM tombstones")]

    def get_article(self, article_id: str, ready_only: bool = True) -> Article | None:
        sql = "SELECT id, title, text, date, source, url FROM articles WHERE id = ?"
        if ready_only:
            sql += " AND state = 'ready'"
        rows = self._query(sql, (article_id,))
        return Article(*rows[0]) if rows else None

    def all_articles(self) -> list[Article]:
        """Every stored article, ready or pending, in insertion order."""
        return [Article(id=i, title=t, text=x, date=d, source=s, url=u) for i, t, x, d, s, u in self._query(
            "SELECT id, title, text, date, source, url FROM articles ORDER BY rowid")]

    def lexical_rows(self) -> tuple[dict[int, str], set[int]]:
        """({chunk rowid: its article id}, {rowids in the lexical index}), to check that they agree."""
        chunks = {int(r): a for r, a in self._query("SELECT rowid, article_id FROM chunks")}
        return chunks, {int(r[0]) for r in self._query("SELECT rowid FROM chunks_fts")}

    def delete_lexical_orphans(self) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM chunks_fts WHERE rowid NOT IN (SELECT rowid FROM chunks)")

    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i: i + 500]
            marks = ",".join("?" * len(part))
            for row in self._query(
                "SELECT id, title, text, date, source, url FROM articles"
                f" WHERE +state = 'ready' AND id IN ({marks})", part  # "+": look up by id, see chunks_by_ids
            ):
                out[row[0]] = Article(*row)
        return out

    def list_articles(self, title_query: str = "", limit: int | None = None) -> list[ArticleInfo]:
        sql = (
            "SELECT a.id, a.title, a.date, a.source, a.url, length(a.text),"
            " (SELECT count(*) FROM chunks c WHERE c.article_id = a.id)"
            " FROM articles a WHERE a.state = 'ready'"
        )
        params: list[object] = []
        if title_query:
            sql += " AND instr(lower(a.title), lower(?)) > 0"
            params.append(title_query)
        sql += " ORDER BY a.date IS NULL, a.date DESC, a.title"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [ArticleInfo(r[0], r[1], r[2], r[3], r[4], r[6], r[5]) for r in self._query(sql, params)]

    def sources(self) -> list[str]:
        return [r[0] for r in self._query(
            "SELECT DISTINCT source FROM articles WHERE state='ready' AND source IS NOT NULL ORDER BY 1")]

    def chunks_by_ids(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRef]:
        """chunk id -> where it is, for ready articles only."""
        out = {}
        ids = list(chunk_ids)
        for i in range(0, len(ids), 500):
            part = ids[i: i + 500]
            marks = ",".join("?" * len(part))
            for cid, aid, idx, s, e, h in self._query(
                "SELECT c.id, c.article_id, c.idx, c.start, c.end, c.text_hash FROM chunks c"
                " JOIN articles a ON a.id = c.article_id"
                # "+" keeps SQLite from driving this by the state index (every article is 'ready'):
                # 368 ms against 1.5 ms for 70 ids in a 50,000-article index.
                f" WHERE +a.state = 'ready' AND c.id IN ({marks})", part
            ):
                out[cid] = ChunkRef(aid, idx, s, e, h)
        return out

    def chunks_of(self, article_id: str) -> list[ChunkRow]:
        return [ChunkRow(*r) for r in self._query(
            "SELECT id, idx, start, end, text_hash FROM chunks WHERE article_id = ? ORDER BY idx",
            (article_id,))]

    def lexical_search(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[tuple[str, float]]:
        """BM25 over the stemmed terms: [(chunk_id, score)], best first, higher is better."""
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
        return [(r[0], float(r[1])) for r in self._query(sql, params)]

    def term_frequencies(self, query_terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(chunks in the lexical index, {term: chunks that contain it}), for IDF weights."""
        unique = list(dict.fromkeys(query_terms))
        n = self._query("SELECT count(*) FROM chunks")[0][0]
        if not unique:
            return n, {}
        marks = ",".join("?" * len(unique))
        rows = self._query(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", unique)
        return n, {t: int(d) for t, d in rows}

    def vectors_for(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(hashes))
        out = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i: i + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self._query(f"SELECT text_hash, vector FROM vectors WHERE text_hash IN ({marks})", part):
                out[h] = _from_blob(blob)
        return out

    def vector_page(self, after: str, n: int) -> list[tuple[str, np.ndarray]]:
        """Up to `n` cached vectors whose keys sort after `after`, in key order (a keyset page)."""
        rows = self._query("SELECT text_hash, vector FROM vectors WHERE text_hash > ? ORDER BY text_hash LIMIT ?",
                           (after, n))
        return [(h, _from_blob(blob)) for h, blob in rows]

    def has_ready_articles(self) -> bool:
        return bool(self._query("SELECT EXISTS (SELECT 1 FROM articles WHERE state = 'ready')")[0][0])

    def counts(self) -> dict[str, int]:
        q = self._query
        return {
            "articles": q("SELECT count(*) FROM articles WHERE state = 'ready'")[0][0],
            "pending": q("SELECT count(*) FROM articles WHERE state = 'pending'")[0][0],
            "chunks": q("SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id"
                        " WHERE a.state = 'ready'")[0][0],
            "cached_vectors": q("SELECT count(*) FROM vectors")[0][0],
        }


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


def _to_blob(vector: np.ndarray) -> bytes:
    # float16 halves the cache; it is only used to re-score and to rebuild Chroma.
    return np.asarray(vector, dtype=np.float16).tobytes()


def _from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)
