"""Corroboration measured on cases read by hand: does the lookup find the other outlet, on the right side?

    python benchmarks/corroboration_cases.py [--db benchmarks/out/corroboration-cases-db]
        [--seed-db benchmarks/out/corroboration-db] [--out benchmarks/out/corroboration_cases.json]

benchmarks/data/corroboration_cases.json holds 43 pairs of sentences of two outlets (ANT multisource,
../shared/data), each read and labelled: 22 "agree" (the same fact) and 21 "differ" (the same event with
another number, date, place or name: "9 killed / 16 killed", "South Korea / North Korea"). The index holds
every article of a case plus, as distractors, the 382 articles of 2018-05-08/09 (their vectors seeded from
`--seed-db` when it is there). Each case's first sentence is looked up as a citation is
(rag/corroborate.py) and the other article is looked for in the result:

    agree found       the other article is in corroborated_by (or is a copy of the cited one: one report)
    differ found      the other article is in disputed_by
    agree disputed    an agreeing article listed as a dispute (a wrong "differs")
    differ agreed     a differing article listed as agreeing (a disagreement passed off as corroboration)

Each miss is printed with the similarity of the two sentences (the stored vectors) and what the checks
say, to read why.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import ANT, OUT, ant_records, log, meta, missing  # noqa: E402

from rag.arabic import language  # noqa: E402
from rag.corroborate import CorroborationPolicy, Corroborator  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.index import embed_key  # noqa: E402
from rag.ingest.loaders import article_from_record  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402
from rag.types import Citation  # noqa: E402

CASES = BENCH / "data" / "corroboration_cases.json"
DISTRACTOR_DAYS = ("2018-05-08", "2018-05-09")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=OUT / "corroboration-cases-db")
    p.add_argument("--seed-db", type=Path, default=OUT / "corroboration-db")
    p.add_argument("--dispute-similarity", type=float, default=CorroborationPolicy.dispute_similarity,
                   help="similarity from which a differing fact is listed as a dispute")
    p.add_argument("--out", type=Path, default=OUT / "corroboration_cases.json")
    args = p.parse_args(argv)
    if missing(ANT):
        return 2
    apply_offline_env()
    cases = json.loads(CASES.read_text(encoding="utf-8"))["cases"]
    wanted = {c["cited"] for c in cases} | {c["other"] for c in cases}
    articles = {}
    for i, rec in ant_records():
        if rec["id"] in wanted or (rec.get("is_clean", True) and (rec.get("date") or "")[:10] in DISTRACTOR_DAYS):
            articles[rec["id"]] = article_from_record(rec, source=str(ANT), line=i)
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    if args.seed_db.is_dir():
        from quality import seed_vectors

        isnad.index.open()
        seed_vectors(isnad, args.seed_db)
    t0 = time.time()
    isnad.add_articles(list(articles.values()))
    log(f"{len(articles)} articles indexed in {time.time() - t0:.0f} s ({len(wanted)} of the cases)")
    look = Corroborator(isnad.index, isnad.retriever, isnad.answerer, isnad.verifier,
                        CorroborationPolicy(dispute_similarity=args.dispute_similarity))
    rows = []
    for c in cases:
        a, b = articles[c["cited"]], articles[c["other"]]
        s, e = c["cited_span"]
        quote = a.text[s:e]
        found = look.of(Citation(1, a.id, a.title, quote, s, e, a.date, a.source))
        agreed = {x.article_id for x in found.corroborated_by}
        disputed = {x.article_id: x.reason for x in found.disputed_by}
        copies = {i for i, _ in found.copies}
        bs, be = c["other_span"]
        other_quote = b.text[bs:be]
        va, vb = (isnad.index.cached_vectors([embed_key(t, q)]).get(embed_key(t, q))
                  for t, q in ((a.title, quote), (b.title, other_quote)))
        sim = None if va is None or vb is None else round(float(va @ vb), 3)
        rows.append({**c, "in_agreed": b.id in agreed, "in_disputed": b.id in disputed, "is_copy": b.id in copies,
                     "reason": disputed.get(b.id), "similarity": sim,
                     "checks": isnad.verifier.differs(quote, other_quote, language(quote), {}),
                     "other_disputes": {k: v for k, v in disputed.items() if k != b.id}})
    agree = [r for r in rows if r["kind"] == "agree"]
    differ = [r for r in rows if r["kind"] == "differ"]
    summary = {
        "agree_found": f"{sum(r['in_agreed'] or r['is_copy'] for r in agree)}/{len(agree)}",
        "differ_found": f"{sum(r['in_disputed'] for r in differ)}/{len(differ)}",
        "agree_disputed": f"{sum(r['in_disputed'] for r in agree)}/{len(agree)}",
        "differ_agreed": f"{sum(r['in_agreed'] for r in differ)}/{len(differ)}",
        "other_disputes": sum(len(r["other_disputes"]) for r in rows),
    }
    for r in rows:
        ok = (r["in_agreed"] or r["is_copy"]) if r["kind"] == "agree" else r["in_disputed"]
        if not ok:
            print(f"MISSED {r['kind']}: {r['note']} (similarity {r['similarity']}; checks: {r['checks']}; "
                  f"listed as {'agreeing' if r['in_agreed'] else 'disputed' if r['in_disputed'] else 'nothing'})")
        for k, v in r["other_disputes"].items():
            print(f"OTHER DISPUTE on '{r['note']}': {k}: {v}")
    result = {"meta": meta("python benchmarks/" + " ".join(["corroboration_cases.py", *sys.argv[1:]])),
              "summary": summary, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
