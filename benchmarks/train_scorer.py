"""Train the sentence scorer and its answerability model; write rag/data/sentence_scorer.json.

    python benchmarks/train_scorer.py [--db benchmarks/out/train-db] [--seed-db DB ...]
        [--out rag/data/sentence_scorer.json] [--report benchmarks/out/train_scorer.json] [--max-abstain 0.03]

Training data, and only this:
* ARCD-train (../shared/data/arcd/arcd-train.json, MIT): 693 questions over 231 passages; with
  `--train-sets` also TyDi-ar dev (921, Apache-2.0), MLQA ar-ar dev (516, CC BY-SA 3.0) and MLQA's English
  questions over the same Arabic passages (516, `mlqa_en`), which quality.py then reports as training sets;
* with `--distractors news` only (research: the weights may not ship), the 300 news articles of
  ../shared/data/news_demo/demo_300.jsonl as distractors in the index. Some of them are SaudiNewsNet's
  (CC BY-NC-SA, research use only) and none of the news corpora is among the sets shipped weights may learn
  from, so the default index holds the training sets' passages alone;
* benchmarks/data/offcorpus_calibration.json: 60 questions written for this project that nothing in
  that index answers (negatives for the answerability model).
XQuAD, ARCD-test and KaifLematha are never read here (TyDi and MLQA only when named): they are the held-out report
(benchmarks/quality.py).

The index (the training passages) is asked every question exactly as the app would
(hybrid retrieval, k = 10); the candidate sentences are those the answer step considers. Labels:
a sentence is positive when it contains a gold answer. Each question is also asked with its gold
passage removed from the results (unanswerable), and every question is added a second time with
the lexical features blanked and flagged English ("lexical-blind"): ARCD has no English questions,
and an English question over Arabic articles gets almost no help from words.

1. Ranker: a conditional logit (softmax over a question's candidates, L2) on SENTENCE_FEATURES.
   5-fold cross-validation grouped by passage compares it with simpler rules and ablations.
2. Answerability: logistic regression on QUESTION_FEATURES (answerable vs. gold removed and
   off-corpus); the threshold is the highest at which out-of-fold predictions abstain on at most
   --max-abstain of the answerable questions.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402
from qa_data import contains_answer  # noqa: E402

from rag.embedder import make_embedder  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.retrieve import Retrieval  # noqa: E402
from rag.scorer import (  # noqa: E402
    MODEL_PATH,
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    QuestionContext,
    ScorerModel,
    question_features,
    sentence_features,
)
from rag.settings import Settings, apply_offline_env  # noqa: E402

OUT = BENCH / "out"
CALIBRATION = BENCH / "data" / "offcorpus_calibration.json"
BLIND = ("overlap", "focus", "novelty")  # what an English question over Arabic text mostly lacks
# Features whose direction is clear (more similar, more of the question's words in the sentence:
# answerable; the question's numbers or words missing from the article: not). The others (raw
# score, margin, answer-type flags, focus, unknown words) took signs on ARCD-train that make no
# sense for other questions (e.g. more words unknown to the index -> more answerable).
ANSWER_FEATURES = ("best_cos", "max_cos", "best_overlap", "numbers_missing", "terms_missing", "is_en")
COL = {f: i for i, f in enumerate(SENTENCE_FEATURES)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclasses.dataclass
class Example:
    """One question asked of the training index: its candidates' features and labels."""

    group: str  # gold passage (CV folds keep a passage's questions together)
    kind: str  # "answerable", "removed" or "offcorpus"
    ctx: QuestionContext
    feats: np.ndarray
    labels: np.ndarray
    best_articles: list[str] = dataclasses.field(default_factory=list)  # each candidate's article
    blind: bool = False


def blind_copy(ex: Example) -> Example:
    feats = ex.feats.copy()
    for f in BLIND:
        feats[:, COL[f]] = 0.0
    feats[:, COL["cos_en"]] = feats[:, COL["cos"]]
    return Example(ex.group, ex.kind, dataclasses.replace(ex.ctx, language="en"), feats, ex.labels,
                   ex.best_articles, True)


def collect(isnad: Isnad, question: str, answers: tuple[str, ...], retrieval: Retrieval, group: str,
            kind: str) -> Example:
    cands = isnad.answerer.candidates(retrieval)
    ctx = isnad.answerer.context(question, retrieval, {c.article_id for c in cands})
    labels = np.array([bool(answers) and contains_answer(c.text, answers) for c in cands], bool)
    return Example(group, kind, ctx, sentence_features(ctx, cands), labels, [c.article_id for c in cands])


def build_examples(db: Path, seed_dbs: list[Path], query_cache: Path, passages: int | None = None,
                   train_sets: tuple[str, ...] = ("arcd_train",), news: bool = False) -> tuple[list[Example], str]:
    """Index the training sets' passages (and demo_300 with `news`: research only) in `db` and ask every
    training question as the app would: answerable, gold passage removed, and the off-corpus calibration
    questions. `passages`: how many retrieved passages give candidate sentences (default: the app's policy)."""
    import perf_common as pc
    from quality import CachingEmbedder, seed_vectors

    sets = [qa_data.training_questions(name) for name in train_sets]
    arcd = qa_data.QASet({k: v for s in sets for k, v in s.articles.items()}, [q for s in sets for q in s.questions])
    demo = pc.load_demo() if news else []
    offcorpus = json.loads(CALIBRATION.read_text(encoding="utf-8"))["questions"]
    log(f"{len(arcd.articles)} passages of {', '.join(train_sets)} + {len(demo)} news articles, "
        f"{len(arcd.questions)} questions, {len(offcorpus)} off-corpus questions")
    emb = CachingEmbedder(make_embedder(Settings.from_env({})))
    isnad = Isnad(Settings.from_env({}, db_dir=str(db)), embedder=emb)
    isnad.index.open()
    for seed in seed_dbs:
        if (seed / "isnad.sqlite3").exists():
            seed_vectors(isnad, seed)
    added = isnad.add_articles([*arcd.articles.values(), *demo])
    qa_data.only_training_passages(isnad.index, set(arcd.articles) | {a.id for a in demo}, db)
    log(f"index ready ({added.embedded} sentences embedded)")
    emb.load(query_cache)
    emb.prime([q.question for q in arcd.questions] + offcorpus)
    emb.save(query_cache)
    if passages is not None:
        isnad.answerer.policy = dataclasses.replace(isnad.answerer.policy, passages_considered=passages)

    examples: list[Example] = []
    for q in arcd.questions:
        lang = "en" if q.subset == "mlqa_en" else "ar"
        r = isnad.retriever.retrieve(q.question, 10, lang=lang)
        examples.append(collect(isnad, q.question, q.answers, r, q.article_id, "answerable"))
        r20 = isnad.retriever.retrieve(q.question, 20, lang=lang)
        kept = [h for h in r20.hits if h.chunk.article_id != q.article_id][:10]
        removed = dataclasses.replace(r20, hits=kept)
        examples.append(collect(isnad, q.question, q.answers, removed, q.article_id, "removed"))
    for i, text in enumerate(offcorpus):
        r = isnad.retriever.retrieve(text, 10)
        examples.append(collect(isnad, text, (), r, f"offcorpus-{i}", "offcorpus"))
    return examples, isnad.embedder.name


# ------------------------------------------------------------------ ranker
def fit_ranker(examples: list[Example], l2: float = 1.0, mask: np.ndarray | None = None,
               prior: np.ndarray | None = None) -> np.ndarray:
    """Conditional logit: maximise log sum_{positive} softmax(X w) per question, with an L2 pull
    toward `prior` (the previous hand-set rule): a feature moves the weights only as far as the
    training questions support it."""
    from scipy.optimize import minimize

    groups = [(ex.feats if mask is None else ex.feats * mask, ex.labels) for ex in examples if ex.labels.any()]

    w_prior = np.zeros(len(SENTENCE_FEATURES)) if prior is None else prior

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        d = w - w_prior
        total, grad = 0.5 * l2 * float(d @ d), l2 * d
        for x, y in groups:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pos = float(p[y].sum())
            total -= np.log(max(pos, 1e-300))
            grad += p @ x - (p[y] @ x[y]) / max(pos, 1e-300)
        return total, grad

    w0 = w_prior.copy() if prior is not None else np.eye(len(SENTENCE_FEATURES))[COL["cos"]] * 10.0
    res = minimize(loss, w0, jac=True, method="L-BFGS-B")
    return np.asarray(res.x)


def top1(examples: list[Example], w: np.ndarray) -> float:
    """Share of questions whose best-scored candidate contains the answer (all questions count)."""
    hits = [bool(len(ex.labels)) and bool(ex.labels[int(np.argmax(ex.feats @ w))]) for ex in examples]
    return float(np.mean(hits)) if hits else float("nan")


def folds(examples: list[Example], k: int = 5) -> list[int]:
    groups = sorted({ex.group for ex in examples})
    fold_of = {g: int(hashlib.md5(g.encode()).hexdigest(), 16) % k for g in groups}
    return [fold_of[ex.group] for ex in examples]


def fixed(**weights: float) -> np.ndarray:
    w = np.zeros(len(SENTENCE_FEATURES))
    for f, v in weights.items():
        w[COL[f]] = v
    return w


# ------------------------------------------------------------------ answerability
def q_features(examples: list[Example], w: np.ndarray) -> np.ndarray:
    rows = []
    for ex in examples:
        scores = ex.feats @ w
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        from rag.answer_types import question_type

        best = ex.best_articles[order[0]] if order else ""
        qf = question_features(ex.ctx, ex.feats, scores, order, question_type(ex.ctx.text), best)
        rows.append([qf[f] for f in QUESTION_FEATURES])
    return np.array(rows, np.float64)


def fit_answerable(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, returned as weights of the raw features
    (so that the app computes one dot product)."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit((x - mu) / sd, y)
    coef = model.coef_[0] / sd
    return coef, float(model.intercept_[0] - coef @ mu)


def probability(x: np.ndarray, coef: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ coef + bias)))


def choose_threshold(p_answerable: np.ndarray, max_abstain: float) -> float:
    """The highest threshold that abstains on at most `max_abstain` of the answerable questions."""
    ps = np.sort(p_answerable)
    return float(ps[int(np.floor(max_abstain * len(ps)))]) - 1e-6


# ------------------------------------------------------------------ main
def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, help="the training index (default benchmarks/out/train-db, or train-db-news "
                   "with --distractors news)")
    p.add_argument("--seed-db", type=Path, nargs="*", default=[OUT / "quality-db", OUT / "perf-db-2300"],
                   help="copy these indexes' embedding caches first, where they exist (same model)")
    p.add_argument("--out", type=Path, default=MODEL_PATH)
    p.add_argument("--report", type=Path, default=OUT / "train_scorer.json")
    p.add_argument("--query-cache", type=Path, default=OUT / "query-vectors.npz")
    p.add_argument("--train-sets", nargs="+", default=["arcd_train"], choices=["arcd_train", "tydi", "mlqa", "mlqa_en"],
                   help="QA sets to train on (their passages are the index)")
    p.add_argument("--distractors", choices=["none", "news"], default="none",
                   help="news: demo_300 in the index beside the passages (research only: the weights may not ship)")
    p.add_argument("--max-abstain", type=float, default=0.02,
                   help="largest share of answerable training questions the threshold may abstain on")
    p.add_argument("--answer-features", nargs="+", choices=QUESTION_FEATURES, default=list(ANSWER_FEATURES),
                   help="question features the answerability model may use")
    p.add_argument("--l2", type=float, nargs="+", default=[1.0, 10.0, 30.0, 100.0],
                   help="L2 strengths tried (5-fold CV on ARCD-train picks one)")
    p.add_argument("--prior-scale", type=float, default=10.0,
                   help="the ranker is pulled toward this times the previous rule (cos + 0.15 overlap - 0.25 gap)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.db = args.db or OUT / ("train-db-news" if args.distractors == "news" else "train-db")
    apply_offline_env()
    if qa_data.skip_without_data():
        return 0
    started = time.time()
    examples, embed_model = build_examples(args.db, args.seed_db, args.query_cache, train_sets=tuple(args.train_sets),
                                           news=args.distractors == "news")
    examples += [blind_copy(ex) for ex in examples if ex.kind != "offcorpus" and ex.ctx.language == "ar"]
    log(f"{len(examples)} examples ({sum(len(ex.labels) for ex in examples)} candidate sentences)")

    # -- 1. ranker: cross-validated comparison, then the final fit --------------------------
    answerable = [ex for ex in examples if ex.kind == "answerable"]
    fold = folds(answerable)
    rules = {
        "cosine only": fixed(cos=1.0),
        "previous rule: cosine + 0.15 x overlap - 0.25 x passage gap": fixed(cos=1.0, overlap=0.15, passage_gap=-0.25),
    }
    ablations = {"learned: all features": ()} | {f"learned without {g}": fs for g, fs in {
        "answer type": ("fit_number", "fit_date", "fit_person", "fit_place", "miss_type"),
        "topic": ("topic",), "focus": ("focus",), "novelty": ("novelty",), "neighbour": ("neighbour",),
        "overlap": ("overlap",), "passage gap": ("passage_gap",), "length": ("log_len",)}.items()}
    prior = fixed(cos=args.prior_scale, overlap=0.15 * args.prior_scale, passage_gap=-0.25 * args.prior_scale)
    variants: dict[str, dict[str, float]] = {}
    cats = sorted({_category(e) for e in answerable})
    for name, w in rules.items():
        variants[name] = {c: top1([e for e in answerable if _category(e) == c], w) for c in cats}

    def cv(dropped: tuple[str, ...], l2: float) -> dict[str, float]:
        mask = np.array([0.0 if f in dropped else 1.0 for f in SENTENCE_FEATURES])
        ok = dict.fromkeys(cats, 0)
        for k in range(5):
            train = [e for e, f in zip(answerable, fold, strict=True) if f != k]
            w = fit_ranker(train, l2, mask, prior * mask) * mask
            for e, f in zip(answerable, fold, strict=True):
                if f == k and _ok(e, w):
                    ok[_category(e)] += 1
        return {c: ok[c] / sum(_category(e) == c for e in answerable) for c in cats}

    by_l2 = {l2: cv((), l2) for l2 in args.l2}
    best_l2 = max(by_l2, key=lambda l2: sum(by_l2[l2].values()))
    for l2, v in by_l2.items():
        variants[f"learned, all features, L2 {l2:g} toward the previous rule"] = v
    for name, dropped in ablations.items():
        if dropped:
            variants[f"{name} (L2 {best_l2:g})"] = cv(dropped, best_l2)
    for name, v in variants.items():
        log("  top-1 sentence contains the answer (5-fold CV): "
            + " / ".join(f"{v[c]:.3f} {c}" for c in cats) + f"  {name}")
    w = fit_ranker(answerable, best_l2, prior=prior)
    log(f"L2 {best_l2:g}; ranker weights: "
        + ", ".join(f"{f} {v:+.2f}" for f, v in zip(SENTENCE_FEATURES, w, strict=True)))

    # -- 2. answerability ---------------------------------------------------------------------
    keep = np.array([f in args.answer_features for f in QUESTION_FEATURES], float)
    x = q_features(examples, w) * keep
    y = np.array([ex.kind == "answerable" for ex in examples], int)
    qfold = folds(examples)
    oof = np.zeros(len(examples))
    for k in range(5):
        tr = np.array([f != k for f in qfold])
        coef, bias = fit_answerable(x[tr], y[tr])
        oof[~tr] = probability(x[~tr], coef, bias)
    threshold = choose_threshold(oof[y == 1], args.max_abstain)
    coef, bias = fit_answerable(x, y)
    kinds = np.array([ex.kind for ex in examples])
    blind = np.array([ex.blind for ex in examples])
    calib = {f"{kind}{' (lexical-blind)' if b else ''}": float(np.mean(oof[(kinds == kind) & (blind == b)] < threshold))
             for kind in ("answerable", "removed", "offcorpus") for b in (False, True)
             if ((kinds == kind) & (blind == b)).any()}
    log(f"answerability threshold {threshold:.3f}; out-of-fold abstain rates: "
        + ", ".join(f"{k} {v:.3f}" for k, v in calib.items()))

    command = " ".join(["python benchmarks/train_scorer.py", *sys.argv[1:]])
    info = {"trained": date.today().isoformat(), "command": command,
            "train_sets": args.train_sets,
            "data_sha256": {rel: sha256(qa_data.DATA_DIR / rel) for rel in map(qa_data.training_file, args.train_sets)}
            | ({"news_demo/demo_300.jsonl": sha256(qa_data.DATA_DIR / "news_demo" / "demo_300.jsonl")}
               if args.distractors == "news" else {})
            | {"benchmarks/data/offcorpus_calibration.json": sha256(CALIBRATION)},
            "examples": len(examples), "embed_model": embed_model,
            "cv_top1": variants, "l2": best_l2, "calibration_abstain": calib}
    model = ScorerModel({f: round(float(v), 5) for f, v in zip(SENTENCE_FEATURES, w, strict=True)},
                        {f: round(float(v), 5) for f, v in zip(QUESTION_FEATURES, coef, strict=True)},
                        round(bias, 5), round(threshold, 5), info)
    model.save(args.out)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"model": dataclasses.asdict(model), "seconds": time.time() - started,
                                       "meta": meta("python benchmarks/train_scorer.py " + " ".join(sys.argv[1:]))},
                                      ensure_ascii=False, indent=1))
    log(f"wrote {args.out} in {time.time() - started:.0f} s")
    return 0


def _category(ex: Example) -> str:
    """"ar", "en" (a real English question) or "blind" (an Arabic one with its words blanked)."""
    return "blind" if ex.blind else ex.ctx.language


def _ok(ex: Example, w: np.ndarray) -> bool:
    return bool(len(ex.labels)) and bool(ex.labels[int(np.argmax(ex.feats @ w))])


if __name__ == "__main__":
    raise SystemExit(main())
