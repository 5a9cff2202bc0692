"""The reader stage: does this sentence *state* the answer to this question, not only share its topic?

Retrieval finds passages and the sentence scorer (scorer.py) ranks their sentences by similarity
features; a reader then reads the question with each of the best candidates and gives one score
each. Three kinds, chosen by settings (`make_reader`); none by default (the sentence scorer alone):

* built-in (`RAG_READER=builtin`): EmbeddingGemma's layers as a cross-encoder we train and ship
  (reader_net.py, `python benchmarks/train_reader.py`). Where the embedder runs in OpenVINO, so does
  the reader (reader_ov.py, converted once); else it runs on the embedder's torch model, sharing its
  token embeddings. It orders the candidates better than the scorer alone but reads eight of them in
  most of a second on two cores, so it is off by default (BENCHMARKS.md, "A reader");
* a local sentence-transformers `CrossEncoder` (`RAG_RERANK_MODEL`: a folder or a hub id);
* a rerank API (`RAG_RERANK_URL`): Cohere/Jina/vLLM/Infinity/LocalAI shape or text-embeddings-inference
  shape (reader_api.py); when it fails, the built-in reader (with RAG_READER=builtin) or the scorer's
  order stands in, and the answer carries a note saying why.

    >>> reading = reader.read("who mediated?", [ReadItem("Russia mediated the truce.", "Talks")])  # doctest: +SKIP
    >>> reading.scores                                                                              # doctest: +SKIP
    [0.93]

The plug-in kinds get one sentence per document (its title in front), never its neighbours: that is
what such models are trained on.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import ModelError, SettingsError

if TYPE_CHECKING:
    from .embedder import Embedder
    from .reader_ov import ReaderPrecision
    from .settings import Settings

BUILTIN_WEIGHTS = Path(__file__).resolve().parent / "data" / "reader.safetensors"
BUILTIN_CONFIG = BUILTIN_WEIGHTS.with_suffix(".json")


@dataclass(frozen=True)
class ReadItem:
    """One candidate sentence as a reader sees it."""

    text: str
    title: str = ""
    before: str = ""  # the sentence before it in its passage, "" at the start
    after: str = ""


@dataclass(frozen=True)
class Reading:
    """One score per item, higher = more likely to state the answer. `probabilities`: the scores are
    calibrated chances (0-1) that answerability can be judged on; `reader` names who read (the
    fallback's name when it stood in), `note` why it stood in."""

    scores: list[float]
    reader: str
    probabilities: bool
    note: str = ""
    # How much of the sentence scorer's score joins this reading's logit in the order (calibrated with
    # the built-in reader; 0 for the plug-ins).
    blend: float = 0.0


class Reader(Protocol):
    name: str

    @property
    def threshold(self) -> float | None:
        """Decline when the best score is below this (None: this reader does not judge answerability)."""

    def read(self, question: str, items: Sequence[ReadItem]) -> Reading: ...


def document(item: ReadItem) -> str:
    """What a plug-in reader is sent for one candidate: its title, then the sentence."""
    return f"{item.title}: {item.text}" if item.title else item.text


class BuiltinReader:
    """The reader we train (reader_net.py) on top of the embedder's own EmbeddingGemma. Its weights
    (rag/data) are read on first use."""

    def __init__(self, embedder: Embedder, weights: Path = BUILTIN_WEIGHTS, config: Path = BUILTIN_CONFIG,
                 batch: int = 16, threshold: float | None = None, openvino: bool = True, precision: str = "auto"):
        self.embedder = embedder
        self.precision = precision  # in OpenVINO: auto, float32 or bfloat16 (reader_ov.choose_precision)
        self.openvino = openvino  # run in OpenVINO where the embedder does
        self.weights = weights
        self.config_path = config
        self._threshold = threshold
        self.batch = batch
        self._config: dict[str, Any] | None = None
        self._net: Any = None  # (torch ReaderNet, tokenizer), or a reader_ov.OpenVinoReaderNet
        # What runs it: foreseen from the embedder's runtime until it is loaded, then what does.
        self.name, self.runtime, self.runtime_reason = "", "", ""
        if openvino and getattr(embedder, "runtime", "torch") == "openvino":
            foreseen = self._foreseen_precision()
            self._named("openvino", foreseen.reason if foreseen else "", foreseen.dtype if foreseen else "")
        else:
            self._named("torch", "")
        self._lock = threading.Lock()

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            if not self.weights.is_file() or not self.config_path.is_file():
                raise SettingsError(f"the built-in reader's weights ({self.weights.name}, {self.config_path.name}) "
                                    f"are missing from {self.weights.parent}; restore them from git, retrain them "
                                    "(python benchmarks/train_reader.py), point RAG_READER_WEIGHTS at a folder "
                                    "that has them, or set RAG_READER=off")
            self._config = json.loads(self.config_path.read_text(encoding="utf-8"))
        return self._config

    @property
    def threshold(self) -> float | None:
        """RAG_READER_ABSTAIN_BELOW when set, else the one calibrated with the weights; none (the reader
        orders, the sentence scorer decides whether anything answers) where reader.json has none."""
        if self._threshold is not None:
            return self._threshold
        calibrated = self.config.get("threshold")
        return None if calibrated is None else float(calibrated)

    @property
    def blend(self) -> float:
        """How much of the sentence scorer's score joins the reader's logit in the order (calibrated
        with the reader on held-out training questions)."""
        return float(self.config.get("blend", 0.0))

    def _load(self):  # type: ignore[no-untyped-def]
        """OpenVINO where the embedder runs in it (converted on first use; torch when that fails),
        else the embedder's torch model with the reader's layers on top."""
        if self.openvino and getattr(self.embedder, "runtime", "torch") == "openvino":
            from . import reader_ov

            try:
                net = reader_ov.load(Path(self.embedder.model_path).expanduser(),  # type: ignore[attr-defined]
                                     self.weights, self.config, precision=self.precision)
                self._named("openvino", f"the embedder runs in OpenVINO; {net.precision_reason}", net.precision)
                return net
            except Exception as exc:  # any failure to convert or compile: torch gives the same scores
                self._named("torch", f"OpenVINO failed ({str(exc)[:160]})")
        else:
            self._named("torch", "asked for torch" if not self.openvino else "the embedder runs in torch")
        from . import reader_net

        st = self.embedder.model  # type: ignore[attr-defined]
        full = st[0].auto_model
        if getattr(full.config, "model_type", "") != "gemma3_text" or full.config.hidden_size != 768:
            raise ModelError(f"the built-in reader is trained on EmbeddingGemma-300M, not {self.embedder.name!r}; "
                             "set RAG_READER=off, or RAG_RERANK_MODEL / RAG_RERANK_URL for another reader")
        return reader_net.load(full, self.weights, self.config), st.tokenizer

    def _foreseen_precision(self) -> ReaderPrecision | None:
        """The OpenVINO reader's precision where it can be told before anything loads (for `rag info`):
        None where it has yet to be timed on this CPU, or the model folder is not known."""
        from . import reader_ov
        from .precision import cpu_profile

        try:
            folder = reader_ov.ir_dir(Path(self.embedder.model_path).expanduser(), self.weights)  # type: ignore[attr-defined]
        except (AttributeError, OSError, TypeError):
            return None
        return reader_ov.foresee_precision(folder, self.precision, cpu_profile())

    def _named(self, runtime: str, reason: str, precision: str = "") -> None:
        self.runtime, self.runtime_reason = runtime, reason
        label = "OpenVINO" if runtime == "openvino" else "torch"
        label += f" {precision}" if precision else ""
        self.name = f"built-in (on {getattr(self.embedder, 'name', 'the embedder')}, {label})"

    def warm_up(self) -> None:
        from .reader_net import pair_text

        self.logits([pair_text("warm up", "", "warm up")])

    def logits(self, texts: list[str]) -> list[float]:
        """The reader's logit for each pair text (reader_net.pair_text)."""
        return [float(row[0]) for row in self._outputs(texts)]

    def _outputs(self, texts: list[str]) -> np.ndarray:
        """A row a pair text: the reader's logit, then the verdict logits where the weights have that head."""
        with self._lock:
            if self._net is None:
                self._net = self._load()
        if not isinstance(self._net, tuple):  # OpenVINO: its own batches of similar length
            return self._net.outputs(texts)
        import torch

        from .reader_net import MAX_TOKENS

        net, tokenizer = self._net
        rows: list[np.ndarray] = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch):
                enc = tokenizer(texts[i: i + self.batch], return_tensors="pt", padding=True, truncation=True,
                                max_length=MAX_TOKENS)
                rows.append(net.outputs(enc["input_ids"], enc["attention_mask"]).float().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, 1), np.float32)

    @property
    def has_verdicts(self) -> bool:
        """Whether these weights carry a verdict head (train_reader.py --claim-pairs)."""
        return bool(self.config.get("verdicts"))

    def verdicts(self, claim: str, items: Sequence[ReadItem]) -> list[dict[str, float]]:
        """For each candidate, the verdict head's probabilities that it supports the claim, contradicts
        it or says nothing of it (reader_net.VERDICTS), read with the claim in the question's place."""
        from .reader_net import VERDICTS, pair_text

        if not self.has_verdicts:
            raise ModelError(f"the built-in reader's weights in {self.weights.parent} have no verdict head")
        out = self._outputs([pair_text(claim, it.title, it.text) for it in items])
        if out.shape[1] != 1 + len(VERDICTS):
            raise ModelError(f"the built-in reader gave {out.shape[1] - 1} verdict scores, not {len(VERDICTS)}")
        logits = out[:, 1:] - out[:, 1:].max(axis=1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return [dict(zip(VERDICTS, (float(x) for x in row), strict=True)) for row in probs]

    def read(self, question: str, items: Sequence[ReadItem]) -> Reading:
        from .reader_net import pair_text

        logits = self.logits([pair_text(question, it.title, it.text) for it in items])
        return Reading([_sigmoid(x) for x in logits], self.name, True, blend=self.blend)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class CrossEncoderReader:
    """Any sentence-transformers CrossEncoder: a folder or a hub id (RAG_RERANK_MODEL), on RAG_DEVICE."""

    def __init__(self, model: str, device: str = "auto", threshold: float | None = None):
        self.model = model
        self.device = device
        self.name = f"cross-encoder {model}"
        self.threshold = threshold
        self._ce: Any = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        from sentence_transformers import CrossEncoder

        from .embedder import resolve_device
        from .settings import apply_offline_env

        apply_offline_env()
        try:
            return CrossEncoder(self.model, device=resolve_device(self.device))
        except Exception as exc:  # a wrong folder, an offline hub id, a model that is no cross-encoder
            raise ModelError(f"could not load the rerank model {self.model!r} (RAG_RERANK_MODEL): {exc}") from exc

    def read(self, question: str, items: Sequence[ReadItem]) -> Reading:
        with self._lock:
            if self._ce is None:
                self._ce = self._load()
        ce = self._ce
        raw = ce.predict([(question, document(it)) for it in items], show_progress_bar=False)
        scores = [float(x) for x in raw]
        # A one-label model ends in a sigmoid (sentence-transformers' default activation): probabilities.
        probabilities = all(0.0 <= s <= 1.0 for s in scores)
        return Reading(scores, self.name, probabilities)


def builtin_files(settings: Settings) -> tuple[Path, Path]:
    """The built-in reader's weights and reader.json: RAG_READER_WEIGHTS' folder, else the shipped ones."""
    if not settings.reader_weights:
        return BUILTIN_WEIGHTS, BUILTIN_CONFIG
    folder = Path(settings.reader_weights)
    return folder / BUILTIN_WEIGHTS.name, folder / BUILTIN_CONFIG.name


def make_verdict_reader(settings: Settings, embedder: Embedder) -> BuiltinReader | None:
    """The built-in reader of RAG_VERDICT_WEIGHTS, for its verdict head alone (None when unset, or for
    an embedder that is no neural model). Its files and its head are checked here; the model loads on
    first use, like the answer's reader."""
    if not settings.verdict_weights or not hasattr(type(embedder), "model"):
        return None
    folder = Path(settings.verdict_weights).expanduser()
    reader = BuiltinReader(embedder, folder / BUILTIN_WEIGHTS.name, folder / BUILTIN_CONFIG.name,
                           precision=settings.reader_precision)
    if not reader.weights.is_file() or not reader.config_path.is_file():
        raise SettingsError(f"RAG_VERDICT_WEIGHTS={settings.verdict_weights}: no {BUILTIN_WEIGHTS.name} and "
                            f"{BUILTIN_CONFIG.name} there; point it at a folder that `python "
                            "benchmarks/train_reader.py --claim-pairs FILE --out DIR` wrote, or unset it")
    if not reader.has_verdicts:
        raise SettingsError(f"RAG_VERDICT_WEIGHTS={settings.verdict_weights}: these reader weights have no "
                            "verdict head (train them with --claim-pairs), or unset it")
    return reader


def make_reader(settings: Settings, embedder: Embedder) -> Reader | None:
    """The reader the settings ask for: a plug-in when RAG_RERANK_URL or RAG_RERANK_MODEL is set (the
    built-in reader stands in for a failing API when RAG_READER=builtin), else the built-in reader
    with RAG_READER=builtin; None otherwise (the sentence scorer alone) and for an embedder that is
    no neural model (the hash embedder of the fast tests). Nothing is loaded here: a reader loads its
    model on first use."""
    threshold = None if settings.reader_abstain_below < 0 else settings.reader_abstain_below
    # The built-in reader runs on the embedder's own model: only a neural embedder (one with a
    # `model`, loaded on first use) has one.
    neural = hasattr(type(embedder), "model")
    builtin = None
    if neural and settings.reader == "builtin":
        builtin = BuiltinReader(embedder, *builtin_files(settings), threshold=threshold,
                                precision=settings.reader_precision)
    if settings.rerank_url:
        from .reader_api import RemoteReader

        return RemoteReader(settings.rerank_url, settings.rerank_api_model, settings.rerank_api_key,
                            settings.rerank_timeout, fallback=builtin, threshold=threshold)
    if settings.rerank_model:
        return CrossEncoderReader(settings.rerank_model, settings.device, threshold)
    return builtin
