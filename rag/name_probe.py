"""Is this Arabic word a name? A linear probe on the embedding model's vector of the word alone.

A claim in other words than its article's is supported if its names are there: "أبقى البنك المركزي
الفائدة على حالها" may say "أبقى" where the article says "قرر تثبيت", but a claim that says "أوباما"
where the article says "ترامب" is another claim. Arabic writes no capitals, so the embedding model
tells names (people, places, bodies) from common words; the weights (`rag/data/name_probe.json`, one
vector and a bias) are learned by `python benchmarks/train_names.py` and apply only to the model they
were learned on: with any other embedder `NameReader.of` gives None, and the caller keeps its rule
that every rare word must be present.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .arabic import strip_diacritics
from .embedder import Embedder
from .errors import SettingsError
from .word_table import TABLE_PATH, WordTable

PROBE_PATH = Path(__file__).resolve().parent / "data" / "name_probe.json"


@dataclass(frozen=True)
class NameProbe:
    weights: np.ndarray = field(repr=False)
    bias: float
    threshold: float  # a word is a name when its probability is at least this
    embedder: str  # the embedder (model folder name) the weights were learned on
    info: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = PROBE_PATH) -> NameProbe:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(np.asarray(raw["weights"], np.float32), float(raw["bias"]), float(raw["threshold"]),
                       str(raw["embedder"]), raw.get("info", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"cannot read the name probe {path}: {exc}; restore the file from git or "
                                "retrain it: python benchmarks/train_names.py") from exc

    def save(self, path: Path = PROBE_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = {"embedder": self.embedder, "threshold": self.threshold, "bias": round(self.bias, 6),
               "weights": [round(float(w), 6) for w in self.weights], "info": self.info}
        path.write_text(json.dumps(raw, ensure_ascii=False) + "\n", encoding="utf-8")


class NameReader:
    """The probe bound to the embedder it was learned on, with the words it has read cached."""

    def __init__(self, embedder: Embedder, probe: NameProbe, cache_size: int = 4096,
                 table: WordTable | None = None):
        self.embedder = embedder
        self.probe = probe
        self.table = table  # common words read once, before (rag/word_table.py): not read again
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def of(cls, embedder: Embedder, path: Path = PROBE_PATH, table: Path | None = TABLE_PATH) -> NameReader | None:
        """A reader for `embedder`, or None when the probe was learned on another model; with the
        word table at `table` when that model read it."""
        probe = NameProbe.load(path)
        name = getattr(embedder, "name", None)
        if name != probe.embedder:
            return None
        words = WordTable.load(table) if table is not None else None
        if words is not None and words.embedder != name:
            words = None  # read by another model
        if words is not None and words.codes.shape[1] != len(probe.weights):
            raise SettingsError(f"the word table {table} holds {words.codes.shape[1]}-dimensional vectors, the "
                                f"name probe {len(probe.weights)}; rebuild it: python benchmarks/word_table.py")
        return cls(embedder, probe, table=words)

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """The embedder's vectors of the words, each alone (cached)."""
        # As written (the model reads hamzas and ta marbuta), less the short vowels the training words lacked.
        keys = [strip_diacritics(w).strip() for w in words]
        with self._lock:
            known = {k: self._cache[k] for k in keys if k in self._cache}
        if self.table is not None:
            known.update((k, v) for k in keys if k not in known and (v := self.table.get(k)) is not None)
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        fresh = dict(zip(todo, np.asarray(self.embedder.embed_queries(todo), np.float32), strict=True)) if todo else {}
        for v in fresh.values():
            if len(v) != len(self.probe.weights):
                raise SettingsError(f"the name probe expects {len(self.probe.weights)}-dimensional vectors of "
                                    f"{self.probe.embedder}, the embedder gives {len(v)}; retrain it: "
                                    "python benchmarks/train_names.py")
        known.update(fresh)
        out = np.stack([known[k] for k in keys]) if keys else np.zeros((0, len(self.probe.weights)), np.float32)
        with self._lock:
            self._cache.update(fresh)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def probabilities(self, words: Sequence[str]) -> list[float]:
        z = self.vectors(words) @ self.probe.weights + self.probe.bias
        return [1.0 / (1.0 + math.exp(-max(min(float(v), 40.0), -40.0))) for v in z]

    def unmatched(self, words: Sequence[str], others: Sequence[str], bar: float,
                  settled: Callable[[list[str]], bool] = lambda rest: False, first: int = 6) -> list[str]:
        """Those of `words` that no word of `others` comes within `bar` of: the other text has no word
        for them ("تأهل" / "صعد" and "أبقى" / "الإبقاء" are near).

        Reads the `first` words of `others` that share the most letter pairs with one of `words`
        (in the same model call as `words`), then the rest in one more call unless
        `settled(the words still unmatched)`: the caller's decision for those words holds however many
        of them a later word would match (it must not change as the list shrinks). So the caller
        decides as it would after reading everything, at the cost of the words it needed."""
        rest = list(dict.fromkeys(words))
        if not rest or not others or settled(rest):
            return rest
        queue = look_alikes(rest, others)
        vecs = self.vectors([*rest, *queue[:first]])
        mine = vecs[: len(rest)]
        best = (mine @ vecs[len(rest):].T).max(axis=1)

        def still() -> list[str]:
            return [w for w, b in zip(rest, best, strict=True) if b < bar]

        if queue[first:] and not settled(still()):
            best = np.maximum(best, (mine @ self.vectors(queue[first:]).T).max(axis=1))
        return still()

    def names(self, words: Sequence[str]) -> list[str]:
        """Those of `words` that are names."""
        return [w for w, p in zip(words, self.probabilities(words), strict=True) if p >= self.probe.threshold]


def look_alikes(words: Sequence[str], others: Sequence[str]) -> list[str]:
    """`others` (once each), those sharing the most letter pairs with one of `words` first."""
    pairs = [_letter_pairs(w) for w in words]
    return sorted(dict.fromkeys(others), key=lambda o: -max((len(_letter_pairs(o) & p) / (len(p) or 1)
                                                              for p in pairs), default=0.0))


def _letter_pairs(word: str) -> set[str]:
    """The word's adjacent letter pairs, without the article: how alike two words look ("حضور" / "بحضور")."""
    w = strip_diacritics(word)
    w = w[2:] if w.startswith("ال") and len(w) > 4 else w
    return {w[i:i + 2] for i in range(len(w) - 1)}
