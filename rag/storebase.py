"""The article store's contract, declared once: the records it returns, the protocol both stores keep
(`ArticleStore`: SQLite in store.py, PostgreSQL in pgstore.py), and what they share (`SqlStore`).

`SqlStore` holds every method whose SQL is the same in both dialects; a store supplies its
connection, its placeholder, how it matches a column against many values, and what truly differs:
the lexical index (FTS5 against a postings table) and the few places the dialects disagree.
tests/test_backends.py is the proof that each implementation keeps the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from .feeds import Feed
from .types import Article, Chunk, Filters


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


@dataclass(frozen=True)
class ArticleState:
    """What the store holds of an article: the hash of the version stored and whether it is searchable."""

    content_hash: str
    ready: bool

    def is_ready(self, content_hash: str) -> bool:
        """Is exactly this version stored and searchable?"""
        return self.ready and self.content_hash == content_hash


class ScoredId(NamedTuple):
    """A chunk (lexical search) or sentence (dense search) id with its score, higher is better."""

    id: str
    score: float


def vector_to_blob(vector: np.ndarray) -> bytes:
    # float16 halves the cache; it is only used to re-score and to rebuild Chroma.
    return np.asarray(vector, dtype=np.float16).tobytes()


def vector_from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)


class ArticleStore(Protocol):
    """Articles, chunks, the lexical index and the vector cache: what the index needs of a store."""

    path: Any  # what messages name (a file, or a server URL without its password)

    def transaction(self) -> AbstractContextManager[Any]: ...
    def close(self) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def set_meta_once(self, key: str, value: str) -> None: ...
    def generation(self) -> int: ...
    def changes(self) -> int: ...
    def bump_generation(self) -> int: ...
    def write_pending(self, article: Article, content_hash: str, chunks: Sequence[Chunk],
                      chunk_terms: Sequence[str], hashes: Sequence[str], vectors: dict[str, np.ndarray]) -> None: ...
    def mark_all_pending(self) -> None: ...
    def mark_ready(self, article_id: str) -> None: ...
    def delete_with_tombstone(self, article_id: str) -> bool: ...
    def clear_tombstone(self, article_id: str) -> None: ...
    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None: ...
    def states(self, ids: Iterable[str]) -> dict[str, ArticleState]: ...
    def pending_ids(self) -> list[str]: ...
    def tombstone_ids(self) -> list[str]: ...
    def get_article(self, article_id: str, ready_only: bool = True) -> Article | None: ...
    def all_articles(self) -> list[Article]: ...
    def lexical_rows(self) -> tuple[dict[int, str], set[int]]: ...
    def delete_lexical_orphans(self) -> None: ...
    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]: ...
    def list_articles(self, title_query: str = "", limit: int | None = None) -> list[ArticleInfo]: ...
    def sources(self) -> list[str]: ...
    def chunks_by_ids(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRef]: ...
    def chunks_of(self, article_id: str) -> list[ChunkRow]: ...
    def lexical_search(self, query_terms: Sequence[str], n: int, filters: Filters) -> list[ScoredId]: ...
    def term_frequencies(self, query_terms: Sequence[str]) -> tuple[int, dict[str, int]]: ...
    def vectors_for(self, hashes: Iterable[str]) -> dict[str, np.ndarray]: ...
    def vector_page(self, after: str, n: int) -> list[tuple[str, np.ndarray]]: ...
    def has_ready_articles(self) -> bool: ...
    def counts(self) -> dict[str, int]: ...
    def put_feed(self, feed: Feed) -> None: ...
    def get_feed(self, url: str) -> Feed | None: ...
    def list_feeds(self) -> list[Feed]: ...
    def delete_feed(self, url: str) -> bool: ...
    def feed_items_seen(self, feed_url: str, guids: Sequence[str]) -> set[str]: ...
    def add_feed_items(self, feed_url: str, items: Sequence[tuple[str, str]]) -> None: ...
    def copy_candidates(self, bands: Sequence[str], exclude: str) -> list[str]: ...
    def texts(self, ids: Iterable[str]) -> dict[str, str]: ...
    def put_copies(self, article_id: str, bands: Sequence[str], copies_of: Sequence[str]) -> None: ...
    def copy_groups(self, ids: Iterable[str]) -> dict[str, str]: ...
    def group_members(self, group_ids: Iterable[str]) -> dict[str, list[str]]: ...
    def ids_without_bands(self) -> list[str]: ...


ARTICLE_COLUMNS = "id, title, text, date, source, url"


class SqlStore:
    """What both stores share. SQL here is written with "?" placeholders; `_sql` turns them into the
    dialect's. A subclass sets the hooks below and implements `transaction`, `_query` and the
    methods marked as its own."""

    # the column that orders articles as they were added
    ORDER = "rowid"
    # the condition "the article is searchable", as the dialect's planner likes it written
    READY = "a.state = 'ready'"
    # a case-insensitive "title contains ?" and the collation that sorts titles and sources bytewise
    TITLE_CONTAINS = "instr(lower(a.title), lower(?)) > 0"
    COLLATE = ""

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql

    def _in(self, column: str, values: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
        """(condition, params) that match `column` against `values`, in as many parts as the dialect
        needs (SQLite: batches of "IN (?, …)")."""
        for i in range(0, len(values), 500):
            part = list(values[i: i + 500])
            yield f"{column} IN ({','.join('?' * len(part))})", part

    def _execute(self, conn: Any, sql: str, params: Sequence[object] = ()) -> Any:
        return conn.execute(self._sql(sql), params)

    def _execute_many(self, conn: Any, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            conn.executemany(self._sql(sql), rows)

    def _select(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        return self._query(self._sql(sql), params)

    def _select_in(self, sql: str, column: str, values: Iterable[object]) -> list[tuple]:  # type: ignore[type-arg]
        """`sql` ending in "WHERE … AND" (or "WHERE"), completed by "column matches values"."""
        rows = []
        for condition, params in self._in(column, list(dict.fromkeys(values))):
            rows += self._select(f"{sql} {condition}", params)
        return rows

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._select("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            self._execute(conn, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                                "value = excluded.value", (key, value))

    def set_meta_once(self, key: str, value: str) -> None:
        """Set `key` unless another writer (another process) already has."""
        with self.transaction() as conn:
            self._execute(conn, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))

    def generation(self) -> int:
        """A number every committed write of the index raises (Index.bump): another process's
        write shows as a new number."""
        value = self.get_meta("generation")
        return int(value) if value else 0

    # -- writing ----------------------------------------------------------------------------
    def _write_article(self, conn: Any, article: Article, content_hash: str, vectors: dict[str, np.ndarray]) -> None:
        """The shared part of `write_pending`: the old version's rows out, the new one in as `pending`."""
        self._delete_rows(conn, article.id)
        self._delete_copies(conn, article.id)
        # The caller deletes the article's old vectors next, which is all a tombstone asks for;
        # leaving it would make the next heal delete the new version's vectors.
        self._execute(conn, "DELETE FROM tombstones WHERE article_id = ?", (article.id,))
        self._execute(conn, f"INSERT INTO articles({ARTICLE_COLUMNS}, content_hash, state)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                      (article.id, article.title, article.text, article.date, article.source, article.url,
                       content_hash))
        self._put(conn, vectors)

    def _put(self, conn: Any, vectors: dict[str, np.ndarray]) -> None:
        if vectors:
            conn.executemany(self._sql("INSERT INTO vectors(text_hash, vector) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                             [(h, vector_to_blob(v)) for h, v in vectors.items()])

    def _delete_rows(self, conn: Any, article_id: str) -> bool:
        raise NotImplementedError

    def mark_all_pending(self) -> None:
        with self.transaction() as conn:
            self._execute(conn, "UPDATE articles SET state = 'pending'")

    def mark_ready(self, article_id: str) -> None:
        with self.transaction() as conn:
            self._execute(conn, "UPDATE articles SET state = 'ready' WHERE id = ?", (article_id,))

    def delete_with_tombstone(self, article_id: str) -> bool:
        """Remove the article's rows and remember that its vectors still have to go."""
        with self.transaction() as conn:
            found = self._delete_rows(conn, article_id)
            self._delete_copies(conn, article_id)
            self._execute(conn, "INSERT INTO tombstones(article_id) VALUES (?) ON CONFLICT DO NOTHING", (article_id,))
        return found

    def clear_tombstone(self, article_id: str) -> None:
        with self.transaction() as conn:
            self._execute(conn, "DELETE FROM tombstones WHERE article_id = ?", (article_id,))

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as conn:
            self._put(conn, vectors)

    # -- reading ----------------------------------------------------------------------------
    def states(self, ids: Iterable[str]) -> dict[str, ArticleState]:
        rows = self._select_in("SELECT id, content_hash, state FROM articles WHERE", "id", ids)
        return {aid: ArticleState(content_hash=h, ready=st == "ready") for aid, h, st in rows}

    def pending_ids(self) -> list[str]:
        return [r[0] for r in self._select(f"SELECT id FROM articles WHERE state = 'pending' ORDER BY {self.ORDER}")]

    def tombstone_ids(self) -> list[str]:
        return [r[0] for r in self._select("SELECT article_id FROM tombstones")]

    def get_article(self, article_id: str, ready_only: bool = True) -> Article | None:
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?"
        if ready_only:
            sql += " AND state = 'ready'"
        rows = self._select(sql, (article_id,))
        return _article(rows[0]) if rows else None

    def all_articles(self) -> list[Article]:
        """Every stored article, ready or pending, in the order added."""
        return [_article(r) for r in self._select(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY {self.ORDER}")]

    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]:
        rows = self._select_in(f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE {self.READY} AND", "a.id", ids)
        return {r[0]: _article(r) for r in rows}

    def list_articles(self, title_query: str = "", limit: int | None = None) -> list[ArticleInfo]:
        sql = ("SELECT a.id, a.title, a.date, a.source, a.url, length(a.text),"
               " (SELECT count(*) FROM chunks c WHERE c.article_id = a.id)"
               " FROM articles a WHERE a.state = 'ready'")
        params: list[object] = []
        if title_query:
            sql += f" AND {self.TITLE_CONTAINS}"
            params.append(title_query)
        sql += f" ORDER BY a.date IS NULL, a.date DESC, a.title{self.COLLATE}"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [ArticleInfo(id=r[0], title=r[1], date=r[2], source=r[3], url=r[4], chunks=int(r[6]), chars=int(r[5]))
                for r in self._select(sql, params)]

    def sources(self) -> list[str]:
        return [r[0] for r in self._select("SELECT DISTINCT source FROM articles WHERE state = 'ready' AND source IS "
                                           f"NOT NULL ORDER BY 1{self.COLLATE}")]

    def chunks_by_ids(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRef]:
        """chunk id -> where it is, for ready articles only."""
        rows = self._select_in('SELECT c.id, c.article_id, c.idx, c.start, c."end", c.text_hash FROM chunks c'
                               f" JOIN articles a ON a.id = c.article_id WHERE {self.READY} AND", "c.id", chunk_ids)
        return {cid: ChunkRef(article_id=aid, idx=idx, start=s, end=e, text_hash=h) for cid, aid, idx, s, e, h in rows}

    def chunks_of(self, article_id: str) -> list[ChunkRow]:
        rows = self._select('SELECT id, idx, start, "end", text_hash FROM chunks WHERE article_id = ? ORDER BY idx',
                            (article_id,))
        return [ChunkRow(id=i, idx=x, start=s, end=e, text_hash=h) for i, x, s, e, h in rows]

    def vectors_for(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        rows = self._select_in("SELECT text_hash, vector FROM vectors WHERE", "text_hash", hashes)
        return {h: vector_from_blob(blob) for h, blob in rows}

    def vector_page(self, after: str, n: int) -> list[tuple[str, np.ndarray]]:
        """Up to `n` cached vectors whose keys sort after `after`, in key order (a keyset page)."""
        rows = self._select("SELECT text_hash, vector FROM vectors WHERE text_hash > ? ORDER BY text_hash LIMIT ?",
                            (after, n))
        return [(h, vector_from_blob(blob)) for h, blob in rows]

    def has_ready_articles(self) -> bool:
        return bool(self._select("SELECT EXISTS (SELECT 1 FROM articles WHERE state = 'ready')")[0][0])

    def counts(self) -> dict[str, int]:
        q = self._select
        return {
            "articles": int(q("SELECT count(*) FROM articles WHERE state = 'ready'")[0][0]),
            "pending": int(q("SELECT count(*) FROM articles WHERE state = 'pending'")[0][0]),
            "chunks": int(q("SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id"
                            " WHERE a.state = 'ready'")[0][0]),
            "cached_vectors": int(q("SELECT count(*) FROM vectors")[0][0]),
        }

    # -- feeds ------------------------------------------------------------------------------
    def put_feed(self, feed: Feed) -> None:
        values = (feed.url, feed.source, feed.every_minutes, feed.etag, feed.last_modified, feed.last_fetch,
                  feed.last_error, feed.last_new, feed.added_at)
        with self.transaction() as conn:
            self._execute(conn, f"INSERT INTO feeds({FEED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (url) DO UPDATE SET source = excluded.source, "
                                "every_minutes = excluded.every_minutes, etag = excluded.etag, "
                                "last_modified = excluded.last_modified, last_fetch = excluded.last_fetch, "
                                "last_error = excluded.last_error, last_new = excluded.last_new", values)

    def get_feed(self, url: str) -> Feed | None:
        rows = self._select(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return Feed(*rows[0]) if rows else None

    def list_feeds(self) -> list[Feed]:
        return [Feed(*row) for row in self._select(f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, url")]

    def delete_feed(self, url: str) -> bool:
        with self.transaction() as conn:
            self._execute(conn, "DELETE FROM feed_items WHERE feed_url = ?", (url,))
            return bool(self._execute(conn, "DELETE FROM feeds WHERE url = ?", (url,)).rowcount)

    def feed_items_seen(self, feed_url: str, guids: Sequence[str]) -> set[str]:
        seen: set[str] = set()
        for condition, params in self._in("guid", list(dict.fromkeys(guids))):
            seen |= {row[0] for row in self._select(f"SELECT guid FROM feed_items WHERE feed_url = ? AND {condition}",
                                                    [feed_url, *params])}
        return seen

    def add_feed_items(self, feed_url: str, items: Sequence[tuple[str, str]]) -> None:
        with self.transaction() as conn:
            for guid, article_id in items:
                self._execute(conn, "INSERT INTO feed_items(feed_url, guid, article_id) VALUES (?, ?, ?) "
                                    "ON CONFLICT (feed_url, guid) DO NOTHING", (feed_url, guid, article_id))


    # -- copies (rag/copies.py) -------------------------------------------------------------
    def _delete_copies(self, conn: Any, article_id: str) -> None:
        self._execute(conn, "DELETE FROM copy_bands WHERE article_id = ?", (article_id,))
        self._execute(conn, "DELETE FROM copy_groups WHERE article_id = ?", (article_id,))

    def copy_candidates(self, bands: Sequence[str], exclude: str) -> list[str]:
        """Articles that share a MinHash band with these (other than `exclude`), in id order."""
        rows = self._select_in("SELECT DISTINCT article_id FROM copy_bands WHERE", "band", bands)
        return sorted({r[0] for r in rows} - {exclude})

    def texts(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored text of these articles, ready or pending."""
        return {i: t for i, t in self._select_in("SELECT id, text FROM articles WHERE", "id", ids)}

    def put_copies(self, article_id: str, bands: Sequence[str], copies_of: Sequence[str]) -> None:
        """Store an article's bands; it joins the group of the articles it is a copy of (the groups of
        several merge into the first one's). Writes the new members only, not a whole group again."""
        with self.transaction() as conn:
            self._delete_copies(conn, article_id)
            self._execute_many(conn, "INSERT INTO copy_bands(band, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               [(band, article_id) for band in dict.fromkeys(bands)])
            if not copies_of:
                return
            known = dict(self._select_in("SELECT article_id, group_id FROM copy_groups WHERE", "article_id",
                                         copies_of))
            groups = sorted(set(known.values()))
            group = groups[0] if groups else min(article_id, *copies_of)
            for other in groups[1:]:  # this article joins two groups into one
                self._execute(conn, "UPDATE copy_groups SET group_id = ? WHERE group_id = ?", (group, other))
            for aid in sorted({article_id, *(c for c in copies_of if c not in known)}):
                self._execute(conn, "INSERT INTO copy_groups(article_id, group_id) VALUES (?, ?) ON CONFLICT "
                                    "(article_id) DO UPDATE SET group_id = excluded.group_id", (aid, group))

    def copy_groups(self, ids: Iterable[str]) -> dict[str, str]:
        """article id -> its copy group, for the articles that have copies."""
        return {a: g for a, g in self._select_in("SELECT article_id, group_id FROM copy_groups WHERE", "article_id",
                                                 ids)}

    def group_members(self, group_ids: Iterable[str]) -> dict[str, list[str]]:
        """copy group -> its ready articles, in id order."""
        rows = self._select_in(f"SELECT g.group_id, g.article_id FROM copy_groups g JOIN articles a ON a.id = "
                               f"g.article_id WHERE {self.READY} AND", "g.group_id", group_ids)
        out: dict[str, list[str]] = {}
        for g, a in sorted(rows):
            out.setdefault(g, []).append(a)
        return out

    def ids_without_bands(self) -> list[str]:
        """Articles whose copies were never looked for (stored before copies were, or a write cut short)."""
        return [r[0] for r in self._select(f"SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM "
                                           f"copy_bands) ORDER BY {self.ORDER}")]


FEED_COLUMNS = "url, source, every_minutes, etag, last_modified, last_fetch, last_error, last_new, added_at"
FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    every_minutes INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_fetch TEXT,
    last_error TEXT,
    last_new INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_items (
    feed_url TEXT NOT NULL,
    guid TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (feed_url, guid)
);
"""
COPIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS copy_bands (
    band TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (band, article_id)
);
CREATE INDEX IF NOT EXISTS copy_bands_article ON copy_bands(article_id);
CREATE TABLE IF NOT EXISTS copy_groups (
    article_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS copy_groups_group ON copy_groups(group_id);
"""


def _article(row: Sequence[Any]) -> Article:
    i, title, text, date, source, url = row
    return Article(id=i, title=title, text=text, date=date, source=source, url=url)
