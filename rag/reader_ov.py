"""The built-in reader run by OpenVINO on the CPU: the same scores as torch, faster.

The reader (reader_net.py: EmbeddingGemma's layers with our LoRA updates merged in, and its head) is
exported once with torch.export from the local model folder and the shipped weights, converted to
OpenVINO's format, offline, into a folder beside the model (`<model>-reader-openvino/`, 0.6 GB of float16
weights; weights other than the shipped ones get a folder of their own, `…-openvino-<sha256>`). Before
it is kept, its logits are compared with torch's (float32 both) on a few question / sentence pairs; a
manifest records what it was made from (the model file, the reader weights' sha256 and settings, the
library versions), and anything changed converts it again. It runs with float32 inference
precision: faster than bfloat16 where it was measured, a CPU with native bfloat16 (BENCHMARKS.md, "The
reader in OpenVINO"), and the same scores as torch's float32.

Used where the embedder runs in OpenVINO (RAG_EMBED_RUNTIME=auto on a CPU); then the torch model is
never loaded for the reader. A failure to convert or compile falls back to the torch reader, and the
reader's name says which runs.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .model_fetch import sha256_of
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

    def __init__(self, folder: Path, tokenizer: Any):
        import openvino as ov

        self.tokenizer = tokenizer
        self.compiled = ov.Core().compile_model(str(folder / "model.xml"), "CPU",
                                                {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"})
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


def load(model_dir: Path, weights: Path, config: dict[str, Any], log: Any = _stderr) -> OpenVinoReaderNet:
    from transformers import AutoTokenizer

    folder = convert(model_dir, weights, config, log)
    return OpenVinoReaderNet(folder, AutoTokenizer.from_pretrained(str(model_dir)))
