"""Copies found at ingest (rag/copies.py) against every pair measured exactly: recall, and the cost.

    python benchmarks/copies.py [--since 2018-05-01] [--articles 3000] [--out benchmarks/out/copies.json]

Reads the first `--articles` clean articles dated from `--since` on (in date order) of the ANT multisource corpus (five
Arabic outlets that publish wire stories, ../shared/data/news_ant_multisource). The truth is every
pair whose word 5-shingle Jaccard (first 3,000 characters, as at ingest) is ≥ 0.5, found by
comparing all pairs exactly. Then the MinHash bands, as the index keeps them: each article, in
order, is compared only with the earlier articles that share a band with it. Reported: pairs
found / true pairs (recall; a found pair is always a true one, since candidates are measured
exactly), candidates per article (the exact comparisons ingest pays), the time per article of the
signature and of the candidate checks, and how many copy groups span more than one outlet.
No model is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import ANT, OUT, ant_records, log, meta, missing  # noqa: E402

from rag.copies import CopyPolicy, band_keys, jaccard  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--since", default="2018-05-01")
    p.add_argument("--articles", type=int, default=3000)
    p.add_argument("--out", type=Path, default=OUT / "copies.json")
    args = p.parse_args(argv)
    if missing(ANT):
        return 2
    policy = CopyPolicy()
    rows = []
    for _, rec in ant_records():
        if rec.get("is_clean", True) and rec.get("text") and (rec.get("date") or "")[:10] >= args.since:
            rows.append((rec.get("date") or "", str(rec.get("id")), rec.get("source") or "", rec["text"]))
    rows.sort()
    rows = rows[: args.articles]
    log(f"{len(rows)} articles, {rows[0][0][:10]} to {rows[-1][0][:10]}")

    t0 = time.perf_counter()
    keyed = [band_keys(text, policy) for _, _, _, text in rows]
    sign_ms = (time.perf_counter() - t0) * 1000 / len(rows)

    t0 = time.perf_counter()
    truth = {(i, j) for i in range(len(rows)) for j in range(i)
             if jaccard(keyed[i][0], keyed[j][0]) >= policy.jaccard}
    log(f"all {len(rows) * (len(rows) - 1) // 2} pairs measured in {time.perf_counter() - t0:.0f} s: "
        f"{len(truth)} copies")

    t0 = time.perf_counter()
    by_band: dict[str, list[int]] = defaultdict(list)
    found, candidates = set(), 0
    for i, (own, keys) in enumerate(keyed):
        cands = {j for k in keys for j in by_band[k]}
        candidates += len(cands)
        found |= {(i, j) for j in cands if jaccard(own, keyed[j][0]) >= policy.jaccard}
        for k in keys:
            by_band[k].append(i)
    check_ms = (time.perf_counter() - t0) * 1000 / len(rows)

    parent = list(range(len(rows)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in found:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        groups[root(i)].append(i)
    multi = [g for g in groups.values() if len(g) > 1]
    across = [g for g in multi if len({rows[i][2] for i in g}) > 1]
    result = {
        "meta": meta("python benchmarks/" + " ".join(["copies.py", *sys.argv[1:]])),
        "articles": len(rows), "first_date": rows[0][0][:10], "last_date": rows[-1][0][:10],
        "true_pairs": len(truth), "found_pairs": len(found & truth), "false_pairs": len(found - truth),
        "recall": round(len(found & truth) / len(truth), 4) if truth else None,
        "candidates_per_article": round(candidates / len(rows), 2),
        "signature_ms_per_article": round(sign_ms, 3), "candidate_check_ms_per_article": round(check_ms, 3),
        "groups": len(multi), "articles_in_groups": sum(len(g) for g in multi), "groups_across_outlets": len(across),
        "missed": [{"a": rows[i][1], "b": rows[j][1], "jaccard": round(jaccard(keyed[i][0], keyed[j][0]), 3)}
                   for i, j in sorted(truth - found)][:20],
        "examples": [[{"id": rows[i][1], "source": rows[i][2], "date": rows[i][0][:10]} for i in g]
                     for g in across[:10]],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("missed", "examples", "meta")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
