"""Ingestion benchmark: demo_300.jsonl into an empty index, Isnad against the naive LangChain pipeline.

    python benchmarks/ingest.py [--input ../shared/data/news_demo/demo_300.jsonl] [--reps 1]
        [--variant NAME:RAG_X=V,RAG_Y=W ...] [--skip-naive] [--no-wait]

Each pipeline runs as a fresh process, timed from process start to exit (imports and model load
included), with the peak RSS of its process tree sampled every 0.1 s:

* Isnad:  `python -m rag ingest FILE --db DIR --quiet` (the real CLI);
* naive:  `python benchmarks/perf_naive.py ingest` (RecursiveCharacterTextSplitter 1000/200 +
  HuggingFaceEmbeddings on the same model with its defaults, float32 + Chroma.from_documents).

Then Isnad re-ingests the same file (a no-op by content hash), and a copy with 10 articles edited
(one sentence added in the middle of each): only their changed chunks should reach the model.
`--variant` adds cold Isnad runs with other settings (e.g. `overlap0:RAG_CHUNK_OVERLAP=0`).
Before every measured run the 1-minute load average must fall below 1.5 (see perf_common).
Retrieval quality of both pipelines is measured by benchmarks/quality.py.
Writes benchmarks/out/ingest.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

from rag.sentences import split_sentences  # noqa: E402

WORK = pc.OUT / "ingest"
SUMMARY = re.compile(r"added (\d+), unchanged (\d+), replaced (\d+), failed (\d+) "
                     r"\((\d+) chunks, (\d+) sentences embedded, ([\d.]+) s\)")
EDIT = " وأكدت مصادر مطلعة صحة هذه المعلومات."


def ours(path: Path, db: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    pc.log(f"Isnad ingest {path.name} -> {db.name} {env or ''}")
    quiet = pc.wait_quiet(skip=args.no_wait)
    run = pc.run_timed([sys.executable, "-m", "rag", "ingest", str(path), "--db", str(db), "--quiet"],
                       env=pc.child_env(**env))
    m = SUMMARY.search(str(run["stdout"]))
    if not m:
        raise RuntimeError(f"unexpected CLI output: {run['stdout']!r}")
    added, unchanged, replaced, failed, chunks, embedded = (int(x) for x in m.groups()[:6])
    return {"wall_s": run["wall_s"], "ingest_call_s": float(m.group(7)), "peak_rss_mb": run["peak_rss_mb"],
            "added": added, "unchanged": unchanged, "replaced": replaced, "failed": failed,
            "chunks": chunks, "embedded": embedded, "other_cpu_cores": run["other_cpu_cores"], **quiet}


def naive(path: Path, db: Path, args: argparse.Namespace) -> dict[str, object]:
    pc.log(f"naive LangChain ingest {path.name}")
    quiet = pc.wait_quiet(skip=args.no_wait)
    run = pc.run_timed([sys.executable, str(pc.BENCH / "perf_naive.py"), "ingest", "--input", str(path),
                        "--db", str(db)])
    inner = json.loads(str(run["stdout"]).strip().splitlines()[-1])
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"],
            "other_cpu_cores": run["other_cpu_cores"], **inner, **quiet}


def edited_copy(src: Path, dst: Path, n: int = 10, seed: int = 1) -> list[str]:
    """Copy `src` with one sentence added after the middle sentence of `n` random articles."""
    lines = src.read_text(encoding="utf-8").splitlines()
    picks = set(random.Random(seed).sample(range(len(lines)), n))
    ids = []
    for i in picks:
        rec = json.loads(lines[i])
        text = rec["text"].strip()
        spans = split_sentences(text)
        end = spans[len(spans) // 2][1]
        rec["text"] = text[:end] + EDIT + text[end:]
        lines[i] = json.dumps(rec, ensure_ascii=False)
        ids.append(rec["id"])
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def progress_bar_check(path: Path) -> str:
    """The CLI's tqdm bar (hash embedder, fast): its last state, rate and ETA included."""
    db = WORK / "progress-db"
    shutil.rmtree(db, ignore_errors=True)
    run = pc.run_timed([sys.executable, "-m", "rag", "ingest", str(path), "--db", str(db)],
                       env=pc.child_env(RAG_EMBED_MODEL="hash"))
    states = list(dict.fromkeys(s.strip() for s in re.split(r"[\r\n]", str(run["stderr"])) if "article" in s))
    return " … ".join(states[len(states) // 2: len(states) // 2 + 1] + states[-1:])


def rate(r: dict[str, object], articles: int) -> tuple[float, float]:
    wall = float(r["wall_s"])  # type: ignore[arg-type]
    return round(articles / wall, 2), round(int(r["chunks"]) / wall, 2)  # type: ignore[call-overload]


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    return sorted(runs, key=lambda r: float(r["wall_s"]))[len(runs) // 2]  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", type=Path, default=pc.DEMO)
    p.add_argument("--reps", type=int, default=1, help="cold runs per pipeline, alternating order")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:RAG_X=V,...",
                   help="extra cold Isnad run with these settings (repeatable)")
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine (smoke tests)")
    args = p.parse_args(argv)
    pc.require(args.input)
    WORK.mkdir(parents=True, exist_ok=True)
    n_articles = len(pc.load_demo(args.input))
    result: dict[str, object] = {"meta": pc.meta("python benchmarks/" + " ".join(["ingest.py", *sys.argv[1:]])),
                                 "input": str(args.input), "articles": n_articles}
    cold: dict[str, list[dict[str, object]]] = {"isnad": [], "naive": []}
    ours_db = WORK / "isnad-db"
    for rep in range(args.reps):
        order = ["naive", "isnad"] if rep % 2 == 0 else ["isnad", "naive"]
        for name in order:
            if name == "naive" and args.skip_naive:
                continue
            db = ours_db if name == "isnad" else WORK / "naive-db"
            shutil.rmtree(db, ignore_errors=True)
            cold[name].append(ours(args.input, db, args, {}) if name == "isnad" else naive(args.input, db, args))
            pc.log(f"  {name}: {cold[name][-1]['wall_s']} s")
    result["cold"] = cold
    variants = {}
    for spec in args.variant:
        name, _, pairs = spec.partition(":")
        env = dict(kv.split("=", 1) for kv in pairs.split(",") if kv)
        db = WORK / f"isnad-db-{name}"
        shutil.rmtree(db, ignore_errors=True)
        variants[name] = {"env": env, **ours(args.input, db, args, env)}
    result["variants"] = variants
    # the last cold Isnad index (ours_db) is the one re-ingested
    result["reingest_unchanged"] = ours(args.input, ours_db, args, {})
    edited = WORK / "edited10.jsonl"
    edited_ids = edited_copy(args.input, edited)
    result["reingest_edited"] = {"edited_ids": edited_ids, **ours(edited, ours_db, args, {})}
    result["progress_bar"] = progress_bar_check(args.input)

    rows = []
    best = {k: median_run(v) for k, v in cold.items() if v}
    labels = {"naive": "naive LangChain (1000/200, from_documents)", "isnad": "Isnad (`python -m rag ingest`)"}
    for name, label in labels.items():
        if name in best:
            r = best[name]
            a_s, c_s = rate(r, n_articles)
            walls = ", ".join(str(x["wall_s"]) for x in cold[name])
            rows.append([label, walls, a_s, r["chunks"], c_s, r["peak_rss_mb"], r["other_cpu_cores"]])
    for name, r in variants.items():
        a_s, c_s = rate(r, n_articles)
        rows.append([f"Isnad, {name} ({', '.join(f'{k}={v}' for k, v in r['env'].items())})",  # type: ignore[union-attr]
                     r["wall_s"], a_s, r["chunks"], c_s, r["peak_rss_mb"], r["other_cpu_cores"]])
    print(f"### Cold ingestion of {n_articles} articles into an empty index (fresh process, start-up included)\n")
    print(pc.md_table(["pipeline", "wall s (each run)", "articles/s", "chunks", "chunks/s", "peak RSS MB",
                       "other procs' CPU (cores)"], rows))
    if "naive" in best and "isnad" in best:
        speedup = round(float(best["naive"]["wall_s"]) / float(best["isnad"]["wall_s"]), 2)  # type: ignore[arg-type]
        result["speedup_vs_naive"] = speedup
        print(f"\nIsnad / naive articles/s: {speedup}x (target >= 1.5x, the naive pipeline with its float32 defaults)")
    ru, re_ = result["reingest_unchanged"], result["reingest_edited"]
    edited_chunks = _chunks_of(ours_db, edited_ids)
    result["edited_articles_chunks"] = edited_chunks
    print("\n### Re-ingest into the same index\n")
    print(pc.md_table(
        ["input", "wall s (process)", "ingest call s", "unchanged", "replaced", "chunks written", "embedded"],
        [[label, r["wall_s"], r["ingest_call_s"], r["unchanged"], r["replaced"], r["chunks"], r["embedded"]]  # type: ignore[index]
         for label, r in (("same file", ru), ("10 articles edited", re_))]))
    print(f"\nThe 10 edited articles have {edited_chunks} chunks now; {re_['embedded']} went through the model.")  # type: ignore[index]
    print(f"CLI progress bar (tqdm): {result['progress_bar']}")
    if len(cold["isnad"]) > 1:
        result["isnad_wall_stdev_s"] = round(statistics.stdev(float(r["wall_s"]) for r in cold["isnad"]), 2)  # type: ignore[arg-type]
    pc.write_json("ingest.json", result)
    return 0


def _chunks_of(db: Path, ids: list[str]) -> int:
    from rag.embedder import make_embedder
    from rag.index import Index
    from rag.settings import Settings

    index = Index(db, make_embedder(Settings.from_env({})))  # named, never loaded: nothing is embedded
    return sum(len(index.chunks_of(a)) for a in ids)


if __name__ == "__main__":
    sys.exit(main())
