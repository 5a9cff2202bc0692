"""The PostgreSQL side of the index (server mode, `RAG_DATABASE_URL`): the same contract as the
SQLite `Store` — articles, chunks, the lexical index, the embedding cache — for several app
processes (and machines) on one index.

* Lexical search keeps our Arabic normalisation and stemming: the stemmed terms of each chunk are
  stored as postings (term, chunk, term frequency) under a b-tree on the term — an inverted index —
  and scored with the same BM25 as SQLite's FTS5 (k1 1.2, b 0.75, FTS5's IDF), so both back ends
  rank the same chunks the same way. Document frequencies and lengths are read from the postings
  in the same transaction as everything else: no statistic can go stale.
* Migrations are numbered and applied on open, under a transaction-level advisory lock, so two
  processes opening a new database at once do not both create it.
* The write lock across processes is a PostgreSQL advisory lock (`AdvisoryLock`): released when the
  process's connection ends, also when it is killed.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .errors import StoreError, UnreachableError
from .storebase import COPIES_SCHEMA, FEEDS_SCHEMA, ScoredId, SqlStore
from .types import Article, Chunk, Filters
from .writelock import ReentrantLock

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    seq BIGSERIAL UNIQUE,
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT,
    source TEXT,
    url TEXT,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready'))
);
CREATE INDEX articles_state ON articles(state);
CREATE TABLE chunks (
    rowid BIGSERIAL PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text_hash TEXT NOT NULL,
    n_terms INTEGER
);
CREATE INDEX chunks_article ON chunks(article_id);
CREATE TABLE postings (
    term TEXT NOT NULL,
    chunk_rowid BIGINT NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE,
    tf INTEGER NOT NULL,
    PRIMARY KEY (term, chunk_rowid)
);
CREATE INDEX postings_chunk ON postings(chunk_rowid);
CREATE TABLE vectors (text_hash TEXT PRIMARY KEY, vector BYTEA NOT NULL);
CREATE TABLE tombstones (article_id TEXT PRIMARY KEY);
"""),
    (2, FEEDS_SCHEMA),
    (3, COPIES_SCHEMA),
]
_MIGRATION_LOCK = 0x15AD0001  # advisory key: one process migrates at a time
K1, B = 1.2, 0.75  # FTS5's bm25() constants


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - it is in requirements.txt
        raise StoreError("RAG_DATABASE_URL needs the psycopg package: pip install 'psycopg[binary]'") from exc
    return psycopg


def _connect(url: str) -> Any:
    psycopg = _psycopg()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise UnreachableError(f"cannot connect to PostgreSQL at {_safe(url)} ({' '.join(str(exc).split())}); start it "
                               "(e.g. pg_ctlcluster 15 main start) or check RAG_DATABASE_URL") from exc


def _lost(exc: BaseException, conn: Any) -> bool:
    """Did this error end the connection (the server restarted, was killed, or dropped us)?"""
    return isinstance(exc, _psycopg().OperationalError) and conn is not None and bool(conn.closed)


def _lost_error(url: str, exc: BaseException) -> UnreachableError:
    detail = " ".join(str(exc).split())
    return UnreachableError(f"lost the connection to PostgreSQL at {_safe(url)} ({detail}). Start the server again "
                            "if it stopped; the next request reconnects, and work cut short is finished or undone "
                            "then (try the import again if it was one)")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':', 1)[0]}:***@{tail}"


class PgStore(SqlStore):
    """Cheap to construct; connects and migrates on first use."""

    ORDER = "seq"
    TITLE_CONTAINS = "position(lower(?) in lower(a.title)) > 0"
    COLLATE = ' COLLATE "C"'  # sort as SQLite does (bytewise), whatever the database's locale

    def __init__(self, url: str):
        self.url = url
        self.path = _safe(url)  # what messages name
        self._conn: Any = None
        self._lock = threading.RLock()
        self._writes = 0
        self._in_transaction = 0  # depth, in the thread that holds _lock
        # Called before each commit; may raise to roll back. The index checks here that its write
        # lock is still held (AdvisoryLock.still_held).
        self.before_commit: Callable[[], None] = lambda: None

    # -- connection -------------------------------------------------------------------------
    @property
    def conn(self) -> Any:
        if self._conn is not None and self._conn.closed:  # lost earlier: connect again
            self._conn = None
        if self._conn is None:
            conn = _connect(self.url)
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
                done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
                for version, sql in MIGRATIONS:
                    if version not in done:
                        conn.execute(sql)
                        conn.execute("INSERT INTO schema_migrations(version) VALUES (%s)", (version,))
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A transaction; a lost connection raises UnreachableError (the transaction did not commit)."""
        with self._lock:
            conn = self.conn
            self._in_transaction += 1
            try:
                with conn.transaction():
                    yield conn
                    self.before_commit()
            except Exception as exc:
                if _lost(exc, conn):
                    self._conn = None
                    raise _lost_error(self.url, exc) from exc
                raise
            finally:
                self._in_transaction -= 1
            self._writes += 1

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        """A read. Outside a transaction, a connection lost since the last call (the server was
        restarted) is replaced once and the read repeated; a second failure raises UnreachableError."""
        with self._lock:
            for attempt in (1, 2):
                conn = self.conn
                try:
                    return conn.execute(sql, params).fetchall()
                except Exception as exc:
                    if not _lost(exc, conn):
                        raise
                    self._conn = None
                    if attempt == 2 or self._in_transaction:
                        raise _lost_error(self.url, exc) from exc
            raise AssertionError("unreachable")  # pragma: no cover

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _in(self, column: str, values: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
        yield f"{column} = ANY(?)", [list(values)]

    def changes(self) -> int:
        return self._writes

    def bump_generation(self) -> int:
        with self.transaction() as conn:
            row = conn.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT (key) "
                               "DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value").fetchone()
        return int(row[0])

    # -- writing: the lexical index is a postings table ---------------------------------------
    def write_pending(self, article: Article, content_hash: str, chunks: Sequence[Chunk],
                      chunk_terms: Sequence[str], hashes: Sequence[str],
                      vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as conn:
            self._write_article(conn, article, content_hash, vectors)
            for chunk, terms, h in zip(chunks, chunk_terms, hashes, strict=True):
                tokens = terms.split()
                rowid = conn.execute(
                    'INSERT INTO chunks(id, article_id, idx, start, "end", text_hash, n_terms)'
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING rowid",
                    (chunk.id, article.id, chunk.index, chunk.start, chunk.end, h, len(tokens))).fetchone()[0]
                counts = Counter(tokens)
                if counts:
                    with conn.cursor() as cur:
                        cur.executemany("INSERT INTO postings(term, chunk_rowid, tf) VALUES (%s, %s, %s)",
                                        [(t, rowid, n) for t, n in counts.items()])

    def _execute_many(self, conn: Any, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            with conn.cursor() as cur:  # psycopg batches executemany on a cursor
                cur.executemany(self._sql(sql), rows)

    def _put(self, conn: Any, vectors: dict[str, np.ndarray]) -> None:
        if vectors:
            with conn.cursor() as cur:  # psycopg batches executemany on a cursor
                super()._put(cur, vectors)

    def _delete_rows(self, conn: Any, article_id: str) -> bool:
        # chunks and their postings go with the article (ON DELETE CASCADE)
        return conn.execute("DELETE FROM articles WHERE id = %s", (article_id,)).rowcount > 0

    # -- the lexical index ------------------------------------------------------------------
    def lexical_rows(self) -> tuple[dict[int, str], set[int]]:
        """({chunk rowid: its article id}, {rowids whose terms are indexed})."""
        rows = self._query("SELECT rowid, article_id, n_terms FROM chunks")
        return {int(r): a for r, a, _ in rows}, {int(r) for r, _, n in rows if n is not None}

    def delete_lexical_orphans(self) -> None:
        """Postings go with their chunk (a foreign key): there are none to delete."""

    def lexical_search(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[ScoredId]:
        """BM25 over the stemmed terms, as FTS5 computes it: [(chunk_id, score)], best first."""
        unique = list(dict.fromkeys(t for t in query_terms if t))
        if not unique:
            return []
        sql = (
            "WITH stats AS (SELECT count(*)::float8 AS n, coalesce(avg(n_terms), 0)::float8 AS avgdl FROM chunks),"
            " df AS (SELECT term, count(*)::float8 AS df FROM postings WHERE term = ANY(%(terms)s) GROUP BY term)"
            " SELECT c.id, sum(greatest(ln((stats.n - df.df + 0.5) / (df.df + 0.5)), 1e-6)"
            f"   * p.tf * {K1 + 1} / (p.tf + {K1} * ({1 - B} + {B} * c.n_terms / nullif(stats.avgdl, 0))))"
            "   AS score"
            " FROM postings p JOIN df ON df.term = p.term JOIN chunks c ON c.rowid = p.chunk_rowid"
            " JOIN articles a ON a.id = c.article_id CROSS JOIN stats"
            " WHERE p.term = ANY(%(terms)s) AND a.state = 'ready'"
        )
        params: dict[str, object] = {"terms": unique, "n": n}
        if filters.sources:
            sql += " AND a.source = ANY(%(sources)s)"
            params["sources"] = list(filters.sources)
        if filters.date_from:
            sql += " AND a.date >= %(date_from)s"
            params["date_from"] = filters.date_from
        if filters.date_to:
            sql += " AND a.date <= %(date_to)s"
            params["date_to"] = filters.date_to
        sql += " GROUP BY c.id, c.rowid ORDER BY score DESC, c.rowid LIMIT %(n)s"
        return [ScoredId(r[0], float(r[1])) for r in self._query(sql, params)]

    def term_frequencies(self, query_terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        unique = list(dict.fromkeys(query_terms))
        n = self._query("SELECT count(*) FROM chunks")[0][0]
        if not unique:
            return int(n), {}
        rows = self._query("SELECT term, count(*) FROM postings WHERE term = ANY(%s) GROUP BY term", (unique,))
        return int(n), {t: int(d) for t, d in rows}


class AdvisoryLock(ReentrantLock):
    """The index's write lock in server mode: a PostgreSQL advisory lock on a connection of its
    own (so it spans the store's transactions and the Chroma writes between them), re-entrant
    within a thread, released by the server when the process dies. Reading the vectors takes it
    shared: a Chroma server can fail a query ("Error creating hnsw segment reader: Nothing found
    on disk") while it compacts another client's write."""

    def __init__(self, url: str, key: str = "isnad-index-writes"):
        super().__init__()
        self.url = url
        self.key = zlib.crc32(key.encode())
        self._conn: Any = None
        self._readers = threading.local()  # each reading thread: its own connection

    def _acquire(self) -> None:
        self._conn = _lock_on(self._conn, self.url, "SELECT pg_advisory_lock(%s)", self.key)

    def _release(self) -> None:
        _unlock(self._conn, "SELECT pg_advisory_unlock(%s)", self.key)

    def still_held(self) -> None:
        """In the thread that holds the lock: raise UnreachableError if the lock's connection has
        ended (the server dropped it: the lock went with it, and another process may be writing)."""
        if self._owner != threading.get_ident() or self._conn is None:
            return
        try:
            self._conn.execute("SELECT 1")
        except Exception as exc:
            if not _lost(exc, self._conn):
                raise
            raise UnreachableError(
                f"lost the index's write lock: its connection to PostgreSQL at {_safe(self.url)} ended "
                f"({' '.join(str(exc).split())}). This write is undone; what it left unfinished is finished or "
                "removed at the next write or open. Try again") from exc

    @contextmanager
    def shared(self) -> Iterator[None]:
        if self._owner == threading.get_ident():  # this thread writes: it may read
            yield
            return
        conn = self._readers.conn = _lock_on(getattr(self._readers, "conn", None), self.url,
                                             "SELECT pg_advisory_lock_shared(%s)", self.key)
        try:
            yield
        finally:
            _unlock(conn, "SELECT pg_advisory_unlock_shared(%s)", self.key)


def _lock_on(conn: Any, url: str, sql: str, key: int) -> Any:
    """Take an advisory lock on `conn` (a new connection if it is missing or was lost since its
    last use: the server was restarted); returns the connection that holds it."""
    for attempt in (1, 2):
        if conn is None or conn.closed:
            conn = _connect(url)
        try:
            conn.execute(sql, (key,))
            return conn
        except Exception as exc:
            if not _lost(exc, conn):
                raise
            if attempt == 2:
                raise _lost_error(url, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _unlock(conn: Any, sql: str, key: int) -> None:
    """Release an advisory lock. When its connection is gone, so is the lock (the server frees
    a session's advisory locks when the session ends): nothing is left to release."""
    try:
        conn.execute(sql, (key,))
    except Exception as exc:
        if not _lost(exc, conn):
            raise
