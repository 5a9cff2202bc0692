"""Precision by capability: speed of bfloat16 and float32 on this CPU and on an AVX2-only one, and
whether an index built in one precision can be read in the other.

    python benchmarks/precision.py [--articles 20] [--questions 300]

Each configuration runs in its own process (torch reads its kernel caps at start):
* native: the CPU as it is (here: AVX512_BF16), bfloat16 and float32;
* avx2: ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2, which keep torch and oneDNN to AVX2
  kernels as on a laptop or a server without native bf16, bfloat16 and float32 (an emulation of such
  a CPU on this one: the same instructions an AVX2-only CPU runs, at this CPU's clock);
and what RAG_EMBED_DTYPE=auto chose in each.
Speed: the sentences of the first N demo articles, with their titles, as the index embeds them.
Cross-precision: XQuAD passages embedded in bfloat16 and float32; the cosine of each passage's two
vectors, and passage R@1 of XQuAD ar/en questions with the questions and passages in either precision.
Writes benchmarks/out/precision.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import DATA, DEMO, OFFLINE, OUT, ROOT, log, meta, require, write_json  # noqa: E402

CAPPED = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def worker(args: argparse.Namespace) -> None:
    """One process: load the model in `args.dtype`, time the demo sentences, embed XQuAD."""
    from perf_common import load_demo

    from rag.embedder import SentenceTransformerEmbedder
    from rag.precision import choose_precision, cpu_profile
    from rag.sentences import split_sentences
    from rag.settings import default_model_dir

    auto = choose_precision("auto", "cpu")
    emb = SentenceTransformerEmbedder(str(default_model_dir()), args.dtype, device="cpu")
    emb.warm_up()
    texts, titles = [], []
    for article in load_demo()[: args.articles]:
        for s, e in split_sentences(article.text, 0, len(article.text)):
            texts.append(article.text[s:e])
            titles.append(article.title)
    t0 = time.perf_counter()
    emb.embed_documents(texts, titles)
    seconds = time.perf_counter() - t0
    chars = sum(map(len, texts)) + sum(map(len, titles))
    out = Path(args.out)
    result = {"dtype": args.dtype, "auto_chose": auto.dtype, "auto_reason": auto.reason,
              "cpu": cpu_profile().as_dict(), "sentences": len(texts), "seconds": round(seconds, 2),
              "chars_per_s": round(chars / seconds), "sentences_per_s": round(len(texts) / seconds, 2)}
    if args.xquad:
        rows = [json.loads(line) for line in (DATA / "xquad" / "xquad_ar_en_aligned.jsonl").open(encoding="utf-8")]
        keys = list(dict.fromkeys(r["paragraph_key"] for r in rows))
        ctx = {r["paragraph_key"]: (r["title"], r["context_ar"]) for r in rows}
        docs = emb.embed_documents([ctx[k][1] for k in keys], [ctx[k][0] for k in keys])
        picked = rows[:: max(1, len(rows) // args.questions)][: args.questions]
        qa = emb.embed_queries([r["question_ar"] for r in picked])
        qe = emb.embed_queries([r["question_en"] for r in picked])
        np.savez(out.with_suffix(".npz"), docs=docs, qa=qa, qe=qe,
                 gold=np.array([keys.index(r["paragraph_key"]) for r in picked]))
    out.write_text(json.dumps(result), encoding="utf-8")


def run(dtype: str, capped: bool, args: argparse.Namespace, xquad: bool) -> dict[str, object]:
    name = f"precision-{'avx2' if capped else 'native'}-{dtype}"
    out = OUT / f"{name}.json"
    env = {**os.environ, **OFFLINE, **(CAPPED if capped else {})}
    cmd = [sys.executable, __file__, "--worker", "--dtype", dtype, "--out", str(out),
           "--articles", str(args.articles), "--questions", str(args.questions)] + (["--xquad"] if xquad else [])
    log(f"{name} ...")
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)
    result = json.loads(out.read_text(encoding="utf-8"))
    log(f"{name}: {result['chars_per_s']} chars/s ({result['sentences_per_s']} sentences/s); auto chose "
        f"{result['auto_chose']}")
    return result


def r_at_1(q: np.ndarray, docs: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean((q @ docs.T).argmax(axis=1) == gold))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=20)
    p.add_argument("--questions", type=int, default=300)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--xquad", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    p.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    require(DEMO, DATA / "xquad")
    OUT.mkdir(parents=True, exist_ok=True)
    runs = {f"{'avx2' if capped else 'native'}-{dtype}": run(dtype, capped, args, xquad=not capped)
            for capped in (False, True) for dtype in ("bfloat16", "float32")}
    b = np.load(OUT / "precision-native-bfloat16.npz")
    f = np.load(OUT / "precision-native-float32.npz")
    cos = (b["docs"] * f["docs"]).sum(axis=1)
    cross = {}
    for qname in ("qa", "qe"):
        for qd, q in (("bf16", b), ("fp32", f)):
            for dd, d in (("bf16", b), ("fp32", f)):
                cross[f"{qname}:{qd}_questions/{dd}_passages"] = round(r_at_1(q[qname], d["docs"], b["gold"]), 4)
    data = {"meta": meta("python benchmarks/precision.py " + " ".join(sys.argv[1:])), "runs": runs,
            "passage_cosine_bf16_fp32": {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5),
                                         "passages": int(len(cos))},
            "xquad_r_at_1": cross}
    write_json("precision.json", data)
    for name, r in runs.items():
        print(f"{name:16} {r['chars_per_s']:>7} chars/s  {r['sentences_per_s']:>6} sentences/s  auto: "
              f"{r['auto_chose']} ({r['auto_reason']})")
    print(f"cosine bf16 vs fp32, {len(cos)} XQuAD passages: min {cos.min():.5f}, mean {cos.mean():.5f}")
    for k, v in cross.items():
        print(f"R@1 {k}: {v}")


if __name__ == "__main__":
    main()
