"""RAG_EMBED_DTYPE=auto: bfloat16 only where the hardware computes it natively, float32 elsewhere;
an explicit value wins; the choice and its reason are shown before the model loads."""

from __future__ import annotations

import pytest

from rag import precision
from rag.embedder import SentenceTransformerEmbedder, make_embedder
from rag.errors import SettingsError
from rag.precision import CpuProfile, choose_precision
from rag.settings import Settings

AVX2 = CpuProfile("Intel Core i7-8650U", ("avx2",), 8)
AVX512 = CpuProfile("Intel Xeon Gold 6148", ("avx2", "avx512f"), 2)  # AVX-512 but no bf16
BF16 = CpuProfile("AMD EPYC", ("avx2", "avx512f", "avx512_bf16"), 2)
AMX = CpuProfile("Intel Xeon Platinum 8480", ("avx2", "avx512f", "amx_bf16", "amx_tile"), 4)


@pytest.mark.parametrize(("cpu", "dtype"), [(AVX2, "float32"), (AVX512, "float32"), (BF16, "bfloat16"),
                                            (AMX, "bfloat16")])
def test_auto_picks_bfloat16_only_where_the_cpu_has_it(cpu: CpuProfile, dtype: str) -> None:
    chosen = choose_precision("auto", "cpu", cpu)
    assert chosen.dtype == dtype
    assert ("natively" in chosen.reason) == (dtype == "bfloat16")


def test_the_reason_names_what_the_cpu_has_or_lacks() -> None:
    assert "AMX_BF16" in choose_precision("auto", "cpu", AMX).reason
    assert "no native bfloat16" in choose_precision("auto", "cpu", AVX2).reason


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("cpu", [AVX2, BF16])
def test_an_explicit_dtype_wins(dtype: str, cpu: CpuProfile) -> None:
    chosen = choose_precision(dtype, "cpu", cpu)
    assert chosen.dtype == dtype and chosen.reason == f"RAG_EMBED_DTYPE={dtype}"


def test_on_a_gpu_auto_asks_the_gpu() -> None:
    assert choose_precision("auto", "cuda", cuda_bf16=lambda: True).dtype == "bfloat16"
    assert choose_precision("auto", "cuda:1", cuda_bf16=lambda: False).dtype == "float32"
    assert choose_precision("auto", "mps").dtype == "float32"


def test_torch_kernels_capped_below_bf16_count_as_no_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "_proc_cpuinfo", lambda: ("AMD EPYC", {"avx2", "avx512f", "avx512_bf16"}))
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)  # the suite may itself run held to AVX2
    precision.cpu_profile.cache_clear()
    try:
        monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
        cpu = precision.cpu_profile()
        assert cpu.flags == ("avx2", "avx512f", "avx512_bf16") and not cpu.native_bf16
        chosen = choose_precision("auto", "cpu", cpu)
        assert chosen.dtype == "float32" and "ATEN_CPU_CAPABILITY=avx2" in chosen.reason
        monkeypatch.delenv("ATEN_CPU_CAPABILITY")
        precision.cpu_profile.cache_clear()
        assert precision.cpu_profile().native_bf16
    finally:
        precision.cpu_profile.cache_clear()


def test_this_machines_profile_is_read() -> None:
    cpu = precision.cpu_profile()
    assert cpu.threads >= 1 and cpu.model
    assert set(cpu.flags) <= set(precision.FLAGS)
    assert cpu.describe().startswith(cpu.model)


def test_settings_default_to_auto_and_refuse_other_values() -> None:
    assert Settings.from_env({}).embed_dtype == "auto"
    assert Settings.from_env({"RAG_EMBED_DTYPE": "bfloat16"}).embed_dtype == "bfloat16"
    with pytest.raises(SettingsError, match="must be auto, bfloat16 or float32"):
        Settings.from_env({"RAG_EMBED_DTYPE": "fp16"})


def test_the_model_loads_in_the_chosen_dtype(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sentence_transformers
    import torch

    loaded: dict[str, object] = {}

    class Recorder:
        max_seq_length = 2048

        def __init__(self, path: str, device: str, model_kwargs: dict) -> None:  # type: ignore[type-arg]
            loaded.update(model_kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Recorder)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    (tmp_path / "model").mkdir()
    for cpu, want in ((AVX2, torch.float32), (BF16, torch.bfloat16)):
        monkeypatch.setattr(precision, "cpu_profile", lambda cpu=cpu: cpu)
        embedder = make_embedder(Settings.from_env({}, embed_model=str(tmp_path / "model")))
        assert isinstance(embedder, SentenceTransformerEmbedder)
        assert embedder.precision.dtype == str(want).removeprefix("torch.")  # known before loading
        embedder._load()
        assert loaded["torch_dtype"] == want


def test_info_says_what_the_model_runs_in(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import torch

    from rag.engine import Isnad

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(precision, "cpu_profile", lambda: AVX2)
    (tmp_path / "model").mkdir()
    isnad = Isnad(Settings.from_env({}, embed_model=str(tmp_path / "model"), db_dir=tmp_path / "db", reader="off"))
    runs = isnad.model_runs()
    assert runs.startswith("float32 on cpu (Intel Core i7-8650U, 8 threads, avx2)")
    assert "no native bfloat16" in runs
    hashed = Isnad(Settings.from_env({}, embed_model="hash", db_dir=tmp_path / "db2"))
    assert hashed.model_runs() == "hash-256 (no neural model)"
