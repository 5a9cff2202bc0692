"""LangChain bindings: use Isnad's index and embedder inside LangChain pipelines.

    >>> retriever = IsnadRetriever(isnad=Isnad())          # doctest: +SKIP
    >>> docs = retriever.invoke("Who mediated between Armenia and Azerbaijan?")  # doctest: +SKIP
    >>> docs[0].metadata["article_id"], docs[0].metadata["start"]                # doctest: +SKIP

`IsnadRetriever` returns the hybrid retrieval's passages as `Document`s whose metadata carry the
article id and character offsets, so a chain (for example one that adds a generator behind an
OpenAI-compatible endpoint) can still cite exact spans. `IsnadEmbeddings` exposes our embedder,
with EmbeddingGemma's query/document prompts, as a LangChain `Embeddings`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .embedder import Embedder
from .engine import Isnad
from .types import Filters


class IsnadRetriever(BaseRetriever):
    """Hybrid (dense + Arabic lexical) retrieval over an Isnad index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    isnad: Any  # an Isnad; typed loosely so pydantic does not try to validate it
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        engine: Isnad = self.isnad
        retrieval = engine.search(query, self.k, self.filters)
        docs = []
        for hit in retrieval.hits:
            article = retrieval.articles[hit.chunk.article_id]
            docs.append(Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata={"article_id": article.id, "title": article.title, "date": article.date,
                          "source": article.source, "url": article.url, "start": hit.chunk.start,
                          "end": hit.chunk.end, "score": hit.score},
            ))
        return docs


class IsnadEmbeddings(Embeddings):
    """Our embedder as LangChain `Embeddings` (queries and documents get their own prompts)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()
