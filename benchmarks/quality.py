"""Retrieval and answer quality on the public Arabic QA sets (XQuAD ar/en, ARCD, TyDi, MLQA).

    python benchmarks/quality.py [--limit-questions N] [--subsets xquad_ar tydi ...]
        [--db benchmarks/out/quality-db] [--skip-naive] [--out benchmarks/out/quality.json]

Every distinct context (1,981) is one article in ONE persistent index; every question is asked
in hybrid, dense-only and lexical-only mode (k=10), and the naive LangChain pipeline answers the
same questions (benchmarks/naive.py). Per subset and overall: R@1, R@5 and MRR of the gold
passage among the de-duplicated articles of `passages`, the share of questions whose first
cited quote contains a gold answer, the abstain rate, and latency. Abstention: the gold
passages of a fixed random 10 % of the pool are deleted from a copy of the index
(<db>-holdout) and their questions asked again. Tuning only ever looks at arcd_train / tydi /
mlqa (see qa_data.py). Query vectors are embedded once, in batches, and memoised; the latency
columns are therefore search+answer, and `e2e` (a sample through `Isnad.ask` with the real
model per question) is the user-facing figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402
from qa_data import Question, contains_answer  # noqa: E402

from rag.answer import Answerer, AnswerPolicy  # noqa: E402
from rag.arabic import language  # noqa: E402
from rag.embedder import Embedder, make_embedder  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.reader import BuiltinReader  # noqa: E402
from rag.retrieve import Retrieval  # noqa: E402
from rag.scorer import ScorerModel, SentenceScorer  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402
from rag.types import Hit  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
MODES = ("hybrid", "dense", "lexical", "rrf")
RRF_C, RRF_DEPTH = 60, 50  # plain reciprocal-rank fusion: sum of 1/(60 + rank) over both top-50 lists
COLS = ("ALL", "arcd", "tydi", "mlqa", "xquad_ar", "xquad_en", "arcd_train")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class CachingEmbedder:
    """Wraps the real embedder and memoises query vectors by text (`prime` embeds in batches)."""

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.cache, self.bypass = inner, inner.name, {}, False
        self.query_side = getattr(inner, "query_side", "base")  # the cache is only good for the same encoder

    def prime(self, texts: list[str], batch: int = 128) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for i in range(0, len(todo), batch):
            self.cache.update(zip(todo[i: i + batch], self.inner.embed_queries(todo[i: i + batch]), strict=True))

    def load(self, path: Path) -> None:
        if path.is_file():
            z = np.load(path, allow_pickle=False)
            if str(z["model"]) == self.name and str(z.get("query_side", "base")) == self.query_side:
                self.cache.update(zip(json.loads(str(z["texts"])), z["vectors"], strict=True))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.cache)
        np.savez(path, model=self.name, query_side=self.query_side, texts=json.dumps(texts, ensure_ascii=False),
                 vectors=np.stack([self.cache[t] for t in texts]))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if self.bypass:
            return self.inner.embed_queries(texts)
        self.prime(texts)
        return np.stack([self.cache[t] for t in texts])

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        return self.inner.embed_documents(texts, titles)

    @property
    def model(self):  # type: ignore[no-untyped-def]
        """The inner model, which the built-in reader runs on."""
        return self.inner.model  # type: ignore[attr-defined]

    @property
    def runtime(self) -> str:
        """The inner model's runtime: the built-in reader runs in OpenVINO where it does."""
        return getattr(self.inner, "runtime", "torch")

    @property
    def model_path(self) -> str:
        return self.inner.model_path  # type: ignore[attr-defined]


class TitleOnce:
    """Sentences embedded without their article's title, the title embedded once per article, and the
    two combined: normalise(sentence + alpha * title). (The shipped index puts the title in every
    sentence's document prompt, so the model reads it once per sentence.)"""

    def __init__(self, inner: Embedder, alpha: float):
        self.inner, self.alpha, self.name = inner, alpha, inner.name
        self.titles: dict[str, np.ndarray] = {}

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        titles = titles or ["none"] * len(texts)
        new = sorted({t for t in titles if t not in self.titles})
        if new:
            self.titles.update(zip(new, self.inner.embed_documents(new, ["none"] * len(new)), strict=True))
        own = self.inner.embed_documents(texts, ["none"] * len(texts))
        out = own + self.alpha * np.stack([self.titles[t] for t in titles])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    @property
    def model(self):  # type: ignore[no-untyped-def]
        return self.inner.model  # type: ignore[attr-defined]


def open_isnad(args: argparse.Namespace, db: Path, embedder: Embedder) -> Isnad:
    settings = Settings.from_env({}, db_dir=str(db), chunk_chars=args.chunk_chars, embed_model=args.model,
                                 lexical_weight=args.lexical_weight, reader=args.reader,
                                 reader_weights=args.reader_weights and str(args.reader_weights),
                                 reader_candidates=args.reader_candidates, reader_precision=args.reader_precision)
    isnad = Isnad(settings, embedder=embedder)
    isnad.answerer.policy = dataclasses.replace(isnad.answerer.policy, abstain_below=args.abstain_below,
                                                passages_considered=args.passages_considered)
    if args.scorer is not None:
        a = isnad.answerer
        scorer = SentenceScorer(ScorerModel.load(args.scorer))
        isnad.answerer = Answerer(a.index, a.embedder, a.policy, scorer, a.reader)
    if args.reader_runtime == "torch" and isinstance(isnad.answerer.reader, BuiltinReader):
        isnad.answerer.reader.openvino = False
    if args.reader_orders_only and isnad.answerer.reader is not None:
        isnad.answerer.reader = OrderOnly(isnad.answerer.reader)
    isnad.index.open()  # ask_all goes to the retriever directly: heal or rebuild the index first
    return isnad


def peak_rss_mb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kB on Linux


class OrderOnly:
    """A reader that orders the candidates and leaves whether to answer to the sentence scorer."""

    threshold = None

    def __init__(self, inner: Any):
        self.inner = inner

    @property
    def name(self) -> str:
        return f"{self.inner.name}, ordering only"

    def read(self, question: str, items: Any) -> Any:
        return self.inner.read(question, items)


def seed_vectors(isnad: Isnad, other_db: Path) -> None:
    """Copy another index's embedding cache (same model): identical chunks are not re-embedded."""
    other = Index(other_db, isnad.embedder)
    for page in other.cached_vector_pages():
        isnad.index.cache_vectors(page)
    other.close()


def ask_all(isnad: Isnad, questions: list[Question], mode: str, k: int) -> list[dict]:
    """One record per question: gold rank (0 = not in top k), quote ok, abstained, best dense, ms."""
    recs = []
    for q in questions:
        t0 = time.perf_counter()
        retrieval = (rrf(isnad, q.question, k) if mode == "rrf" else
                     isnad.retriever.retrieve(q.question, k, lang=language(q.question), mode=mode))
        answer = isnad.answerer.answer(q.question, retrieval)
        ms = (time.perf_counter() - t0) * 1000
        ids = list(dict.fromkeys(p.article_id for p in answer.passages))
        dense = [h.dense for h in retrieval.hits if h.dense is not None]
        recs.append({"rank": ids.index(q.article_id) + 1 if q.article_id in ids else 0,
                     "quote": bool(answer.citations) and contains_answer(answer.citations[0].quote, q.answers),
                     "abstained": answer.abstained, "dense": max(dense) if dense else None, "ms": ms})
    return recs


def rrf(isnad: Isnad, question: str, k: int) -> Retrieval:
    """The rank-fusion baseline of the issue's anchor table (not what Isnad does)."""
    lang = language(question)
    dense = isnad.retriever.retrieve(question, RRF_DEPTH, lang=lang, mode="dense")
    lexical = isnad.retriever.retrieve(question, RRF_DEPTH, lang=lang, mode="lexical")
    score: dict[str, float] = {}
    hits = {}
    for ranked in (dense.hits, lexical.hits):
        for rank, hit in enumerate(ranked, 1):
            score[hit.chunk.id] = score.get(hit.chunk.id, 0.0) + 1 / (RRF_C + rank)
            hits.setdefault(hit.chunk.id, hit)
    best = sorted(score, key=lambda cid: (-score[cid], cid))[:k]
    fused = [Hit(hits[cid].chunk, score[cid], hits[cid].dense, hits[cid].lexical) for cid in best]
    return Retrieval(fused, {**lexical.articles, **dense.articles}, dense.query_vector, lang, dense.timings_ms)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def summarise(questions: list[Question], recs: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {"ALL": recs, "TEST": [], "TUNE": []}
    for q, r in zip(questions, recs, strict=True):
        groups.setdefault(q.subset, []).append(r)
        groups["TEST" if q.subset in qa_data.TEST_SUBSETS else "TUNE"].append(r)
    out = {}
    for name, rs in groups.items():
        if rs:
            n = len(rs)
            out[name] = {"n": n, "r1": sum(r["rank"] == 1 for r in rs) / n,
                         "r5": sum(1 <= r["rank"] <= 5 for r in rs) / n,
                         "mrr": sum(1 / r["rank"] for r in rs if r["rank"]) / n,
                         "quote": sum(r["quote"] for r in rs) / n, "abstain": sum(r["abstained"] for r in rs) / n,
                         "p50": pct([r["ms"] for r in rs], 50), "p95": pct([r["ms"] for r in rs], 95)}
    return out


def holdout_ids(articles: list[str], share: float, seed: int = 0) -> set[str]:
    ids = sorted(articles)
    return set(random.Random(seed).sample(ids, round(len(ids) * share)))


def make_reduced_db(isnad: Isnad, db: Path, drop: set[str], args: argparse.Namespace, emb: Embedder,
                    suffix: str) -> Isnad:
    """A copy of the index minus the passages `drop` (a copy: nothing is re-embedded)."""
    target = Path(f"{db}-{suffix}")
    stamp = target / "dropped.json"
    if not (stamp.exists() and set(json.loads(stamp.read_text())) == drop):
        isnad.index.close()  # the database whole in one file before the copy
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(db, target)
        reduced = open_isnad(args, target, emb)
        for aid in sorted(drop):
            reduced.delete(aid)
        stamp.write_text(json.dumps(sorted(drop)))
    return open_isnad(args, target, emb)


def table(results: dict, naive: dict | None) -> str:
    head = ("| pipeline | ALL R@1 | ALL R@5 | ALL MRR | arcd R@1 | tydi R@1 | mlqa R@1 | xquad_ar R@1 | "
            "xquad_en R@1 | quote⊇answer xquad_ar / xquad_en / ALL | abstain (answerable) | "
            "search+answer p50 / p95 ms |\n|" + "---|" * 12)
    rows = [head]
    labels = {"hybrid": "Isnad hybrid (ours)", "dense": "dense only", "lexical": "lexical only (BM25)",
              "rrf": "plain RRF of dense + lexical"}
    named = [(labels[m], results[m]) for m in MODES if m in results]
    if naive:
        named.append(("naive LangChain", naive))
    for name, s in named:
        def r1(c: str, s: dict = s) -> str:
            return f"{s[c]['r1']:.3f}" if c in s else "–"

        def qt(c: str, s: dict = s) -> str:
            return f"{s[c]['quote']:.3f}" if c in s else "–"
        a = s["ALL"]
        rows.append(f"| {name} | {a['r1']:.3f} | {a['r5']:.3f} | {a['mrr']:.3f} | {r1('arcd')} | {r1('tydi')} | "
                    f"{r1('mlqa')} | {r1('xquad_ar')} | {r1('xquad_en')} | {qt('xquad_ar')} / {qt('xquad_en')} / "
                    f"{qt('ALL')} | {a['abstain']:.3f} | {a['p50']:.0f} / {a['p95']:.0f} |")
    return "\n".join(rows)


def quote_table(results: dict) -> str:
    """First cited quote contains a gold answer, per subset and mode."""
    cols = [c for c in COLS if c in results["hybrid"]]
    rows = ["| first quote ⊇ answer | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for m in MODES:
        if m in results:
            rows.append(f"| {m} | " + " | ".join(f"{results[m][c]['quote']:.3f}" for c in cols) + " |")
    return "\n".join(rows)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit-questions", type=int, help="at most N questions per subset (quick runs)")
    p.add_argument("--every", type=int, default=1, help="ask every N-th question only (the index keeps every "
                   "passage: slow readers measured on a sample)")
    p.add_argument("--subsets", nargs="+", default=list(qa_data.SUBSETS), choices=qa_data.SUBSETS)
    p.add_argument("--db", type=Path, default=OUT / "quality-db")
    p.add_argument("--naive-db", type=Path, default=OUT / "naive-db")
    p.add_argument("--seed-db", type=Path, help="copy this index's embedding cache first (other chunk sizes)")
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES,
                   help="retrieval modes to ask in (hybrid is what the app does)")
    p.add_argument("--skip-holdout", action="store_true")
    p.add_argument("--out", type=Path, default=OUT / "quality.json")
    p.add_argument("--query-cache", type=Path, default=None,
                   help="question vectors kept between runs (same model and question encoder; default "
                        "benchmarks/out/query-vectors[-tuned].npz); 'none' to disable")
    p.add_argument("--query-lora", type=Path, help="embed questions with this tuned question encoder "
                                                   "(benchmarks/train_query.py); documents stay as they are")
    p.add_argument("--title-once", type=float, metavar="ALPHA",
                   help="embed sentences without their title and add ALPHA x the title's vector (use a new --db)")
    p.add_argument("--model", default="", help="embedding model folder (default: EmbeddingGemma)")
    p.add_argument("-k", type=int, default=10)
    d = Settings()
    p.add_argument("--chunk-chars", type=int, default=d.chunk_chars)
    p.add_argument("--lexical-weight", type=float, default=d.lexical_weight)
    p.add_argument("--abstain-below", type=float, default=None,
                   help="answerability threshold (default: the one calibrated with the sentence scorer)")
    p.add_argument("--scorer", type=Path, help="sentence scorer weights to use instead of the shipped ones "
                   "(train_scorer.py --out)")
    p.add_argument("--reader", default="builtin", choices=["builtin", "off"],
                   help="the reader stage (RAG_READER): builtin, or off for the sentence scorer alone")
    p.add_argument("--reader-orders-only", action="store_true",
                   help="the reader orders the candidates; the sentence scorer decides whether to answer")
    p.add_argument("--reader-candidates", type=int, default=Settings.reader_candidates,
                   help="the scorer's best candidates the reader reads (RAG_READER_CANDIDATES)")
    p.add_argument("--reader-weights", type=Path, help="the built-in reader's folder (RAG_READER_WEIGHTS; "
                   "train_reader.py --out), default the shipped one")
    p.add_argument("--reader-runtime", choices=["auto", "torch"], default="auto",
                   help="torch: the built-in reader on the embedder's torch model even where the embedder runs "
                        "in OpenVINO")
    p.add_argument("--reader-precision", choices=["auto", "float32", "bfloat16"], default=Settings.reader_precision,
                   help="the built-in reader's precision in OpenVINO (RAG_READER_PRECISION)")
    p.add_argument("--passages-considered", type=int, default=AnswerPolicy.passages_considered)
    p.add_argument("--skip-offtopic", action="store_true")
    p.add_argument("--offtopic-corpus", default="tydi", choices=qa_data.SUBSETS,
                   help="the off-topic figure asks the other test subsets against an index of this subset only")
    p.add_argument("--offtopic-questions", type=int, default=300, help="questions per subset in the off-topic figure")
    p.add_argument("--holdout-share", type=float, default=0.10)
    p.add_argument("--e2e-sample", type=int, default=100, help="questions timed through Isnad.ask per mode")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    apply_offline_env()
    if qa_data.skip_without_data():
        return 0
    started = time.time()
    data = qa_data.load(args.subsets, limit_per_subset=args.limit_questions)
    questions = data.questions[:: args.every]
    log(f"{len(data.articles)} passages, {len(questions)} questions")
    real = make_embedder(Settings.from_env({}, embed_model=args.model))
    if args.query_lora:
        from query_net import TunedQueries

        real = TunedQueries(real, args.query_lora)
    args.query_cache = args.query_cache or OUT / f"query-vectors{'-tuned' if args.query_lora else ''}.npz"
    if args.title_once is not None:
        real = TitleOnce(real, args.title_once)  # type: ignore[assignment]
    emb = CachingEmbedder(real)
    isnad = open_isnad(args, args.db, emb)
    if args.seed_db:
        isnad.index.open()
        seed_vectors(isnad, args.seed_db)
    t0 = time.perf_counter()
    added = isnad.add_articles(list(data.articles.values()),
                               lambda done, total: done % 256 < 32 and log(f"  index: {done}/{total}"))
    build = {"chunks": isnad.info()["index"]["chunks"], "sentences": isnad.info()["index"]["vectors"],
             "sentences_embedded": added.embedded, "seconds": time.perf_counter() - t0}
    log(f"index ready: {build}")
    t0 = time.perf_counter()
    if str(args.query_cache) != "none":
        emb.load(args.query_cache)
    emb.prime([q.question for q in questions])
    if str(args.query_cache) != "none":
        emb.save(args.query_cache)
    log(f"{len(questions)} questions embedded in {time.perf_counter() - t0:.0f} s")
    results, records = {}, {}
    for mode in args.modes:
        ask_all(isnad, questions[:20], mode, args.k)  # warm
        records[mode] = ask_all(isnad, questions, mode, args.k)
        results[mode] = summarise(questions, records[mode])
        log(f"{mode}: ALL R@1 {results[mode]['ALL']['r1']:.3f} MRR {results[mode]['ALL']['mrr']:.3f}")
    emb.bypass = True
    e2e = {}
    sample = questions[:: max(1, len(questions) // args.e2e_sample)][: args.e2e_sample]
    for mode in [m for m in args.modes if m != "rrf"]:  # rrf is a baseline outside Isnad.ask
        ms = [isnad.ask(q.question, k=args.k, mode=mode).timings_ms["total"] for q in sample]
        e2e[mode] = {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95)}
    emb.bypass = False
    naive = None
    if not args.skip_naive:
        from naive import NaivePipeline

        pipe = NaivePipeline(isnad.settings.model_path, args.naive_db)
        build["naive"] = pipe.build(list(data.articles.values()), log)
        vecs = pipe.embed_questions([q.question for q in questions], args.naive_db / "question-vectors.npz")
        nrecs = []
        for q in questions:
            ids, first, ms = pipe.search(q.question, args.k, vecs[q.question])
            nrecs.append({"rank": ids.index(q.article_id) + 1 if q.article_id in ids else 0, "ms": ms,
                          "quote": contains_answer(first, q.answers), "abstained": False, "dense": None})
        naive = summarise(questions, nrecs)
        ms = [pipe.search(q.question, args.k)[2] for q in sample]  # with its own query embedding
        e2e["naive"] = {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95)}
    holdout = None
    if not args.skip_holdout:
        drop = holdout_ids(list(data.articles), args.holdout_share)
        held_q = [q for q in questions if q.article_id in drop]
        held = make_reduced_db(isnad, args.db, drop, args, emb, "holdout")
        hrecs = ask_all(held, held_q, "hybrid", args.k)
        holdout = {"passages_removed": len(drop), "unanswerable": summarise(held_q, hrecs),
                   "dense_unanswerable": [[q.subset, r["dense"]] for q, r in zip(held_q, hrecs, strict=True)]}
    offtopic = None
    if not args.skip_offtopic:
        keep = {q.article_id for q in questions if q.subset == args.offtopic_corpus}
        asked = [q for q in questions if q.subset in qa_data.TEST_SUBSETS and q.subset != args.offtopic_corpus
                 and q.article_id not in keep]
        per: dict[str, list[Question]] = {}
        for q in asked:
            per.setdefault(q.subset, []).append(q)
        asked = [q for qs in per.values() for q in qs[: args.offtopic_questions]]
        reduced = make_reduced_db(isnad, args.db, set(data.articles) - keep, args, emb, f"only-{args.offtopic_corpus}")
        orecs = ask_all(reduced, asked, "hybrid", args.k)
        offtopic = {"corpus": args.offtopic_corpus, "passages": len(keep), "unanswerable": summarise(asked, orecs)}
    md = table(results, naive) + "\n\n" + quote_table(results)
    report = {"meta": meta("python benchmarks/quality.py " + " ".join(sys.argv[1:])),
              "date": date.today().isoformat(), "argv": sys.argv, "args": {k: str(v) for k, v in vars(args).items()},
              "settings": isnad.settings.as_dict() | {"policy": str(isnad.answerer.policy)},
              "passages": len(data.articles), "questions": len(questions), "build": build, "results": results,
              "naive": naive, "e2e_ms": e2e, "reader": isnad.info()["reader"], "peak_rss_mb": peak_rss_mb(),
              "holdout": holdout, "offtopic": offtopic, "seconds": time.time() - started,
              "dense_answerable": [[q.subset, r["dense"]] for q, r in zip(questions, records["hybrid"], strict=True)],
              "records": {m: [[r["rank"], int(r["quote"])] for r in records[m]] for m in args.modes},
              "markdown": md}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    print(md)
    print("\ne2e Isnad.ask ms (p50/p95): " + ", ".join(f"{m} {v['p50']:.0f}/{v['p95']:.0f}" for m, v in e2e.items()))
    print(f"reader: {report['reader']}; peak RSS {report['peak_rss_mb']} MB")
    if holdout:
        u, a = holdout["unanswerable"], results["hybrid"]
        print(f"abstention: gold removed -> abstain {u['ALL']['abstain']:.3f} (test {u.get('TEST', {}).get('abstain')},"
              f" n={u['ALL']['n']}); answerable -> abstain {a['ALL']['abstain']:.3f} (test {a['TEST']['abstain']:.3f})")
    if offtopic:
        u = offtopic["unanswerable"]
        print(f"off-topic: {u['ALL']['n']} questions of " + ", ".join(k for k in u if k not in ("ALL", "TEST", "TUNE"))
              + f" against the {offtopic['passages']} {offtopic['corpus']} passages alone -> abstain "
              f"{u['ALL']['abstain']:.3f} (" + ", ".join(f"{k} {v['abstain']:.3f}" for k, v in u.items()
                                                         if k not in ("ALL", "TEST", "TUNE")) + ")")
    log(f"done in {time.time() - started:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
