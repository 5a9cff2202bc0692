"""Claim / sentence pairs with three verdicts, made from QA training data: what a claim checker that
reads can learn from.

    python benchmarks/claim_pairs.py [--out benchmarks/out/claim_pairs.jsonl]

Each QA item gives the sentence of its passage that holds the answer. From it:

* supported: a translation of the sentence as the claim (or, for a third of the Arabic ones, the sentence
  as it stands). MLQA's parallel passages (the aligned ar/en file
  of ../shared/data/mlqa_xling) put the English answer sentence beside the Arabic one it was aligned with:
  the English sentence, checked against the Arabic, is a claim in other words and another script;
* contradicted: the sentence (or its English twin) with its answer span swapped for the answer of another
  question that asks for the same kind of thing (a person, a place, a number, a date: the question word
  says which), from another passage: another actor, place, number or date, the rest unchanged;
* not found: the same claims against another sentence of the same passage: on the topic, not the fact;
* the question as a claim: the QA question with its answer put where the question word stands ("من توسط
  بين أ و ب؟" + "مجموعة مينسك" → "مجموعة مينسك توسط بين أ و ب"; "When was X founded?" is left out, its
  verb would have to change) — supported, and contradicted with another answer of the same kind in that
  place. Annotators wrote the questions in their own words, so these claims say the sentence otherwise,
  and the true and the false one differ only in the answer.

Sources: the MLQA ar/en aligned file (cross-lingual), ARCD train and TyDi GoldP Arabic dev (Arabic,
swapped only). XQuAD and ARCD test are never read; the MLQA id that shares a sentence with XQuAD is left
out. 1 passage in 12 is held out (the same rule as train_reader.py) and marked `held_out`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import DATA, OUT, log  # noqa: E402
from train_reader import XQUAD_TOPIC, _held_out  # noqa: E402

from rag.answer_types import question_type  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402

ALIGNED = DATA / "mlqa_xling" / "mlqa_dev_ar_en_aligned.jsonl.gz"
ARABIC = (("arcd/arcd-train.json", "arcd_train"), ("tydiqa_goldp_ar/tydiqa-goldp-dev-arabic.json", "tydi_ar"))


@dataclass(frozen=True)
class Fact:
    """One QA item reduced to what a claim needs: the answer's sentence and the answer within it."""
    source: str
    title: str
    question: str
    kind: str  # question_type: person, place, number, date, or "" (not swappable)
    sentence: str
    answer: str  # a span of `sentence`
    others: tuple[str, ...]  # the passage's other sentences
    held_out: bool


@dataclass(frozen=True)
class ClaimPair:
    source: str
    claim: str
    title: str
    sentence: str  # what the claim is checked against
    verdict: str  # one of rag.reader_net.VERDICTS
    how: str  # translation | verbatim | swapped | other sentence
    held_out: bool
    changed: str = ""  # for a swap: "<answer> -> <replacement>"


def fact(source: str, title: str, question: str, context: str, answer: str, start: int) -> Fact | None:
    """The sentence of `context` that holds the answer at `start`, or None when the span is not there."""
    if context[start: start + len(answer)] != answer:
        start = context.find(answer)
        if start < 0 or not answer.strip():
            return None
    spans = split_sentences(context)
    at = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
    if at is None or start + len(answer) > spans[at][1]:
        return None  # the answer runs over a sentence boundary
    s, e = spans[at]
    others = tuple(context[a:b] for i, (a, b) in enumerate(spans) if i != at)
    return Fact(source, title, question, question_type(question) or "", context[s:e], answer, others,
                _held_out(context))


def alike(kind: str, old: str, new: str) -> bool:
    """Could `new` stand where `old` stands: both short (a name, a place, a number or a date, not a
    clause), and both with digits where the kind is a number or a date."""
    if max(len(old.split()), len(new.split())) > 4:
        return False
    if kind in ("number", "date"):
        return any(c.isdigit() for c in old) and any(c.isdigit() for c in new)
    return not any(c.isdigit() for c in old + new)


def swapped(f: Fact, pool: list[Fact], rng: random.Random) -> tuple[str, str] | None:
    """The sentence with its answer replaced by another fact's answer of the same kind (another passage,
    a different answer the sentence does not already hold)."""
    if not f.kind:
        return None
    for _ in range(30):
        other = rng.choice(pool)
        if other.kind != f.kind or other.sentence == f.sentence:
            continue
        new = other.answer.strip()
        if not new or new in f.sentence or f.answer.strip() in new or not alike(f.kind, f.answer, new):
            continue
        return f.sentence.replace(f.answer, new, 1), f"{f.answer} -> {new}"
    return None


_ASKED_AR = (  # (question opening, how the claim is made of the rest and the answer), first match wins
    ("من هو ", "{rest} هو {a}"), ("من هي ", "{rest} هي {a}"), ("من الذي ", "{a} {rest}"), ("من التي ", "{a} {rest}"),
    ("ما هو ", "{rest} هو {a}"), ("ما هي ", "{rest} هي {a}"), ("ماهو ", "{rest} هو {a}"), ("ماهي ", "{rest} هي {a}"),
    ("كم عدد ", "عدد {rest} {a}"), ("ما عدد ", "عدد {rest} {a}"), ("ما اسم ", "اسم {rest} {a}"),
    ("متى ", "{rest} في {a}"), ("أين ", "{rest} في {a}"), ("اين ", "{rest} في {a}"), ("من ", "{a} {rest}"),
)
_ASKED_EN = (
    ("who is ", "{a} is {rest}"), ("who was ", "{a} was {rest}"), ("what is ", "{rest} is {a}"),
    ("what was ", "{rest} was {a}"), ("where is ", "{rest} is in {a}"), ("where was ", "{rest} was in {a}"),
    ("who ", "{a} {rest}"),
)
_AUX_EN = {"did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "can", "could", "will", "would"}


def asked(question: str, answer: str) -> str | None:
    """The question as a statement with `answer` where the question word stands, or None where no
    pattern fits (or the English one would need its verb changed: "Who did X …?")."""
    q = " ".join(question.strip().rstrip("؟?").split())
    answer = answer.strip()
    if not q or not answer:
        return None
    english = q.isascii()
    for opening, shape in _ASKED_EN if english else _ASKED_AR:
        if q.lower().startswith(opening) if english else q.startswith(opening):
            rest = q[len(opening):].strip()
            if not rest or english and rest.split()[0].lower() in _AUX_EN:
                return None
            claim = shape.format(rest=rest, a=answer)
            return claim[0].upper() + claim[1:] + "." if english else claim
    return None


def pairs_from(facts: list[Fact], rng: random.Random, against: dict[int, Fact] | None = None) -> Iterator[ClaimPair]:
    """Claims made of `facts`' sentences; each is checked against `against[i]` (the Arabic twin) when
    given, else against its own passage. With a twin, the unchanged sentence is a supported translation."""
    by_kind = [f for f in facts if f.kind]
    for i, f in enumerate(facts):
        target = against[i] if against is not None else f
        variants: list[tuple[str, str, str]] = []
        # The twin's translation, or (one Arabic sentence in three) the sentence copied as it stands.
        if against is not None:
            variants.append((f.sentence, "translation", ""))
        elif rng.random() < 1 / 3:
            variants.append((f.sentence, "verbatim", ""))
        swap = swapped(f, by_kind, rng)
        if swap is not None:
            variants.append((swap[0], "swapped", swap[1]))
        said = asked(f.question, f.answer)
        if said is not None:
            variants.append((said, "question", ""))
            if swap is not None:
                other = swap[1].split(" -> ", 1)[1]
                false = asked(f.question, other)
                if false is not None:
                    variants.append((false, "question swapped", swap[1]))
        for claim, how, changed in variants:
            verdict = "contradicted" if how in ("swapped", "question swapped") else "supported"
            yield ClaimPair(f.source, claim, target.title, target.sentence, verdict, how, target.held_out, changed)
            if target.others:
                yield ClaimPair(f.source, claim, target.title, rng.choice(target.others), "not found",
                                "other sentence", target.held_out)


def squad_facts(path: Path, source: str) -> list[Fact]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    out = []
    for art in json.loads(raw.decode("utf-8"))["data"]:
        title = (art.get("title") or "").replace("_", " ")
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                if qa["id"] in XQUAD_TOPIC or not qa["answers"]:
                    continue
                a = qa["answers"][0]
                f = fact(source, title, qa["question"], para["context"], a["text"], a["answer_start"])
                if f is not None:
                    out.append(f)
    return out


def aligned_facts(lines: Iterable[dict]) -> tuple[list[Fact], list[Fact]]:  # type: ignore[type-arg]
    """(English facts, their Arabic twins), item by item, from the MLQA ar/en aligned lines."""
    en, ar = [], []
    for row in lines:
        if row["id"] in XQUAD_TOPIC:
            continue
        a_en, a_ar = row["answers_en"][0], row["answers_ar"][0]
        f_en = fact("mlqa_en_ar", row["title_en"], row["question_en"], row["context_en"], a_en["text"],
                    a_en["answer_start"])
        f_ar = fact("mlqa_en_ar", row["title_ar"], row["question_ar"], row["context_ar"], a_ar["text"],
                    a_ar["answer_start"])
        if f_en is not None and f_ar is not None:
            en.append(f_en)
            ar.append(f_ar)
    return en, ar


def build(rng: random.Random) -> list[ClaimPair]:
    lines = [json.loads(x) for x in gzip.decompress(ALIGNED.read_bytes()).decode("utf-8").splitlines() if x.strip()]
    en, ar = aligned_facts(lines)
    pairs = list(pairs_from(en, rng, dict(enumerate(ar))))
    for rel, name in ARABIC:
        pairs += pairs_from(squad_facts(DATA / rel, name), rng)
    return pairs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=OUT / "claim_pairs.jsonl")
    args = p.parse_args()
    if not ALIGNED.is_file():
        print(f"SKIPPED: the training data is not in {DATA} (../shared/data, see its README)", file=sys.stderr)
        return 2
    pairs = build(random.Random(0))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(json.dumps(asdict(pair), ensure_ascii=False) + "\n")
    counts = Counter((p.source, p.verdict, p.held_out) for p in pairs)
    for (source, verdict, held), n in sorted(counts.items()):
        log(f"{source:12s} {verdict:13s} {'held out' if held else 'train':8s} {n}")
    log(f"{len(pairs)} pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
