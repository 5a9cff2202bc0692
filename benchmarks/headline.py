"""The README's first question, asked of the default corpus, and why the Arabic one goes wrong.

    python benchmarks/headline.py [--db benchmarks/out/headline-db] [--readers off builtin]

For each wording — the README's question and paraphrases of it, six in each language, written for
this benchmark — and each reader setting it prints the first quote, whether it names a mediator
(the OSCE Minsk Group sentence or one of the Charles Michel sentences: "مينسك" or "ميشيل" in the
quote), and where the passages that name one rank in retrieval; then the count per language.
Then it embeds a few probes (the bare verb, its noun,
the question) and prints the sentence of the article each is closest to, and the English senses
closest to the verb and its noun: the model's reading of the asking word decides the answer.
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
ARABIC = ("من توسط بين أرمينيا وأذربيجان؟", "من الذي توسط بين أرمينيا وأذربيجان؟",
          "من هي الجهة التي توسطت بين أرمينيا وأذربيجان؟", "من قام بالوساطة بين أرمينيا وأذربيجان؟",
          "من الوسيط بين أرمينيا وأذربيجان؟", "أي طرف دولي يتوسط في النزاع بين أرمينيا وأذربيجان؟",
          "من يسعى للوساطة بين باكو ويريفان؟")
ENGLISH = ("Who mediated between Armenia and Azerbaijan?", "Who is mediating between Armenia and Azerbaijan?",
           "Who acted as a mediator in the Armenia-Azerbaijan conflict?",
           "Which international body mediates between Armenia and Azerbaijan?",
           "Who tried to broker peace between Armenia and Azerbaijan?",
           "Who has been mediating the dispute between Baku and Yerevan?", "who mediated?")
QUESTIONS = ARABIC + ENGLISH
PROBES = ("توسط", "من توسط؟", "الوساطة", "من الوسيط؟", "who mediated?")
# The senses the asking word may have, in English: which the model reads it as.
SENSES = ("mediated", "mediation", "mediator", "between", "middle", "in the middle", "average", "located")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=BENCH / "out" / "headline-db")
    p.add_argument("--readers", nargs="+", default=["off", "builtin"], choices=["off", "builtin"])
    p.add_argument("--reader-weights", type=Path, help="the built-in reader's folder (train_reader.py --out)")
    args = p.parse_args(argv)
    apply_offline_env()
    base = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    base.ingest([ROOT / "corpus"])
    named: dict[tuple[str, str], int] = {}
    for reader in args.readers:
        isnad = Isnad(base.settings.replace(reader=reader, reader_weights=str(args.reader_weights or "")),
                      base.embedder)
        print(f"\n== reader {reader}")
        for q in QUESTIONS:
            answer = isnad.ask(q)
            first = answer.citations[0].quote if answer.citations else "(abstained)"
            retrieval = isnad.retriever.retrieve(q, 10)
            ranks = [i + 1 for i, h in enumerate(retrieval.hits) if any(m in h.chunk.text for m in MEDIATORS)]
            ok = any(m in first for m in MEDIATORS)
            lang = "ar" if q in ARABIC else "en"
            named[(reader, lang)] = named.get((reader, lang), 0) + ok
            score = f" (reader {answer.citations[0].reader_score:.2f})" if answer.citations and \
                answer.citations[0].reader_score is not None else ""
            print(f"{q}\n  first quote ({'names a mediator' if ok else 'no mediator'}){score}: {first[:110]}\n"
                  f"  passages naming a mediator rank {ranks} of {len(retrieval.hits)}")
    print("\nfirst quote names a mediator:")
    for (reader, lang), n in named.items():
        print(f"  reader {reader:8s} {lang}: {n} of {len(ARABIC if lang == 'ar' else ENGLISH)}")
    isnad = base
    retrieval = isnad.retriever.retrieve(QUESTIONS[0], 10)
    cands = isnad.answerer.candidates(retrieval, len(retrieval.hits))
    vectors = np.stack([c.vector for c in cands])
    print("\nprobe -> closest sentence of the article (cosine)")
    for probe, v in zip(PROBES, isnad.embedder.embed_queries(list(PROBES)), strict=True):
        sims = vectors @ np.asarray(v, np.float32)
        best = int(np.argmax(sims))
        print(f"  {probe:14s} {sims[best]:.3f}  {cands[best].text[:80]}")
    words = ("توسط", "يتوسط", "الوساطة")
    vecs = isnad.embedder.embed_queries([*words, *SENSES])
    print("\nthe asking word against English senses (cosine, closest first)")
    for word, v in zip(words, vecs[: len(words)], strict=True):
        sims = vecs[len(words):] @ v
        print(f"  {word:8s} " + ", ".join(f"{SENSES[i]} {sims[i]:.2f}" for i in np.argsort(-sims)[:4]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
