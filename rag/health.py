"""`rag check`: do the article store, the lexical index and Chroma agree? `--repair` makes them.

    >>> report = check(index)          # doctest: +SKIP
    >>> report.ok, report.problems     # doctest: +SKIP

What is checked, for every stored article:
* it is `ready` (a `pending` one was interrupted half-way), and no deletion is left half-done;
* every chunk's text is still its span of the article (the hash of `text[start:end]`);
* every chunk is in the lexical index, and the lexical index has no row of a vanished chunk;
* Chroma holds exactly one vector per sentence of every chunk (no missing, no orphan ids).
Repair finishes interrupted work (`Index.heal`), deletes orphan vectors and lexical rows, and
re-indexes any article whose chunks, lexical rows or vectors disagree (from the vector cache, so
the model is rarely called).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .chunking import text_hash
from .ids import article_of_chunk, article_of_unit
from .index import Index, chroma_error, sentence_units
from .types import Chunk


@dataclass
class HealthReport:
    articles: int = 0
    chunks: int = 0
    vectors: int = 0
    pending: list[str] = field(default_factory=list)
    half_deleted: list[str] = field(default_factory=list)
    bad_spans: list[str] = field(default_factory=list)  # chunk ids
    lexical_missing: list[str] = field(default_factory=list)  # article ids
    lexical_orphans: int = 0
    vectors_missing: list[str] = field(default_factory=list)  # unit ids
    vectors_orphan: list[str] = field(default_factory=list)  # unit ids
    repaired: list[str] = field(default_factory=list)  # what --repair did
    chroma_unreadable: str = ""  # Chroma's error when it cannot read its own files

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> list[str]:
        out = []
        for what, items in (("articles left pending by an interrupted add", self.pending),
                            ("deletions left half-done", self.half_deleted),
                            ("chunks whose text is no longer their span of the article", self.bad_spans),
                            ("articles missing from the lexical index", self.lexical_missing),
                            ("sentence vectors missing from Chroma", self.vectors_missing),
                            ("vectors in Chroma that belong to no chunk", self.vectors_orphan)):
            if items:
                shown = ", ".join(items[:5]) + (f", … ({len(items)} in all)" if len(items) > 5 else "")
                out.append(f"{len(items)} {what}: {shown}")
        if self.chroma_unreadable:
            out.append(f"Chroma cannot read its own files ({self.chroma_unreadable[:200]})")
        if self.lexical_orphans:
            out.append(f"{self.lexical_orphans} rows of the lexical index belong to no chunk")
        return out

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "articles": self.articles, "chunks": self.chunks, "vectors": self.vectors,
                "problems": self.problems, "repaired": self.repaired}


def check(index: Index) -> HealthReport:
    store, report = index.store, HealthReport()
    try:
        held = index.vectors.ids()
    except Exception as exc:  # noqa: BLE001 - Chroma's own errors: its files are damaged
        if not chroma_error(exc):
            raise
        report.chroma_unreadable = f"{type(exc).__name__}: {exc}"
        held = set()
    report.pending = store.pending_ids()
    report.half_deleted = store.tombstone_ids()
    chunk_rows, fts_rows = store.lexical_rows()
    report.lexical_orphans = len(fts_rows - set(chunk_rows))
    missing_fts = {aid for rowid, aid in chunk_rows.items() if rowid not in fts_rows}
    expected: set[str] = set()
    for article in store.all_articles():
        rows = store.chunks_of(article.id)
        chunks = [Chunk(r.id, article.id, r.idx, r.start, r.end, article.text[r.start:r.end]) for r in rows]
        hashes = {r.id: r.text_hash for r in rows}
        report.articles += 1
        report.chunks += len(chunks)
        report.bad_spans += [c.id for c in chunks if text_hash(c.text) != hashes[c.id]]
        if article.id in missing_fts:
            report.lexical_missing.append(article.id)
        expected.update(u.id for u in sentence_units(article, chunks))
    report.vectors = len(held)
    pending = set(report.pending)
    if not report.chroma_unreadable:  # else every vector is "missing": the one problem says it
        report.vectors_missing = sorted(u for u in expected - held if article_of_unit(u) not in pending)
    report.vectors_orphan = sorted(held - expected)
    return report


def repair(index: Index) -> HealthReport:
    """Fix what `check` finds; returns the report of a fresh check, with what was done."""
    done: list[str] = []
    before = check(index)
    if before.chroma_unreadable:
        index.rebuild_vectors()
        done.append("rebuilt the vector index from the article store (Chroma could not read its files)")
        before = check(index)
    healed = index.heal_or_rebuild()
    if healed.get("rebuilt"):
        done.append("rebuilt the vector index from the article store (Chroma could not read its files)")
    if healed["completed"] or healed["removed"]:
        done.append(f"finished {healed['completed']} interrupted adds, removed {healed['removed']} articles "
                    "that could not be finished")
    if before.vectors_orphan and not before.chroma_unreadable:
        index.vectors.delete_ids(before.vectors_orphan)
        done.append(f"deleted {len(before.vectors_orphan)} orphan vectors")
    if before.lexical_orphans:
        index.store.delete_lexical_orphans()
        done.append(f"deleted {before.lexical_orphans} orphan lexical rows")
    broken = {article_of_unit(u) for u in before.vectors_missing} | set(before.lexical_missing) | {
        article_of_chunk(c) for c in before.bad_spans}
    articles = [a for a in index.store.all_articles() if a.id in broken]
    for article in articles:  # re-index from scratch: chunks, lexical rows and vectors anew
        index.delete(article.id)
    if articles:
        index.add(articles)
        done.append(f"re-indexed {len(articles)} articles: {', '.join(a.id for a in articles[:5])}")
    after = check(index)
    after.repaired = done
    return after

