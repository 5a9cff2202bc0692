"""The README's first question, asked of the default corpus, and why the Arabic one goes wrong.

    python benchmarks/headline.py [--db benchmarks/out/headline-db]

For each wording it prints the first quote, whether it names a mediator (the OSCE Minsk Group
sentence or one of the Charles Michel sentences: "مينسك" or "ميشيل" in the quote), and where the
passages that name one rank in retrieval. Then it embeds a few probes (the bare verb, its noun,
the question) and prints the sentence of the article each is closest to: the model's reading of
the asking word decides the answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from rag.engine import Isnad  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

ROOT = BENCH.parent
MEDIATORS = ("مينسك", "ميشيل")
QUESTIONS = ("من توسط بين أرمينيا وأذربيجان؟", "Who mediated between Armenia and Azerbaijan?",
             "من قام بالوساطة بين أرمينيا وأذربيجان؟", "من الوسيط بين أرمينيا وأذربيجان؟")
PROBES = ("توسط", "من توسط؟", "الوساطة", "من الوسيط؟", "who mediated?")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=BENCH / "out" / "headline-db")
    args = p.parse_args(argv)
    apply_offline_env()
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    isnad.ingest([ROOT / "corpus"])
    for q in QUESTIONS:
        answer = isnad.ask(q)
        first = answer.citations[0].quote if answer.citations else "(abstained)"
        retrieval = isnad.retriever.retrieve(q, 10)
        ranks = [i + 1 for i, h in enumerate(retrieval.hits) if any(m in h.chunk.text for m in MEDIATORS)]
        ok = "names a mediator" if any(m in first for m in MEDIATORS) else "no mediator"
        print(f"{q}\n  first quote ({ok}): {first[:110]}\n  passages naming a mediator rank {ranks} "
              f"of {len(retrieval.hits)}; the answer reads the top {isnad.answerer.policy.passages_considered}")
    retrieval = isnad.retriever.retrieve(QUESTIONS[0], 10)
    cands = isnad.answerer.candidates(retrieval, len(retrieval.hits))
    vectors = np.stack([c.vector for c in cands])
    print("\nprobe -> closest sentence of the article (cosine)")
    for probe, v in zip(PROBES, isnad.embedder.embed_queries(list(PROBES)), strict=True):
        sims = vectors @ np.asarray(v, np.float32)
        best = int(np.argmax(sims))
        print(f"  {probe:14s} {sims[best]:.3f}  {cands[best].text[:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
