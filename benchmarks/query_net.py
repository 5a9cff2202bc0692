"""A tuned question encoder, tried and not shipped: EmbeddingGemma's query side with low-rank updates.

The index stores sentence vectors made by EmbeddingGemma; this changes only how a *question* is
embedded, so nothing stored is re-embedded and a question costs what it costs today. The token
embeddings (two thirds of the model) are shared with the embedder; the 24 transformer layers are
copied with the trained LoRA updates merged in; pooling and the two dense projections are the
embedder's own. Trained by `python benchmarks/train_query.py`; `python benchmarks/quality.py
--query-lora benchmarks/out/query-tuned/query_lora.safetensors` measures it end to end
(BENCHMARKS.md, "A reader": it did not beat the published encoder on the held-out sets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rag.reader_net import lora_layers, merge_layers, truncated

OUT_DIR = Path(__file__).resolve().parent / "out" / "query-tuned"
WEIGHTS = OUT_DIR / "query_lora.safetensors"
CONFIG = OUT_DIR / "query_lora.json"
MAX_TOKENS = 128


class QueryNet(nn.Module):
    """Question text -> unit vector in the embedder's space (same pooling and projections)."""

    def __init__(self, st: Any):
        super().__init__()
        full = st[0].auto_model
        self.backbone = truncated(full, full.config.num_hidden_layers)
        self.tokenizer = st.tokenizer
        self.prompt = (st.prompts or {}).get("query", "")
        self.include_prompt = bool(getattr(st[1], "include_prompt", True))
        self.dense = nn.ModuleList(m for m in list(st)[2:] if type(m).__name__ == "Dense")
        for p in self.parameters():
            p.requires_grad_(False)

    def tokens(self, questions: list[str]) -> dict[str, torch.Tensor]:
        texts = [self.prompt + q for q in questions]
        return self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=MAX_TOKENS)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        features = {"sentence_embedding": pooled}
        for dense in self.dense:
            features = dense(features)
        return nn.functional.normalize(features["sentence_embedding"].float(), dim=-1)

    def encode(self, questions: list[str]) -> torch.Tensor:
        enc = self.tokens(questions)
        return self(enc["input_ids"], enc["attention_mask"])


def add_lora(net: QueryNet, rank: int, alpha: float) -> list[nn.Parameter]:
    """Give each target linear layer of every copied layer a trainable low-rank update."""
    lora_layers(net.backbone.layers, rank, alpha)
    return [p for p in net.parameters() if p.requires_grad]


def lora_state(net: QueryNet) -> dict[str, torch.Tensor]:
    return {k: v.detach().float().contiguous() for k, v in net.state_dict().items() if k.endswith((".a", ".b"))}


def load(st: Any, weights: Path = WEIGHTS, config_path: Path | None = None) -> QueryNet:
    """The tuned question encoder for inference, LoRA merged into the copied layers."""
    from safetensors.torch import load_file

    config = json.loads((config_path or weights.with_suffix(".json")).read_text(encoding="utf-8"))
    net = QueryNet(st)
    add_lora(net, int(config["rank"]), float(config["alpha"]))
    missing, unexpected = net.load_state_dict(load_file(str(weights)), strict=False)
    lost = [k for k in missing if k.endswith((".a", ".b"))]
    if lost or unexpected:
        raise ValueError(f"the query weights do not fit the model: missing {lost[:3]}, unexpected {unexpected[:3]}")
    merge_layers(net.backbone.layers)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


class TunedQueries:
    """An embedder whose questions go through the tuned encoder; documents as `inner` embeds them."""

    def __init__(self, inner: Any, weights: Path):
        import hashlib

        self.inner, self.name, self.weights = inner, inner.name, weights
        self.query_side = f"tuned {hashlib.sha256(weights.read_bytes()).hexdigest()[:12]}"
        self._net: QueryNet | None = None

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if self._net is None:
            self._net = load(self.inner.model, self.weights)
        with torch.inference_mode():
            out = [self._net.encode(texts[i: i + 32]).numpy() for i in range(0, len(texts), 32)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 768), np.float32)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        return self.inner.embed_documents(texts, titles)

    @property
    def model(self):  # type: ignore[no-untyped-def]
        return self.inner.model
