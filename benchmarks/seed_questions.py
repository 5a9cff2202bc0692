"""A journalist's questions on the default corpus, in both languages: does the first quote answer?

    python benchmarks/seed_questions.py [--db benchmarks/out/headline-db] [--reader off|builtin]

Ten questions a reporter checking the seed article (Armenia–Azerbaijan border clashes, November 2021)
would ask, each in Arabic and in English, written for this benchmark with what the article answers them
with: the first quote counts as right when it holds one of the accepted spans (the article's own words;
several where the article says it more than once). Then twelve more, the questions that come next (a
yes-or-no question, a why, the words of the article said otherwise), written the same way before
anything was changed for them; and eight questions the article does not answer (another story, a fact
about the countries it never gives), which should be declined. The index is built from corpus/ on first
use. Prints each question with its first quote, the counts per set and language, and how many were
declined; `--json FILE` writes them.
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

# The questions that come next, written before any change was measured on them.
NEXT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("هل سقط قتلى؟", "Were people killed?", ("هناك قتلى وجرحى",)),
    ("ما موقف الاتحاد الأوروبي؟", "What is the European Union's position?",
     ("ملتزم بالعمل مع الشريك", "وقف كامل لإطلاق النار")),
    ("من هو رئيس وزراء أرمينيا؟", "Who is Armenia's prime minister?", ("نيكول باشينيان",)),
    ("ماذا فقدت أذربيجان خلال النزاع المسلح في 1991-1994؟", "What did Azerbaijan lose in the 1991-1994 war?",
     ("فقدت أذربيجان السيطرة",)),
    ("على أي اتفاق استندت أرمينيا في طلبها من روسيا؟",
     "Which agreement did Armenia invoke when it asked Russia for help?", ("اتفاق عام 1987",)),
    ("متى بدأت مفاوضات التسوية السلمية؟", "When did the peace negotiations begin?", ("منذ عام 1992",)),
    ("من يقود مجموعة مينسك؟", "Who leads the Minsk Group?", ("روسيا والولايات المتحدة وفرنسا",)),
    ("هل الحدود بين البلدين محددة؟", "Has the border between the two countries been demarcated?",
     ("لم يتم تحديدها بعد",)),
    ("بماذا ردت باكو على اتهامات يريفان؟", "How did Baku respond to Yerevan's accusations?",
     ("ونفت \"باكو\" مزاعم",)),
    ("لماذا وصفت يريفان الوضع على الحدود بأنه متوتر؟", "Why did Yerevan describe the border situation as tense?",
     ("القتال المكثف بالنيران",)),
    ("ما الذي تنازلت عنه أرمينيا بموجب معاهدة السلام؟", "What did Armenia give up under the peace treaty?",
     ("تنازلت أرمينيا عن السيطرة",)),
    ("أين تملك روسيا قاعدة عسكرية؟", "Where does Russia have a military base?", ("قاعدة عسكرية في أرمينيا",)),
)
# Questions the article does not answer: declining is right.
UNANSWERED: tuple[tuple[str, str], ...] = (
    ("متى توفي بيليه؟", "When did Pelé die?"),
    ("من فاز بكأس العالم 2022؟", "Who won the 2022 World Cup?"),
    ("من هو رئيس روسيا؟", "Who is the president of Russia?"),
    ("كم عدد سكان أرمينيا؟", "What is the population of Armenia?"),
    ("كم عدد الجنود الروس في ناغورنو كاراباخ؟", "How many Russian soldiers are in Nagorno-Karabakh?"),
    ("ما هي عملة أرمينيا؟", "What is Armenia's currency?"),
    ("من هو وزير خارجية أذربيجان؟", "Who is Azerbaijan's foreign minister?"),
    ("متى استقلت أرمينيا عن الاتحاد السوفيتي؟", "When did Armenia become independent from the Soviet Union?"),
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
    asked = [("seed", ar, en, spans) for ar, en, spans in QUESTIONS]
    asked += [("next", ar, en, spans) for ar, en, spans in NEXT]
    asked += [("unanswered", ar, en, ()) for ar, en in UNANSWERED]
    for kind, ar, en, spans in asked:
        for lang, question in (("ar", ar), ("en", en)):
            answer = isnad.ask(question)
            first = answer.citations[0].quote if answer.citations else ""
            ok = answer.abstained if kind == "unanswered" else any(s in first for s in spans)
            rows.append({"set": kind, "lang": lang, "question": question, "first_quote": first, "answers": ok,
                         "declined": answer.abstained})
            print(f"{'✔' if ok else '✘'} {question}\n    {first[:140] or '(declined)'}")
    print(f"\nreader {args.reader}: the first quote answers (unanswered: declined)")
    for kind in ("seed", "next", "unanswered"):
        for lang in ("ar", "en"):
            mine = [r for r in rows if r["lang"] == lang and r["set"] == kind]
            declined = sum(r["declined"] for r in mine)
            print(f"  {kind:10s} {lang}: {sum(r['answers'] for r in mine)} of {len(mine)}, declined {declined}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
