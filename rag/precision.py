"""Which precision the model computes in: bfloat16 where the hardware does it natively, else float32.

On a CPU with AVX512_BF16 or AMX, EmbeddingGemma in bfloat16 runs about 3x faster than in float32
with the same rankings; on a CPU without them (AVX2 only: most laptops, many servers) bfloat16 is
emulated and runs about 6.7x *slower* than float32 (BENCHMARKS.md, "Precision by capability").
So `RAG_EMBED_DTYPE=auto` (the default) looks before it chooses; `bfloat16` or `float32` wins.

    >>> choose_precision("auto", "cpu", CpuProfile("x", ("avx2",), 2)).dtype
    'float32'
    >>> choose_precision("auto", "cpu", CpuProfile("x", ("avx2", "avx512_bf16"), 2)).dtype
    'bfloat16'

Reading the CPU's flags costs nothing (no torch import), so `rag info` and the app's start-up line
can say what will be chosen before the model loads.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

DTYPES = ("auto", "bfloat16", "float32")
# The CPU flags that decide (and that benchmarks record): native bf16 is AVX512_BF16 or AMX.
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
NATIVE_BF16 = ("avx512_bf16", "amx_bf16")
# torch's own kernels and oneDNN's (its bf16 matrix products) can be capped below the CPU's best;
# then bf16 is emulated however capable the CPU is. Values that cap below AVX512-BF16:
_CAPS = {"ATEN_CPU_CAPABILITY": ("default", "avx2"),
         "ONEDNN_MAX_CPU_ISA": ("sse41", "avx", "avx2", "avx2_vnni", "avx2_vnni_2", "avx512_core",
                                "avx512_core_vnni")}


@dataclass(frozen=True)
class CpuProfile:
    """What a benchmark records about the CPU, and what the precision is chosen from."""

    model: str
    flags: tuple[str, ...]  # those of FLAGS the CPU has
    threads: int
    capped_by: str = ""  # "ATEN_CPU_CAPABILITY=avx2" when an environment variable limits torch's kernels

    @property
    def native_bf16(self) -> bool:
        return not self.capped_by and any(f in self.flags for f in NATIVE_BF16)

    def describe(self) -> str:
        """"AMD EPYC, 2 threads, avx2 avx512f avx512_bf16"."""
        cap = f", capped by {self.capped_by}" if self.capped_by else ""
        return f"{self.model}, {self.threads} threads, {' '.join(self.flags) or 'no AVX2'}{cap}"

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "threads": self.threads, "flags": list(self.flags),
                "native_bf16": self.native_bf16, "capped_by": self.capped_by}


@dataclass(frozen=True)
class Precision:
    dtype: str  # "bfloat16" or "float32"
    reason: str  # why, in words a user can check ("the CPU has no native bfloat16 (AVX512_BF16/AMX)")


@lru_cache(maxsize=1)
def cpu_profile() -> CpuProfile:
    model, flags = _proc_cpuinfo()
    if not flags:  # no /proc/cpuinfo (macOS, Windows): ask torch, which reads cpuid itself
        flags = _torch_flags()
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return CpuProfile(model or platform.processor() or platform.machine(), tuple(f for f in FLAGS if f in flags),
                      threads, _capped_by())


def choose_precision(wanted: str, device: str, cpu: CpuProfile | None = None,
                     cuda_bf16: Callable[[], bool] | None = None) -> Precision:
    """The dtype for `wanted` ("auto", "bfloat16", "float32") on the resolved `device`."""
    if wanted != "auto":
        return Precision(wanted, f"RAG_EMBED_DTYPE={wanted}")
    if device.startswith("cuda"):
        ok = (cuda_bf16 or _cuda_bf16)()
        return Precision("bfloat16", "the GPU computes bfloat16 natively") if ok else Precision(
            "float32", "the GPU has no native bfloat16")
    if device != "cpu":
        return Precision("float32", f"bfloat16 is not chosen automatically on {device}")
    cpu = cpu or cpu_profile()
    if cpu.native_bf16:
        have = next(f for f in NATIVE_BF16 if f in cpu.flags).upper()
        return Precision("bfloat16", f"the CPU computes bfloat16 natively ({have})")
    if cpu.capped_by:
        return Precision("float32", f"{cpu.capped_by} keeps torch from native bfloat16")
    return Precision("float32", "the CPU has no native bfloat16 (no AVX512_BF16 or AMX), where it is emulated "
                                "and about 6x slower")


def _proc_cpuinfo() -> tuple[str, set[str]]:
    model, flags = "", set[str]()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
                if model and flags:
                    break
    except OSError:
        pass
    return model, flags


def _torch_flags() -> set[str]:
    try:
        import torch

        cpu = torch.cpu
        found = {"avx2": cpu._is_avx2_supported(), "avx512f": cpu._is_avx512_supported(),
                 "avx512_bf16": cpu._is_avx512_bf16_supported(), "amx_tile": cpu._is_amx_tile_supported()}
    except Exception:  # noqa: BLE001 - an old torch without these probes: assume the common case
        return set()
    return {name for name, present in found.items() if present}


def _capped_by() -> str:
    for var, low in _CAPS.items():
        value = os.environ.get(var, "").strip().lower()
        if value in low:
            return f"{var}={value}"
    return ""


def _cuda_bf16() -> bool:
    import torch

    try:
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    except (AssertionError, RuntimeError):  # a torch built without CUDA, a broken driver
        return False
