"""Retrieval variants compared on the quality index, from cached vectors only (no model call).

    python benchmarks/fusion_variants.py [--db benchmarks/out/quality-db]

Run `python benchmarks/quality.py` first: it builds the index (whose vector cache holds every
sentence vector, and the whole-chunk vectors of earlier versions) and stores the question vectors
in benchmarks/out/query-vectors.npz. Here every question is scored against EVERY chunk exactly
(no HNSW, no candidate lists), so the figures isolate the scoring rule:

* chunk:      cosine(question, whole-chunk vector) -- what Isnad did before sentences;
* sentence:   max over the chunk's sentences of cosine(question, sentence) -- the dense unit now;
* chunk + b*sentence, and sentence + g*chunk-context (mean of the chunk's sentence vectors);
* + BM25:     the earlier chunk-level bonus w*bm25/(bm25+h) (FTS5 top 40) for Arabic questions;
* + overlap:  the sentence-level bonus w*overlap, overlap = IDF-weighted share of the question's
              terms in the sentence (IDF over chunks) -- what retrieve.py does.

An article scores by its best chunk; rank = 1 + articles scoring higher + tied articles whose id
sorts first (ties are real: some passages repeat sentences of others). R@1 / MRR per subset; the
weights were chosen on TUNE (arcd_train, tydi, mlqa) only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa_data  # noqa: E402
from perf_common import meta  # noqa: E402

from rag.arabic import language, terms  # noqa: E402
from rag.embedder import make_embedder  # noqa: E402
from rag.index import Index, embed_key  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Filters  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
COLS = ("ALL", "TUNE", "arcd", "tydi", "mlqa", "xquad_ar", "xquad_en", "arcd_train")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=OUT / "quality-db")
    p.add_argument("--query-vectors", type=Path, default=OUT / "query-vectors.npz")
    args = p.parse_args(argv)
    try:
        qa_data.check_data()
    except qa_data.DataMissing as exc:
        print(f"SKIPPED: {exc}", file=sys.stderr)
        return 0
    if not args.query_vectors.is_file() or not (args.db / "isnad.sqlite3").is_file():
        print("run benchmarks/quality.py first (it builds the index and caches the question vectors)",
              file=sys.stderr)
        return 2
    # The model is named (the index checks it built the vectors) but never loaded: every vector
    # comes from the index's cache.
    index = Index(args.db, make_embedder(Settings.from_env({})))
    questions = qa_data.load().questions
    z = np.load(args.query_vectors, allow_pickle=False)
    qvec = dict(zip(json.loads(str(z["texts"])), z["vectors"], strict=True))
    Q = np.stack([qvec[q.question] for q in questions]).astype(np.float32)

    articles = {a.id: a for a in index.ready_articles()}
    rows = [(c.id, aid, c.start, c.end) for aid in sorted(articles) for c in index.chunks_of(aid)]
    aids = sorted(articles)
    aidx = {a: i for i, a in enumerate(aids)}
    chunk_art = np.array([aidx[r[1]] for r in rows])
    chunk_row = {r[0]: i for i, r in enumerate(rows)}
    sent_keys, sent_texts, sent_chunk, chunk_keys = [], [], [], []
    for i, (_, aid, start, end) in enumerate(rows):
        a = articles[aid]
        chunk_keys.append(embed_key(a.title, a.text[start:end]))
        for s, e in split_sentences(a.text, start, end):
            sent_keys.append(embed_key(a.title, a.text[s:e]))
            sent_texts.append(a.text[s:e])
            sent_chunk.append(i)
    cache = index.cached_vectors([*sent_keys, *chunk_keys])
    missing = [k for k in sent_keys if k not in cache]
    if missing:
        print(f"{len(missing)} sentence vectors are not cached: run benchmarks/quality.py first", file=sys.stderr)
        return 2
    S = np.stack([cache[k] for k in sent_keys]).astype(np.float32)
    assert len(set(sent_chunk)) == len(rows), "every chunk has at least one sentence"
    sent_chunk_arr = np.array(sent_chunk)
    sims = Q @ S.T

    def chunk_max(m: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(m, np.r_[0, np.flatnonzero(np.diff(sent_chunk_arr)) + 1], axis=1)

    gold = np.array([aidx[q.article_id] for q in questions])
    subsets = np.array([q.subset for q in questions])
    is_ar = np.array([language(q.question) == "ar" for q in questions])

    def article_scores(chunk_scores: np.ndarray) -> np.ndarray:
        order = np.argsort(chunk_art, kind="stable")
        bounds = np.r_[0, np.flatnonzero(np.diff(chunk_art[order])) + 1]
        return np.maximum.reduceat(chunk_scores[:, order], bounds, axis=1)

    results: dict[str, dict[str, tuple[float, float]]] = {}

    def report(name: str, chunk_scores: np.ndarray) -> None:
        # Rounded: passages that repeat one another's sentences tie exactly, whatever order the
        # sums were taken in.
        a = np.round(article_scores(chunk_scores), 5)
        g = a[np.arange(len(questions)), gold][:, None]
        ids = np.arange(a.shape[1])[None, :]
        rank = 1 + (a > g).sum(1) + ((a == g) & (ids < gold[:, None])).sum(1)
        row = {}
        for col in COLS:
            m = (np.ones(len(questions), bool) if col == "ALL" else
                 np.isin(subsets, qa_data.TUNE_SUBSETS) if col == "TUNE" else subsets == col)
            row[col] = (float((rank[m] == 1).mean()), float((1 / rank[m]).mean()))
        results[name] = row
        print(f"| {name} | " + " | ".join(f"{row[c][0]:.3f} / {row[c][1]:.3f}" for c in COLS) + " |", flush=True)

    print("| variant (R@1 / MRR) | " + " | ".join(COLS) + " |\n|" + "---|" * (len(COLS) + 1))
    sentence = chunk_max(sims)
    if all(k in cache for k in chunk_keys):
        chunk = Q @ np.stack([cache[k] for k in chunk_keys]).astype(np.float32).T
        report("chunk vectors", chunk)
        for b in (0.3, 0.5):
            report(f"chunk + {b} x best sentence", chunk + b * sentence)
    else:
        print("(whole-chunk vectors are not in this index's cache: chunk rows skipped)", file=sys.stderr)
    report("best sentence (dense only)", sentence)
    context = np.zeros((len(rows), S.shape[1]), np.float32)
    np.add.at(context, sent_chunk_arr, S)
    context /= np.linalg.norm(context, axis=1, keepdims=True) + 1e-9
    for g in (0.1, 0.2):
        report(f"best sentence + {g} x chunk context", sentence + g * (Q @ context.T))

    lexical = [dict(index.lexical(terms(q.question, query=True), 40, Filters())) if ar else {}
               for q, ar in zip(questions, is_ar, strict=True)]
    for w, h in ((0.05, 8), (0.1, 2), (0.1, 8)):
        fused = sentence.copy()
        for i, lex in enumerate(lexical):
            for cid, v in lex.items():
                fused[i, chunk_row[cid]] += w * v / (v + h)
        report(f"best sentence + chunk BM25 w={w} h={h}", fused)

    from scipy import sparse

    vocab: dict[str, int] = {}
    cells = [(j, vocab.setdefault(t, len(vocab))) for j, text in enumerate(sent_texts) for t in set(terms(text))]
    q_terms = [list(dict.fromkeys(terms(q.question, query=True))) if ar else []
               for q, ar in zip(questions, is_ar, strict=True)]
    n_chunks, df = index.term_frequencies(sorted({t for ts in q_terms for t in ts}))
    idf = {t: math.log((n_chunks + 1) / (df.get(t, 0) + 0.5)) for ts in q_terms for t in ts}
    for ts in q_terms:
        for t in ts:
            vocab.setdefault(t, len(vocab))
    in_sentence = sparse.csr_matrix((np.ones(len(cells), np.float32), tuple(zip(*cells, strict=True))),
                                    shape=(len(sent_texts), len(vocab)))
    qi, qj, qw = [], [], []
    for i, ts in enumerate(q_terms):
        total = sum(idf[t] for t in ts)
        for t in ts:
            if total > 0:
                qi.append(i), qj.append(vocab[t]), qw.append(idf[t] / total)
    weighted = sparse.csr_matrix((np.array(qw, np.float32), (qi, qj)), shape=(len(questions), len(vocab)))
    overlap = (weighted @ in_sentence.T).toarray()
    for w in (0.05, 0.1, 0.15, 0.2):
        report(f"best (sentence + {w} x IDF overlap)", chunk_max(sims + w * overlap))
    results["meta"] = meta("python benchmarks/fusion_variants.py " + " ".join(sys.argv[1:]))
    (OUT / "fusion_variants.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
