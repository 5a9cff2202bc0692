"""Start-up benchmark: `python app.py` until it serves (HTTP 200 on /) with an existing index.

    python benchmarks/startup.py [--db seed] [--db 2300] [--runs 3] [--idle-after 20] [--no-wait]

`--db seed` is the index of the seed corpus (corpus/), kept in benchmarks/out/startup/seed-db;
`--db 2300` is a copy (benchmarks/out/startup/db-2300) of the 2,300-article index that
`python benchmarks/latency.py --build-only` builds in benchmarks/out/perf-db-2300 (the copy keeps
app.py's own ingest of corpus/ out of the latency index); any other value is an index folder.
For each index one untimed priming start (it ingests corpus/ the first time and warms the page
cache) is followed by `--runs` timed starts: the time from process start until GET / answers 200,
the peak RSS of the process (psutil, every 0.1 s) and the idle RSS `--idle-after` seconds after
it began serving. Before every timed start the 1-minute load average must fall below 1.5.
Writes benchmarks/out/startup.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

WORK = pc.OUT / "startup"


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start_once(db: Path, idle_after: float, timeout: float = 300) -> dict[str, object]:
    port = pc.free_port()
    log_path = WORK / f"app-{db.name}.log"
    with pc.CpuWatch() as cpu, log_path.open("w") as log_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(pc.ROOT / "app.py")], cwd=pc.ROOT, stdout=log_file,
                                stderr=subprocess.STDOUT,
                                env=pc.child_env(RAG_DB_DIR=str(db), RAG_PORT=str(port)))
        sampler = pc.RssSampler(proc.pid)
        sampler.start()
        try:
            while not serving(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited with {proc.returncode}; see {log_path}")
                if time.perf_counter() - t0 > timeout:
                    raise RuntimeError(f"app.py not serving after {timeout} s; see {log_path}")
                time.sleep(0.1)
            ready = time.perf_counter() - t0
            time.sleep(idle_after + 0.5)
        finally:
            sampler.stop()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log_path.read_text(errors="replace")
    corpus = re.search(r"corpus: (added .*)", text)
    return {"ready_s": round(ready, 2), "peak_rss_mb": sampler.peak_mb,
            "idle_rss_mb": sampler.at_mb(ready + idle_after - (sampler.t0 - t0)),
            "corpus_ingest": corpus.group(1) if corpus else "", "other_cpu_cores": cpu.other_cores}


def resolve(name: str) -> Path | None:
    if name == "seed":
        return WORK / "seed-db"
    if name == "2300":
        src, dst = pc.OUT / "perf-db-2300", WORK / "db-2300"
        if not (src / "isnad.sqlite3").exists():
            print(f"skipped --db 2300: {src} does not exist; build it with "
                  "`python benchmarks/latency.py --build-only`", file=sys.stderr)
            return None
        if not dst.exists():
            pc.log(f"copying {src} -> {dst}")
            shutil.copytree(src, dst)
        return dst
    return Path(name)


def articles_in(db: Path) -> int:
    from rag.embedder import make_embedder
    from rag.index import Index
    from rag.settings import Settings

    return len(Index(db, make_embedder(Settings.from_env({}))).list_articles())  # the model is never loaded


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", action="append", help="seed, 2300 or an index folder (repeatable; default both)")
    p.add_argument("--runs", type=int, default=3, help="timed starts per index")
    p.add_argument("--idle-after", type=float, default=20.0, help="idle RSS this many s after serving")
    p.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine (smoke tests)")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"meta": pc.meta("python benchmarks/" + " ".join(["startup.py", *sys.argv[1:]]))}
    rows = []
    for name in args.db or ["seed", "2300"]:
        db = resolve(name)
        if db is None:
            continue
        pc.log(f"{name}: priming start (untimed) with RAG_DB_DIR={db}")
        priming = start_once(db, idle_after=0)
        runs = []
        for i in range(args.runs):
            quiet = pc.wait_quiet(skip=args.no_wait)
            runs.append({**start_once(db, args.idle_after), **quiet})
            pc.log(f"{name} run {i + 1}: serving after {runs[-1]['ready_s']} s, peak "
                   f"{runs[-1]['peak_rss_mb']} MB, idle {runs[-1]['idle_rss_mb']} MB")
        n = articles_in(db)
        result[name] = {"db": str(db), "articles": n, "disk_mb": pc.dir_mb(db), "priming": priming, "runs": runs}
        ready = sorted(float(r["ready_s"]) for r in runs)  # type: ignore[arg-type]
        rows.append([name, n, pc.dir_mb(db), ", ".join(str(r["ready_s"]) for r in runs), ready[len(ready) // 2],
                     max(float(r["peak_rss_mb"]) for r in runs),  # type: ignore[arg-type]
                     sorted(float(r["idle_rss_mb"]) for r in runs)[len(runs) // 2],  # type: ignore[arg-type]
                     runs[-1]["corpus_ingest"], max(float(r["other_cpu_cores"]) for r in runs)])  # type: ignore[arg-type]
    print(pc.md_table(["index", "articles", "disk MB", "ready s (each run)", "median s", "peak RSS MB",
                       "idle RSS MB (median)", "app's corpus/ ingest", "other procs' CPU (cores, max)"], rows))
    pc.write_json("startup.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
