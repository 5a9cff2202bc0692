"""Loopback load test: N chat clients ask for a fixed time while articles are imported twice at
once — through the app's add_article API and by `rag ingest` in another process on the same
index.

    python benchmarks/load.py [--clients 4] [--seconds 120] [--articles 60] [--apps 1] [--servers]

Starts `--apps` processes of `python app.py` (the real model) on one fresh index (the first
indexes corpus/) — in the index folder, or with `--servers` on PostgreSQL + a `chroma run` server
started here (scripts/postgres.sh provides PostgreSQL; a fresh database per run) — then at once:
* `--clients` threads, each its own gradio_client.Client on the apps in turn, ask `/ask` in a loop
  until the time is up (questions made from the titles of the articles being imported);
* `python -m rag ingest` of the first half of `--articles` articles of demo_300 (its own process,
  the same folder);
* one more client adds the second half through `/add_article`, one by one.
Bounded in time and count: the clients stop after `--seconds`, the imports must finish within
`--import-timeout`. Afterwards: every imported article is present exactly once, `rag check` is
healthy, and an article imported by the CLI is answered by the app (its vectors were seen).
Reports throughput, p50/p95 answer latency, errors (must be 0). Writes benchmarks/out/load.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import perf_common as pc  # noqa: E402


def start_servers(work: Path, procs: list[subprocess.Popen[bytes]]) -> dict[str, str]:
    """A fresh PostgreSQL database (scripts/postgres.sh) and a `chroma run` server on loopback."""
    import uuid

    url = pc.database(pc.postgres_admin(), f"isnad_load_{uuid.uuid4().hex[:8]}")
    port = pc.free_port()
    procs.append(pc.start_chroma(work / "chroma", port, work / "chroma.log"))
    return {"RAG_DATABASE_URL": url, "RAG_CHROMA_URL": f"http://127.0.0.1:{port}"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--articles", type=int, default=60, help="articles of demo_300 to import (half each way)")
    p.add_argument("--import-timeout", type=float, default=1800.0)
    p.add_argument("--apps", type=int, default=1, help="app processes on the same index")
    p.add_argument("--servers", action="store_true", help="PostgreSQL + a Chroma server instead of the folder")
    args = p.parse_args(argv)
    from gradio_client import Client

    articles = pc.load_demo()[: args.articles]
    by_cli, by_api = articles[: len(articles) // 2], articles[len(articles) // 2:]
    work = Path(tempfile.mkdtemp(prefix="isnad-load-"))
    db = work / "db"
    jsonl = work / "cli.jsonl"
    jsonl.write_text("".join(json.dumps({"id": a.id, "title": a.title, "text": a.text, "date": a.date,
                                         "source": a.source, "url": a.url}, ensure_ascii=False) + "\n"
                             for a in by_cli), encoding="utf-8")
    questions = pc.make_questions(articles, 40)
    servers: list[subprocess.Popen[bytes]] = []
    env = pc.child_env(RAG_DB_DIR=str(db), RAG_HOST="127.0.0.1")
    if args.servers:
        env.update(start_servers(work, servers))
    apps, urls = [], []
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    try:
        for n in range(args.apps):
            port = pc.free_port()
            urls.append(f"http://127.0.0.1:{port}/")
            with (work / f"app{n}.log").open("w") as log:
                apps.append(subprocess.Popen([sys.executable, "app.py"], cwd=pc.ROOT, stdout=log,
                                             env={**env, "RAG_PORT": str(port)}, stderr=subprocess.STDOUT))
            pc.wait_http(urls[-1], 900)  # one at a time: the first indexes corpus/
        pc.log(f"{args.apps} app(s) on {', '.join(urls)}{' (PostgreSQL + Chroma server)' if args.servers else ''}; "
               f"{args.clients} clients for {args.seconds:.0f} s, importing {len(by_cli)} "
               f"articles by the CLI and {len(by_api)} through the API at once")
        start = time.monotonic()
        deadline = start + args.seconds

        def asker(n: int) -> None:
            client = Client(urls[n % len(urls)], verbose=False)
            i = n
            while time.monotonic() < deadline:
                q = questions[i % len(questions)]["q"]
                i += args.clients
                t0 = time.perf_counter()
                try:
                    result = client.predict(q, api_name="/ask")
                    if not result.get("citations") and not result.get("passages"):
                        raise RuntimeError(f"no citation and no passage for {q!r}")
                    with lock:
                        latencies.append((time.perf_counter() - t0) * 1000)
                except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                    with lock:
                        errors.append(f"ask {q!r}: {exc!r}"[:300])

        api_done: dict[str, object] = {}

        def api_importer() -> None:
            client = Client(urls[-1], verbose=False)
            t0 = time.monotonic()
            statuses, api_ids = [], []
            for a in by_api:
                r = client.predict(title=a.title, text=a.text, date=a.date or "", source=a.source or "",
                                   url=a.url or "", api_name="/add_article")
                statuses.append(r.get("status"))
                api_ids.append(r.get("id"))
                if r.get("status") == "error":
                    with lock:
                        errors.append(f"add_article {a.id}: {r.get('errors')}")
            api_done.update(seconds=round(time.monotonic() - t0, 1), statuses=statuses, ids=api_ids)

        cli = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(jsonl), "--db", str(db)], cwd=pc.ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threads = [threading.Thread(target=asker, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=api_importer))
        for t in threads:
            t.start()
        for t in threads[:-1]:
            t.join()
        asked_s = time.monotonic() - start
        threads[-1].join(timeout=args.import_timeout)
        cli_out, cli_err = cli.communicate(timeout=args.import_timeout)
        import_s = time.monotonic() - start
        if cli.returncode != 0:
            errors.append(f"rag ingest exited {cli.returncode}: {cli_err[-500:]}")
        check = subprocess.run([sys.executable, "-m", "rag", "check", "--json", "--db", str(db)], cwd=pc.ROOT,
                               env=env, capture_output=True, text=True, timeout=600)
        listed = subprocess.run([sys.executable, "-m", "rag", "list", "--json", "--db", str(db)], cwd=pc.ROOT,
                                env=env, capture_output=True, text=True, timeout=600)
        ids = [a["id"] for a in json.loads(listed.stdout)] if listed.returncode == 0 else []
        expected = [a.id for a in by_cli] + list(api_done.get("ids", []))  # type: ignore[arg-type]
        missing = [i for i in expected if ids.count(i) != 1] + ["?"] * (len(articles) - len(expected))
        probe = by_cli[-1]
        cli_seen = True
        for u in urls:  # every app answers from an article another process imported
            seen = Client(u, verbose=False).predict(probe.title, api_name="/ask")
            cli_seen &= any(c["article_id"] == probe.id for c in seen.get("citations", []) + seen.get("passages", []))
    finally:
        for proc in [*apps, *servers]:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    result = {
        **pc.meta(" ".join(["python", "benchmarks/load.py", *(argv or sys.argv[1:])])),
        "apps": args.apps, "mode": "PostgreSQL + Chroma server" if args.servers else "index folder",
        "clients": args.clients, "seconds": round(asked_s, 1), "answers": len(latencies),
        "answers_per_s": round(len(latencies) / asked_s, 2), "latency_ms": pc.p50_p95(latencies),
        "errors": len(errors), "error_samples": errors[:5],
        "imported": {"cli": len(by_cli), "api": len(by_api), "all_done_s": round(import_s, 1),
                     "api_s": api_done.get("seconds"), "cli_exit": cli.returncode},
        "every_article_once": not missing, "missing_or_duplicated": missing[:10],
        "check_exit": check.returncode, "cli_article_answered_by_app": cli_seen,
    }
    pc.write_json("load.json", result)
    print(pc.md_table(
        ["mode", "apps", "clients", "time (s)", "answers", "answers/s", "p50 ms", "p95 ms", "errors",
         "imported (CLI + API)", "imports done (s)", "each once", "rag check", "CLI article seen by every app"],
        [[result["mode"], args.apps, args.clients, result["seconds"], len(latencies), result["answers_per_s"],
          result["latency_ms"]["p50"], result["latency_ms"]["p95"], len(errors), f"{len(by_cli)} + {len(by_api)}",
          result["imported"]["all_done_s"],
          "yes" if not missing else f"no ({len(missing)})", "healthy" if check.returncode == 0 else "NOT healthy",
          "yes" if cli_seen else "no"]]))
    ok = not errors and not missing and check.returncode == 0 and cli_seen
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
