"""Embedders: texts in, unit vectors out.

`SentenceTransformerEmbedder` wraps the real model and loads it on first use; `HashEmbedder` is a
deterministic stand-in for fast tests (bag of stemmed terms hashed into a small vector).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from .arabic import terms
from .errors import ModelError
from .precision import Precision, choose_precision


class Embedder(Protocol):
    """Queries and documents may be embedded differently (retrieval prompts)."""

    name: str

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray: ...


class HashEmbedder:
    """Deterministic, model-free embedder: texts sharing stemmed terms get similar vectors."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        return self.embed_queries(texts)

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

    runtime = "torch"
    runtime_reason = ""  # why this runtime was chosen (ov_runtime.choose_runtime)

    def __init__(self, model_path: str, dtype: str = "auto", max_seq_tokens: int = 512,
                 batch_size: int = 16, device: str = "auto"):
        self.name = model_path.rstrip("/").split("/")[-1] or model_path
        self.model_path = model_path
        self.dtype = dtype  # as asked: auto, bfloat16 or float32; `precision` says what it runs in
        self.max_seq_tokens = max_seq_tokens
        self.batch_size = batch_size
        self.device = device  # as asked; the model reports where it actually runs
        self._model = None
        self._precision: Precision | None = None
        self._lock = threading.Lock()

    @property
    def precision(self) -> Precision:
        """The dtype the model runs in and why (RAG_EMBED_DTYPE=auto looks at the hardware)."""
        if self._precision is None:
            self._precision = choose_precision(self.dtype, resolve_device(self.device))
        return self._precision

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

        device = resolve_device(self.device)
        self._precision = choose_precision(self.dtype, device)
        dtype = torch.bfloat16 if self._precision.dtype == "bfloat16" else torch.float32
        try:
            model = SentenceTransformer(str(path) if looks_local else self.model_path, device=device,
                                        model_kwargs={"torch_dtype": dtype})
        except Exception as exc:  # any load failure: wrong folder, offline hub id, corrupt file
            raise ModelError(f"could not load embedding model {self.model_path!r}: {exc}") from exc
        model.max_seq_length = min(self.max_seq_tokens, model.max_seq_length or self.max_seq_tokens)
        return model


def resolve_device(wanted: str) -> str:
    """"auto": CUDA when torch sees a GPU, else the CPU; a GPU asked for by name must be there."""
    import torch

    has_cuda = torch.cuda.is_available()
    if wanted == "auto":
        return "cuda" if has_cuda else "cpu"
    if wanted.startswith("cuda") and not has_cuda:
        raise ModelError(f"RAG_DEVICE={wanted} but torch sees no CUDA device (a CPU-only torch, or no driver); "
                         "set RAG_DEVICE=auto or cpu")
    return wanted


def make_embedder(settings) -> Embedder:  # type: ignore[no-untyped-def]
    """The embedder the settings ask for. `hash` (tests, demos without the model) or a model."""
    if settings.embed_model.startswith("hash"):
        dim = int(settings.embed_model.partition(":")[2] or 256)
        return HashEmbedder(dim)
    from .ov_runtime import make

    return make(settings)
