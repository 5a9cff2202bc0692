"""The embedding model's vectors of common Arabic words, read once and shipped, so a claim check
need not read them again.

A claim check reads single words through the model (rag/name_probe.py): the claim's own words, to
tell names from common words, and the words of its sentence, to find one near each of the claim's.
Each word costs a model call's share of ~15 ms on two cores, and the slowest claims read 20-30.
Most of those words are common ones ("أمام", "الأربعاء", "قطاع"): this table holds the commonest
Arabic words of the QA training sets' passages, read by the model in float32 with its query prompt
(as `NameReader` reads a word), stored as 8-bit integers with one scale per word (cosine to the
float32 vector above 0.9999). Built by `python benchmarks/word_table.py`; used only with the model
it was read by, like the probe. A word's vector from here differs from a live reading by rounding
only, as a bfloat16 reading does from a float32 one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SettingsError

TABLE_PATH = Path(__file__).resolve().parent / "data" / "word_vectors.npz"


@dataclass(frozen=True)
class WordTable:
    words: tuple[str, ...]
    codes: np.ndarray = field(repr=False)  # int8, one row per word
    scales: np.ndarray = field(repr=False)  # float32: a row's vector is codes * scale / 127
    embedder: str  # the embedder (model folder name) that read the words
    info: dict[str, object] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index.update((w, i) for i, w in enumerate(self.words))

    @classmethod
    def of(cls, words: list[str], vectors: np.ndarray, embedder: str,
           info: dict[str, object] | None = None) -> WordTable:
        """Quantise the vectors (one per word) to 8 bits, each row with its own scale."""
        vectors = np.asarray(vectors, np.float32)
        if len(words) != len(vectors) or len(set(words)) != len(words):
            raise ValueError("one vector for each word, and each word once")
        scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12).astype(np.float32)
        codes = np.clip(np.rint(vectors / scales[:, None] * 127), -127, 127).astype(np.int8)
        return cls(tuple(words), codes, scales, embedder, info or {})

    def __len__(self) -> int:
        return len(self.words)

    def get(self, word: str) -> np.ndarray | None:
        """The word's unit vector, or None when the table does not hold it."""
        i = self.index.get(word)
        if i is None:
            return None
        v = self.codes[i].astype(np.float32) * (self.scales[i] / 127)
        return v / max(float(np.linalg.norm(v)), 1e-12)  # type: ignore[no-any-return]

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> WordTable:
        try:
            with np.load(path, allow_pickle=False) as raw:
                meta = json.loads(str(raw["meta"]))
                words = tuple(str(raw["words"]).split("\n"))
                codes, scales = raw["codes"], raw["scales"]
            if codes.dtype != np.int8 or codes.ndim != 2 or not codes.shape[0] == len(scales) == len(words):
                raise ValueError(f"{len(words)} words, codes of shape {codes.shape}, {len(scales)} scales")
            return cls(words, codes, scales.astype(np.float32), str(meta["embedder"]), meta.get("info", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"cannot read the word table {path}: {exc}; restore the file from git or "
                                "rebuild it: python benchmarks/word_table.py") from exc

    def save(self, path: Path = TABLE_PATH) -> None:
        if any("\n" in w for w in self.words):
            raise ValueError("a word of the table holds a line break")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"embedder": self.embedder, "info": self.info}, ensure_ascii=False)
        with path.open("wb") as fh:
            np.savez_compressed(fh, words=np.array("\n".join(self.words)), codes=self.codes, scales=self.scales,
                                meta=np.array(meta))
