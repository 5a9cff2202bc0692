"""The LangChain bindings return citable passages and usable embeddings."""

from __future__ import annotations

from conftest import CORPUS, SEED_ID
from langchain_core.documents import Document

from rag.lc import IsnadEmbeddings, IsnadRetriever


def test_retriever_returns_documents_with_exact_offsets(isnad):
    isnad.ingest([CORPUS])
    docs = IsnadRetriever(isnad=isnad, k=3).invoke("مجموعة مينسك")
    assert 1 <= len(docs) <= 3
    assert all(isinstance(d, Document) for d in docs)
    article = isnad.get(SEED_ID)
    for doc in docs:
        assert doc.metadata["article_id"] == SEED_ID
        assert article.text[doc.metadata["start"]:doc.metadata["end"]] == doc.page_content
    assert "مينسك" in docs[0].page_content


def test_embeddings_adapter_matches_embedder(isnad):
    adapter = IsnadEmbeddings(isnad.embedder)
    query = adapter.embed_query("أرمينيا")
    docs = adapter.embed_documents(["أرمينيا", "فرنسا"])
    assert len(query) == len(docs[0]) == len(docs[1])
    assert sum(a * b for a, b in zip(query, docs[0], strict=True)) > sum(
        a * b for a, b in zip(query, docs[1], strict=True))
