"""Answer latency in a warm process on a 2,300-article index, beside the naive similarity_search.

    python benchmarks/latency.py [--build-only] [--questions 100] [--news 2000]
        [--db benchmarks/out/perf-db-2300] [--naive-db benchmarks/out/naive-db-2300] [--skip-naive] [--no-wait]

The index holds demo_300 + the first `--news` ids of news_bench (the three news corpora) and is
built once, with the real model, into the persistent `--db` folder (our vector cache makes a
re-run cheap; `--build-only` stops there). Questions (`--questions`, default 100): 80 Arabic ones
made from the titles of random indexed articles (seed 7), in turn as they are, as
"ما تفاصيل خبر «…»؟" and as "ماذا حدث: …؟", plus 20 fixed English news questions
(perf_common.make_questions); they are written to benchmarks/out/latency_questions.json.
After 5 warm-up questions every question goes through `Isnad.ask` once: end to end (wall) and
its parts from `timings_ms` (embed = query embedding, search = dense + lexical + fusion + fetch,
answer = sentence selection). The naive pipeline answers the same questions with
`similarity_search(q, k=5)` in its own warm process (perf_naive.py search) on `--naive-db`
(built by `python benchmarks/perf_naive.py build --db benchmarks/out/naive-db-2300`); when
that index is absent it falls back to the naive demo_300 index of benchmarks/ingest.py and says
so. The 1-minute load average must be below 1.5 before each measured phase.
Writes benchmarks/out/latency.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

from rag.engine import Isnad  # noqa: E402
from rag.reader import BuiltinReader  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

PARTS = ("total", "embed", "search", "retrieve", "answer")


def build(isnad: Isnad, articles: list, log_every: int = 100) -> dict[str, object]:  # type: ignore[type-arg]
    t0 = time.perf_counter()
    last = [0]

    def progress(done: int, total: int) -> None:
        if done - last[0] >= log_every or done == total:
            last[0] = done
            rate = done / max(time.perf_counter() - t0, 1e-9)
            eta = (total - done) / max(rate, 1e-9) / 60
            pc.log(f"  index: {done}/{total} articles ({rate:.2f}/s, ETA {eta:.0f} min)")

    r = isnad.add_articles(articles, progress)
    return {"added": len(r.added), "unchanged": len(r.unchanged), "replaced": len(r.replaced),
            "chunks": r.chunks, "embedded": r.embedded, "seconds": round(time.perf_counter() - t0, 1)}


def measure(isnad: Isnad, questions: list[dict[str, str]]) -> dict[str, object]:
    import psutil

    isnad.warm_up()
    for q in questions[:5]:
        isnad.ask(q["q"])
    recs = []
    for q in questions:
        t = time.perf_counter()
        ans = isnad.ask(q["q"])
        wall = (time.perf_counter() - t) * 1000
        ids = [p.article_id for p in ans.passages]
        recs.append({"lang": q["lang"], "wall": wall, **ans.timings_ms, "abstained": ans.abstained,
                     "source_found": q["article_id"] in ids if q["article_id"] else None})
    summary = {part: pc.p50_p95([r[part] for r in recs]) for part in (*PARTS, "wall")}
    for lang in ("ar", "en"):
        summary[f"total_{lang}"] = pc.p50_p95([r["total"] for r in recs if r["lang"] == lang])
    ar = [r for r in recs if r["source_found"] is not None]
    return {"summary": summary, "abstained": sum(r["abstained"] for r in recs),
            "title_source_in_top5": round(sum(r["source_found"] for r in ar) / max(len(ar), 1), 3),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1), "records": recs}


def naive_search(args: argparse.Namespace, qfile: Path) -> dict[str, object] | None:
    db, note = args.naive_db, "the same articles"
    if not (db / "chroma.sqlite3").exists():
        db, note = pc.OUT / "ingest" / "naive-db", ("NAIVE INDEX = demo_300 ONLY (the 2,300-article naive "
                                                    "index was not built): smaller index than ours")
        if not (db / "chroma.sqlite3").exists():
            print("skipped naive: no naive index; run benchmarks/ingest.py or perf_naive.py build", file=sys.stderr)
            return None
    pc.log(f"naive similarity_search on {db} ({note})")
    quiet = pc.wait_quiet(skip=args.no_wait)
    run = pc.run_timed([sys.executable, str(pc.BENCH / "perf_naive.py"), "search", "--db", str(db),
                        "--questions", str(qfile), "--k", "5"])
    found = json.loads(str(run["stdout"]).strip().splitlines()[-1])
    if note == "the same articles":
        note = f"{found['articles']} of the same {args.articles} articles"
    return {"db": str(db), "note": note, **found,
            "peak_rss_mb": run["peak_rss_mb"], "other_cpu_cores": run["other_cpu_cores"], **quiet}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, default=pc.OUT / "perf-db-2300")
    p.add_argument("--naive-db", type=Path, default=pc.OUT / "naive-db-2300")
    p.add_argument("--news", type=int, default=2000, help="first N news_bench ids besides demo_300")
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--build-only", action="store_true", help="build (or complete) the index and stop")
    p.add_argument("--seed-db", type=Path, nargs="*", default=[],
                   help="copy these indexes' embedding caches first (same model): shared sentences are not re-embedded")
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine (smoke tests)")
    p.add_argument("--reader-runtime", choices=["auto", "torch"], default="auto",
                   help="with RAG_READER=builtin: torch runs the reader on the embedder's torch model even where "
                        "the embedder runs in OpenVINO")
    args = p.parse_args(argv)
    apply_offline_env()
    articles = pc.load_demo() + pc.load_news(args.news)
    isnad = Isnad(Settings.from_env(db_dir=str(args.db)))
    pc.log(f"index {args.db}: {len(articles)} articles (model {isnad.embedder.name})")
    if args.reader_runtime == "torch" and isinstance(isnad.answerer.reader, BuiltinReader):
        isnad.answerer.reader.openvino = False
    if args.seed_db:
        from quality import seed_vectors

        isnad.index.open()
        for seed in args.seed_db:
            seed_vectors(isnad, seed)
    built = build(isnad, articles)
    pc.log(f"  {built}")
    if args.build_only:
        return 0
    questions = pc.make_questions(articles, args.questions)
    qfile = pc.OUT / "latency_questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False, indent=1), encoding="utf-8")
    n_articles = args.articles = len(articles)
    del articles
    gc.collect()
    quiet = pc.wait_quiet(skip=args.no_wait)
    with pc.CpuWatch() as cpu:
        ours = measure(isnad, questions)
    ours.update(quiet, other_cpu_cores=cpu.other_cores)
    info = isnad.info()
    counts = info["index"]
    naive = None if args.skip_naive else naive_search(args, qfile)
    result = {"meta": pc.meta("python benchmarks/" + " ".join(["latency.py", *sys.argv[1:]])),
              "index": {"articles": n_articles, **counts, "disk_mb": pc.dir_mb(args.db)}, "build": built,
              "questions": len(questions), "reader": info["reader"], "isnad": ours, "naive": naive}
    s = ours["summary"]
    n_ar = sum(q["lang"] == "ar" for q in questions)
    fmt = lambda d: f"{d['p50']} / {d['p95']}"  # noqa: E731
    rows = [["Isnad `ask` end to end (timings total)", fmt(s["total"])],  # type: ignore[index]
            [f"… Arabic questions ({n_ar})", fmt(s["total_ar"])],  # type: ignore[index]
            [f"… English questions ({len(questions) - n_ar})", fmt(s["total_en"])],  # type: ignore[index]
            ["… query embedding", fmt(s["embed"])], ["… search (dense + lexical + fusion)", fmt(s["search"])],  # type: ignore[index]
            ["… retrieval = embedding + search", fmt(s["retrieve"])], ["… answer selection", fmt(s["answer"])],  # type: ignore[index]
            ["Isnad wall time around `ask`", fmt(s["wall"])]]  # type: ignore[index]
    if naive:
        rows += [["naive `similarity_search(k=5)` end to end", fmt(naive["total_ms"])],
                 ["… query embedding", fmt(naive["embed_ms"])], ["… Chroma search", fmt(naive["search_ms"])]]
    print(f"### Answer latency, warm process, {n_articles} articles ({counts['chunks']} chunks), "
          f"{len(questions)} questions (ms, p50 / p95)\n")
    print(pc.md_table(["what", "p50 / p95 ms"], rows))
    if naive:
        print(f"\nnaive index: {naive['note']} ({naive['chunks']} chunks)")
    print(f"\nabstained {ours['abstained']}/{len(questions)}; the title's own article in the top 5 for "
          f"{ours['title_source_in_top5']:.0%} of the Arabic questions; RSS {ours['rss_mb']} MB; "
          f"other processes' CPU during the run: {cpu.other_cores} cores; reader: {info['reader']}")
    pc.write_json("latency.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
