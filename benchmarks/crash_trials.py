"""Crash trials: SIGKILL `rag ingest`, a replacing ingest and a run of deletes at seeded random moments.

    python benchmarks/crash_trials.py [--trials 20] [--seed 7] [--servers [--kill chroma|postgres]] [--out FILE]

Each trial works on a fresh copy of an index (the hash embedder: crash safety is about the stores,
not the model) and kills a real `python -m rag` process at a moment drawn from the seeded random
generator, between 0 and the duration of an uninterrupted run. With `--servers` the index lives on
PostgreSQL (a fresh database per trial, from scripts/postgres.sh's role) and a `chroma run` server
started here; a trial's starting index is then imported anew instead of copied. `--kill chroma` or
`--kill postgres` kills that server instead, under the running command (which must end with a message,
not hang or print a traceback), and starts it again before the checks. After each kill it checks, with
the product's own tools in new processes:
* `rag check --json` is healthy (it opens the index, which finishes or removes interrupted work):
  no pending article, no chunk whose text is not its span, no lexical row or Chroma vector missing
  or orphaned;
* the article count is right: ingest ≤ 300 with unique ids; replace = 300, each article either its
  old or its new version, never a mix; delete = 300 minus the deletions that finished, the deleted
  ones gone everywhere;
* an answer's citations are verbatim spans of `rag show`.
Then it runs the interrupted command again to the end and checks the count once more.
Writes benchmarks/out/crash_trials.json; prints a table. Needs ../shared/data/news_demo.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import perf_common as pc  # noqa: E402

N = 300


SERVERS: dict[str, str] = {}  # with --servers: RAG_CHROMA_URL (each index's RAG_DATABASE_URL is in DATABASES)
POSTGRES_ADMIN: list[str] = []  # with --servers: the URL that may create databases
DATABASES: dict[str, str] = {}  # index folder -> its PostgreSQL database URL


def env(db: Path | None = None) -> dict[str, str]:
    """The environment of a `rag` process on index `db` (in server mode: its database)."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    out |= pc.OFFLINE | {"RAG_EMBED_MODEL": "hash", "PYTHONPATH": str(ROOT)} | SERVERS
    if SERVERS and db is not None:
        out["RAG_DATABASE_URL"] = DATABASES[str(db)]
    return out


def new_index(db: Path) -> None:
    """An empty index at `db`: the folder's parent, and in server mode a fresh database."""
    db.parent.mkdir(parents=True, exist_ok=True)
    if SERVERS:
        DATABASES[str(db)] = pc.database(POSTGRES_ADMIN[0], database_name(db))


def database_name(db: Path) -> str:
    return "isnad_crash_" + db.parent.name.replace("-", "_")  # each index is WORK/<name>/db


def drop_index(db: Path) -> None:
    shutil.rmtree(db.parent, ignore_errors=True)
    if SERVERS:
        pc.drop_database(POSTGRES_ADMIN[0], database_name(db))


def db_of(cmd: list[str]) -> Path:
    """The index a `rag` command line works on (after --db, or the delete script's first argument)."""
    return Path(cmd[cmd.index("--db") + 1] if "--db" in cmd else cmd[3])


@dataclass
class Victim:
    """What --kill kills: `rag` (the command), or `chroma` / `postgres` (a server under it)."""

    what: str = "rag"
    chroma: subprocess.Popen[bytes] | None = None  # with --servers: the `chroma run` of the trials
    chroma_path: Path = Path()
    chroma_port: int = 0
    postgres_version: str = ""


VICTIM = Victim()


def run_and_kill(cmd: list[str], after_s: float) -> tuple[bool, list[str]]:
    """Start `cmd`; after `after_s` seconds SIGKILL it (or, with --kill chroma/postgres, kill that server
    under it, wait for the command to end and start the server again). Returns (it was still running
    then, problems seen: a command that hangs on a dead server, or ends in a traceback)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(db_of(cmd)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.communicate(timeout=after_s)
        return False, []
    except subprocess.TimeoutExpired:
        pass
    if VICTIM.what == "rag":
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return True, []
    kill_server()
    problems = []
    try:
        _, err = proc.communicate(timeout=180)
        if "Traceback" in err:
            problems.append(f"a traceback instead of a message: {err.strip()[-400:]}")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        problems.append(f"the command still ran 180 s after {VICTIM.what} died")
    start_server()
    return True, problems


def kill_server() -> None:
    if VICTIM.what == "chroma" and VICTIM.chroma is not None:
        VICTIM.chroma.send_signal(signal.SIGKILL)
        VICTIM.chroma.wait()
    else:  # the local cluster of scripts/postgres.sh, stopped as by a crash (no shutdown checkpoint)
        subprocess.run(["pg_ctlcluster", VICTIM.postgres_version, "main", "stop", "-m", "immediate"], check=True)


def start_server() -> None:
    if VICTIM.what == "chroma":
        VICTIM.chroma = pc.start_chroma(VICTIM.chroma_path, VICTIM.chroma_port,
                                        VICTIM.chroma_path.parent / "chroma-server.log")
    else:
        subprocess.run(["pg_ctlcluster", VICTIM.postgres_version, "main", "start"], check=True)


def timed(cmd: list[str]) -> float:
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env(db_of(cmd)), capture_output=True, text=True, timeout=600)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-1000:]}")
    return time.monotonic() - t0


CHECKER = """
import json, sys
from rag.engine import Isnad
from rag.settings import Settings
isnad = Isnad(Settings.from_env(db_dir=sys.argv[1]))
isnad.index.open()  # what every restart does: finish or remove interrupted work
report = isnad.check()
articles = isnad.export()
out = {"ok": report.ok, "problems": report.problems, "ids": [a.id for a in articles],
       "tails": {a.id: a.text[-60:] for a in articles}, "verbatim": True}
if articles:
    answer = isnad.ask(articles[len(articles) // 2].title, k=3)
    out["verbatim"] = all(isnad.get(c.article_id).text[c.start:c.end] == c.quote for c in answer.citations)
print(json.dumps(out, ensure_ascii=False))
"""


def verify(db: Path, expect: dict[str, str] | None, bounds: tuple[int, int]) -> list[str]:
    """Problems found after a crash ([] = none), checked in a new process with the product's own
    reads. `expect`: id -> "old tail|new tail", the two versions an article may be in."""
    done = subprocess.run([sys.executable, "-c", CHECKER, str(db)], cwd=ROOT, env=env(db), capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        return [f"the index cannot be opened: {done.stderr[-500:]}"]
    got = json.loads(done.stdout.splitlines()[-1])
    problems = [] if got["ok"] else [f"rag check: {got['problems']}"]
    ids = got["ids"]
    if len(ids) != len(set(ids)):
        problems.append("duplicate article ids")
    if not bounds[0] <= len(ids) <= bounds[1]:
        problems.append(f"{len(ids)} articles, expected {bounds[0]}-{bounds[1]}")
    if expect is not None:
        mixed = [i for i, tail in got["tails"].items() if not any(tail.endswith(x) for x in expect[i].split("|"))]
        if mixed:
            problems.append(f"{len(mixed)} articles are neither their old nor their new version, e.g. {mixed[0]}")
    if not got["verbatim"]:
        problems.append("a citation is not verbatim")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20, help="trials of each kind")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--servers", action="store_true", help="PostgreSQL + a `chroma run` server instead of a folder")
    p.add_argument("--kill", choices=["rag", "chroma", "postgres"], default="rag",
                   help="what to SIGKILL: the `rag` process (default), or with --servers the Chroma server or "
                        "PostgreSQL under it (the local cluster of scripts/postgres.sh, stopped in immediate mode)")
    p.add_argument("--out", type=Path, default=None,
                   help="default benchmarks/out/crash_trials.json (crash_trials_servers.json with --servers)")
    args = p.parse_args(argv)
    if args.kill != "rag" and not args.servers:
        p.error("--kill chroma or postgres needs --servers")
    pc.require(pc.DEMO)
    name = "crash_trials" + ("_servers" if args.servers else "") + ("" if args.kill == "rag" else f"_kill_{args.kill}")
    out = args.out or pc.OUT / f"{name}.json"
    work = Path(tempfile.mkdtemp(prefix="isnad-crash-"))
    VICTIM.what = args.kill
    if args.servers:
        VICTIM.chroma_path, VICTIM.chroma_port = work / "chroma-server", pc.free_port()
        VICTIM.postgres_version = max((p.name for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit()),
                                      key=int, default="15")
        VICTIM.chroma = pc.start_chroma(VICTIM.chroma_path, VICTIM.chroma_port, work / "chroma-server.log")
        SERVERS["RAG_CHROMA_URL"] = f"http://127.0.0.1:{VICTIM.chroma_port}"
        POSTGRES_ADMIN.append(pc.postgres_admin())
    try:
        results, durations = trials(work, args.trials, random.Random(args.seed))
    finally:
        if VICTIM.chroma is not None:
            VICTIM.chroma.terminate()
            VICTIM.chroma.wait(timeout=60)
        for db in list(DATABASES):
            drop_index(Path(db))
        shutil.rmtree(work, ignore_errors=True)
    summary = {kind: {"trials": sum(r["kind"] == kind for r in results),
                      "killed mid-way": sum(r["kind"] == kind and r["killed"] for r in results),
                      "survived": sum(r["kind"] == kind and not r["problems"] for r in results)}
               for kind in ("ingest", "replace", "delete")}
    out.parent.mkdir(parents=True, exist_ok=True)
    command = ("python benchmarks/crash_trials.py" + (" --servers" if args.servers else "")
               + ("" if args.kill == "rag" else f" --kill {args.kill}"))
    out.write_text(json.dumps({"meta": pc.meta(command), "seed": args.seed, "servers": args.servers, "kill": args.kill,
                               "durations_s": durations, "summary": summary, "trials": results},
                              ensure_ascii=False, indent=1))
    print("| kind | trials | killed mid-way | survived (all checks) |\n|---|---|---|---|")
    for kind, s in summary.items():
        print(f"| {kind} | {s['trials']} | {s['killed mid-way']} | {s['survived']} |")
    return 0 if all(not r["problems"] for r in results) else 1


def trials(work: Path, n_trials: int, rng: random.Random) -> tuple[list[dict], dict[str, float]]:  # type: ignore[type-arg]
    demo = [json.loads(line) for line in pc.DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    changed = work / "changed.jsonl"
    with changed.open("w", encoding="utf-8") as fh:
        for row in demo:
            fh.write(json.dumps(row | {"text": row["text"] + "\nتحديث: صحح هذا الخبر لاحقا."}, ensure_ascii=False)
                     + "\n")
    ingest = [sys.executable, "-m", "rag", "ingest", str(pc.DEMO), "--quiet", "--db"]
    base = work / "base" / "db"  # the 300 articles, ingested once without interruption

    def from_base(db: Path) -> None:
        """`db` starts as `base`: a copy of its folder, or on servers the same import into a new database."""
        new_index(db)
        if SERVERS:
            timed([*ingest, str(db)])
        else:
            shutil.copytree(base, db)

    new_index(work / "timing" / "db")
    durations = {"ingest": timed([*ingest, str(work / "timing" / "db")])}
    new_index(base)
    timed([*ingest, str(base)])
    replace_cmd = [sys.executable, "-m", "rag", "ingest", str(changed), "--quiet", "--db"]
    from_base(work / "timing-r" / "db")
    durations["replace"] = timed([*replace_cmd, str(work / "timing-r" / "db")])
    victims = [row["id"] for row in demo[::6]][:50]
    script = ("import sys; from rag.cli import main\n"
              "for aid in sys.argv[2:]: main(['delete', aid, '--db', sys.argv[1]])")
    from_base(work / "timing-d" / "db")
    durations["delete"] = timed([sys.executable, "-c", script, str(work / "timing-d" / "db"), *victims])
    pc.log(f"uninterrupted runs: {', '.join(f'{k} {v:.1f} s' for k, v in durations.items())}")
    old_new = {row["id"]: row["text"].strip()[-30:] + "|" + "صحح هذا الخبر لاحقا." for row in demo}
    results = []
    for kind in ("ingest", "replace", "delete"):
        for trial in range(n_trials):
            db = work / f"{kind}-{trial}" / "db"
            if kind == "ingest":
                new_index(db)
            else:
                from_base(db)
            after = rng.uniform(0.5, durations[kind])
            cmd = {"ingest": [*ingest, str(db)], "replace": [*replace_cmd, str(db)],
                   "delete": [sys.executable, "-c", script, str(db), *victims]}[kind]
            killed, problems = run_and_kill(cmd, after)
            bounds = {"ingest": (0, N), "replace": (N, N), "delete": (N - len(victims), N)}[kind]
            problems += verify(db, old_new if kind == "replace" else None, bounds)
            timed(cmd)  # run it again to the end
            final = {"ingest": (N, N), "replace": (N, N), "delete": (N - len(victims), N - len(victims))}[kind]
            problems += [f"after the rerun: {x}" for x in verify(db, old_new if kind == "replace" else None, final)]
            results.append({"kind": kind, "trial": trial, "killed_after_s": round(after, 2), "killed": killed,
                            "problems": problems})
            pc.log(f"{kind} #{trial}: killed after {after:.1f} s: {'KILLED' if killed else 'had finished'}; "
                   f"{'OK' if not problems else problems}")
            drop_index(db)
            DATABASES.pop(str(db), None)
    return results, durations


if __name__ == "__main__":
    raise SystemExit(main())
