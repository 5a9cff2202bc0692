"""A query-side adapter for the sentence choice, tried and not shipped: does a learned linear map
on the question vector (q' = q + A q, pulled toward the identity) pick the answering sentence
better than plain cosine?

    python benchmarks/query_adapter.py [--db benchmarks/out/train-db]

Data: ARCD-train only (the training index of train_scorer.py, which must have been built), each
question asked as the app asks it; its candidates are the sentences of the top 3 passages, labelled
by whether they contain a gold answer. A is trained with a softmax over each question's candidates
(temperature 20, Adam, torch seed 0) in 5-fold cross-validation grouped by passage, the same folds
as train_scorer.py; the score is the share of held-out questions whose best candidate by
cos(q', s) contains the answer, beside cos(q, s).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402


def collect(db: Path) -> list[dict[str, object]]:
    import train_scorer as ts
    from quality import CachingEmbedder

    from rag.embedder import make_embedder
    from rag.engine import Isnad
    from rag.settings import Settings, apply_offline_env

    apply_offline_env()
    arcd = qa_data.load(["arcd_train"], pool_all=False)
    emb = CachingEmbedder(make_embedder(Settings.from_env({})))
    isnad = Isnad(Settings.from_env({}, db_dir=str(db)), embedder=emb)
    isnad.index.open()
    emb.load(ts.OUT / "query-vectors.npz")
    rows = []
    for q in arcd.questions:
        r = isnad.retriever.retrieve(q.question, 10, lang="ar")
        cands = isnad.answerer.candidates(r)
        if not cands:
            continue
        ex = ts.collect(isnad, q.question, q.answers, r, q.article_id, "answerable")
        rows.append({"group": q.article_id, "q": ex.ctx.vector.astype(np.float32),
                     "V": np.stack([c.vector for c in cands]).astype(np.float32), "y": ex.labels})
    return rows


def train(rows: list[dict], kind: str, rank: int, l2: float, epochs: int) -> np.ndarray:  # type: ignore[type-arg]
    import torch

    d = rows[0]["q"].shape[0]
    torch.manual_seed(0)
    if kind == "diag":
        a = torch.zeros(d, requires_grad=True)
        params, lr = [a], 1e-2
    elif kind == "full":
        full = torch.zeros(d, d, requires_grad=True)
        params, lr = [full], 1e-3
    else:
        u = (torch.randn(d, rank) * 0.01).requires_grad_()
        v = (torch.randn(d, rank) * 0.01).requires_grad_()
        params, lr = [u, v], 3e-3
    qs = [torch.tensor(r["q"]) for r in rows]
    vs = [torch.tensor(r["V"]) for r in rows]
    ys = [torch.tensor(r["y"]) for r in rows]
    use = [i for i, r in enumerate(rows) if r["y"].any()]
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        loss = 0
        for i in use:
            q = qs[i]
            qa = q * (1 + a) if kind == "diag" else q + (full @ q if kind == "full" else u @ (v.T @ q))
            s = 20.0 * (vs[i] @ (qa / qa.norm()))
            loss = loss - (torch.logsumexp(s[ys[i]], 0) - torch.logsumexp(s, 0))
        loss = loss / len(use) + l2 * sum((p ** 2).sum() for p in params)
        loss.backward()
        opt.step()
    if kind == "diag":
        return np.diag(a.detach().numpy())
    return full.detach().numpy() if kind == "full" else (u @ v.T).detach().numpy()


def top1(rows: list[dict], a: np.ndarray | None) -> float:  # type: ignore[type-arg]
    ok = []
    for r in rows:
        q = r["q"] + (a @ r["q"] if a is not None else 0)
        q = q / np.linalg.norm(q)
        ok.append(bool(r["y"][int(np.argmax(r["V"] @ q))]))
    return float(np.mean(ok))


VARIANTS = [("low rank 8, L2 1e-3", "lowrank", 8, 1e-3, 100), ("low rank 32, L2 1e-3", "lowrank", 32, 1e-3, 100),
            ("low rank 32, L2 1e-4", "lowrank", 32, 1e-4, 100), ("full, L2 1e-2", "full", 0, 1e-2, 100),
            ("diagonal, L2 1e-3", "diag", 0, 1e-3, 100), ("diagonal, L2 1e-2", "diag", 0, 1e-2, 100),
            ("full, L2 1", "full", 0, 1.0, 60), ("low rank 4, L2 0.1", "lowrank", 4, 0.1, 60)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=BENCH / "out" / "train-db")
    args = p.parse_args(argv)
    if qa_data.skip_without_data():
        return 0
    rows = collect(args.db)
    fold = [int(hashlib.md5(str(r["group"]).encode()).hexdigest(), 16) % 5 for r in rows]
    print(f"{len(rows)} ARCD-train questions; top-1 sentence contains the answer, 5-fold CV:")
    print(f"  cosine, no adapter: {top1(rows, None):.3f}")
    for name, kind, rank, l2, epochs in VARIANTS:
        t0, hits, fit = time.time(), 0.0, []
        for k in range(5):
            tr = [r for r, f in zip(rows, fold, strict=True) if f != k]
            te = [r for r, f in zip(rows, fold, strict=True) if f == k]
            a = train(tr, kind, rank, l2, epochs)
            hits += top1(te, a) * len(te)
            fit.append(top1(tr, a))
        print(f"  adapter {name}: {hits / len(rows):.3f} held out ({np.mean(fit):.3f} on its training folds; "
              f"{time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
