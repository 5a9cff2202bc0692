"""Scale benchmark: latency, memory, disk and build time at 1k, 10k and 50k articles.

    python benchmarks/scale.py [--sizes 1000 10000 50000] [--questions 100] [--rebuild]
        [--plot docs/scale.png] [--no-wait]

Index N = the first N ids of news_bench. Embedding 50k articles with the real model would take
many hours on 2 cores, so DOCUMENTS ARE EMBEDDED WITH THE HashEmbedder AT 768 DIMS
(RAG_EMBED_MODEL=hash:768, the real model's width); chunking, SQLite/FTS5 lexical index, Chroma
HNSW and the answer path are the real ones. Each index is built once (fresh process, timed) into
benchmarks/out/scale/db-N and reused later (its build record is kept; `--rebuild` redoes it).
Queries run in a fresh warm process per size that holds the index AND the real model, so its RSS
is a serving process's. Questions: 80 Arabic ones from titles of random articles among the first
1,000 (so every index holds them) + 20 English ones (perf_common.make_questions).
abstain_below=0, so answer selection runs for every question (its worst case). For each question:
  search+answer = `ask` total minus the hash query embedding (measured, per question)
  query embedding = the real model's `embed_queries([q])` in the same process (measured; it
                    does not depend on the index size)
  latency = search+answer + real query embedding (per question, then p50/p95).
The 1-minute load average must be below 1.5 before each build and query run.
Writes benchmarks/out/scale.json, the plot, and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

WORK = pc.OUT / "scale"
QFILE = WORK / "questions.json"


def settings(n: int):  # type: ignore[no-untyped-def]
    from rag.settings import Settings

    return Settings.from_env({}, db_dir=str(WORK / f"db-{n}"), embed_model="hash:768", abstain_below=0.0)


def child_build(n: int) -> dict[str, object]:
    from rag.engine import Isnad

    articles = pc.load_news(n)
    isnad = Isnad(settings(n))
    t0, step = time.perf_counter(), max(n // 10, 1)

    def progress(done: int, total: int) -> None:
        if done % step < 32 or done == total:
            pc.log(f"  build {n}: {done}/{total} ({done / (time.perf_counter() - t0):.0f} articles/s)")

    r = isnad.add_articles(articles, progress)
    build_s = time.perf_counter() - t0
    return {"articles": n, "chunks": r.chunks, "build_s": round(build_s, 1),
            "articles_per_s": round(n / build_s, 1), "date": time.strftime("%Y-%m-%d %H:%M")}


def child_query(n: int) -> dict[str, object]:
    import psutil

    from rag.embedder import make_embedder
    from rag.engine import Isnad
    from rag.settings import Settings

    questions = json.loads(QFILE.read_text(encoding="utf-8"))
    isnad = Isnad(settings(n))
    isnad.index.open()
    isnad.ask("warm up")
    rss_index = psutil.Process().memory_info().rss
    real = make_embedder(Settings.from_env({}))
    real.embed_queries(["warm up"])
    for q in questions[:5]:
        real.embed_queries([q["q"]])
        isnad.ask(q["q"])
    recs = []
    for q in questions:
        t = time.perf_counter()
        real.embed_queries([q["q"]])
        real_ms = (time.perf_counter() - t) * 1000
        ans = isnad.ask(q["q"])
        sa = ans.timings_ms["total"] - ans.timings_ms["embed"]
        recs.append({"search_answer": sa, "search": ans.timings_ms["search"], "answer": ans.timings_ms["answer"],
                     "real_embed": real_ms, "latency": sa + real_ms})
    out = {k: pc.p50_p95([r[k] for r in recs]) for k in recs[0]}
    return {**out, "rss_index_mb": round(rss_index / 2**20, 1),
            "rss_serving_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
            "chunks": isnad.info()["index"]["chunks"]}  # type: ignore[index]


def in_child(flag: str, n: int, args: argparse.Namespace) -> dict[str, object]:
    pc.wait_quiet(skip=args.no_wait)
    run = pc.run_timed([sys.executable, __file__, flag, str(n)])
    sys.stderr.write(str(run["stderr"])[-2000:])
    return {**json.loads(str(run["stdout"]).strip().splitlines()[-1]), "process_wall_s": run["wall_s"],
            "peak_rss_mb": run["peak_rss_mb"], "other_cpu_cores": run["other_cpu_cores"]}


def plot(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [int(r["articles"]) for r in rows]  # type: ignore[call-overload]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label, style in (("latency", "total (real query embedding + search + answer)", "-"),
                              ("search_answer", "search + answer", "--")):
        for p, marker in (("p50", "o"), ("p95", "s")):
            a.plot(n, [r["query"][key][p] for r in rows], style, marker=marker, label=f"{label}, {p}")  # type: ignore[index]
    a.axhline(500, color="grey", lw=0.8, ls=":", label="p95 target at 50k (500 ms)")
    a.set(xscale="log", xlabel="articles in the index", ylabel="ms", title="Answer latency (warm)")
    a.legend(fontsize=7)
    b.plot(n, [r["query"]["rss_serving_mb"] for r in rows], "o-", label="RSS, serving (index + model)")  # type: ignore[index]
    b.plot(n, [r["build"]["peak_rss_mb"] for r in rows], "^-", label="peak RSS, build")  # type: ignore[index]
    b.plot(n, [r["disk_mb"] for r in rows], "s--", label="index on disk")
    b.set(xscale="log", xlabel="articles in the index", ylabel="MB", title="Memory and disk")
    b.legend(fontsize=7)
    fig.suptitle("Isnad scale (2 CPU cores; documents embedded with HashEmbedder-768)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    pc.log(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] in ("--_build", "--_query"):
        fn = child_build if sys.argv[1] == "--_build" else child_query
        print(json.dumps(fn(int(sys.argv[2])), ensure_ascii=False))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--rebuild", action="store_true", help="rebuild indexes that exist")
    p.add_argument("--plot", type=Path, default=pc.ROOT / "docs" / "scale.png")
    p.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine (smoke tests)")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    QFILE.write_text(json.dumps(pc.make_questions(pc.load_news(min(1000, *args.sizes)), args.questions),
                                ensure_ascii=False), encoding="utf-8")
    rows = []
    for n in sorted(args.sizes):
        db, record = WORK / f"db-{n}", WORK / f"build-{n}.json"
        if args.rebuild or not record.exists():
            shutil.rmtree(db, ignore_errors=True)
            pc.log(f"building {n} articles (hash:768 document vectors)")
            record.write_text(json.dumps(in_child("--_build", n, args)), encoding="utf-8")
        build = json.loads(record.read_text(encoding="utf-8"))
        pc.log(f"querying {n}")
        rows.append({"articles": n, "build": build, "disk_mb": pc.dir_mb(db), "query": in_child("--_query", n, args)})
    f = lambda d: f"{d['p50']:.0f} / {d['p95']:.0f}"  # noqa: E731
    table = pc.md_table(
        ["articles", "chunks", "latency p50 / p95 ms", "= search+answer", "+ real query embedding",
         "build s (articles/s)", "disk MB", "RSS serving MB", "peak RSS build MB"],
        [[r["articles"], r["build"]["chunks"], f(r["query"]["latency"]), f(r["query"]["search_answer"]),  # type: ignore[index]
          f(r["query"]["real_embed"]), f"{r['build']['build_s']} ({r['build']['articles_per_s']})",  # type: ignore[index]
          r["disk_mb"], r["query"]["rss_serving_mb"], r["build"]["peak_rss_mb"]] for r in rows])  # type: ignore[index]
    print(table)
    plot(rows, args.plot)
    pc.write_json("scale.json", {"meta": pc.meta("python benchmarks/" + " ".join(["scale.py", *sys.argv[1:]])),
                                 "questions": args.questions, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
