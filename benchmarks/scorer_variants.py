"""Nonlinear alternatives to the shipped sentence scorer, on the same training data and folds.

    python benchmarks/scorer_variants.py [--passages 3 5] [--out benchmarks/out/scorer_variants.json]

Builds the examples exactly as `train_scorer.py` does (the ARCD-train index, answerable,
gold-removed and off-corpus questions; ARCD-train only, nothing held out is read) and compares,
with 5-fold cross-validation grouped by passage:

1. the sentence ranker: the shipped conditional logit against gradient-boosted trees on the same
   features plus each feature's distance to the question's best (a pointwise model needs those),
   with the candidates drawn from the top 3 or top 5 passages;
2. the answerability model: the shipped logistic regression on six features against logistic
   regression on every question feature and gradient-boosted trees held monotone in the features
   whose direction is clear, at the thresholds that abstain on 2 % and 5 % of answerable questions.

Prints a Markdown table; writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
import train_scorer as ts  # noqa: E402
from perf_common import meta  # noqa: E402

from rag.scorer import QUESTION_FEATURES, SENTENCE_FEATURES, default_model  # noqa: E402
from rag.settings import apply_offline_env  # noqa: E402

RELATIVE = ("cos", "overlap", "focus", "neighbour", "topic")
EXTRA_Q = ("mean_cos", "std_cos", "best_minus_mean", "second_cos", "max_overlap", "max_focus")
# +1: more of it, more answerable; -1: less. Features left 0 are free.
MONOTONE = {"best_cos": 1, "max_cos": 1, "best_overlap": 1, "best_focus": 1, "max_overlap": 1, "max_focus": 1,
            "numbers_missing": -1, "terms_missing": -1, "unknown_terms": -1, "margin": 1, "best_score": 1}


def relative(feats: np.ndarray) -> np.ndarray:
    """The features, plus each listed one minus its best value among the question's candidates,
    plus the sentence's similarity rank (0 = most similar) as a share of the candidates."""
    cols = [feats[:, ts.COL[f]] - feats[:, ts.COL[f]].max() for f in RELATIVE]
    cos = feats[:, ts.COL["cos"]]
    cols.append(np.argsort(np.argsort(-cos)) / max(len(cos), 1))
    return np.hstack([feats, np.stack(cols, 1)])


def ranker_cv(answerable: list[ts.Example], kind: str) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    fold = ts.folds(answerable)
    prior = ts.fixed(cos=10.0, overlap=1.5, passage_gap=-2.5)
    ok = {True: 0, False: 0}
    for k in range(5):
        train = [e for e, f in zip(answerable, fold, strict=True) if f != k]
        test = [e for e, f in zip(answerable, fold, strict=True) if f == k]
        if kind == "linear":
            w = ts.fit_ranker(train, 1.0, None, prior)
            for e in test:
                ok[e.blind] += ts._ok(e, w)
            continue
        train = [e for e in train if e.labels.any()]
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.03, max_leaf_nodes=8,
                                               l2_regularization=1.0, random_state=0)
        model.fit(np.vstack([relative(e.feats) for e in train]), np.concatenate([e.labels for e in train]))
        for e in test:
            if len(e.labels):
                ok[e.blind] += bool(e.labels[int(np.argmax(model.predict_proba(relative(e.feats))[:, 1]))])
    n_ar = sum(not e.blind for e in answerable)
    return {"ar": ok[False] / n_ar, "blind": ok[True] / (len(answerable) - n_ar)}


def question_matrix(examples: list[ts.Example]) -> np.ndarray:
    w = np.array([default_model().weights[f] for f in SENTENCE_FEATURES])
    base = ts.q_features(examples, w)
    rows = []
    for e in examples:
        feats = e.feats if len(e.feats) else np.zeros((1, len(SENTENCE_FEATURES)))
        cos = feats[:, ts.COL["cos"]]
        rows.append([cos.mean(), cos.std(), cos.max() - cos.mean(), np.sort(cos)[-2] if len(cos) > 1 else 0.0,
                     feats[:, ts.COL["overlap"]].max(), feats[:, ts.COL["focus"]].max()])
    return np.hstack([base, np.array(rows)])


def answerability_oof(examples: list[ts.Example], x: np.ndarray, kind: str) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier

    y = np.array([e.kind == "answerable" for e in examples], int)
    fold = np.array(ts.folds(examples))
    names = [*QUESTION_FEATURES, *EXTRA_Q]
    oof = np.zeros(len(y))
    for k in range(5):
        tr = fold != k
        if kind == "gbm":
            model = HistGradientBoostingClassifier(monotonic_cst=[MONOTONE.get(n, 0) for n in names],
                                                   max_iter=200, learning_rate=0.05, max_depth=3, random_state=0)
            oof[~tr] = model.fit(x[tr], y[tr]).predict_proba(x[~tr])[:, 1]
        else:
            coef, bias = ts.fit_answerable(x[tr], y[tr])
            oof[~tr] = ts.probability(x[~tr], coef, bias)
    return oof


def abstain_rates(examples: list[ts.Example], oof: np.ndarray, max_abstain: float) -> dict[str, float]:
    kinds = np.array([e.kind for e in examples])
    blind = np.array([e.blind for e in examples])
    threshold = ts.choose_threshold(oof[kinds == "answerable"], max_abstain)
    rates = {}
    for k in ("answerable", "removed", "offcorpus"):
        for b in (False, True):
            rows = (kinds == k) & (blind == b)
            if rows.any():
                rates[f"{k}{' (lexical-blind)' if b else ''}"] = float(np.mean(oof[rows] < threshold))
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=ts.OUT / "train-db")
    p.add_argument("--query-cache", type=Path, default=ts.OUT / "query-vectors.npz")
    p.add_argument("--passages", type=int, nargs="+", default=[3, 5])
    p.add_argument("--out", type=Path, default=ts.OUT / "scorer_variants.json")
    args = p.parse_args(argv)
    apply_offline_env()
    if qa_data.skip_without_data():
        return 0
    started = time.time()
    result: dict[str, object] = {"ranker": {}, "answerability": {}}
    for n in args.passages:
        examples, _ = ts.build_examples(args.db, [], args.query_cache, passages=n)
        examples += [ts.blind_copy(e) for e in examples if e.kind != "offcorpus"]
        answerable = [e for e in examples if e.kind == "answerable"]
        has = float(np.mean([e.labels.any() for e in answerable if not e.blind]))
        for kind in ("linear", "gbm"):
            figures = ranker_cv(answerable, kind) | {"answer among candidates": has}
            result["ranker"][f"{kind}, top {n} passages"] = figures
        if n == 3:  # the app's candidates
            x = question_matrix(examples)
            six = np.array([f in ts.ANSWER_FEATURES for f in QUESTION_FEATURES] + [False] * len(EXTRA_Q), float)
            every_q = np.array([True] * len(QUESTION_FEATURES) + [False] * len(EXTRA_Q), float)
            for name, xm, kind in (("logistic, six features (shipped)", x * six, "lr"),
                                   ("logistic, every question feature", x * every_q, "lr"),
                                   ("logistic, every feature + candidate statistics", x, "lr"),
                                   ("boosted trees, monotone, every feature + statistics", x, "gbm")):
                oof = answerability_oof(examples, xm, kind)
                result["answerability"][name] = {str(m): abstain_rates(examples, oof, m) for m in (0.02, 0.05)}
    result["seconds"] = time.time() - started
    result["meta"] = meta("python benchmarks/scorer_variants.py " + " ".join(sys.argv[1:]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print("| sentence ranker (5-fold CV, ARCD-train) | ar | lexical-blind | answer among candidates |")
    print("|---|---|---|---|")
    for name, v in result["ranker"].items():
        print(f"| {name} | {v['ar']:.3f} | {v['blind']:.3f} | {v['answer among candidates']:.3f} |")
    print("\n| answerability (out of fold) | abstain on answerable | gold removed | gold removed, lexical-blind "
          "| off-corpus |\n|---|---|---|---|---|")
    for name, by in result["answerability"].items():
        for m, r in by.items():
            print(f"| {name}, threshold for {float(m):.0%} | {r['answerable']:.3f} | {r['removed']:.3f} | "
                  f"{r['removed (lexical-blind)']:.3f} | {r['offcorpus']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
