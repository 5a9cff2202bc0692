"""Reader training groups as the app makes them: each training question asked of an index, and the
sentence scorer's best candidates (of the best passages, each with its own article's title) are the group.

    python benchmarks/reader_groups.py [--db benchmarks/out/train-db-wide] [--out benchmarks/out/reader_groups.jsonl]

train_reader.py's own groups are sentences of the gold passage and of other passages on its title; in
the app the reader reads the 8 best candidates of 5 retrieved passages, most of them other articles with
other titles. These groups are that: labels say which candidates hold the answer. One question in three
is asked again with its gold passage removed from the hits (a group where nothing may answer, unless
another passage holds the same answer).

Questions: ARCD-train, TyDi-ar dev, MLQA ar dev and MLQA's English questions over the same passages (the
MLQA question that shares a sentence with XQuAD left out), over the index train_scorer.py builds of their
passages (`python benchmarks/train_scorer.py --train-sets arcd_train tydi mlqa mlqa_en --db
benchmarks/out/train-db-wide` builds it). An index that holds anything else (the news distractors of
`train_scorer.py --distractors news`, which shipped weights may not learn from) is refused. Passages that
train_reader.py holds out (1 in 12) give no group. XQuAD and ARCD-test are never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import OUT, log  # noqa: E402
from quality import CachingEmbedder  # noqa: E402
from train_reader import _held_out  # noqa: E402

from rag.embedder import make_embedder  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

SETS = ("arcd_train", "tydi", "mlqa", "mlqa_en")


def group_of(isnad: Isnad, question: str, answers: tuple[str, ...], retrieval, source: str):  # type: ignore[no-untyped-def]
    """The scorer's best candidates for this retrieval, as a train_reader.py group (a dict), or None."""
    answerer = isnad.answerer
    cands = answerer.candidates(retrieval, answerer.policy.reader_passages)
    if len(cands) < 2:
        return None
    judgement = answerer.scorer.judge(answerer.context(question, retrieval, {c.article_id for c in cands}), cands)
    top = [s.candidate for s in judgement.ranked[: answerer.policy.reader_candidates]]
    return {"source": source, "question": question, "title": "",
            "sentences": [c.text for c in top], "titles": [retrieval.articles[c.article_id].title for c in top],
            "labels": [int(qa_data.contains_answer(c.text, answers)) for c in top]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, default=OUT / "train-db-wide")
    p.add_argument("--out", type=Path, default=OUT / "reader_groups.jsonl")
    p.add_argument("--query-cache", type=Path, default=OUT / "query-vectors.npz")
    args = p.parse_args()
    if qa_data.skip_without_data():
        return 2
    if not (args.db / "isnad.sqlite3").exists():
        print(f"no index at {args.db}: build it first (python benchmarks/train_scorer.py --train-sets "
              f"{' '.join(SETS)} --db {args.db})", file=sys.stderr)
        return 2
    apply_offline_env()
    rng = random.Random(0)
    sets = [qa_data.training_questions(name) for name in SETS]
    articles = {k: v for s in sets for k, v in s.articles.items()}
    questions = [q for s in sets for q in s.questions if not _held_out(articles[q.article_id].text)]
    emb = CachingEmbedder(make_embedder(Settings.from_env({})))
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db)), embedder=emb)
    isnad.index.open()
    qa_data.only_training_passages(isnad.index, set(articles), args.db)
    emb.load(args.query_cache)
    emb.prime([q.question for q in questions])
    emb.save(args.query_cache)
    log(f"{len(questions)} training questions (held-out passages left out)")
    made = removed = 0
    with args.out.open("w", encoding="utf-8") as fh:
        for n, q in enumerate(questions):
            lang = "en" if q.subset == "mlqa_en" else "ar"
            r = isnad.retriever.retrieve(q.question, 10, lang=lang)
            groups = [group_of(isnad, q.question, q.answers, r, f"pipeline_{q.subset}")]
            if rng.random() < 1 / 3:
                kept = [h for h in r.hits if h.chunk.article_id != q.article_id]
                groups.append(group_of(isnad, q.question, q.answers, dataclasses.replace(r, hits=kept),
                                       f"pipeline_{q.subset}_removed"))
                removed += 1
            for g in groups:
                if g is not None:
                    fh.write(json.dumps(g, ensure_ascii=False) + "\n")
                    made += 1
            if n % 500 == 0:
                log(f"  {n}/{len(questions)}")
    log(f"{made} groups ({removed} with the gold passage removed) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
