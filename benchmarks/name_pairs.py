"""How close EmbeddingGemma's word vectors put one name in two scripts, and two different names.

    python benchmarks/name_pairs.py [--out benchmarks/out/name_pairs.json]

`VerifyPolicy.name_similarity` says when a Latin-script word of an English claim and an Arabic word
of its sentence are one name that the letter-by-letter matcher (rag/names.py) missed. The pairs
come from the exonym table of rag/names.py, nothing else: each English entry against its own first
Arabic form (the same name) and against another entry's (a different one, drawn with a fixed seed).
For each threshold it prints the share of same pairs at or above it and of different pairs; the one
the policy keeps is the lowest at which no different pair matches.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import meta  # noqa: E402

from rag.embedder import make_embedder  # noqa: E402
from rag.name_probe import NameReader  # noqa: E402
from rag.names import _EXONYMS  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=BENCH / "out" / "name_pairs.json")
    args = p.parse_args(argv)
    apply_offline_env()
    reader = NameReader.of(make_embedder(Settings.from_env({})))
    if reader is None:
        sys.exit("the name probe applies to EmbeddingGemma only; set RAG_EMBED_MODEL back to it")
    pairs = [(latin, forms.split()[0]) for latin, forms in _EXONYMS.items() if " " not in latin]
    rng = random.Random(0)
    same = np.array([reader.closest([a], [b])[0] for a, b in pairs])
    other = np.array([reader.closest([a], [pairs[(i + rng.randrange(1, len(pairs))) % len(pairs)][1]])[0]
                      for i, (a, _) in enumerate(pairs)])
    rows = [{"threshold": t, "same_at_or_above": round(float((same >= t).mean()), 3),
             "different_at_or_above": round(float((other >= t).mean()), 3)} for t in THRESHOLDS]
    kept = next((r["threshold"] for r in rows if r["different_at_or_above"] == 0.0), None)
    print(f"{len(pairs)} pairs; cosine of the same name: median {np.median(same):.3f}, "
          f"of different names: median {np.median(other):.3f}, max {other.max():.3f}")
    print("| threshold | same name at or above | different names at or above |\n|---|---|---|")
    for r in rows:
        print(f"| {r['threshold']} | {r['same_at_or_above']} | {r['different_at_or_above']} |")
    print(f"lowest threshold at which no different pair matches: {kept}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta("python benchmarks/name_pairs.py " + " ".join(sys.argv[1:])),
                                    "pairs": len(pairs), "rows": rows, "kept": kept}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
