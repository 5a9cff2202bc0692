"""What corroboration finds when several outlets cover the same days: a scan to read, not a score.

    python benchmarks/corroboration_scan.py [--days 2018-05-08 2018-05-09] [--db benchmarks/out/corroboration-db]
        [--out benchmarks/out/corroboration_scan.json]

The index holds every clean article of the ANT multisource corpus (Al Arabiya, BBC Arabic, CNN Arabic,
France 24, Sky News Arabia) dated on `--days` (built with the real model on first use). For each
article its first sentence is taken as a cited sentence and looked up with `rag/corroborate.py`,
exactly as a citation of an answer is. It prints every agreement and dispute found, with both
sentences, for a person to read and judge, and counts them; the JSON keeps them all.
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

from rag.corroborate import CorroborationPolicy, Corroborator  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.ingest.loaders import article_from_record  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402
from rag.types import Citation  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", nargs="+", default=["2018-05-08", "2018-05-09"])
    p.add_argument("--db", type=Path, default=OUT / "corroboration-db")
    p.add_argument("--dispute-similarity", type=float, default=CorroborationPolicy.dispute_similarity,
                   help="similarity from which a differing fact is listed as a dispute")
    p.add_argument("--out", type=Path, default=OUT / "corroboration_scan.json")
    args = p.parse_args(argv)
    if missing(ANT):
        return 2
    apply_offline_env()
    articles = []
    for i, rec in ant_records():
        if rec.get("is_clean", True) and (rec.get("date") or "")[:10] in args.days:
            articles.append(article_from_record(rec, source=str(ANT), line=i))
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    t0 = time.time()
    report = isnad.add_articles(articles)
    log(f"{len(articles)} articles of {', '.join(args.days)} indexed ({len(report.added)} new) "
        f"in {time.time() - t0:.0f} s")
    found = Corroborator(isnad.index, isnad.retriever, isnad.answerer, isnad.verifier,
                         CorroborationPolicy(dispute_similarity=args.dispute_similarity))
    rows, t1 = [], time.time()
    for a in articles:
        spans = split_sentences(a.text)
        if not spans:
            continue
        s, e = spans[0]
        c = Citation(1, a.id, a.title, a.text[s:e], s, e, a.date, a.source)
        co = found.of(c)
        rows.append({"article_id": a.id, "source": a.source, "quote": c.quote,
                     "agree": [{"source": x.source, "quote": x.quote, "article_id": x.article_id,
                                "score": x.score} for x in co.corroborated_by],
                     "differ": [{"source": x.source, "quote": x.quote, "reason": x.reason, "article_id": x.article_id,
                                 "score": x.score}
                                for x in co.disputed_by],
                     "copies": [{"article_id": i, "source": s} for i, s in co.copies]})
    per = (time.time() - t1) * 1000 / max(1, len(rows))
    for r in rows:
        for kind in ("agree", "differ"):
            for x in r[kind]:
                print(f"{kind.upper()} {r['source']} | {r['quote'][:150]}\n    {x['source']}"
                      f"{' (' + x['reason'] + ')' if kind == 'differ' else ''} | {x['quote'][:150]}")
    counts = {k: sum(bool(r[k]) for r in rows) for k in ("agree", "differ", "copies")}
    log(f"{len(rows)} first sentences looked up ({per:.0f} ms each): with an agreeing article of another outlet "
        f"{counts['agree']}, a dispute {counts['differ']}, a copy {counts['copies']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta("python benchmarks/corroboration_scan.py " + " ".join(sys.argv[1:])),
                                    "counts": counts, "ms_per_lookup": round(per, 1), "rows": rows},
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
