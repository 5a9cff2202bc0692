"""Shared helpers of the performance benchmarks (ingest, latency, scale, startup).

* data: the demo file and the first N ids of news_bench from the three news corpora
  (../shared/data, see its README); a clear message and exit status 2 when absent;
* quiet machine: `wait_quiet()` polls the 1-minute load average before a measured run, and
  `CpuWatch` records how many cores *other* processes used while it ran;
* memory: `RssSampler` samples the RSS of a process tree every 0.1 s (psutil);
* questions: `make_questions()` (titles of random indexed articles + fixed English questions);
* reporting: percentiles, markdown tables, run metadata (date, commit, machine) and JSON output.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DATA = ROOT.parent / "shared" / "data"
ANT = DATA / "news_ant_multisource" / "articles.jsonl.gz"  # five Arabic outlets, 2012-2018


def missing(path: Path) -> bool:
    """True (and says so) when a data file of ../shared/data is not there: the benchmark skips."""
    if path.is_file():
        return False
    print(f"SKIPPED: {path} is not there (../shared/data, see its README)", file=sys.stderr)
    return True


def ant_records() -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of every article of the ANT multisource corpus."""
    with gzip.open(ANT, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            yield i, json.loads(line)
DEMO = DATA / "news_demo" / "demo_300.jsonl"
BENCH_IDS = DATA / "news_bench" / "clean_ids_shuffled_seed42.txt"
CORPORA = [DATA / d / "articles.jsonl.gz" for d in
           ("news_ant_multisource", "news_ant_jawharafm", "news_saudinewsnet")]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
sys.path.insert(0, str(ROOT))

from rag.ingest.loaders import article_from_record  # noqa: E402
from rag.types import Article  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"skipped: benchmark data not found ({', '.join(missing)}); it lives in ../shared/data "
              "next to the repository, see ../shared/data/README.md", file=sys.stderr)
        sys.exit(2)


# ---------------------------------------------------------------- servers for server mode, on loopback
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answered on {url} within {timeout:.0f} s")


def postgres_admin() -> str:
    """The URL of the local PostgreSQL role that may create databases (scripts/postgres.sh installs,
    starts and prints it)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"PostgreSQL could not be had (scripts/postgres.sh): {done.stderr.strip()[-500:]}")
    return done.stdout.strip().splitlines()[-1]


def database(admin: str, name: str, fresh: bool = True) -> str:
    """The URL of database `name` (dropped and made anew when `fresh`)."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if fresh and exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if fresh or not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_chroma(path: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port over `path`; returns once it answers. The caller stops it."""
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                env=child_env())
    wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60)
    return proc


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(ROOT)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# ---------------------------------------------------------------- data
def load_demo(path: Path = DEMO) -> list[Article]:
    require(path)
    with path.open(encoding="utf-8") as fh:
        return [article_from_record(json.loads(line), source=str(path), line=i)
                for i, line in enumerate(fh, 1) if line.strip()]


def bench_ids(n: int) -> list[str]:
    require(BENCH_IDS)
    with BENCH_IDS.open(encoding="utf-8") as fh:
        ids = [line.strip() for _, line in zip(range(n), fh, strict=False) if line.strip()]
    if len(ids) < n:
        raise SystemExit(f"{BENCH_IDS} has only {len(ids)} ids, {n} asked")
    return ids


def load_news(n: int) -> list[Article]:
    """The first `n` ids of news_bench, in that order, as Articles."""
    require(*CORPORA)
    ids = bench_ids(n)
    wanted = set(ids)
    found: dict[str, Article] = {}
    for path in CORPORA:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                rec = json.loads(line)
                if rec["id"] in wanted:
                    found[rec["id"]] = article_from_record(rec, source=str(path), line=i)
    missing = [i for i in ids if i not in found]
    if missing:
        raise SystemExit(f"{len(missing)} news_bench ids not in the corpora, e.g. {missing[:3]}")
    return [found[i] for i in ids]


# ---------------------------------------------------------------- questions
EN_QUESTIONS = [
    "Who won the 2018 World Cup?", "What did Saudi Arabia announce about its non-oil revenues?",
    "What happened in the Syrian province of Idlib?", "How did oil prices change?",
    "What did Donald Trump say about the Iran nuclear deal?", "What is the latest on the war in Yemen?",
    "How many MERS coronavirus cases did the Saudi health ministry report?",
    "What did the Tunisian interior ministry say about terrorism?", "What happened to the Turkish lira?",
    "When were Saudi women allowed to drive?", "What did the United Nations say about refugees?",
    "What did Russia say about the Syrian conflict?", "What happened in Gaza?",
    "What were the results of the Iraqi elections?", "What new phone did Apple announce?",
    "How did the Egyptian economy grow?", "Which club won the Saudi football league?",
    "What did Qatar say about the boycott by its neighbours?", "How was the Hajj season organised?",
    "What did the Tunisian government decide about fuel prices?",
]
AR_TEMPLATES = ["{t}", "ما تفاصيل خبر «{t}»؟", "ماذا حدث: {t}؟"]


def make_questions(articles: Sequence[Article], n: int = 100, seed: int = 7,
                   n_en: int = 20) -> list[dict[str, str]]:
    """`n - n_en` Arabic questions from the titles of random indexed articles (as they are, or in
    one of two question templates, in turn) and `n_en` fixed English news questions."""
    rng = random.Random(seed)
    picks = rng.sample(list(articles), n - n_en)
    out = [{"q": AR_TEMPLATES[i % 3].format(t=a.title.strip().rstrip("؟?.")), "lang": "ar",
            "article_id": a.id} for i, a in enumerate(picks)]
    out += [{"q": q, "lang": "en", "article_id": ""} for q in EN_QUESTIONS[:n_en]]
    return out


# ---------------------------------------------------------------- quiet machine, CPU, memory
def wait_quiet(threshold: float = 1.5, poll_s: float = 30, max_wait_s: float = 45 * 60,
               skip: bool = False) -> dict[str, float | bool]:
    """Block until the 1-minute load average is below `threshold` (or give up after max_wait_s)."""
    start = time.time()
    while not skip:
        load = os.getloadavg()[0]
        if load < threshold:
            break
        if time.time() - start > max_wait_s:
            log(f"load still {load:.2f} after {max_wait_s / 60:.0f} min: measuring anyway (NOT QUIET)")
            return {"load_1m": load, "waited_s": round(time.time() - start), "quiet": False}
        log(f"waiting for a quiet machine: 1-min load {load:.2f} >= {threshold} "
            f"(waited {time.time() - start:.0f} s)")
        time.sleep(poll_s)
    load = os.getloadavg()[0]
    return {"load_1m": round(load, 2), "waited_s": round(time.time() - start), "quiet": load < threshold}


def _busy() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


class CpuWatch:
    """CPU seconds spent by other processes while the block ran, as cores (0 = quiet)."""

    def __enter__(self) -> CpuWatch:
        self.t, self.busy, self.own = time.perf_counter(), _busy(), sum(os.times()[:4])
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.t
        own = sum(os.times()[:4]) - self.own  # this process + the children it has waited for
        self.other_cores = round(max(0.0, (_busy() - self.busy - own) / max(wall, 1e-9)), 2)


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


class RssSampler(threading.Thread):
    """Samples the RSS of a process and its children every `interval` s until `stop()`."""

    def __init__(self, pid: int | None = None, interval: float = 0.1):
        super().__init__(daemon=True)
        self.proc, self.interval = psutil.Process(pid or os.getpid()), interval
        self.samples: list[tuple[float, int]] = []
        self.t0 = time.perf_counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append((time.perf_counter() - self.t0, tree_rss(self.proc)))
            except psutil.Error:
                break
            self._stop_event.wait(self.interval)

    def stop(self) -> RssSampler:
        self._stop_event.set()
        self.join()
        return self

    @property
    def peak_mb(self) -> float:
        return round(max((r for _, r in self.samples), default=0) / 2**20, 1)

    def at_mb(self, t: float) -> float:
        """RSS of the first sample taken at or after `t` s (the last one if none)."""
        later = [r for s, r in self.samples if s >= t] or [self.samples[-1][1]]
        return round(later[0] / 2**20, 1)


def run_timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
              timeout: float | None = None) -> dict[str, object]:
    """Run a fresh process; wall time from its start to its exit, peak RSS of its tree."""
    with CpuWatch() as cpu:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env or child_env(), cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        sampler = RssSampler(proc.pid)
        sampler.start()
        out, err = proc.communicate(timeout=timeout)
        wall = time.perf_counter() - t0
        sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": sampler.peak_mb, "stdout": out, "stderr": err,
            "other_cpu_cores": cpu.other_cores}


def dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


# ---------------------------------------------------------------- reporting
def pct(values: Iterable[float], p: float) -> float:
    vals = sorted(values)
    if not vals:
        return float("nan")
    k = (len(vals) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def p50_p95(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(pct(values, 50), 1), "p95": round(pct(values, 95), 1),
            "mean": round(sum(values) / len(values), 1) if values else float("nan")}


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def meta(command: str) -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    from rag.precision import choose_precision, cpu_profile

    cpu = cpu_profile()
    dtype = os.environ.get("RAG_EMBED_DTYPE", "auto")
    chosen = choose_precision(dtype, "cpu", cpu)
    return {"command": command, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "rag", "app.py")),
            "machine": f"{os.cpu_count()} cores, {cpu.describe()}, CPU only",
            "cpu": cpu.as_dict(),
            "precision": {"RAG_EMBED_DTYPE": dtype, "dtype": chosen.dtype, "reason": chosen.reason,
                          "runtime": "torch"},
            "python": platform.python_version()}


def write_json(name: str, data: dict[str, object]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    log(f"wrote {path}")
    return path
