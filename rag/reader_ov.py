"""The built-in reader run by OpenVINO on the CPU: the same scores as torch, faster.

The reader (reader_net.py: EmbeddingGemma's layers with our LoRA updates merged in, and its head) is
exported once with torch.export from the local model folder and the shipped weights, converted to
OpenVINO's format, offline, into a folder beside the model (`<model>-reader-openvino/`, 0.6 GB of float16
weights; weights other than the shipped ones get a folder of their own, `…-openvino-<sha256>`). Before
it is kept, its logits are compared with torch's (float32 both) on a few question / sentence pairs; a
manifest records what it was made from (the model file, the reader weights' sha256 and settings, the
library versions), and anything changed converts it again.

Its inference precision is chosen by measurement, not assumed: float32 (torch's float32 scores) unless
the CPU computes bfloat16 natively; there both precisions read a batch of pairs once, and bfloat16 is
kept only where it reads at least `FASTER` times as fast. On one CPU with AVX512_BF16 it was slower than
float32, on another 1.6-1.9x faster (BENCHMARKS.md, "The reader in OpenVINO", "… in bfloat16 where it is
faster"). The timings are kept beside the converted model, per CPU, so each machine measures once
(delete `SPEED_FILE` to time again).

Used where the embedder runs in OpenVINO (RAG_EMBED_RUNTIME=auto on a CPU); then the torch model is
never loaded for the reader. A failure to convert or compile falls back to the torch reader, and the
reader's name says which runs.
"""

from __future__ import annotations

import gc
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from .errors import ModelError
from .model_fetch import sha256_of
from .precision import CpuProfile, cpu_profile
from .reader import BUILTIN_WEIGHTS

MANIFEST = "isnad-reader-openvino.json"
RECIPE = "torch.export of the merged reader, eager attention, no cache, float16 weights"
# Pairs whose logits must agree with torch's before a conversion is kept; lengths differ, so that the
# check covers a padded batch.
PROBES = (("من توسط بين أرمينيا وأذربيجان؟", "اشتباكات على الحدود",
           "بدأت المفاوضات للتوصل إلى تسوية سلمية للنزاع منذ عام 1992 في إطار مجموعة مينسك."),
          ("Who mediated between Armenia and Azerbaijan?", "اشتباكات على الحدود",
           "اتهمت أرمينيا وأذربيجان بعضهما البعض ببدء الاشتباكات."),
          ("How many were killed?", "", "No one was hurt."))
MAX_LOGIT_GAP = 0.05  # float32 both sides: measured 0.0025 on these pairs, 0.016 on a padded batch of eight
PRECISIONS = {"float32": "f32", "bfloat16": "bf16"}  # our names -> OpenVINO's inference precision hints
FASTER = 1.15  # bfloat16 is kept where it reads a batch at least this many times as fast as float32
SPEED_FILE = "isnad-reader-speed.json"  # per CPU: ms to read the timing batch in each precision


def ir_dir(model_dir: Path, weights: Path = BUILTIN_WEIGHTS) -> Path:
    """Where the reader of these weights is kept: one folder for the shipped ones, and one for each other
    set (named by its sha256), so that an answer's reader and a claim's verdict reader do not take
    turns converting into one folder."""
    base = model_dir.parent / f"{model_dir.name}-reader-openvino"
    if weights.resolve() == BUILTIN_WEIGHTS:
        return base
    return base.with_name(f"{base.name}-{sha256_of(weights)[:12]}")


def source_key(model_dir: Path, weights: Path, config: dict[str, Any]) -> dict[str, Any]:
    """What a conversion was made from: the model file, the reader's weights and shape, the libraries."""
    from .ov_runtime import source_key as model_key

    shape = {k: config.get(k) for k in ("layers", "rank", "alpha", "verdicts") if k != "verdicts" or config.get(k)}
    return {**model_key(model_dir), "recipe": RECIPE, "reader_sha256": sha256_of(weights), "reader": shape}


def is_current(model_dir: Path, weights: Path, config: dict[str, Any]) -> bool:
    folder = ir_dir(model_dir, weights)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("source") == source_key(model_dir, weights, config) and "max_logit_gap" in manifest \
        and all((folder / name).is_file() for name in ("model.xml", "model.bin"))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)  # never into stdout, where `rag ask --json` writes


def convert(model_dir: Path, weights: Path, config: dict[str, Any], log: Any = _stderr) -> Path:
    """Export the reader to OpenVINO (under a minute on 2 cores, 0.6 GB on disk), check its logits
    against torch's, and move it into place atomically. Idempotent."""
    if is_current(model_dir, weights, config):
        return ir_dir(model_dir, weights)
    import openvino as ov
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    from . import reader_net
    from .settings import apply_offline_env

    apply_offline_env()
    transformers.utils.logging.disable_progress_bar()
    log("converting the built-in reader for OpenVINO (once, about a minute) ...")
    # Eager attention and no cache: what torch.export and OpenVINO's converter take.
    full = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32, attn_implementation="eager")
    full.config.use_cache = False
    net = reader_net.load(full, weights, config)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    texts = [reader_net.pair_text(*p) for p in PROBES]
    enc = tokenizer(texts, return_tensors="pt", padding=True)
    # Sliding-window attention bounds the traced length; the reader cuts pairs at MAX_TOKENS anyway.
    batch, seq = torch.export.Dim("batch", min=1, max=1024), torch.export.Dim("tokens", min=2, max=255)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.export's own deprecations
        # With a verdict head, one graph gives both heads' logits (a row a pair); without, the reader's alone.
        graph = reader_net.Outputs(net) if net.verdict is not None else net
        exported = torch.export.export(graph, (enc["input_ids"], enc["attention_mask"]),
                                       dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}))
        converted = ov.convert_model(exported)
        reference = np.concatenate([net.outputs(**{k: v for k, v in tokenizer([t], return_tensors="pt").items()
                                                   if k in ("input_ids", "attention_mask")}).numpy()
                                    for t in texts])  # one at a time: no padding on torch's side
    target = ir_dir(model_dir, weights)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="isnad-reader-openvino-", dir=target.parent) as tmp:
        staged = Path(tmp) / "ir"
        staged.mkdir()
        ov.save_model(converted, str(staged / "model.xml"), compress_to_fp16=True)
        got = OpenVinoReaderNet(staged, tokenizer).outputs(texts)
        gap = float(np.max(np.abs(got - reference))) if np.isfinite(got).all() else float("nan")
        if not gap <= MAX_LOGIT_GAP:
            raise ModelError(f"the OpenVINO reader scores otherwise than torch's (logits differ by {gap:.3f})")
        (staged / MANIFEST).write_text(json.dumps({"source": source_key(model_dir, weights, config),
                                                   "max_logit_gap": gap}, indent=1) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    log(f"OpenVINO reader ready in {target} (logits within {gap:.3f} of torch's)")
    return target


class OpenVinoReaderNet:
    """The converted reader: pair texts in, one logit each (and the verdict logits, where it has that head)."""

    def __init__(self, folder: Path, tokenizer: Any, precision: str = "float32"):
        import openvino as ov

        self.tokenizer = tokenizer
        self.precision = precision
        self.precision_reason = ""
        self.compiled = ov.Core().compile_model(str(folder / "model.xml"), "CPU",
                                                {"INFERENCE_PRECISION_HINT": PRECISIONS[precision],
                                                 "PERFORMANCE_HINT": "LATENCY"})
        shape = self.compiled.output(0).get_partial_shape()
        # A row a pair: the reader's logit, then the verdict logits where the graph has that head.
        self.width = shape[-1].get_length() if shape.rank.get_length() == 2 else 1

    def logits(self, texts: list[str], batch: int = 4) -> np.ndarray:
        """The reader's logit for each pair text."""
        return self.outputs(texts, batch)[:, 0]

    def outputs(self, texts: list[str], batch: int = 4) -> np.ndarray:
        """A row a pair text (the reader's logit, then any verdict logits), read in batches of similar
        length: 4 pads less than 8 or 16 and was the fastest measured on the app's own candidates
        (BENCHMARKS.md, "The reader in OpenVINO")."""
        from .reader_net import MAX_TOKENS

        width = self.width
        if not texts:
            return np.zeros((0, width), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        out = np.zeros((len(texts), width), np.float32)
        request = self.compiled.create_infer_request()  # one per call: calls from several threads are safe
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                                 return_tensors="np")
            result = request.infer({0: enc["input_ids"].astype(np.int64), 1: enc["attention_mask"].astype(np.int64)})
            out[idx] = np.asarray(next(iter(result.values())), np.float32).reshape(len(idx), width)
        if not np.isfinite(out).all():
            raise ModelError("the OpenVINO reader returned a score that is not a number")
        return out


@dataclass(frozen=True)
class ReaderPrecision:
    dtype: str  # "float32" or "bfloat16"
    reason: str  # why, in words a user can check


def timing_texts() -> list[str]:
    """Eight pairs of about the app's length (question, title and a sentence of 60-100 tokens)."""
    from .reader_net import pair_text

    return [pair_text(q, title, f"{s} {s}") for q, title, s in PROBES] * 3


def read_ms(folder: Path, tokenizer: Any, precision: str) -> float:
    """Milliseconds to read the timing batch in `precision`, the best of three after a first reading."""
    net = OpenVinoReaderNet(folder, tokenizer, precision)
    texts = timing_texts()[:8]
    net.outputs(texts)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        net.outputs(texts)
        best = min(best, (time.perf_counter() - t0) * 1000)
    del net
    gc.collect()
    return best


def _timings(folder: Path) -> dict[str, Any]:
    try:
        known = json.loads((folder / SPEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _valid(ms: object) -> TypeGuard[dict[str, float]]:
    return isinstance(ms, dict) and all(isinstance(ms.get(p), (int, float)) and ms[p] > 0 for p in PRECISIONS)


def foresee_precision(folder: Path, wanted: str, cpu: CpuProfile) -> ReaderPrecision | None:
    """What `choose_precision` will choose, without timing anything (for `rag info` before the reader
    loads); None where it has yet to time the two on this CPU."""
    if wanted in PRECISIONS:
        return ReaderPrecision(wanted, f"RAG_READER_PRECISION={wanted}")
    if not cpu.native_bf16:
        return ReaderPrecision("float32", "float32: the CPU has no native bfloat16")
    ms = _timings(folder).get(cpu.describe())
    return _decide(ms) if _valid(ms) else None


def _decide(ms: dict[str, float]) -> ReaderPrecision:
    ratio = ms["float32"] / ms["bfloat16"]
    if ratio >= FASTER:
        return ReaderPrecision("bfloat16", f"bfloat16: measured {ratio:.1f}x as fast as float32 on this CPU")
    return ReaderPrecision("float32", f"float32: bfloat16 measured {ratio:.2f}x its speed on this CPU")


def choose_precision(folder: Path, tokenizer: Any, wanted: str, cpu: CpuProfile,
                     measure: Callable[[Path, Any, str], float] = read_ms,
                     log: Any = _stderr) -> ReaderPrecision:
    """`wanted` (RAG_READER_PRECISION) when it names one; for "auto", float32 on a CPU without native
    bfloat16, and on one with it bfloat16 only where it reads at least FASTER times as fast: measured once
    per CPU, the timings kept in the folder (where it can be written)."""
    known = foresee_precision(folder, wanted, cpu)
    if known is not None:
        return known
    log("timing the built-in reader in float32 and bfloat16 on this CPU (once, about half a minute) ...")
    try:
        ms = {p: round(measure(folder, tokenizer, p), 1) for p in PRECISIONS}
    except Exception as exc:  # noqa: BLE001 - a precision this OpenVINO cannot compile here: float32 reads
        return ReaderPrecision("float32", f"float32: bfloat16 could not be timed ({str(exc)[:120]})")
    path = folder / SPEED_FILE
    try:  # whole or not at all: another process may be reading it
        staged = path.with_name(f".{path.name}.{time.time_ns()}")
        staged.write_text(json.dumps({**_timings(folder), cpu.describe(): ms}, indent=1) + "\n", encoding="utf-8")
        staged.replace(path)
    except OSError:
        pass  # a read-only model folder: measured again next time
    return _decide(ms)


def load(model_dir: Path, weights: Path, config: dict[str, Any], log: Any = _stderr,
         precision: str = "auto") -> OpenVinoReaderNet:
    """The converted reader, compiled in `precision`: "float32", "bfloat16", or "auto" (bfloat16 where
    it measures faster, see `choose_precision`)."""
    from transformers import AutoTokenizer

    folder = convert(model_dir, weights, config, log)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    chosen = choose_precision(folder, tokenizer, precision, cpu_profile(), log=log)
    net = OpenVinoReaderNet(folder, tokenizer, chosen.dtype)
    net.precision_reason = chosen.reason
    return net
