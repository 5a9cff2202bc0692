"""What runs the embedding model: torch or OpenVINO, chosen like the precision (fast tests need no model;
the marked one compares OpenVINO's vectors with torch's on the real model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag import ov_runtime
from rag.embedder import SentenceTransformerEmbedder
from rag.errors import ModelError, SettingsError
from rag.ov_runtime import OpenVinoEmbedder, choose_runtime
from rag.settings import Settings


def test_auto_takes_openvino_on_a_cpu_where_it_is_installed(tmp_path: Path) -> None:
    assert choose_runtime("auto", "cpu", str(tmp_path), has_openvino=True).name == "openvino"
    on_gpu = choose_runtime("auto", "cuda", str(tmp_path), has_openvino=True)
    assert on_gpu.name == "torch" and "cuda" in on_gpu.reason
    missing = choose_runtime("auto", "cpu", str(tmp_path), has_openvino=False)
    assert missing.name == "torch" and "not installed" in missing.reason
    hub_id = choose_runtime("auto", "cpu", "google/embeddinggemma-300m", has_openvino=True)
    assert hub_id.name == "torch" and "local model folder" in hub_id.reason
    assert choose_runtime("torch", "cpu", str(tmp_path), has_openvino=True).reason == "RAG_EMBED_RUNTIME=torch"


def test_asking_for_openvino_where_it_cannot_run_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="pip install -r requirements.txt"):
        choose_runtime("openvino", "cpu", str(tmp_path), has_openvino=False)
    with pytest.raises(ModelError, match="RAG_DEVICE=cpu"):
        choose_runtime("openvino", "cuda", str(tmp_path), has_openvino=True)
    with pytest.raises(SettingsError, match="auto, torch or openvino"):
        Settings.from_env({"RAG_EMBED_RUNTIME": "onnx"})


def test_a_failed_conversion_falls_back_to_torch_under_auto_only(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model_dir: Path, log: object = print) -> Path:
        raise RuntimeError("export failed")

    monkeypatch.setattr(ov_runtime, "convert", broken)
    monkeypatch.setattr(SentenceTransformerEmbedder, "embed_queries", lambda self, texts: np.ones((len(texts), 3)))
    auto = OpenVinoEmbedder(str(tmp_path), fallback=True)
    assert auto.embed_queries(["س"]).shape == (1, 3)  # torch answered
    assert auto.runtime == "torch" and "OpenVINO failed (export failed)" in auto.runtime_reason
    asked = OpenVinoEmbedder(str(tmp_path), fallback=False)
    with pytest.raises(ModelError, match="set RAG_EMBED_RUNTIME=torch"):
        asked.embed_queries(["س"])


def test_a_conversion_is_made_again_when_the_model_or_a_library_changed(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    folder = ov_runtime.ir_dir(model)
    folder.mkdir()
    for name in ("model.xml", "model.bin"):
        (folder / name).write_bytes(b"x")
    assert not ov_runtime.is_current(model)  # no manifest
    manifest = folder / ov_runtime.MANIFEST
    manifest.write_text(json.dumps({"source": ov_runtime.source_key(model)}), encoding="utf-8")
    assert ov_runtime.is_current(model)
    (model / "model.safetensors").write_bytes(b"other weights")
    assert not ov_runtime.is_current(model)
    manifest.write_text(json.dumps({"source": ov_runtime.source_key(model) | {"openvino": "1.0"}}), encoding="utf-8")
    assert not ov_runtime.is_current(model)


@pytest.mark.integration
@pytest.mark.parametrize(("dtype", "least"), [("float32", 0.9999), ("auto", 0.995)])
def test_openvino_gives_torchs_vectors(real_embedder, dtype: str, least: float) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("openvino")
    path = real_embedder.model_path
    torch_side = SentenceTransformerEmbedder(path, dtype)
    ov_side = OpenVinoEmbedder(path, dtype, fallback=False)
    questions = ["من توسط بين أرمينيا وأذربيجان؟", "Who mediated?", "كم عدد القتلى"]
    sentences = ["بدأت المفاوضات في إطار مجموعة مينسك.", "قالت وزارة الدفاع إن القوات تراجعت قبل الفجر بساعة."]
    for a, b in ((torch_side.embed_queries(questions), ov_side.embed_queries(questions)),
                 (torch_side.embed_documents(sentences, ["عنوان", ""]), ov_side.embed_documents(sentences, ["عنوان", ""]))):
        assert a.shape == b.shape
        assert float(np.min(np.sum(a * b, axis=1))) >= least
    assert ov_side.runtime == "openvino" and ov_side.embed_queries([]).shape == (0, 768)
    # a batch padded a lot (short texts beside a long one) gives each text its own vector
    batch = ["نعم", "...", " ".join(["كلمة عربية طويلة جدا"] * 120), "Who?"]
    together = ov_side.embed_documents(batch)
    alone = np.concatenate([ov_side.embed_documents([t]) for t in batch])
    assert np.isfinite(together).all() and float(np.min(np.sum(together * alone, axis=1))) >= least
