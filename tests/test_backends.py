"""One contract for every back end: SQLite + Chroma embedded in the index folder, SQLite + a
Chroma server (`chroma run`, started here on 127.0.0.1), and PostgreSQL + a Chroma server. The
same articles give the same answers; add, replace, delete, a crash between the steps, filters and
ids behave the same (hash embedder).

The server tests skip, saying why, only when the `chroma` command that comes with the chromadb
package is missing or its server does not start, or when PostgreSQL cannot be had
(scripts/postgres.sh installs it with apt and starts it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.settings import Settings
from rag.types import Article, Filters

ARTICLES = [
    Article("hama", "سد في حماة", "افتتحت الحكومة سداً جديداً على نهر العاصي قرب حماة. ويخزن السد أربعين مليون متر مكعب.",
            date="2021-03-01", source="سانا"),
    Article("port", "ميناء طرطوس", "وصلت إلى ميناء طرطوس سفينة تحمل القمح. وقال مدير الميناء إن الحمولة ستوزع خلال أسبوع.",
            date="2021-06-15", source="الوطن"),
    Article("en", "Aleppo citadel", "The citadel of Aleppo reopened to visitors after repairs. Tickets cost two dollars.",
            date="2022-01-10", source="Reuters"),
]


@pytest.fixture(params=["embedded", "chroma-server", "postgres"])
def make(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Opens an Isnad on a fresh index with the back end under test: SQLite + embedded Chroma,
    SQLite + a Chroma server, PostgreSQL + a Chroma server. The same `name` is the same index."""
    url = request.getfixturevalue("chroma_server") if request.param != "embedded" else ""
    new_database = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    databases: dict[str, str] = {}

    def make_isnad(name: str = "db") -> Isnad:
        if new_database is not None and name not in databases:
            databases[name] = new_database()
        return Isnad(Settings.from_env({}, db_dir=str(tmp_path / name), embed_model="hash", abstain_below=0.0,
                                       chroma_url=url, database_url=databases.get(name, "")))

    make_isnad.backend = request.param  # type: ignore[attr-defined]
    return make_isnad


def answers(isnad: Isnad) -> list[tuple[str, list[tuple[str, int, int]]]]:
    out = []
    for q in ("كم يخزن السد الجديد؟", "متى توزع حمولة القمح؟", "How much do tickets to the citadel cost?"):
        a = isnad.ask(q, k=2)
        out.append((a.answer, [(c.article_id, c.start, c.end) for c in a.citations]))
    return out


def test_add_replace_delete_and_ids_agree(make) -> None:  # type: ignore[no-untyped-def]
    isnad = make()
    assert sorted(isnad.add_articles(ARTICLES).added) == ["en", "hama", "port"]
    assert isnad.check().ok
    changed = Article("port", "ميناء طرطوس", "وصلت إلى ميناء طرطوس سفينتان تحملان الأرز. وستوزع الحمولة خلال شهر.")
    assert isnad.add_articles([changed]).replaced == ["port"]
    top = isnad.ask("ماذا حملت السفينتان إلى ميناء طرطوس؟", k=1).citations[0]
    assert top.article_id == "port" and "الأرز" in isnad.get("port").text[top.start:top.end]
    isnad.delete("hama")
    assert {a.id for a in isnad.list_articles()} == {"en", "port"}
    assert all(c.article_id != "hama" for c in isnad.ask("كم يخزن السد الجديد؟", k=3).citations)
    report = isnad.check()
    assert report.ok, report
    if make.backend != "embedded":  # the vectors are on the server, none in the folder
        import chromadb

        url = isnad.settings.chroma_url
        client = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
        assert client.get_collection(isnad.index.index_id()).count() == isnad.info()["index"]["vectors"] > 0
        assert not (isnad.settings.db_dir / "chroma").exists()
    if make.backend == "postgres":  # ...and the articles in PostgreSQL
        assert not (isnad.settings.db_dir / "isnad.sqlite3").exists()


def test_filters(make) -> None:  # type: ignore[no-untyped-def]
    isnad = make()
    isnad.add_articles(ARTICLES)
    hits = isnad.retriever.retrieve("سفينة القمح", 3, Filters(sources=("سانا",)), mode="dense").hits
    assert hits and {h.chunk.article_id for h in hits} == {"hama"}
    hits = isnad.retriever.retrieve("citadel", 3, Filters(date_from="2022-01-01"), mode="dense").hits
    assert {h.chunk.article_id for h in hits} == {"en"}


def test_a_crash_between_the_stores_heals_on_open(make, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    isnad = make()
    isnad.add_articles(ARTICLES[:1])
    def crash(self, article_id):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt("killed after the vectors were written, before `ready`")

    monkeypatch.setattr(type(isnad.index.store), "mark_ready", crash)
    with pytest.raises(KeyboardInterrupt):
        isnad.add_articles(ARTICLES[1:2])
    monkeypatch.undo()
    reopened = make()
    assert {a.id for a in reopened.list_articles()} == {"hama", "port"}  # finished from the vector cache
    assert reopened.check().ok


def test_the_same_articles_give_the_same_answers_on_every_back_end(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    isnad = make()
    isnad.add_articles(ARTICLES)
    reference = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "reference"), embed_model="hash",
                                        abstain_below=0.0))
    reference.add_articles(ARTICLES)
    assert answers(isnad) == answers(reference)


def test_two_indexes_share_one_server_without_mixing(make) -> None:  # type: ignore[no-untyped-def]
    first, second = make("one"), make("two")
    first.add_articles(ARTICLES[:1])
    second.add_articles(ARTICLES[1:2])
    assert {c.article_id for c in first.ask("سفينة القمح في طرطوس", k=3).citations} <= {"hama"}
    assert {c.article_id for c in second.ask("سد حماة", k=3).citations} <= {"port"}
    assert first.check().ok and second.check().ok


def test_the_vector_cache_pages_through_whole_and_seeds_another_index(make) -> None:  # type: ignore[no-untyped-def]
    source = make("source")
    source.add_articles(ARTICLES)
    pages = list(source.index.cached_vector_pages(size=4))
    keys = [k for page in pages for k in page]
    assert all(len(page) <= 4 for page in pages) and len(pages) >= 2
    assert keys == sorted(keys) and len(keys) == len(set(keys)) == source.info()["index"]["cached_vectors"]
    target = make("target")  # seeded from the cache: adding the same articles embeds nothing
    for page in pages:
        target.index.cache_vectors(page)
    assert target.add_articles(ARTICLES).embedded == 0
    assert answers(target) == answers(source)


def test_feeds_and_the_entries_seen_are_kept_by_every_store(make) -> None:  # type: ignore[no-untyped-def]
    from rag.feeds import Feed

    isnad = make()
    isnad.index.open()
    store = isnad.index.store
    feed = Feed("https://example.com/rss", "Example", 30, added_at="2026-12-05T10:00:00+00:00")
    store.put_feed(feed)
    store.put_feed(Feed("https://example.com/rss", "Example", 30, '"v1"', None, "2026-12-05T10:05:00+00:00",
                        None, 2, "ignored: added_at is kept"))
    store.add_feed_items(feed.url, [("g1", "a1"), ("g2", "a2"), ("g1", "a1")])
    again = make()  # another process opening the same index sees them
    again.index.open()
    [stored] = again.index.store.list_feeds()
    assert (stored.etag, stored.last_new, stored.added_at) == ('"v1"', 2, "2026-12-05T10:00:00+00:00")
    assert again.index.store.feed_items_seen(feed.url, ["g1", "g2", "g3"]) == {"g1", "g2"}
    assert again.index.store.delete_feed(feed.url) and again.index.store.list_feeds() == []
    assert again.index.store.feed_items_seen(feed.url, ["g1"]) == set()


def test_copy_groups_are_kept_by_every_store(make) -> None:  # type: ignore[no-untyped-def]
    wire = ("أعلنت الحكومة اليوم افتتاح سد جديد على نهر العاصي قرب مدينة حماة بعد أعمال استمرت ثلاث سنوات "
            "بكلفة بلغت عشرين مليون دولار ويخزن السد أربعين مليون متر مكعب من المياه.")
    isnad = make()
    isnad.add_articles([*ARTICLES, Article("wire1", "سد حماة", wire, source="وكالة أ"),
                        Article("wire2", "افتتاح سد حماة", wire + " (رويترز)", source="وكالة ب")])
    isnad.add_articles([Article("wire3", "سد على العاصي", "حماة - " + wire, source="وكالة ج")])  # a later import
    again = make()  # another process sees the groups
    assert again.index.copies_of(["wire1", "wire3", "hama"]) == {"wire1": ["wire2", "wire3"],
                                                                  "wire3": ["wire1", "wire2"]}
    isnad.delete("wire2")
    assert make().index.copies_of(["wire1"]) == {"wire1": ["wire3"]}
