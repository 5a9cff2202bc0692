"""Embedders: texts in, unit vectors out.

`SentenceTransformerEmbedder` wraps the real model and loads it on first use; `HashEmbedder` is a
deterministic stand-in for fast tests (bag of stemmed terms hashed into a small vector).

`embed_passages` also returns one vector per sentence span of each passage. For a mean-pooling
model such as EmbeddingGemma these come from the same forward pass ("late chunking"): the token
embeddings of the passage are averaged over each sentence's tokens and sent through the model's
projection head. The passage vector is identical to `embed_documents`; the sentence vectors cost
nothing extra and carry their passage's context, so answering needs no model call beyond the
question.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from .arabic import terms
from .errors import ModelError


class Embedder(Protocol):
    """Queries and documents may be embedded differently (retrieval prompts)."""

    name: str

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], titles: list[str], spans: list[list[tuple[int, int]]]
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        """A vector per text, and per text an array of vectors for its (start, end) spans."""
        ...


class HashEmbedder:
    """Deterministic, model-free embedder: texts sharing stemmed terms get similar vectors."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        return self.embed_queries(texts)

    def embed_passages(self, texts: list[str], titles: list[str], spans: list[list[tuple[int, int]]]
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        parts = [self.embed_queries([t[a:b] for a, b in sp]) for t, sp in zip(texts, spans, strict=True)]
        return self.embed_documents(texts), parts

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, np.float32)
        for term in terms(text):
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm


class SentenceTransformerEmbedder:
    """EmbeddingGemma (or any sentence-transformers model), loaded lazily on first use.

    EmbeddingGemma's document prompt carries the title ("title: … | text: …"); we fill it with
    the article's title, which gives every chunk its article's subject.
    """

    def __init__(self, model_path: str, dtype: str = "bfloat16", max_seq_tokens: int = 512,
                 batch_size: int = 16):
        self.name = model_path.rstrip("/").split("/")[-1] or model_path
        self.model_path = model_path
        self.dtype = dtype
        self.max_seq_tokens = max_seq_tokens
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def warm_up(self) -> None:
        self.embed_queries(["warm up"])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        model = self.model
        if "query" in (model.prompts or {}):
            out = model.encode_query(texts, batch_size=self.batch_size, normalize_embeddings=True)
        else:
            out = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        model = self.model
        prompts = model.prompts or {}
        if prompts.get("document", "").startswith("title: none | text: "):
            titles = titles or ["none"] * len(texts)
            full = [f"title: {t or 'none'} | text: {x}" for t, x in zip(titles, texts, strict=True)]
            out = model.encode(full, prompt="", batch_size=self.batch_size, normalize_embeddings=True)
        elif "document" in prompts:
            out = model.encode_document(texts, batch_size=self.batch_size, normalize_embeddings=True)
        else:
            out = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)

    def _document_prefix(self, title: str | None) -> str | None:
        prompts = self.model.prompts or {}
        if prompts.get("document", "").startswith("title: none | text: "):
            return f"title: {title or 'none'} | text: "
        if "document" in prompts:
            return prompts["document"]
        return ""

    def embed_passages(self, texts: list[str], titles: list[str], spans: list[list[tuple[int, int]]]
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        model = self.model
        pool_at = _mean_pooling_index(model)
        if pool_at is None:  # not a mean-pooling model: embed the sentences on their own
            docs = self.embed_documents(texts, titles)
            return docs, [self.embed_documents([t[a:b] for a, b in sp], [ti] * len(sp))
                          for t, ti, sp in zip(texts, titles, spans, strict=True)]
        prefixes = [self._document_prefix(t) or "" for t in titles]
        full = [p + t for p, t in zip(prefixes, texts, strict=True)]
        token_embs = model.encode(full, prompt="", output_value="token_embeddings",
                                  batch_size=self.batch_size)
        offsets = model.tokenizer(full, return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length)["offset_mapping"]
        pooled: list[torch.Tensor] = []
        layout: list[tuple[int, list[int | None]]] = []  # per text: (doc row, span rows or None)
        fallback: list[tuple[int, int]] = []  # (text index, span index) with no tokens
        for i, (emb, offs, prefix, sp) in enumerate(zip(token_embs, offsets, prefixes, spans, strict=True)):
            emb = emb.float()
            layout.append((len(pooled), []))
            pooled.append(emb.mean(0))  # the model pools the prompt tokens too
            if len(offs) != emb.shape[0]:
                offs = []  # tokenisation differs from the model's: embed spans on their own
            starts = np.array([o[0] for o in offs])
            ends = np.array([o[1] for o in offs])
            real = ends > starts  # special tokens have empty offsets
            for j, (a, b) in enumerate(sp):
                a, b = a + len(prefix), b + len(prefix)
                mask = real & (starts < b) & (ends > a)
                if mask.any():
                    layout[-1][1].append(len(pooled))
                    pooled.append(emb[torch.from_numpy(mask)].mean(0))
                else:  # beyond the model's length limit
                    layout[-1][1].append(None)
                    fallback.append((i, j))
        vectors = _head(model, pool_at, torch.stack(pooled))
        docs = np.stack([vectors[row] for row, _ in layout])
        parts = [np.stack([vectors[r] if r is not None else np.zeros(vectors.shape[1], np.float32)
                           for r in rows]) if rows else np.zeros((0, vectors.shape[1]), np.float32)
                 for _, rows in layout]
        if fallback:
            own = self.embed_documents([texts[i][spans[i][j][0]:spans[i][j][1]] for i, j in fallback],
                                       [titles[i] for i, _ in fallback])
            for (i, j), vec in zip(fallback, own, strict=True):
                parts[i][j] = vec
        return docs, parts

    def _load(self):  # type: ignore[no-untyped-def]
        from .settings import apply_offline_env

        apply_offline_env()
        path = Path(self.model_path).expanduser()
        looks_local = path.is_absolute() or self.model_path.startswith(".") or path.exists()
        if looks_local and not path.is_dir():
            raise ModelError(
                f"embedding model folder {path} does not exist. Run `python -m rag setup-model` "
                "to assemble EmbeddingGemma-300M, or set RAG_EMBED_MODEL to a model folder."
            )
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar per CLI call

        dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        try:
            model = SentenceTransformer(str(path) if looks_local else self.model_path, device="cpu",
                                        model_kwargs={"torch_dtype": dtype})
        except Exception as exc:  # any load failure: wrong folder, offline hub id, corrupt file
            raise ModelError(f"could not load embedding model {self.model_path!r}: {exc}") from exc
        model.max_seq_length = min(self.max_seq_tokens, model.max_seq_length or self.max_seq_tokens)
        return model


def _mean_pooling_index(model) -> int | None:  # type: ignore[no-untyped-def]
    """Index of the Pooling module when it is plain mean pooling, else None."""
    for i, module in enumerate(model):
        if type(module).__name__ == "Pooling":
            config: dict = getattr(module, "get_config_dict", lambda: {})()
            mean = config.get("pooling_mode_mean_tokens") or getattr(module, "pooling_mode", "") == "mean"
            return i if mean else None
    return None


def _head(model, pool_at: int, pooled):  # type: ignore[no-untyped-def]
    """Run pooled token means through the modules after pooling (projection, normalisation)."""
    import torch

    dtype = next(model.parameters()).dtype
    features = {"sentence_embedding": pooled.to(dtype)}
    with torch.inference_mode():
        for module in list(model)[pool_at + 1:]:
            features = module(features)
    out = features["sentence_embedding"].float()
    out = torch.nn.functional.normalize(out, dim=-1)
    return out.cpu().numpy().astype(np.float32)


def make_embedder(settings) -> Embedder:  # type: ignore[no-untyped-def]
    """The embedder the settings ask for. `hash` (tests, demos without the model) or a model."""
    if settings.embed_model.startswith("hash"):
        dim = int(settings.embed_model.partition(":")[2] or 256)
        return HashEmbedder(dim)
    return SentenceTransformerEmbedder(settings.model_path, settings.embed_dtype,
                                       settings.max_seq_tokens, settings.embed_batch)
