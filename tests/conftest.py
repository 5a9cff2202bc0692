"""Shared fixtures. Every database lives in tmp_path; unit tests use the hash embedder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.engine import Isnad
from rag.settings import Settings, apply_offline_env, default_model_dir

apply_offline_env()

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED_DATA = ROOT.parent / "shared" / "data"
SEED_ID = "armenia-azerbaijan-2021"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash")


@pytest.fixture
def isnad(settings: Settings) -> Isnad:
    return Isnad(settings)


def real_model_path() -> str:
    return os.environ.get("RAG_EMBED_MODEL") or str(default_model_dir())


@pytest.fixture(scope="session")
def real_embedder():
    """The real EmbeddingGemma model, loaded once per test session."""
    from rag.embedder import SentenceTransformerEmbedder

    path = real_model_path()
    if not Path(path).is_dir():
        pytest.fail(f"the embedding model is not at {path}; run `python -m rag setup-model` first")
    embedder = SentenceTransformerEmbedder(path)
    embedder.warm_up()
    return embedder
