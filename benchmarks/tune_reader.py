"""Calibrate the built-in reader end to end: how much of the sentence scorer's score joins the reader's
logit in the order (`blend`), and the threshold below which the answer declines.

    python benchmarks/tune_reader.py [--db benchmarks/out/quality-db] [--reader-weights DIR] [--write]

Questions: those of the training sets (ARCD-train, TyDi-ar, MLQA-ar) whose passage train_reader.py held
out (1 passage in 12, never trained on), asked of the pooled quality index (build it first with
`python benchmarks/quality.py`). Each question is retrieved and scored once; the reader reads the
scorer's best candidates once; then every blend weight is tried offline. The threshold is the one that
declines 5 % of these (answerable) questions. XQuAD and ARCD-test are not read.
With --write, the chosen blend and threshold go into the reader's reader.json (rag/data, or the folder
--reader-weights names).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import OUT, log, meta  # noqa: E402
from quality import CachingEmbedder  # noqa: E402
from train_reader import _held_out  # noqa: E402

from rag.answer import read_item  # noqa: E402
from rag.arabic import language  # noqa: E402
from rag.embedder import make_embedder  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.reader import BuiltinReader  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

BLENDS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 1000.0)  # 1000: the scorer's order, the reader as a tie-break


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def first_of(row: dict[str, list], blend: float, n: int = 0) -> bool:  # type: ignore[type-arg]
    """Does the sentence the blended order puts first hold the answer (reading the best n, 0: all)?"""
    n = n or len(row["reader"])
    order = [logit(x) + blend * s for x, s in zip(row["reader"][:n], row["scorer"][:n], strict=True)]
    return bool(row["holds"][int(np.argmax(order))])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, default=OUT / "quality-db")
    p.add_argument("--reader-weights", type=Path, help="the reader's folder (train_reader.py --out); "
                   "default: the one shipped in rag/data")
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    if qa_data.skip_without_data():
        return 2
    apply_offline_env()
    data = qa_data.load(("arcd_train", "tydi", "mlqa"), pool_all=False)
    questions = [q for q in data.questions if _held_out(data.articles[q.article_id].text)]
    log(f"{len(questions)} held-out training questions")
    settings = Settings.from_env({}, db_dir=str(args.db), reader="builtin",
                                 reader_weights=args.reader_weights and str(args.reader_weights))
    emb = CachingEmbedder(make_embedder(settings))
    isnad = Isnad(settings, embedder=emb)
    isnad.index.open()
    reader = isnad.answerer.reader
    assert isinstance(reader, BuiltinReader)
    rows = []
    for n, q in enumerate(questions):
        retrieval = isnad.retriever.retrieve(q.question, 10, lang=language(q.question))
        answerer = isnad.answerer
        cands = answerer.candidates(retrieval, answerer.policy.reader_passages)
        if not cands:
            continue
        judgement = answerer.scorer.judge(answerer.context(q.question, retrieval, {c.article_id for c in cands}),
                                          cands)
        top = judgement.ranked[: answerer.policy.reader_candidates]
        reading = reader.read(q.question, [read_item(s.candidate, retrieval, cands) for s in top])
        rows.append({"scorer": [s.score for s in top], "reader": reading.scores,
                     "holds": [qa_data.contains_answer(s.candidate.text, q.answers) for s in top]})
        if n % 50 == 0:
            log(f"  {n}/{len(questions)}")
    result: dict[str, object] = {"questions": len(rows), "any_candidate_holds": round(
        float(np.mean([any(r["holds"]) for r in rows])), 4)}
    firsts = {}
    for blend in BLENDS:
        hit = [first_of(r, blend) for r in rows]
        firsts[str(blend)] = round(float(np.mean(hit)), 4)
    result["first_quote_by_blend"] = firsts
    best = max(BLENDS[:-1], key=lambda b: (firsts[str(b)], -b))
    # Fewer candidates read cost less: the first quote when the reader reads only the scorer's best n.
    result["first_quote_by_candidates"] = {str(n): round(float(np.mean([first_of(r, best, n) for r in rows])), 4)
                                           for n in (1, 2, 3, 4, 6, 8)}
    best_prob = np.sort([max(r["reader"]) for r in rows])
    threshold = float(best_prob[int(0.05 * len(best_prob))])
    result.update(blend=best, threshold=round(threshold, 4), meta=meta("python benchmarks/tune_reader.py"))
    print(json.dumps(result, indent=1))
    (OUT / "tune_reader.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.write:
        config = json.loads(reader.config_path.read_text(encoding="utf-8"))
        config.update(blend=best, threshold=round(threshold, 4))
        config["info"]["calibration"] = {k: v for k, v in result.items() if k != "meta"}
        reader.config_path.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        log(f"wrote blend {best} and threshold {threshold:.4f} into {reader.config_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
