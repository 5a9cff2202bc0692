"""RAG_DEVICE: "auto" runs the model on CUDA when torch sees a GPU, else on the CPU. No GPU is
needed: torch's answer is replaced, and the model class records where it was asked to load."""

from __future__ import annotations

import pytest

from rag.embedder import SentenceTransformerEmbedder, make_embedder, resolve_device
from rag.errors import ModelError, SettingsError
from rag.settings import Settings


@pytest.fixture
def cuda(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import torch

    def set_cuda(present: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: present)

    return set_cuda


def test_auto_picks_cuda_when_torch_sees_one_else_cpu(cuda) -> None:  # type: ignore[no-untyped-def]
    cuda(True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"  # asked for by name: kept
    cuda(False)
    assert resolve_device("auto") == "cpu"


def test_cuda_asked_for_without_one_is_a_clear_error(cuda) -> None:  # type: ignore[no-untyped-def]
    cuda(False)
    with pytest.raises(ModelError, match="RAG_DEVICE=cuda:1 but torch sees no CUDA device"):
        resolve_device("cuda:1")


@pytest.mark.parametrize("value", ["gpu", "CUDA", "cuda:", "tpu"])
def test_bad_device_setting_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="RAG_DEVICE"):
        Settings.from_env({"RAG_DEVICE": value})


def test_the_model_is_loaded_on_the_device_auto_chose(cuda, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sentence_transformers

    loaded: dict[str, object] = {}

    class Recorder:
        max_seq_length = 2048

        def __init__(self, path: str, device: str, model_kwargs: dict) -> None:  # type: ignore[type-arg]
            loaded.update(path=path, device=device)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Recorder)
    (tmp_path / "model").mkdir()
    embedder = make_embedder(Settings.from_env({}, embed_model=str(tmp_path / "model")))
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.device == "auto"
    cuda(True)
    embedder._load()
    assert loaded["device"] == "cuda"
    cuda(False)
    embedder._load()
    assert loaded["device"] == "cpu"
