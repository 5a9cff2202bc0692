"""Build the word table: the embedding model's vectors of the commonest Arabic words, read once.

    python benchmarks/word_table.py [--words 12000] [--out rag/data/word_vectors.npz]

A claim check reads single words through the model (rag/name_probe.py, rag/word_table.py); this
reads the commonest ones ahead. The words: every written word (diacritics stripped, two letters or
more, not a stop word) of the distinct passages of ARCD-train (MIT), TyDi QA GoldP Arabic dev
(Apache-2.0) and MLQA ar-ar dev (CC BY-SA 3.0), counted, the `--words` commonest kept. XQuAD,
ARCD-test and the claim sets of benchmarks/ are never read here. Each word is read as `NameReader`
reads one (the model's query prompt), in float32 whatever the CPU would choose, then stored as 8
bits a dimension with one scale per word; the script prints the worst and mean cosine between the
stored and the float32 vectors, and how long reading took. About 6 minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402

from rag.arabic import strip_diacritics, terms, written_words  # noqa: E402
from rag.embedder import make_embedder  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402
from rag.word_table import TABLE_PATH, WordTable  # noqa: E402

SETS = ("arcd/arcd-train.json", "tydiqa_goldp_ar/tydiqa-goldp-dev-arabic.json",
        "mlqa_ar/dev-context-ar-question-ar.json")


def common_words(data_dir: Path, n: int) -> list[str]:
    """The `n` commonest words of the training sets' passages (each passage counted once)."""
    counts: Counter[str] = Counter()
    for rel in SETS:
        seen: set[str] = set()
        for art in json.loads((data_dir / rel).read_text(encoding="utf-8"))["data"]:
            for para in art["paragraphs"]:
                if para["context"] in seen:
                    continue
                seen.add(para["context"])
                for w in written_words(para["context"]):
                    w = strip_diacritics(w).strip()
                    if len(w) >= 2 and "\n" not in w and terms(w):
                        counts[w] += 1
    return [w for w, _ in counts.most_common(n)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--words", type=int, default=12_000)
    p.add_argument("--out", type=Path, default=TABLE_PATH)
    args = p.parse_args(argv)
    apply_offline_env()
    missing = [rel for rel in SETS if not (qa_data.DATA_DIR / rel).is_file()]
    if missing:
        print(f"SKIPPED: the training data is not in {qa_data.DATA_DIR} (missing: {', '.join(missing)})",
              file=sys.stderr)
        return 0
    words = common_words(qa_data.DATA_DIR, args.words)
    embedder = make_embedder(Settings.from_env({}, embed_dtype="float32"))
    t0 = time.perf_counter()
    vectors = np.concatenate([np.asarray(embedder.embed_queries(words[i:i + 256]), np.float32)
                              for i in range(0, len(words), 256)])
    seconds = time.perf_counter() - t0
    table = WordTable.of(words, vectors, embedder.name, {
        "words": len(words), "sets": list(SETS), "precision": "float32, stored as int8 with a scale per word",
        "runtime": getattr(embedder, "runtime", "torch"), "command": "python benchmarks/word_table.py"
        + (f" --words {args.words}" if args.words != 12_000 else "")})
    table.save(args.out)
    back = WordTable.load(args.out)
    cos = np.array([float(back.get(w) @ v) / float(np.linalg.norm(v)) for w, v in zip(words, vectors, strict=True)])
    run = meta("python benchmarks/word_table.py")
    run["precision"] = {"dtype": "float32", "reason": "set by this script", "runtime": table.info["runtime"]}
    print(json.dumps({"meta": run, "words": len(words),
                      "read_seconds": round(seconds, 1), "ms_a_word": round(seconds * 1000 / len(words), 1),
                      "cosine_stored_to_float32": {"min": round(float(cos.min()), 6),
                                                   "mean": round(float(cos.mean()), 6)},
                      "bytes": args.out.stat().st_size, "out": str(args.out)}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
