"""Load the public Arabic QA sets in ../shared/data as one pooled passage collection.

Every distinct context becomes one `Article` (id = stable hash of the context text, title =
the dataset's article title, text = the context). Questions keep the id of their gold passage.

Subsets (5,213 questions over 1,981 distinct passages):
    xquad_ar    XQuAD Arabic questions (1,190)                      -- test, never tuned on
    xquad_en    XQuAD English questions, gold = the Arabic context  -- test, never tuned on
    arcd        ARCD test split (702)                               -- test, never tuned on
    arcd_train  ARCD train split (693)                              -- training (the sentence scorer)
    tydi        TyDi QA GoldP Arabic dev (921)                      -- held out from the scorer*
    mlqa        MLQA dev, Arabic context + question (517)           -- held out from the scorer*

* the retrieval weights (lexical weight 0.15) were chosen earlier on arcd_train, tydi and mlqa;
  the sentence scorer and its answerability threshold learn from arcd_train alone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.arabic import normalize
from rag.types import Article

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data"

SUBSETS = ("xquad_ar", "xquad_en", "arcd", "arcd_train", "tydi", "mlqa")
TEST_SUBSETS = ("xquad_ar", "xquad_en", "arcd", "tydi", "mlqa")
TUNE_SUBSETS = ("arcd_train",)

_SQUAD_FILES = {
    "xquad_ar": "xquad/xquad.ar.json",
    "arcd": "arcd/arcd-test.json",
    "arcd_train": "arcd/arcd-train.json",
    "tydi": "tydiqa_goldp_ar/tydiqa-goldp-dev-arabic.json",
    "mlqa": "mlqa_ar/dev-context-ar-question-ar.json",
}
_ALIGNED = "xquad/xquad_ar_en_aligned.jsonl"
# Training only (the sentence scorer, `train_scorer.py --train-sets`): MLQA's English questions over
# the same Arabic passages as `mlqa`, and the one MLQA question that shares a sentence with XQuAD.
MLQA_EN = "mlqa_xling/dev-context-ar-question-en.json.gz"
XQUAD_OVERLAP = frozenset({"f7fdac24739c32f44e1d5bde2b867b4a1ea89e3e"})


class DataMissing(RuntimeError):
    """The evaluation data is not where we expect it."""


@dataclass(frozen=True)
class Question:
    subset: str
    qid: str
    question: str
    answers: tuple[str, ...]  # gold answer strings, in the language of the passage (Arabic)
    article_id: str  # the gold passage


@dataclass
class QASet:
    articles: dict[str, Article]  # id -> pooled passage
    questions: list[Question]

    def by_subset(self) -> dict[str, list[Question]]:
        out: dict[str, list[Question]] = {}
        for q in self.questions:
            out.setdefault(q.subset, []).append(q)
        return out


def passage_id(context: str) -> str:
    return "qa-" + hashlib.sha1(context.encode("utf-8")).hexdigest()[:16]


def _title(raw: str | None) -> str:
    return (raw or "").replace("_", " ").strip()


def _squad(path: Path) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(title, context, qid, question, answers) for every question of a SQuAD-format file."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    data = json.loads(raw.decode("utf-8"))
    out = []
    for art in data["data"]:
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
                out.append((_title(art.get("title")), para["context"], str(qa["id"]), qa["question"], answers))
    return out


def check_data(data_dir: Path = DATA_DIR) -> None:
    missing = [rel for rel in [*_SQUAD_FILES.values(), _ALIGNED] if not (data_dir / rel).is_file()]
    if missing:
        raise DataMissing(f"the QA evaluation data is not in {data_dir} (missing: {', '.join(missing)}); "
                          "see ../shared/data/README.md")


def skip_without_data() -> bool:
    """True (after saying why on stderr) when the evaluation data is absent: a benchmark then exits 0."""
    import sys

    try:
        check_data()
    except DataMissing as exc:
        print(f"SKIPPED: {exc}", file=sys.stderr)
        return True
    return False


def load(subsets: tuple[str, ...] | list[str] = SUBSETS, data_dir: Path = DATA_DIR,
         pool_all: bool = True, limit_per_subset: int | None = None) -> QASet:
    """Questions of `subsets`; passages of every subset when `pool_all` (the benchmark's pool),
    else only the gold passages of the loaded questions."""
    check_data(data_dir)
    unknown = set(subsets) - set(SUBSETS)
    if unknown:
        raise ValueError(f"unknown subsets {sorted(unknown)}; choose from {', '.join(SUBSETS)}")
    articles: dict[str, Article] = {}
    questions: list[Question] = []

    def add_passage(title: str, context: str) -> str:
        aid = passage_id(context)
        if aid not in articles:  # the first title wins (5 ARCD contexts are in both splits)
            articles[aid] = Article(aid, title, context)
        return aid

    rows = {name: _squad(data_dir / rel) for name, rel in _SQUAD_FILES.items()}
    for name, items in rows.items():
        for title, context, qid, question, answers in items:
            aid = add_passage(title, context) if (pool_all or name in subsets) else passage_id(context)
            if name in subsets:
                questions.append(Question(name, qid, question, answers, aid))
    if "xquad_en" in subsets:
        for line in (data_dir / _ALIGNED).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            aid = add_passage(_title(row["title"]), row["context_ar"])
            answers = tuple(dict.fromkeys(a["text"] for a in row["answers_ar"]))
            questions.append(Question("xquad_en", row["id"], row["question_en"], answers, aid))
    if limit_per_subset is not None:
        kept: dict[str, int] = {}
        limited = []
        for q in questions:
            kept[q.subset] = kept.get(q.subset, 0) + 1
            if kept[q.subset] <= limit_per_subset:
                limited.append(q)
        questions = limited
    if not pool_all:
        wanted = {q.article_id for q in questions}
        articles = {k: v for k, v in articles.items() if k in wanted}
    questions.sort(key=lambda q: SUBSETS.index(q.subset))
    return QASet(articles, questions)


def training_file(name: str) -> str:
    """The file of a training set, relative to the data folder."""
    if name not in ("arcd_train", "tydi", "mlqa", "mlqa_en"):
        raise ValueError(f"unknown training set {name!r}; choose from arcd_train, tydi, mlqa, mlqa_en")
    return MLQA_EN if name == "mlqa_en" else _SQUAD_FILES[name]


def training_questions(name: str, data_dir: Path = DATA_DIR) -> QASet:
    """A training set for the sentence scorer, gold passages only: "arcd_train", "tydi", "mlqa" (Arabic
    questions) or "mlqa_en" (MLQA's English questions over the same Arabic passages). The MLQA
    question that shares a sentence with XQuAD is left out."""
    rel = training_file(name)
    if not (data_dir / rel).is_file():
        raise DataMissing(f"{data_dir / rel} is missing; see ../shared/data/README.md")
    articles: dict[str, Article] = {}
    questions = []
    for title, context, qid, question, answers in _squad(data_dir / rel):
        if qid in XQUAD_OVERLAP or not answers:
            continue
        aid = passage_id(context)
        articles.setdefault(aid, Article(aid, title, context))
        questions.append(Question(name, qid, question, answers, aid))
    return QASet(articles, questions)


def xquad_slice(n_paragraphs: int, data_dir: Path = DATA_DIR) -> QASet:
    """The first `n_paragraphs` XQuAD paragraphs with their Arabic and English questions
    (passages = those paragraphs only). Used by the fast regression test."""
    check_data(data_dir)
    articles: dict[str, Article] = {}
    questions: list[Question] = []
    for line in (data_dir / _ALIGNED).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        aid = passage_id(row["context_ar"])
        if aid not in articles:
            if len(articles) == n_paragraphs:
                break
            articles[aid] = Article(aid, _title(row["title"]), row["context_ar"])
        answers = tuple(dict.fromkeys(a["text"] for a in row["answers_ar"]))
        questions.append(Question("xquad_ar", row["id"], row["question_ar"], answers, aid))
        questions.append(Question("xquad_en", row["id"], row["question_en"], answers, aid))
    return QASet(articles, questions)


def contains_answer(quote: str, answers: tuple[str, ...]) -> bool:
    """Does the quote contain one of the gold answers (both normalised)?"""
    text = " ".join(normalize(quote).split())
    return any(" ".join(normalize(a).split()) in text for a in answers if a.strip())


def only_training_passages(index: Any, wanted: set[str], db: Path) -> None:
    """Stop unless the index at `db` holds the training passages `wanted` and nothing else: weights we
    ship learn from the training sets alone (not from news distractors a research run left there)."""
    others = [a.id for a in index.ready_articles() if a.id not in wanted]
    if others:
        raise SystemExit(f"{db} holds {len(others)} articles besides the training passages (e.g. {others[0]!r}, "
                         "left by a run with other --train-sets or --distractors news): use an empty --db")
