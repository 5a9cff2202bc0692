"""The embedding model run by OpenVINO on the CPU: the same vectors as torch, faster.

Measured on this project's CPUs (BENCHMARKS.md, "OpenVINO"): 1.16x torch in bfloat16 where the CPU has it
natively, 1.13-1.23x in float32, vectors within 0.9997 cosine of torch's. So `RAG_EMBED_RUNTIME=auto` (the
default) takes OpenVINO on a CPU when the `openvino` package is installed, and torch on a GPU or without it.

The whole sentence-transformers pipeline (transformer, mean pooling, the two dense layers, normalisation) is
exported once from the local model folder with torch.export and converted to OpenVINO's format, offline,
into a folder beside the model (`<model>-openvino/`). Before the conversion is kept, its vectors are
compared with torch's on a few Arabic and English texts; a manifest records what it was made from (the model
file's size and time, the library versions), and a changed model or library makes it again. Any failure
falls back to torch with a note saying why.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .embedder import SentenceTransformerEmbedder, resolve_device
from .errors import ModelError

MANIFEST = "isnad-openvino.json"
# Texts whose vectors must agree with torch's before a conversion is kept (cosine, float32 both sides).
# One long text among short ones: a batch padded a lot, where a careless conversion gives NaN.
PROBES = ("title: اشتباكات على الحدود | text: اتهمت أرمينيا وأذربيجان بعضهما البعض ببدء الاشتباكات.",
          "task: search result | query: من توسط بين أرمينيا وأذربيجان؟",
          "task: search result | query: Who mediated between Armenia and Azerbaijan?",
          "title: none | text: " + " ".join(["بدأت المفاوضات للتوصل إلى تسوية سلمية للنزاع منذ عام 1992."] * 20))
MIN_AGREEMENT = 0.999
RECIPE = "torch.export of the whole pipeline, eager attention, float16 weights"  # a new recipe converts again


@dataclass(frozen=True)
class Runtime:
    name: str  # "torch" or "openvino"
    reason: str


def choose_runtime(wanted: str, device: str, model_path: str, has_openvino: bool | None = None) -> Runtime:
    """The runtime for `wanted` ("auto", "torch", "openvino") on the resolved `device`."""
    available = _has_openvino() if has_openvino is None else has_openvino
    local = Path(model_path).expanduser().is_dir()
    if wanted == "torch":
        return Runtime("torch", "RAG_EMBED_RUNTIME=torch")
    if wanted == "openvino":
        if not available:
            raise ModelError("RAG_EMBED_RUNTIME=openvino but the openvino package is not installed: "
                             "pip install -r requirements.txt, or set RAG_EMBED_RUNTIME=auto")
        if device != "cpu":
            raise ModelError(f"RAG_EMBED_RUNTIME=openvino runs on the CPU, not on {device}: set RAG_DEVICE=cpu "
                             "or RAG_EMBED_RUNTIME=auto")
        if not local:
            raise ModelError(f"RAG_EMBED_RUNTIME=openvino needs a local model folder, not {model_path!r}")
        return Runtime("openvino", "RAG_EMBED_RUNTIME=openvino")
    if device != "cpu":
        return Runtime("torch", f"OpenVINO is used on the CPU only, the model runs on {device}")
    if not available:
        return Runtime("torch", "the openvino package is not installed")
    if not local:
        return Runtime("torch", "OpenVINO needs a local model folder")
    return Runtime("openvino", "OpenVINO is faster than torch on the CPU with the same vectors")


def _has_openvino() -> bool:
    return importlib.util.find_spec("openvino") is not None


def ir_dir(model_dir: Path) -> Path:
    return model_dir.parent / f"{model_dir.name}-openvino"


def source_key(model_dir: Path) -> dict[str, Any]:
    """What a conversion was made from: the weights file (size, time) and the libraries that made it."""
    import openvino
    import torch
    import transformers

    weights = model_dir / "model.safetensors"
    stat = weights.stat() if weights.is_file() else None
    return {"recipe": RECIPE, "weights_size": stat.st_size if stat else None,
            "weights_mtime_ns": stat.st_mtime_ns if stat else None, "openvino": openvino.__version__,
            "torch": torch.__version__, "transformers": transformers.__version__}


def is_current(model_dir: Path) -> bool:
    folder = ir_dir(model_dir)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("source") == source_key(model_dir) and (folder / "model.xml").is_file() \
        and (folder / "model.bin").is_file()


def convert(model_dir: Path, log: Any = print) -> Path:
    """Export the model folder's pipeline to OpenVINO (about a minute on 2 cores, 0.6 GB on disk:
    float16 weights), check
    it against torch, and move it into place atomically. Idempotent."""
    if is_current(model_dir):
        return ir_dir(model_dir)
    import openvino as ov
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    from .settings import apply_offline_env

    apply_offline_env()
    transformers.utils.logging.disable_progress_bar()
    log(f"converting {model_dir.name} for OpenVINO (once, about a minute) ...")
    # Eager attention: the SDPA path, once converted, gives NaN for the short texts of a padded batch.
    st = SentenceTransformer(str(model_dir), device="cpu",
                             model_kwargs={"torch_dtype": torch.float32, "attn_implementation": "eager"})
    pipeline = _pipeline(st).eval()
    enc = st.tokenizer(list(PROBES), return_tensors="pt", padding=True)
    batch, seq = torch.export.Dim("batch", min=1, max=1024), torch.export.Dim("tokens", min=2, max=8192)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.export's own deprecations
        exported = torch.export.export(pipeline, (enc["input_ids"], enc["attention_mask"]),
                                       dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}))
        converted = ov.convert_model(exported)
        reference = np.stack([st.encode([p], prompt="", normalize_embeddings=True, convert_to_numpy=True)[0]
                              for p in PROBES])  # one at a time: no padding on torch's side
    target = ir_dir(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="isnad-openvino-", dir=target.parent) as tmp:
        staged = Path(tmp) / "ir"
        staged.mkdir()
        # float16 weights: half the file and of the memory it maps, the same vectors (checked below)
        ov.save_model(converted, str(staged / "model.xml"), compress_to_fp16=True)
        compiled = ov.Core().compile_model(str(staged / "model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        got = _infer(compiled, st.tokenizer, list(PROBES), len(PROBES), 512)
        agreement = float(np.min(np.sum(got * reference, axis=1))) if np.isfinite(got).all() else float("nan")
        if not agreement >= MIN_AGREEMENT:
            raise ModelError(f"the OpenVINO conversion gives other vectors than torch (cosine {agreement:.4f}); "
                             "set RAG_EMBED_RUNTIME=torch")
        (staged / MANIFEST).write_text(json.dumps({"source": source_key(model_dir), "agreement": agreement},
                                                  indent=1) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    log(f"OpenVINO model ready in {target} (cosine to torch {agreement:.5f})")
    return target


def _pipeline(st: Any) -> Any:
    """The sentence-transformers model as one torch module: token ids and mask in, its vectors out."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self, model: Any):
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    return Pipeline(st)


def _infer(compiled: Any, tokenizer: Any, texts: list[str], batch_size: int, max_tokens: int) -> np.ndarray:
    """Unit vectors of `texts` (prompts already in them), in batches of similar length."""
    if not texts:
        return np.zeros((0, 0), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[np.ndarray | None] = [None] * len(texts)
    request = compiled.create_infer_request()  # one per call: calls from several threads are safe
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_tokens,
                        return_tensors="np")
        result = request.infer({"input_ids": enc["input_ids"].astype(np.int64),
                                "attention_mask": enc["attention_mask"].astype(np.int64)})
        vectors = np.asarray(next(iter(result.values())), np.float32)
        if not np.isfinite(vectors).all():  # never a NaN vector into an index
            raise ModelError("OpenVINO returned a vector that is not a number; set RAG_EMBED_RUNTIME=torch")
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        for i, v in zip(idx, vectors, strict=True):
            out[i] = v
    return np.stack(out)  # type: ignore[arg-type]


class OpenVinoEmbedder(SentenceTransformerEmbedder):
    """EmbeddingGemma's vectors computed by OpenVINO (converted on first use when set-up has not done
    it). Same name and vectors as the torch embedder, so an index built by either is read by both; the
    torch model is still loaded, lazily, for what needs its layers (the built-in reader)."""

    runtime = "openvino"

    def __init__(self, *args: Any, fallback: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fallback = fallback  # on a failed conversion: torch (RAG_EMBED_RUNTIME=auto) or the error
        self._compiled: Any = None
        self._tokenizer: Any = None
        self._prompts: dict[str, str] = {}
        self._dim = 0
        self._ov_lock = threading.Lock()

    def _ov(self) -> bool:
        """Compile the model on first use; False when it could not be had and torch answers instead."""
        with self._ov_lock:
            if self.runtime == "torch":
                return False
            if self._compiled is None:
                try:
                    self._load_ov()
                except Exception as exc:  # any failure to convert or compile: torch has the same vectors
                    if not self.fallback:
                        raise ModelError(f"could not run the model with OpenVINO: {exc}; "
                                         "set RAG_EMBED_RUNTIME=torch") from exc
                    self.runtime = "torch"
                    self.runtime_reason = f"OpenVINO failed ({str(exc)[:160]}), torch runs the model"
                    return False
            return True

    def _load_ov(self) -> None:
        import openvino as ov
        from transformers import AutoTokenizer

        model_dir = Path(self.model_path).expanduser()
        folder = convert(model_dir)
        hint = "bf16" if self.precision.dtype == "bfloat16" else "f32"
        self._compiled = ov.Core().compile_model(str(folder / "model.xml"), "CPU",
                                                 {"INFERENCE_PRECISION_HINT": hint,
                                                  "PERFORMANCE_HINT": "LATENCY"})
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        config = model_dir / "config_sentence_transformers.json"
        self._prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts", {}) \
            if config.is_file() else {}
        self._dim = int(self._compiled.output(0).get_partial_shape()[1].get_length())

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        return _infer(self._compiled, self._tokenizer, texts, self.batch_size, self.max_seq_tokens)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not self._ov():
            return super().embed_queries(texts)
        return self._or_torch(lambda: self._embed([self._prompts.get("query", "") + t for t in texts]),
                              lambda: super(OpenVinoEmbedder, self).embed_queries(texts))

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        if not self._ov():
            return super().embed_documents(texts, titles)
        document = self._prompts.get("document", "")
        if document.startswith("title: none | text: "):
            given = titles or ["none"] * len(texts)
            full = [f"title: {t or 'none'} | text: {x}" for t, x in zip(given, texts, strict=True)]
        else:
            full = [document + t for t in texts]
        return self._or_torch(lambda: self._embed(full),
                              lambda: super(OpenVinoEmbedder, self).embed_documents(texts, titles))

    def _or_torch(self, run: Any, torch_run: Any) -> np.ndarray:
        """OpenVINO's vectors; torch's from now on when OpenVINO fails and falling back is allowed."""
        try:
            return run()  # type: ignore[no-any-return]
        except ModelError as exc:
            if not self.fallback:
                raise
            self.runtime = "torch"
            self.runtime_reason = f"OpenVINO failed ({str(exc)[:160]}), torch runs the model"
            return torch_run()  # type: ignore[no-any-return]


def make(settings: Any) -> SentenceTransformerEmbedder:
    """The torch or OpenVINO embedder the settings ask for (auto: OpenVINO on a CPU where it is installed;
    a conversion that fails falls back to torch, saying why)."""
    args = (settings.model_path, settings.embed_dtype, settings.max_seq_tokens, settings.embed_batch, settings.device)
    runtime = choose_runtime(settings.embed_runtime, resolve_device(settings.device), settings.model_path)
    embedder = OpenVinoEmbedder(*args, fallback=settings.embed_runtime == "auto") if runtime.name == "openvino" \
        else SentenceTransformerEmbedder(*args)
    embedder.runtime_reason = runtime.reason
    return embedder
