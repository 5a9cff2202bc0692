"""Train the name probe: is an Arabic word a name (a person, place or body) or a common word?

    python benchmarks/train_names.py [--out rag/data/name_probe.json] [--report benchmarks/out/train_names.json]

A claim checker that reads must tell a paraphrase's own words ("تأهل" for "صعد", "أبقى" for "قرار
بتثبيت") from a changed name ("أوباما" for "ترامب"): the first may be missing from the supporting
sentence, the second may not. Arabic has no capital letters, so the probe asks the embedding model:
a logistic regression on EmbeddingGemma's vector of the word alone (its query prompt).

Training data, and only this (all may train weights that ship, see NOTICE.md):
* names: the words of the short answers (one to three words) to person and place questions
  (rag.answer_types.question_type) of ARCD-train (MIT), TyDi QA GoldP Arabic dev (Apache-2.0) and
  MLQA ar-ar dev (CC BY-SA 3.0), and the Arabic forms of the exonym table (rag/names.py);
* common words: the content words of those sets' questions that are not among the names.
The labels are noisy (a question may name a person), so the cross-validated figures understate the
probe. XQuAD, ARCD-test and the claim sets of benchmarks/ are never read here.
5-fold cross-validation (stratified) reports name recall and the share of common words kept for
each threshold; the one kept is the lowest at which out-of-fold at least 0.85 of the common words
are read as common: a paraphrase has several words of its own, and each one read as a name would
reject it, where a changed name is one word (and a word in another's slot is caught by its slot too).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402

from rag import names as place_table  # noqa: E402
from rag.answer_types import question_type  # noqa: E402
from rag.arabic import normalize, strip_diacritics, terms  # noqa: E402
from rag.embedder import make_embedder  # noqa: E402
from rag.name_probe import PROBE_PATH, NameProbe  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402

SETS = {"arcd_train": "arcd/arcd-train.json", "tydi_ar": "tydiqa_goldp_ar/tydiqa-goldp-dev-arabic.json",
        "mlqa_ar": "mlqa_ar/dev-context-ar-question-ar.json"}
# Words around a name, not the name ("الرئيس محمد"): never labelled a name.
NOT_NAMES = frozenset(normalize(w) for w in """الرئيس الملك الأمير الشيخ وزير رئيس مدينة ملك دولة جمهورية مملكة
    عام سنة الدكتور السيد الإمام الخليفة السلطان القائد بن ابن أبو أبي عبد ولاية محافظة جزيرة نهر بحر جبل""".split())


COMMON_KEPT = 0.85


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+", strip_diacritics(text)) if len(w) > 2 and terms(w)]


def labelled(data_dir: Path) -> tuple[list[str], list[str]]:
    """(names, common words), each sorted and unique."""
    names: set[str] = set()
    common: set[str] = set()
    for rel in SETS.values():
        data = json.loads((data_dir / rel).read_text(encoding="utf-8"))
        for art in data["data"]:
            for para in art["paragraphs"]:
                for qa in para["qas"]:
                    if question_type(qa["question"]) in ("person", "place"):
                        for a in qa["answers"]:
                            found = words(a["text"])
                            if 1 <= len(re.findall(r"\S+", a["text"])) <= 3:
                                names.update(w for w in found if normalize(w) not in NOT_NAMES)
                    common.update(words(qa["question"]))
    for key in place_table._PLACE_KEYS:
        names.update(w for w in place_table._EXONYMS[key].split() if len(w) > 2)
    named = {normalize(w) for w in names}
    return sorted(names), sorted(w for w in common if normalize(w) not in named)


def fit(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=PROBE_PATH)
    p.add_argument("--report", type=Path, default=BENCH / "out" / "train_names.json")
    args = p.parse_args(argv)
    apply_offline_env()
    missing = [rel for rel in SETS.values() if not (qa_data.DATA_DIR / rel).is_file()]
    if missing:
        print(f"SKIPPED: the training data is not in {qa_data.DATA_DIR} (missing: {', '.join(missing)})",
              file=sys.stderr)
        return 0
    names, common = labelled(qa_data.DATA_DIR)
    log(f"{len(names)} names, {len(common)} common words")
    settings = Settings.from_env({})
    embedder = make_embedder(settings)
    t0 = time.perf_counter()
    x = np.asarray(embedder.embed_queries(names + common), np.float32)
    log(f"embedded {len(x)} words in {time.perf_counter() - t0:.0f} s")
    y = np.array([1] * len(names) + [0] * len(common))
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        w, b = fit(x[train], y[train])
        oof[test] = 1.0 / (1.0 + np.exp(-(x[test] @ w + b)))
    table = {th: {"name_recall": round(float((oof[y == 1] >= th).mean()), 3),
                  "common_kept": round(float((oof[y == 0] < th).mean()), 3)} for th in (0.3, 0.4, 0.5, 0.6, 0.7)}
    threshold = min((th for th in table if table[th]["common_kept"] >= COMMON_KEPT), default=max(table))
    for th, row in table.items():
        log(f"threshold {th}: out-of-fold name recall {row['name_recall']}, common words kept {row['common_kept']}")
    w, b = fit(x, y)
    probe = NameProbe(w, b, threshold, embedder.name, {
        "trained_on": {"names": len(names), "common_words": len(common), "sets": sorted(SETS)},
        "cross_validation": {str(k): v for k, v in table.items()}, "command": "python benchmarks/train_names.py"})
    probe.save(args.out)
    log(f"wrote {args.out} (threshold {threshold})")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"meta": meta("python benchmarks/train_names.py"), "threshold": threshold,
                                       "cross_validation": table, "names": len(names), "common": len(common)},
                                      ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
