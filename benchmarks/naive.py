"""The naive LangChain baseline the quality benchmark compares against.

What a first LangChain tutorial builds, on the same model and the same pooled passages:

* `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` over each passage;
* `HuggingFaceEmbeddings` on the same EmbeddingGemma folder with its defaults (float32), normalised vectors, and
  **no retrieval prompts** (the plain `encode`: no "task: search result | query: " for questions,
  no "title: … | text: " for passages) -- that is the tutorial default;
* `langchain_chroma.Chroma` (its default L2 space; on unit vectors the same order as cosine);
* `similarity_search(question, k=10)`; articles are the chunks' `article_id` metadata,
  de-duplicated in rank order.

It has no answer step; for the "first quote contains the answer" figure we take the first
sentence of the top chunk (rag.sentences.split_sentences), the closest thing it would show.

The Chroma collection persists in `--naive-db` (default benchmarks/out/naive-db), so a re-run
only embeds the chunks it does not have yet.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rag.settings import apply_offline_env
from rag.types import Article

COLLECTION = "naive-langchain"
CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200


def split(articles: list[Article]) -> list[Any]:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    docs = []
    for article in articles:
        for i, piece in enumerate(splitter.split_text(article.text)):
            docs.append(Document(page_content=piece, metadata={"article_id": article.id},
                                 id=f"{article.id}::{i}"))
    return docs


class NaivePipeline:
    def __init__(self, model_dir: str, db_dir: Path):
        apply_offline_env()
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        self.embeddings = HuggingFaceEmbeddings(
            model_name=model_dir,
            model_kwargs={"device": "cpu"},  # the tutorial's defaults: float32
            encode_kwargs={"normalize_embeddings": True},
        )
        db_dir.mkdir(parents=True, exist_ok=True)
        self.store = Chroma(collection_name=COLLECTION, embedding_function=self.embeddings,
                            persist_directory=str(db_dir))

    def build(self, articles: list[Article], log=print, batch: int = 256) -> dict[str, float]:  # type: ignore[no-untyped-def]
        """Add the chunks that are not in the collection yet (ids are deterministic)."""
        docs = split(articles)
        have = set(self.store.get(include=[])["ids"])
        todo = [d for d in docs if d.id not in have]
        t0 = time.perf_counter()
        for i in range(0, len(todo), batch):
            part = todo[i: i + batch]
            self.store.add_documents(part, ids=[d.id for d in part])
            log(f"  naive: embedded {min(i + batch, len(todo))}/{len(todo)} chunks "
                f"({time.perf_counter() - t0:.0f} s)")
        return {"chunks": len(docs), "embedded": len(todo), "seconds": time.perf_counter() - t0}

    def embed_questions(self, questions: list[str], cache: Path | None = None, batch: int = 128) -> dict:
        """Question vectors exactly as `similarity_search` makes them (`embed_query`: the same
        encode kwargs, no prompt), but in batches, and kept in `cache` between runs."""
        import numpy as np

        vectors: dict[str, list[float]] = {}
        if cache and cache.is_file():
            z = np.load(cache, allow_pickle=False)
            vectors.update(zip(json.loads(str(z["texts"])), z["vectors"].tolist(), strict=True))
        todo = [q for q in dict.fromkeys(questions) if q not in vectors]
        for i in range(0, len(todo), batch):
            vectors.update(zip(todo[i: i + batch], self.embeddings.embed_documents(todo[i: i + batch]), strict=True))
        if cache and todo:
            texts = list(vectors)
            np.savez(cache, texts=json.dumps(texts, ensure_ascii=False), vectors=np.array([vectors[t] for t in texts]))
        return vectors

    def search(self, question: str, k: int = 10, vector: list[float] | None = None
               ) -> tuple[list[str], str, float]:
        """(article ids de-duplicated in rank order, first sentence of the top chunk, ms).
        With `vector` (from `embed_questions`) the question is not embedded again."""
        from rag.sentences import split_sentences

        t0 = time.perf_counter()
        if vector is None:
            docs = self.store.similarity_search(question, k=k)
        else:
            docs = self.store.similarity_search_by_vector(vector, k=k)
        ms = (time.perf_counter() - t0) * 1000
        ids = list(dict.fromkeys(d.metadata["article_id"] for d in docs))
        first = ""
        if docs:
            text = docs[0].page_content
            spans = split_sentences(text)
            first = text[spans[0][0]: spans[0][1]] if spans else text
        return ids, first, ms
