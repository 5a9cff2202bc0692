"""Claim checking on news, as a reader writes claims: the hand-written set benchmarks/data/claims_news.json.

    python benchmarks/claims_news.py [--db benchmarks/out/perf-db-300] [--before REF] [--out FILE]

72 claims per language (Arabic, and English over the same Arabic articles) about articles of
../shared/data/news_demo/demo_300.jsonl: 30 true ones (28 of them in other words than the
article's), 32 false ones (one fact changed: 8 names, 6 places, 8 numbers, 5 dates, 5 actions) and
10 that no article says. The index holds demo_300 (built with the real model on first use). Each
claim goes through `Isnad.verify` in a warm process; figures per language:

    true_supported    supported, citing the claim's article (verbatim; the quote is re-checked)
    false_rejected    false claims not supported
    false_contradicted  false claims given the verdict "contradicted"
    none_not_found    claims on nothing in the index given "not found" (or, before verdicts existed,
                      not supported)
    p50/p95 ms        wall time of one verify

`--before REF` first runs the same claims with the code of git REF (a temporary worktree), so
before and after come from one run. `--reader-weights DIR` runs them again with the built-in reader of
DIR (RAG_READER=builtin): where its weights have a verdict head, its reading decides what the word
rules cannot. `--verdict-weights DIR` runs them with that head alone (RAG_VERDICT_WEIGHTS, the answer's
reader off: no reader pass for claims the rules accept).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLAIMS = BENCH / "data" / "claims_news.json"
DEMO = ROOT.parent / "shared" / "data" / "news_demo" / "demo_300.jsonl"


def run(db: Path, reader_weights: Path | None = None, verdict_weights: Path | None = None) -> dict[str, object]:
    """Verify every claim with the `rag` package on sys.path; per-claim results."""
    import numpy as np

    from rag.engine import Isnad
    from rag.settings import Settings, apply_offline_env

    apply_offline_env()
    reader = {"reader": "builtin", "reader_weights": str(reader_weights)} if reader_weights else {}
    if verdict_weights:
        reader["verdict_weights"] = str(verdict_weights)
    isnad = Isnad(Settings.from_env({}, db_dir=str(db), **reader))
    isnad.ingest([DEMO])
    claims = json.loads(CLAIMS.read_text(encoding="utf-8"))["claims"]
    isnad.verify(claims[0]["claim"])  # warm: model, index, caches
    if hasattr(isnad, "warm_up"):
        isnad.warm_up()  # and the readers (converted for OpenVINO when they are not yet)
    rows = []
    for c in claims:
        t0 = time.perf_counter()
        v = isnad.verify(c["claim"])
        ms = (time.perf_counter() - t0) * 1000
        verdict = getattr(v, "verdict", "supported" if v.supported else "not found")
        span = v.citations[0] if v.citations else v.closest
        verbatim = span is None or isnad.get(span.article_id).text[span.start:span.end] == span.quote
        rows.append({**c, "verdict": verdict, "reason": v.reason, "score": v.score, "ms": round(ms, 1),
                     "cited": span.article_id if span else None, "verbatim": verbatim})
    ms_all = [r["ms"] for r in rows]
    return {"rows": rows, "p95_all": float(np.percentile(ms_all, 95))}


def summary(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    import numpy as np

    out: dict[str, dict[str, object]] = {}
    for lang in ("ar", "en"):
        mine = [r for r in rows if r["lang"] == lang]
        true = [r for r in mine if r["kind"] == "true"]
        false = [r for r in mine if r["kind"] == "false"]
        none = [r for r in mine if r["kind"] == "none"]
        ms = [float(r["ms"]) for r in mine]  # type: ignore[arg-type]
        out[lang] = {
            "true_supported": round(np.mean([r["verdict"] == "supported" and r["cited"] == r["article_id"]
                                             for r in true]), 3),
            "false_rejected": round(np.mean([r["verdict"] != "supported" for r in false]), 3),
            "false_contradicted": round(np.mean([r["verdict"] == "contradicted" for r in false]), 3),
            "none_not_found": round(np.mean([r["verdict"] == "not found" for r in none]), 3),
            "false_rejected_by_change": {ch: f"{sum(r['verdict'] != 'supported' for r in false if r['change'] == ch)}"
                                         f"/{sum(r['change'] == ch for r in false)}"
                                         for ch in ("name", "place", "number", "date", "action")},
            "all_spans_verbatim": all(bool(r["verbatim"]) for r in mine),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "claims": len(mine),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=BENCH / "out" / "perf-db-300")
    p.add_argument("--before", help="git ref whose code gives the 'before' figures (e.g. HEAD~5)")
    p.add_argument("--out", type=Path, default=BENCH / "out" / "claims_news.json")
    p.add_argument("--reader-weights", type=Path, help="also run with this built-in reader (train_reader.py --out)")
    p.add_argument("--verdict-weights", type=Path, help="also run with this reader's verdict head alone "
                   "(RAG_VERDICT_WEIGHTS), the answer's reader off")
    p.add_argument("--code", type=Path, help=argparse.SUPPRESS)  # internal: run with this tree's rag
    p.add_argument("--emit", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.code:  # the 'before' child: that tree's rag, the encoder it had, results to --emit
        sys.path.insert(0, str(args.code))
        args.emit.write_text(json.dumps(run(args.db), ensure_ascii=False), encoding="utf-8")
        return 0
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    import perf_common as pc

    pc.require(pc.DEMO)
    results: dict[str, object] = {}
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before],
                           check=True, capture_output=True)
            try:
                emit = Path(tmp) / "before.json"
                subprocess.run([sys.executable, __file__, "--code", str(tree), "--emit", str(emit),
                                "--db", str(args.db)], check=True)
                before = json.loads(emit.read_text(encoding="utf-8"))
                results[f"before ({args.before})"] = {"summary": summary(before["rows"]), "rows": before["rows"]}
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    res = run(args.db)
    results["now"] = {"summary": summary(res["rows"]), "rows": res["rows"]}
    if args.reader_weights:
        res = run(args.db, args.reader_weights)
        results[f"now, reader {args.reader_weights.name}"] = {"summary": summary(res["rows"]), "rows": res["rows"]}
    if args.verdict_weights:
        res = run(args.db, verdict_weights=args.verdict_weights)
        results[f"now, verdict head of {args.verdict_weights.name}"] = {"summary": summary(res["rows"]),
                                                                      "rows": res["rows"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": pc.meta("python benchmarks/claims_news.py " + " ".join(sys.argv[1:])),
                                    "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")
    keys = ("true_supported", "false_rejected", "false_contradicted", "none_not_found", "p50_ms", "p95_ms")
    print("| run | lang | " + " | ".join(keys) + " | false rejected by change |")
    print("|" + "---|" * (len(keys) + 3))
    for name, res in results.items():
        for lang, s in res["summary"].items():  # type: ignore[union-attr]
            changes = ", ".join(f"{k} {v}" for k, v in s["false_rejected_by_change"].items())
            print(f"| {name} | {lang} | " + " | ".join(str(s[k]) for k in keys) + f" | {changes} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
