"""The built-in reader's network: EmbeddingGemma's layers reading question and sentence together.

A cross-encoder made from the embedding model the index already loads, so it costs no second
download: the token embeddings (the large part) are shared with the embedder, the first `layers`
transformer layers (all 24 in the one shipped) are copied with our low-rank (LoRA) updates merged in, and a
linear head on the mean of the last hidden states gives one logit: does this sentence state the
answer to this question?

    question: من توسط بين أرمينيا وأذربيجان؟ | title: … | text: <the candidate sentence>

A reader may also carry a second head on the same pooled state, `verdict`: three logits for a claim read
in the question's place (supported, contradicted, not found; trained with `train_reader.py --claim-pairs`).

What ships (`rag/data/reader.safetensors`, 8.4 MB, in bfloat16) is only the LoRA matrices, the final norm and
the head(s); the base weights are EmbeddingGemma's, verified by sha256 when it is assembled. Trained by
`python benchmarks/train_reader.py` (BENCHMARKS.md, "A reader").
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

# The linear layers of a Gemma3 decoder layer that get a low-rank update.
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
VERDICTS = ("supported", "contradicted", "not found")  # the verdict head's outputs, in order
MAX_TOKENS = 160  # question + title + sentence; a longer sentence is cut (its start is what counts)


def pair_text(question: str, title: str, sentence: str) -> str:
    return f"question: {question.strip()} | title: {(title or 'none').strip()} | text: {sentence.strip()}"


class LoRA(nn.Module):
    """`base(x) + scale * B(A(x))` with `base` frozen; A and B are kept in float32 and cast to x's dtype."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.a = nn.Parameter(torch.empty(rank, base.in_features, dtype=torch.float32))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank, dtype=torch.float32))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = nn.functional.linear(nn.functional.linear(x, self.a.to(x.dtype)), self.b.to(x.dtype))
        return self.base(x) + self.scale * low

    def merged(self) -> nn.Linear:
        out = copy.deepcopy(self.base)
        with torch.no_grad():
            delta = (self.b @ self.a) * self.scale
            out.weight.add_(delta.to(out.weight.dtype))
        return out


class ReaderNet(nn.Module):
    def __init__(self, backbone: Any, hidden: int, verdicts: bool = False):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(hidden, 1, dtype=torch.float32)
        nn.init.zeros_(self.head.bias)
        nn.init.normal_(self.head.weight, std=0.02)
        self.verdict: nn.Linear | None = None
        if verdicts:
            self.verdict = nn.Linear(hidden, len(VERDICTS), dtype=torch.float32)
            nn.init.zeros_(self.verdict.bias)
            nn.init.normal_(self.verdict.weight, std=0.02)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The mean of the last hidden states over the pair's tokens, in float32."""
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).float()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.pooled(input_ids, attention_mask)).squeeze(-1)

    def outputs(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """One row a pair: the reader's logit, then the verdict logits where there is a verdict head."""
        if self.verdict is None:
            return self(input_ids, attention_mask).unsqueeze(-1)
        logit, verdicts = self.both(input_ids, attention_mask)
        return torch.cat([logit.unsqueeze(-1), verdicts], -1)

    def both(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The reader's logit and the verdict head's three logits (one reading of the pair)."""
        if self.verdict is None:
            raise ValueError("this reader has no verdict head (train it with train_reader.py --claim-pairs)")
        pooled = self.pooled(input_ids, attention_mask)
        return self.head(pooled).squeeze(-1), self.verdict(pooled)


def truncated(full: Any, layers: int) -> Any:
    """A Gemma3 text model of `full`'s first `layers` layers: token embeddings and rotary tables
    shared with `full`, the layers and the final norm copied (so they can be changed)."""
    from transformers.models.gemma3.modeling_gemma3 import Gemma3TextModel

    cfg = copy.deepcopy(full.config)
    cfg.num_hidden_layers = layers
    cfg.layer_types = list(cfg.layer_types[:layers])
    with torch.device("meta"):
        model = Gemma3TextModel(cfg)
    model.embed_tokens = full.embed_tokens
    model.rotary_emb = full.rotary_emb
    model.layers = nn.ModuleList(copy.deepcopy(layer) for layer in full.layers[:layers])
    model.norm = copy.deepcopy(full.norm)
    return model


def lora_layers(layers: nn.ModuleList, rank: int, alpha: float) -> None:
    """Give each target linear layer of these decoder layers a trainable low-rank update."""
    for layer in layers:
        for parent in (layer.self_attn, layer.mlp):
            for name in TARGETS:
                if isinstance(getattr(parent, name, None), nn.Linear):
                    setattr(parent, name, LoRA(getattr(parent, name), rank, alpha))


def merge_layers(layers: nn.ModuleList) -> None:
    """Fold every LoRA update of these layers into its linear layer: inference then costs what the
    plain layers cost."""
    for layer in layers:
        for parent in (layer.self_attn, layer.mlp):
            for name in TARGETS:
                module = getattr(parent, name, None)
                if isinstance(module, LoRA):
                    setattr(parent, name, module.merged())


def add_lora(net: ReaderNet, rank: int, alpha: float) -> None:
    """Freeze the copied layers and give each target linear layer a trainable low-rank update."""
    for p in net.backbone.parameters():
        p.requires_grad_(False)
    lora_layers(net.backbone.layers, rank, alpha)
    for p in net.backbone.norm.parameters():
        p.data = p.data.float() if p.dtype != torch.float32 else p.data
        p.requires_grad_(True)


TRAINED = ("head.", "verdict.", "backbone.norm.")  # prefixes of what training changes (besides LoRA's a and b)


def trained(key: str) -> bool:
    return key.endswith((".a", ".b")) or key.startswith(TRAINED)


def trained_state(net: ReaderNet) -> dict[str, torch.Tensor]:
    """What ships: the LoRA matrices, the final norm and the head(s) (float32)."""
    return {k: v.detach().float().contiguous() for k, v in net.state_dict().items() if trained(k)}


class Outputs(nn.Module):
    """The reader as one graph with both heads (what reader_ov exports when there is a verdict head)."""

    def __init__(self, net: ReaderNet):
        super().__init__()
        self.net = net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.net.outputs(input_ids, attention_mask)


def merge_lora(net: ReaderNet) -> None:
    merge_layers(net.backbone.layers)


def build(full: Any, layers: int, rank: int, alpha: float, verdicts: bool = False) -> ReaderNet:
    net = ReaderNet(truncated(full, layers), full.config.hidden_size, verdicts)
    add_lora(net, rank, alpha)
    return net


def load(full: Any, path: Path, config: dict[str, Any]) -> ReaderNet:
    """The reader for inference: built on `full`, trained weights loaded, LoRA merged, in `full`'s dtype."""
    from safetensors.torch import load_file

    state = load_file(str(path))
    net = build(full, int(config["layers"]), int(config["rank"]), float(config["alpha"]),
                verdicts=any(k.startswith("verdict.") for k in state))
    missing, unexpected = net.load_state_dict(state, strict=False)
    lacking = [k for k in missing if trained(k)]
    if lacking or unexpected:
        raise ValueError(f"the reader weights do not fit the model: missing {lacking[:3]}, unexpected {unexpected[:3]}")
    merge_lora(net)
    dtype = next(full.parameters()).dtype
    net.backbone.norm.to(dtype)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
