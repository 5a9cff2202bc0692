"""Scale benchmark: latency, memory, disk and build time at 1k, 10k and 50k articles.

    python benchmarks/scale.py [--sizes 1000 10000 50000] [--questions 100] [--rebuild]
        [--plot docs/scale.png] [--no-wait] [--modes embedded servers]

`--modes servers` also measures server mode: the same indexes in PostgreSQL (a database per size,
made by scripts/postgres.sh's role) with the vectors on a `chroma run` server started here; the
serving memory is then the query process's RSS plus the Chroma server's (PostgreSQL's shared
buffers are not counted), and disk is Chroma's folder plus pg_database_size.

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
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

WORK = pc.OUT / "scale"
QFILE = WORK / "questions.json"


def settings(n: int):  # type: ignore[no-untyped-def]
    import os

    from rag.settings import Settings

    servers = {k: os.environ[k] for k in ("RAG_CHROMA_URL", "RAG_DATABASE_URL") if os.environ.get(k)}
    folder = WORK / (f"db-servers-{n}" if servers else f"db-{n}")
    return Settings.from_env(servers, db_dir=str(folder), embed_model="hash:768", abstain_below=0.0)


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


def in_child(flag: str, n: int, args: argparse.Namespace, env: dict[str, str] | None = None) -> dict[str, object]:
    pc.wait_quiet(skip=args.no_wait)
    run = pc.run_timed([sys.executable, __file__, flag, str(n)], env=pc.child_env(**(env or {})))
    sys.stderr.write(str(run["stderr"])[-2000:])
    return {**json.loads(str(run["stdout"]).strip().splitlines()[-1]), "process_wall_s": run["wall_s"],
            "peak_rss_mb": run["peak_rss_mb"], "other_cpu_cores": run["other_cpu_cores"]}


def plot(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, colour in (("embedded", "tab:blue"), ("servers", "tab:orange")):
        mine = [r for r in rows if r.get("mode", "embedded") == mode]
        if not mine:
            continue
        n = [int(r["articles"]) for r in mine]  # type: ignore[call-overload]
        for p, marker in (("p50", "o"), ("p95", "s")):
            a.plot(n, [r["query"]["latency"][p] for r in mine], "-", color=colour, marker=marker,  # type: ignore[index]
                   label=f"{mode}: total, {p}")
        b.plot(n, [r["serving_mb"] for r in mine], "o-", color=colour, label=f"{mode}: RSS serving")
        b.plot(n, [r["disk_mb"] for r in mine], "s--", color=colour, label=f"{mode}: on disk")
    a.axhline(500, color="grey", lw=0.8, ls=":", label="p95 target at 50k (500 ms)")
    a.set(xscale="log", xlabel="articles in the index", ylabel="ms", title="Answer latency (warm)")
    a.legend(fontsize=7)
    b.set(xscale="log", xlabel="articles in the index", ylabel="MB",
          title="Memory and disk (servers: app + Chroma server)")
    b.legend(fontsize=7)
    fig.suptitle("Isnad scale (2 CPU cores; documents embedded with HashEmbedder-768)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    pc.log(f"wrote {path}")


CHROMA_PORT = 8765


def start_chroma(n: int, fresh: bool) -> subprocess.Popen[bytes]:
    """`chroma run` on loopback over WORK/chroma-server-N (kept between runs, like the folders;
    one per size, so that its disk figure is that index's alone)."""
    path = WORK / f"chroma-server-{n}"
    if fresh:
        shutil.rmtree(path, ignore_errors=True)
    return pc.start_chroma(path, CHROMA_PORT, WORK / "chroma-server.log")


def pg_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        return round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20, 1)


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
    p.add_argument("--modes", nargs="+", choices=["embedded", "servers"], default=["embedded"])
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    QFILE.write_text(json.dumps(pc.make_questions(pc.load_news(min(1000, *args.sizes)), args.questions),
                                ensure_ascii=False), encoding="utf-8")
    rows = []
    chroma: subprocess.Popen[bytes] | None = None
    admin = ""
    try:
        for mode in args.modes:
            env: dict[str, str] = {}
            if mode == "servers":
                env["RAG_CHROMA_URL"] = f"http://127.0.0.1:{CHROMA_PORT}"
                admin = pc.postgres_admin()
            for n in sorted(args.sizes):
                db = WORK / (f"db-servers-{n}" if mode == "servers" else f"db-{n}")
                record = WORK / (f"build-servers-{n}.json" if mode == "servers" else f"build-{n}.json")
                if mode == "servers":
                    fresh = args.rebuild or not record.exists()
                    chroma = start_chroma(n, fresh)
                    env["RAG_DATABASE_URL"] = pc.database(admin, f"isnad_scale_{n}", fresh)
                if args.rebuild or not record.exists():
                    shutil.rmtree(db, ignore_errors=True)
                    pc.log(f"building {n} articles, {mode} (hash:768 document vectors)")
                    record.write_text(json.dumps(in_child("--_build", n, args, env)), encoding="utf-8")
                build = json.loads(record.read_text(encoding="utf-8"))
                pc.log(f"querying {n}, {mode}")
                query = in_child("--_query", n, args, env)
                row = {"mode": mode, "articles": n, "build": build, "query": query,
                       "disk_mb": pc.dir_mb(db), "serving_mb": query["rss_serving_mb"]}
                if mode == "servers":
                    import psutil

                    chroma_mb = round(psutil.Process(chroma.pid).memory_info().rss / 2**20, 1)  # type: ignore[union-attr]
                    row |= {"chroma_server_mb": chroma_mb, "serving_mb": round(query["rss_serving_mb"] + chroma_mb, 1),
                            "disk_mb": round(pc.dir_mb(WORK / f"chroma-server-{n}")
                                             + pg_mb(env["RAG_DATABASE_URL"]), 1)}
                    chroma.terminate()  # type: ignore[union-attr]
                    chroma.wait(timeout=60)  # type: ignore[union-attr]
                    chroma = None
                rows.append(row)
    finally:
        if chroma is not None:
            chroma.terminate()
            chroma.wait(timeout=60)
    f = lambda d: f"{d['p50']:.0f} / {d['p95']:.0f}"  # noqa: E731
    table = pc.md_table(
        ["mode", "articles", "chunks", "latency p50 / p95 ms", "= search+answer", "+ real query embedding",
         "build s (articles/s)", "disk MB", "RSS serving MB", "peak RSS build MB"],
        [[r["mode"], r["articles"], r["build"]["chunks"], f(r["query"]["latency"]),  # type: ignore[index]
          f(r["query"]["search_answer"]),  # type: ignore[index]
          f(r["query"]["real_embed"]), f"{r['build']['build_s']} ({r['build']['articles_per_s']})",  # type: ignore[index]
          r["disk_mb"], r["serving_mb"], r["build"]["peak_rss_mb"]] for r in rows])  # type: ignore[index]
    print(table)
    plot(rows, args.plot)
    pc.write_json("scale.json", {"meta": pc.meta("python benchmarks/" + " ".join(["scale.py", *sys.argv[1:]])),
                                 "questions": args.questions, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
