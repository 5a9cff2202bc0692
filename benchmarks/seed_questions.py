"""A journalist's questions on the default corpus, in both languages: does the first quote answer?

    python benchmarks/seed_questions.py [--db benchmarks/out/headline-db] [--reader off|builtin]

Ten questions a reporter checking the seed article (Armenia–Azerbaijan border clashes, November 2021)
would ask, each in Arabic and in English, written for this benchmark with what the article answers them
with: the first quote counts as right when it holds one of the accepted spans (the article's own words;
several where the article says it more than once). The index is built from corpus/ on first use. Prints
each question with its first quote and the count per language; `--json FILE` writes them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from rag.engine import Isnad  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

ROOT = BENCH.parent
MEDIATORS = ("مينسك", "ميشيل")
# (Arabic question, English question, spans of the article that answer both)
QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("من توسط بين أرمينيا وأذربيجان؟", "Who mediated between Armenia and Azerbaijan?", MEDIATORS),
    ("متى اندلعت الاشتباكات؟", "When did the clashes start?", ("في 16 نوفمبر", "منذ يوم الأحد 14 نوفمبر")),
    ("كم موقعا عسكريا فقدت أرمينيا؟", "How many military positions did Armenia lose?", ("موقعين",)),
    ("ماذا طلبت أرمينيا من روسيا؟", "What did Armenia ask Russia for?", ("دعم عسكري", "الدفاع عن وحدة أراضي")),
    ("هل علقت روسيا على طلب أرمينيا؟", "Did Russia comment on Armenia's request?", ("لم تدلي بأي تصريحات",)),
    ("أين تتمركز قوات حفظ السلام الروسية؟", "Where are Russian peacekeepers stationed?", ("متمركزة في",)),
    ("ماذا قالت وزارة الدفاع الأذربيجانية؟", "What did Azerbaijan's defence ministry say?",
     ("وزارة الدفاع الأذرية", "ونفت \"باكو\"")),
    ("من هو أمين مجلس الأمن في أرمينيا؟", "Who is the secretary of Armenia's Security Council?", ("أرمين غريغوريان",)),
    ("متى وقعت اتفاقية السلام الثلاثية؟", "When was the trilateral peace agreement signed?", ("9 نوفمبر 2020",)),
    ("منذ متى تتنافس باكو ويريفان على ناغورنو كاراباخ؟",
     "Since when have Baku and Yerevan been competing over Nagorno-Karabakh?", ("منذ فبراير 1988",)),
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=BENCH / "out" / "headline-db")
    p.add_argument("--reader", default="off", choices=["off", "builtin"])
    p.add_argument("--json", type=Path, help="write each question's first quote and whether it answers")
    args = p.parse_args(argv)
    apply_offline_env()
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db), reader=args.reader))
    isnad.ingest([ROOT / "corpus"])
    rows = []
    for ar, en, spans in QUESTIONS:
        for lang, question in (("ar", ar), ("en", en)):
            answer = isnad.ask(question)
            first = answer.citations[0].quote if answer.citations else ""
            ok = any(s in first for s in spans)
            rows.append({"lang": lang, "question": question, "first_quote": first, "answers": ok})
            print(f"{'✔' if ok else '✘'} {question}\n    {first[:140] or '(declined)'}")
    print(f"\nreader {args.reader}: the first quote answers")
    for lang in ("ar", "en"):
        mine = [r for r in rows if r["lang"] == lang]
        print(f"  {lang}: {sum(r['answers'] for r in mine)} of {len(mine)}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
