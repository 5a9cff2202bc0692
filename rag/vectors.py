"""The Chroma side of the index: one persistent collection of sentence vectors (cosine).

We always pass our own embeddings: a raw Chroma collection without them would try to download
an ONNX model.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from .errors import UnreachableError
from .types import Filters
from .writelock import IndexLock, WriteLock

COLLECTION = "isnad-sentences"
OLD_COLLECTIONS = ("isnad-chunks",)  # written by earlier versions; dropped by reset()


class VectorStore:
    """Embedded Chroma in `path`, or, with `url`, a Chroma server (`chroma run`) — then the
    collection is named after the index (`name`), so several indexes can share one server."""

    def __init__(self, path: Path, lock: IndexLock | None = None, url: str = "",
                 name: Callable[[], str] | None = None):
        self.path = path
        self.url = url
        self._name = name or (lambda: COLLECTION)
        self.lock = lock or WriteLock(path.parent / "write.lock")
        # Called under the shared lock before each use: the index reloads this view here when
        # another process has written (Index.sync).
        self.before_use: Callable[[], None] = lambda: None
        self._collection = None
        self._client: Any = None  # chromadb's client, made with the collection
        self._lock = threading.Lock()
        self._users = 0  # calls into the collection in flight; reload() waits for them
        self._idle = threading.Condition()

    @property
    def collection(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._collection is None:
                from .settings import apply_offline_env

                apply_offline_env()
                import chromadb

                try:
                    client = self._connect(chromadb)
                except Exception:
                    # Chroma caches the half-started client of this folder; the next try would
                    # get it back broken ("could not connect to tenant") instead of the real error.
                    from chromadb.api.shared_system_client import SharedSystemClient

                    SharedSystemClient.clear_system_cache()
                    raise
                self._client = client
                self._collection = client.get_or_create_collection(
                    self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                )
            return self._collection

    @property
    def name(self) -> str:
        return self._name() if self.url else COLLECTION

    def _connect(self, chromadb: Any) -> Any:
        settings = chromadb.Settings(anonymized_telemetry=False)
        if not self.url:
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        parts = urlsplit(self.url)
        try:
            return chromadb.HttpClient(host=parts.hostname or "127.0.0.1", port=parts.port or 8000,
                                       ssl=parts.scheme == "https", settings=settings)
        except Exception as exc:
            raise UnreachableError(f"cannot reach the Chroma server at {self.url} ({exc}); start it with "
                                   "`chroma run --path DIR --port N` or unset RAG_CHROMA_URL") from exc

    def has_files(self) -> bool:
        """Does the folder hold an embedded Chroma's files (without loading Chroma)?"""
        return (self.path / "chroma.sqlite3").exists()

    def reset(self) -> None:
        """Drop every vector (and the collections of earlier versions)."""
        self.collection  # noqa: B018 - opens the client
        with self._lock:
            names = {c.name for c in self._client.list_collections()}
            for name in (self.name, *(() if self.url else OLD_COLLECTIONS)):
                if name in names:
                    self._client.delete_collection(name)
            self._collection = None

    def reload(self) -> None:
        """Forget this process's view of the collection; the next use reads the folder again
        (another process has written to it: embedded Chroma does not see that by itself)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        if self.url:  # a server: every client sees every write
            return
        with self._idle:
            self._idle.wait_for(lambda: self._users == 0)
            with self._lock:
                if self._client is None:
                    return
                self._collection = None
                self._client = None
                SharedSystemClient.clear_system_cache()

    @contextmanager
    def _using(self) -> Iterator[Any]:
        """The collection, held open for one call (reload() does not pull it away meanwhile),
        while no other process writes the folder."""
        with self.lock.shared():  # a Chroma server too: it can fail a read while compacting a write
            self.before_use()
            with self._idle:
                self._users += 1
            try:
                yield self.collection
            except Exception as exc:
                if self.url and _transport_error(exc):
                    raise UnreachableError(
                        f"lost the connection to the Chroma server at {self.url} ({type(exc).__name__}: {exc}). "
                        "Start it again (`chroma run --path DIR --port N`, the same folder); the next request "
                        "reconnects, and work cut short is finished or undone then (try the import again if it "
                        "was one)") from exc
                raise
            finally:
                with self._idle:
                    self._users -= 1
                    self._idle.notify_all()

    def wipe(self) -> None:
        """Delete Chroma's files outright, when Chroma itself can no longer read them (a process
        killed in the middle of Chroma's own write can leave them so); the next use starts empty."""
        from chromadb.api.shared_system_client import SharedSystemClient

        if self.url:  # a server's files are its own: drop our collection instead
            self.reset()
            return
        with self._lock:
            self._collection = None
            self._client = None
            SharedSystemClient.clear_system_cache()  # forget the open client of this folder
            shutil.rmtree(self.path, ignore_errors=True)

    def _call(self, fn: Callable[[Any], Any]) -> Any:
        """fn(collection), under _using(). If the collection is gone (another process rebuilt it, or
        a Chroma server came back without it), fetch it again by name (made empty when missing) and
        call once more: the index notices an empty collection and rebuilds it (Index.dense, open)."""
        for attempt in (1, 2):
            with self._using() as collection:
                try:
                    return fn(collection)
                except Exception as exc:
                    if attempt == 2 or not _collection_gone(exc):
                        raise
                    with self._lock:
                        self._collection = None
        raise AssertionError("unreachable")  # pragma: no cover

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> None:  # type: ignore[type-arg]
        if ids:
            self._call(lambda c: c.upsert(ids=list(ids), embeddings=np.asarray(vectors, np.float32),
                                          metadatas=list(metadatas)))

    def delete_article(self, article_id: str) -> None:
        self._call(lambda c: c.delete(where={"article_id": article_id}))

    def query(self, vector: np.ndarray, n: int, filters: Filters) -> list[tuple[str, float]]:
        """[(unit id, cosine similarity)], best first. (Chroma returns fewer than n when it holds
        fewer; counting first cost up to 70 ms a question at 556,000 vectors.)"""
        result = self._call(lambda c: c.query(query_embeddings=[np.asarray(vector, np.float32)], n_results=n,
                                              where=_where(filters), include=["distances"]))
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def ids(self, page: int = 5000) -> set[str]:
        """Every vector id Chroma holds."""
        out: set[str] = set()
        offset = 0
        while True:
            got = self._call(partial(_page, limit=page, offset=offset))
            out.update(got)
            if len(got) < page:
                return out
            offset += page

    def delete_ids(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), 5000):
            self._call(partial(_delete, ids=list(ids[i: i + 5000])))

    def count(self) -> int:
        return int(self._call(lambda c: c.count()))


def _page(collection: Any, limit: int, offset: int) -> list[str]:
    return list(collection.get(include=[], limit=limit, offset=offset)["ids"])


def _delete(collection: Any, ids: list[str]) -> None:
    collection.delete(ids=ids)


def _collection_gone(exc: BaseException) -> bool:
    """Chroma's answer for a collection id it does not hold (any more)."""
    return type(exc).__module__.startswith("chromadb") and type(exc).__name__ == "NotFoundError"


def _transport_error(exc: BaseException) -> bool:
    """A network failure talking to a Chroma server (refused, reset, timed out), not an answer of it."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - chromadb's HTTP client depends on it
        return False
    return isinstance(exc, httpx.TransportError)


def metadata(article_id: str, date: str | None, source: str | None) -> dict:  # type: ignore[type-arg]
    meta: dict[str, object] = {"article_id": article_id}
    if date and len(date) == 10 and date.replace("-", "").isdigit():
        meta["date"] = int(date.replace("-", ""))
    if source:
        meta["source"] = source
    return meta


def _where(filters: Filters) -> dict | None:  # type: ignore[type-arg]
    clauses: list[dict] = []  # type: ignore[type-arg]
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.date_from:
        clauses.append({"date": {"$gte": int(filters.date_from.replace("-", ""))}})
    if filters.date_to:
        clauses.append({"date": {"$lte": int(filters.date_to.replace("-", ""))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
