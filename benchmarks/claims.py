"""Claim checking on claims made by a script from public QA data: supported and corrupted.

    python benchmarks/claims.py [--db benchmarks/out/quality-db] [--per-set 150] [--calibrate]
        [--out benchmarks/out/claims.json]

Claims (made here, never hand-tuned): for a QA pair, the sentence of its passage that holds the
answer is the claim, checked against that passage (`rag verify --article`):
* supported, Arabic: that Arabic sentence, with a leading "و" dropped and any (parenthesis) removed;
* supported, English: the parallel English sentence of XQuAD (a translation: English claim, Arabic passage);
* corrupted, each from a supported claim: the answer replaced by another number (number), another
  year or month (date), another answer of the same set that is not a number (name/place), or the
  claim negated ("ليس صحيحا أن …" / "It is not true that …").
Test claims come from XQuAD (ar + en); `--set mlqa` makes them from MLQA dev's aligned Arabic and
English sentences instead (training data: where a threshold for English claims may be chosen);
`--calibrate` makes Arabic claims from ARCD-train and searches the verifier's two thresholds there
(XQuAD is never used to choose them).
The index is the pooled index of benchmarks/quality.py (run it first).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402

from rag.engine import Isnad  # noqa: E402
from rag.facts import months  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

OUT = BENCH / "out"
_DIGITS = re.compile(r"\d+")
_MONTHS_AR = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
              "ديسمبر"]
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sentence_with(context: str, answer: str, start: int | None) -> str | None:
    at = start if start is not None and context[start: start + len(answer)] == answer else context.find(answer)
    if at < 0:
        return None
    for s, e in split_sentences(context):
        if s <= at and at + len(answer) <= e:
            return context[s:e]
    return None


def tidy_ar(sentence: str) -> str:
    out = re.sub(r"\s*\([^)]*\)", "", sentence).strip()
    first, _, rest = out.partition(" ")
    if first.startswith("و") and len(first) > 3 and not first.startswith("وزير"):
        out = f"{first[1:]} {rest}".strip()
    return out


def change_number(answer: str, rng: random.Random) -> str:
    def bump(m: re.Match[str]) -> str:
        n = int(m.group())
        if 1000 <= n <= 2099:
            return str(n + rng.choice([-7, -5, -3, -2, 2, 3, 5, 7]))
        return str(n + rng.randint(1, 9) if n < 10 else n * 2 + rng.randint(1, 9))
    return _DIGITS.sub(bump, answer.translate(_ARABIC_DIGITS), count=1)


def change_month(text: str, rng: random.Random) -> str | None:
    for names in (_MONTHS_AR, _MONTHS_EN):
        for i, name in enumerate(names):
            if name in text:
                return text.replace(name, names[(i + rng.randint(1, 11)) % 12], 1)
    return None


def make_claims(pairs: list[dict], rng: random.Random) -> list[dict]:
    """pairs: {lang, sentence, answer, article_id, others}; others = non-numeric answers to swap in."""
    claims = []
    for p in pairs:
        base = tidy_ar(p["sentence"]) if p["lang"] == "ar" else p["sentence"]
        answer = p["answer"]
        if answer not in base:
            continue
        row = {"lang": p["lang"], "article_id": p["article_id"]}
        claims.append(row | {"claim": base, "type": "supported", "supported": True})
        if _DIGITS.search(answer.translate(_ARABIC_DIGITS)):
            kind = "date" if re.search(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)", answer.translate(_ARABIC_DIGITS)) else "number"
            claims.append(row | {"claim": base.replace(answer, change_number(answer, rng), 1), "type": kind,
                                 "supported": False})
        elif months(answer):
            changed = change_month(base, rng)
            if changed and changed != base:
                claims.append(row | {"claim": changed, "type": "date", "supported": False})
        else:
            other = rng.choice([o for o in p["others"] if o != answer and o not in base])
            claims.append(row | {"claim": base.replace(answer, other, 1), "type": "name/place", "supported": False})
        negated = ("ليس صحيحا أن " + base) if p["lang"] == "ar" else (
            "It is not true that " + base[0].lower() + base[1:])
        claims.append(row | {"claim": negated, "type": "negation", "supported": False})
    return claims


ALIGNED = {"xquad": "xquad/xquad_ar_en_aligned.jsonl", "mlqa": "mlqa_xling/mlqa_dev_ar_en_aligned.jsonl.gz"}


def aligned_pairs(limit: int, name: str = "xquad") -> list[dict]:
    """Arabic and English sentences of a set aligned by question (XQuAD: the test set; MLQA dev:
    training data, where thresholds for English claims may be chosen)."""
    path = qa_data.DATA_DIR / ALIGNED[name]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    rows = rows[:: max(1, len(rows) // limit)][:limit]
    pairs = []
    for lang in ("ar", "en"):
        others = [r[f"answers_{lang}"][0]["text"] for r in rows if not _DIGITS.search(r[f"answers_{lang}"][0]["text"])]
        others = [o for o in others if len(o.split()) <= 4]
        for r in rows:
            a = r[f"answers_{lang}"][0]
            sentence = sentence_with(r[f"context_{lang}"], a["text"], a.get("answer_start"))
            if sentence:
                pairs.append({"lang": lang, "sentence": sentence, "answer": a["text"],
                              "article_id": qa_data.passage_id(r["context_ar"]), "others": others})
    return pairs


def arcd_pairs(limit: int) -> list[dict]:
    data = json.loads((qa_data.DATA_DIR / "arcd" / "arcd-train.json").read_text(encoding="utf-8"))
    rows = [(p["context"], qa["answers"][0]) for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
    rows = rows[:: max(1, len(rows) // limit)][:limit]
    others = [a["text"] for _, a in rows if not _DIGITS.search(a["text"]) and len(a["text"].split()) <= 4]
    pairs = []
    for context, a in rows:
        sentence = sentence_with(context, a["text"], a.get("answer_start"))
        if sentence:
            pairs.append({"lang": "ar", "sentence": sentence, "answer": a["text"],
                          "article_id": qa_data.passage_id(context), "others": others})
    return pairs


def evaluate(isnad: Isnad, claims: list[dict]) -> tuple[dict, list[dict]]:
    rows = []
    for c in claims:
        t0 = time.perf_counter()
        v = isnad.verify(c["claim"], c["article_id"])
        rows.append(c | {"got": v.supported, "reason": v.reason, "score": v.score,
                         "ms": (time.perf_counter() - t0) * 1000})
    summary: dict[str, dict] = {}
    for lang in ("ar", "en"):
        for kind in ("supported", "number", "date", "name/place", "negation"):
            rs = [r for r in rows if r["lang"] == lang and r["type"] == kind]
            if rs:
                right = sum(r["got"] == r["supported"] for r in rs)
                summary[f"{lang} {kind}"] = {"n": len(rs), ("accepted" if kind == "supported" else "rejected"):
                                             right / len(rs)}
    for lang in ("ar", "en", "all"):
        rs = [r for r in rows if lang in (r["lang"], "all")]
        if rs:
            sup = [r for r in rs if r["supported"]]
            bad = [r for r in rs if not r["supported"]]
            summary[f"{lang} overall"] = {"supported accepted": sum(r["got"] for r in sup) / max(len(sup), 1),
                                          "corrupted rejected": sum(not r["got"] for r in bad) / max(len(bad), 1),
                                          "n": len(rs)}
    ms = sorted(r["ms"] for r in rows)
    summary["latency_ms"] = {"p50": ms[len(ms) // 2], "p95": ms[int(len(ms) * 0.95)]}
    return summary, rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, default=OUT / "quality-db")
    p.add_argument("--per-set", type=int, default=150, help="QA pairs per language")
    p.add_argument("--calibrate", action="store_true", help="ARCD-train claims; search the thresholds")
    p.add_argument("--set", choices=sorted(ALIGNED), default="xquad",
                   help="the aligned Arabic/English set the claims come from (mlqa: training data)")
    p.add_argument("--out", type=Path, default=OUT / "claims.json")
    args = p.parse_args(argv)
    apply_offline_env()
    if qa_data.skip_without_data():
        return 0
    if not (args.db / "isnad.sqlite3").exists():
        sys.exit(f"no index in {args.db}: run `python benchmarks/quality.py` first")
    rng = random.Random(11)
    pairs = arcd_pairs(args.per_set) if args.calibrate else aligned_pairs(args.per_set, args.set)
    claims = make_claims(pairs, rng)
    log(f"{len(claims)} claims from {len(pairs)} sentences")
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db)))
    isnad.warm_up()
    isnad.verify("warm up")
    verifier = isnad.verifier
    if args.calibrate:
        best = None
        for sim in (0.45, 0.5, 0.55, 0.6, 0.65):
            for rare in (3.0, 4.0, 5.0, 6.0):
                verifier.policy = replace(verifier.policy, min_similarity=sim, rare_idf=rare)
                s, _ = evaluate(isnad, claims)
                o = s["all overall"]
                balanced = (o["supported accepted"] + o["corrupted rejected"]) / 2
                log(f"  min_similarity {sim} rare_idf {rare}: accepted {o['supported accepted']:.3f} "
                    f"rejected {o['corrupted rejected']:.3f}")
                if best is None or balanced > best[0]:
                    best = (balanced, sim, rare)
        assert best is not None
        log(f"best: min_similarity {best[1]} rare_idf {best[2]}")
        return 0
    summary, rows = evaluate(isnad, claims)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta("python benchmarks/claims.py " + " ".join(sys.argv[1:])),
                                   "policy": str(verifier.policy), "summary": summary, "rows": rows},
                                   ensure_ascii=False, indent=1))
    print("| claims | n | share right |\n|---|---|---|")
    for k, v in summary.items():
        if k != "latency_ms":
            print(f"| {k} | {v['n']} | " + ", ".join(f"{m} {x:.3f}" for m, x in v.items() if m != "n") + " |")
    print(f"\nverify latency per claim (with --article): p50 {summary['latency_ms']['p50']:.0f} ms, "
          f"p95 {summary['latency_ms']['p95']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
