"""Cut an article into chunks of whole sentences, keeping exact character offsets.

Every chunk satisfies `chunk.text == article.text[chunk.start:chunk.end]`, so a quote taken from
a chunk is always a verbatim span of the stored article.
"""

from __future__ import annotations

import hashlib

from .ids import chunk_id
from .sentences import split_sentences
from .settings import Settings
from .types import Article, Chunk

# A sentence longer than this many chunk sizes is cut at white space so that it fits the model.
_LONG_SENTENCE_FACTOR = 1.5


def chunk_article(article: Article, chunk_chars: int = Settings.chunk_chars,
                  overlap_sentences: int = Settings.chunk_overlap_sentences) -> list[Chunk]:
    """Greedy packing of consecutive sentences up to `chunk_chars` characters.

    Neighbouring chunks share `overlap_sentences` sentences so that an answer spanning a chunk
    border is still found whole in one of them.
    """
    sentences = _bounded(article.text, split_sentences(article.text), chunk_chars)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= chunk_chars:
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(_make(article, len(chunks), start, end))
        if j >= len(sentences):
            break
        # Repeat the last sentences only when they fit beside the next one; otherwise the next
        # chunk would hold nothing new.
        nxt = max(i + 1, j - overlap_sentences)
        if sentences[j][1] - sentences[nxt][0] > chunk_chars:
            nxt = j
        i = nxt
    return chunks


def text_hash(text: str) -> str:
    """Key of the embedding cache: identical text is embedded once, whatever its article."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _make(article: Article, index: int, start: int, end: int) -> Chunk:
    return Chunk(
        id=chunk_id(article.id, index),
        article_id=article.id,
        index=index,
        start=start,
        end=end,
        text=article.text[start:end],
    )


def _bounded(text: str, spans: list[tuple[int, int]], chunk_chars: int) -> list[tuple[int, int]]:
    """Split over-long sentences at the last white space before the limit."""
    limit = int(chunk_chars * _LONG_SENTENCE_FACTOR)
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > limit:
            cut = text.rfind(" ", start + chunk_chars // 2, start + chunk_chars)
            if cut <= start:
                cut = start + chunk_chars
            out.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out
