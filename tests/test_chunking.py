"""Chunking articles into runs of whole sentences with exact offsets (rag/chunking.py)."""

from __future__ import annotations

from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_article, chunk_id, text_hash
from rag.sentences import split_sentences
from rag.types import Article

word = st.text(alphabet=st.sampled_from(list("ابتثجحدرسمنويةأى") + list("abcxyz") + list("0123")),
               min_size=1, max_size=25)
gap = st.sampled_from([" ", " ", " ", " ", ". ", "! ", "؟ ", "؛ ", "، ", "\n", ".\n", "\n\n", " 3.5 ", " د. "])


# A run-on sentence: many words with no sentence end, longer than small chunk sizes.
run_on = st.tuples(word, st.integers(20, 80)).map(lambda wn: " ".join([wn[0]] * wn[1]) + ". ")
piece = st.one_of(st.tuples(word, gap).map("".join), st.tuples(word, gap).map("".join), run_on)


@st.composite
def article_texts(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(piece, max_size=150))).strip() or "x"


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(article_texts(), st.integers(100, 500), st.integers(0, 2))
def test_chunks_are_exact_slices_in_order(text: str, chunk_chars: int, overlap: int) -> None:
    article = Article("art-1", "عنوان", text)
    chunks = chunk_article(article, chunk_chars, overlap)
    assert chunks, "a non-empty article has at least one chunk"
    for i, chunk in enumerate(chunks):
        assert chunk.text == text[chunk.start:chunk.end]
        assert chunk.text == chunk.text.strip()
        assert chunk.index == i
        assert chunk.id == chunk_id("art-1", i) == f"art-1::{i}"
        assert chunk.article_id == "art-1"
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert prev.start < nxt.start and prev.end <= nxt.end


@PROPS
@given(article_texts(), st.integers(100, 500), st.integers(0, 2))
def test_chunk_size_is_bounded(text: str, chunk_chars: int, overlap: int) -> None:
    for chunk in chunk_article(Article("a", "t", text), chunk_chars, overlap):
        assert len(chunk.text) <= int(1.5 * chunk_chars)


@PROPS
@given(article_texts(), st.integers(100, 500), st.integers(0, 2))
def test_every_character_of_every_sentence_is_in_some_chunk(text: str, chunk_chars: int, overlap: int) -> None:
    chunks = chunk_article(Article("a", "t", text), chunk_chars, overlap)
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start:c.end] = b"\x01" * (c.end - c.start)
    for s, e in split_sentences(text):
        missing = [i for i in range(s, e) if not covered[i] and not text[i].isspace()]
        assert not missing, (text[s:e], missing[:5])
    # sentences that fit are never cut: each lies whole inside one chunk
    for s, e in split_sentences(text):
        if e - s <= chunk_chars:
            assert any(c.start <= s and e <= c.end for c in chunks), text[s:e]


@PROPS
@given(article_texts(), st.integers(100, 500), st.integers(0, 2))
def test_chunking_is_deterministic(text: str, chunk_chars: int, overlap: int) -> None:
    article = Article("same-id", "t", text)
    assert chunk_article(article, chunk_chars, overlap) == chunk_article(article, chunk_chars, overlap)


@PROPS
@given(article_texts(), st.integers(100, 400))
def test_neighbours_share_one_sentence(text: str, chunk_chars: int) -> None:
    """With overlap 1, a chunk of several sentences hands its last sentence to the next chunk,
    unless that sentence and the next one do not fit in one chunk together."""
    chunks = chunk_article(Article("a", "t", text), chunk_chars, 1)
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        inside = split_sentences(text, prev.start, prev.end)
        if len(inside) >= 2 and nxt.start == inside[-1][0]:
            continue  # overlap of exactly one sentence
        assert nxt.start >= prev.end, (prev.text, nxt.text)
        if len(inside) >= 2:  # the overlap was dropped only because it would not fit
            first = split_sentences(text, nxt.start, nxt.end)[0]
            assert first[1] - inside[-1][0] > chunk_chars, (prev.text, nxt.text)


@PROPS
@given(article_texts(), st.integers(100, 400))
def test_no_overlap_when_overlap_is_zero(text: str, chunk_chars: int) -> None:
    chunks = chunk_article(Article("a", "t", text), chunk_chars, 0)
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert nxt.start >= prev.end


@PROPS
@given(article_texts(), st.integers(100, 400), st.integers(1, 2))
def test_no_chunk_is_contained_in_its_predecessor(text: str, chunk_chars: int, overlap: int) -> None:
    """A chunk made only of overlap sentences repeats the previous chunk: wasted, and a duplicate passage."""
    chunks = chunk_article(Article("a", "t", text), chunk_chars, overlap)
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert nxt.end > prev.end, (prev.text, nxt.text)


def test_redundant_overlap_chunk_example() -> None:
    """Concrete case of the property above: a long sentence after a short chunk."""
    text = "Short one. Short two. " + "long " * 30 + "end."
    chunks = chunk_article(Article("a", "t", text), 100, 1)
    spans = [(c.start, c.end) for c in chunks]
    # chunk 1 was (11, 21) == "Short two.", already inside chunk 0 == (0, 21)
    assert all(b[1] > a[1] for a, b in zip(spans, spans[1:], strict=False)), spans


def test_long_sentence_without_punctuation_is_cut_at_white_space() -> None:
    text = " ".join(["كلمة"] * 400)  # one 1999-character "sentence"
    chunks = chunk_article(Article("a", "t", text), 200, 1)
    assert len(chunks) > 1
    for c in chunks:
        assert c.text == text[c.start:c.end]
        assert len(c.text) <= 300
        assert not c.text.startswith(" ") and not c.text.endswith(" ")
        assert c.text.split(" ")[0] == "كلمة" and c.text.split(" ")[-1] == "كلمة"  # no word cut in half


def test_long_word_without_spaces_is_still_bounded() -> None:
    text = "x" * 1000
    chunks = chunk_article(Article("a", "t", text), 100, 1)
    assert "".join(c.text for c in chunks) == text
    assert all(len(c.text) <= 150 for c in chunks)


def test_short_article_is_one_chunk() -> None:
    text = "جملة أولى. جملة ثانية."
    chunks = chunk_article(Article("a", "t", text), 700, 1)
    assert [(c.start, c.end, c.text) for c in chunks] == [(0, len(text), text)]


def test_seed_article_chunks() -> None:
    from rag.ingest.loaders import load_paths

    article = next(a for a in load_paths([CORPUS]).articles)
    chunks = chunk_article(article, 700, 1)
    assert len(chunks) >= 4
    assert chunks == chunk_article(article, 700, 1)
    assert all(c.text == article.text[c.start:c.end] for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(article.text)


def test_text_hash_is_stable_sha1() -> None:
    assert text_hash("نص") == text_hash("نص")
    assert text_hash("a") != text_hash("b")
    assert text_hash("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"
