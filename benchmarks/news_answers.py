"""Answers over news: abstention on off-corpus questions, and follow-up conversations.

    python benchmarks/news_answers.py [--db benchmarks/out/perf-db-2300] [--demo-db benchmarks/out/demo-db]
        [--out benchmarks/out/news_answers.json]

1. Abstention, on the 2,300-article index of benchmarks/latency.py (build it first with
   `python benchmarks/latency.py --build-only`): the 50 questions of
   benchmarks/data/offcorpus_news.json (written for this project; events after 2018 and subjects
   the corpus lacks) should be abstained on, and the latency benchmark's own 100 questions
   (benchmarks/out/latency_questions.json, made by perf_common.make_questions) answered.
2. Follow-ups, on an index of news_demo/demo_300.jsonl alone (its vectors are copied from --db):
   the 26 two-turn conversations of benchmarks/data/followups_news.json (13 Arabic, 13 English);
   the second turn's first quote must contain one of the conversation's answers.
Every answer is written to the JSON report, to be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import perf_common as pc  # noqa: E402
from qa_data import contains_answer  # noqa: E402

from rag.engine import Isnad  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402
from rag.types import Answer  # noqa: E402

DATA = BENCH / "data"
# Questions a reader tried on this index before the answerability model; reported, not scored.
SEEN_BEFORE = ["متى توفي الأسطورة البرازيلي بيليه؟", "كم بلغ عدد ضحايا زلزال المغرب عام 2023؟",
               "Who won the 2024 US presidential election?"]


def shown(a: Answer) -> dict[str, object]:
    return {"abstained": a.abstained, "first_quote": a.citations[0].quote if a.citations else None,
            "answer": a.answer, "note": a.note, "top_passage": a.passages[0].title if a.passages else None}


def abstention(isnad: Isnad, questions: list[dict[str, str]], offcorpus: list[str]) -> dict[str, object]:
    rows = []
    for q in questions:
        a = isnad.ask(q["q"])
        rows.append({"set": "answerable", "lang": q["lang"], "q": q["q"]} | shown(a))
    for text in offcorpus:
        a = isnad.ask(text)
        rows.append({"set": "offcorpus", "lang": a.language, "q": text} | shown(a))
    summary = {}
    for kind in ("answerable", "offcorpus"):
        for lang in ("ar", "en", "all"):
            rs = [r for r in rows if r["set"] == kind and lang in (r["lang"], "all")]
            summary[f"{kind} {lang}"] = {"n": len(rs), "abstain": sum(bool(r["abstained"]) for r in rs) / len(rs)}
    return {"summary": summary, "rows": rows}


def followups(isnad: Isnad, conversations: list[dict]) -> dict[str, object]:  # type: ignore[type-arg]
    rows = []
    for c in conversations:
        first, second = c["turns"]
        a1 = isnad.ask(first)
        a2 = isnad.ask(second, history=[first])
        ok = bool(a2.citations) and contains_answer(a2.citations[0].quote, tuple(c["answers"]))
        rows.append({"lang": c["lang"], "turns": c["turns"], "answers": c["answers"], "ok": ok,
                     "first": shown(a1), "second": shown(a2)})
    summary = {lang: {"n": len(rs), "first_quote_holds_answer": sum(r["ok"] for r in rs) / len(rs)}
               for lang in ("ar", "en") if (rs := [r for r in rows if r["lang"] == lang])}
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, default=pc.OUT / "perf-db-2300")
    p.add_argument("--demo-db", type=Path, default=pc.OUT / "demo-db")
    p.add_argument("--questions", type=Path, default=pc.OUT / "latency_questions.json")
    p.add_argument("--out", type=Path, default=pc.OUT / "news_answers.json")
    args = p.parse_args(argv)
    apply_offline_env()
    pc.require(pc.DEMO, *pc.CORPORA)
    if not (args.db / "isnad.sqlite3").exists():
        sys.exit(f"no index in {args.db}: build it with `python benchmarks/latency.py --build-only`")
    started = time.time()
    news = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    if args.questions.exists():
        questions = json.loads(args.questions.read_text(encoding="utf-8"))
    else:
        questions = pc.make_questions(pc.load_demo() + pc.load_news(2000))  # as latency.py makes them
    offcorpus = json.loads((DATA / "offcorpus_news.json").read_text(encoding="utf-8"))["questions"]
    news.warm_up()
    report: dict[str, object] = {"meta": pc.meta("python benchmarks/news_answers.py")}
    report["abstention"] = abstention(news, questions, offcorpus)
    pc.log("abstention: " + json.dumps(report["abstention"]["summary"]))  # type: ignore[index]
    report["seen_before"] = [{"q": q} | shown(news.ask(q)) for q in SEEN_BEFORE]

    from quality import seed_vectors

    demo = Isnad(Settings.from_env({}, db_dir=str(args.demo_db)), embedder=news.embedder)
    demo.index.open()
    seed_vectors(demo, args.db)
    demo.add_articles(pc.load_demo())
    conversations = json.loads((DATA / "followups_news.json").read_text(encoding="utf-8"))["conversations"]
    report["followups"] = followups(demo, conversations)
    pc.log("follow-ups: " + json.dumps(report["followups"]["summary"]))  # type: ignore[index]
    report["seconds"] = round(time.time() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    ab = report["abstention"]["summary"]  # type: ignore[index]
    fu = report["followups"]["summary"]  # type: ignore[index]
    print("| set | n | abstained |\n|---|---|---|")
    for k, v in ab.items():
        print(f"| {k} | {v['n']} | {v['abstain']:.3f} |")
    print("\n| follow-ups | n | second turn's first quote holds the answer |\n|---|---|---|")
    for k, v in fu.items():
        print(f"| {k} | {v['n']} | {v['first_quote_holds_answer']:.3f} |")
    for row in report["seen_before"]:  # type: ignore[attr-defined]
        print(f"\n{row['q']} -> abstained={row['abstained']} {row['first_quote'] or ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
