"""Does the reader's reading of a claim with a sentence say supported / contradicted / not found? A probe.

    python benchmarks/claim_pairs.py                       # the pairs, first
    python benchmarks/claim_head.py READER [--limit N]

READER is a train_reader.py checkpoint (.pt), a folder with reader.safetensors + reader.json, or `base`
(EmbeddingGemma's 24 layers as they are). Each pair of benchmarks/out/claim_pairs.jsonl is read as the
reader reads a question with a sentence (the claim in the question's place); the mean of the last hidden
states and the reader's own score are the features of a three-way logistic regression trained on the
pairs' training passages and measured on the held-out ones (1 passage in 12, never trained on). Nothing
here is shipped; it says whether a head on the reader is worth training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import OUT, log, meta  # noqa: E402

from rag.reader_net import MAX_TOKENS, VERDICTS, build, pair_text  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402


def load_reader(source: str, full):  # type: ignore[no-untyped-def]
    import torch
    from safetensors.torch import load_file

    if source == "base":
        return build(full, 24, 1, 2.0)  # LoRA B starts at zero: the model as it is
    path = Path(source)
    if path.suffix == ".pt":
        ck = torch.load(path, weights_only=False)
        a = ck["args"]
        net = build(full, a["layers"], a["rank"], 2.0 * a["rank"])
        net.load_state_dict(ck["state"], strict=False)
        return net
    config = json.loads((path / "reader.json").read_text(encoding="utf-8"))
    net = build(full, int(config["layers"]), int(config["rank"]), float(config["alpha"]))
    net.load_state_dict(load_file(str(path / "reader.safetensors")), strict=False)
    return net


def features(net, tokenizer, pairs: list[dict], batch: int = 16) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(pairs), batch):
            texts = [pair_text(p["claim"], p["title"], p["sentence"]) for p in pairs[i: i + batch]]
            enc = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=MAX_TOKENS)
            pooled = net.pooled(enc["input_ids"], enc["attention_mask"])
            logit = net.head(pooled)
            out.append(torch.cat([pooled, logit], 1).numpy())
            if i % (batch * 40) == 0:
                log(f"  {i}/{len(pairs)}")
    return np.concatenate(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reader")
    p.add_argument("--pairs", type=Path, default=OUT / "claim_pairs.jsonl")
    p.add_argument("--limit", type=int, default=0, help="at most N training pairs (all held-out pairs are read)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if not args.pairs.is_file():
        print(f"SKIPPED: no pairs at {args.pairs}: run python benchmarks/claim_pairs.py first", file=sys.stderr)
        return 2
    apply_offline_env()
    import torch
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(args.threads)
    pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    train = [x for x in pairs if not x["held_out"]]
    test = [x for x in pairs if x["held_out"]]
    if args.limit:
        train = train[: args.limit]
    st = SentenceTransformer(str(default_model_dir()), device="cpu", model_kwargs={"torch_dtype": torch.bfloat16})
    net = load_reader(args.reader, st[0].auto_model)
    net.eval()
    t0 = time.time()
    x_train, x_test = features(net, st.tokenizer, train), features(net, st.tokenizer, test)
    log(f"{len(train) + len(test)} pairs read in {time.time() - t0:.0f} s")
    y_train = np.array([VERDICTS.index(x["verdict"]) for x in train])
    y_test = np.array([VERDICTS.index(x["verdict"]) for x in test])
    clf = LogisticRegression(max_iter=2000, C=0.5).fit(x_train, y_train)
    pred = clf.predict(x_test)
    result: dict[str, object] = {"reader": args.reader, "train": len(train), "held_out": len(test),
                                 "accuracy": round(float(np.mean(pred == y_test)), 4)}
    for v, name in enumerate(VERDICTS):
        result[f"recall {name}"] = round(float(np.mean(pred[y_test == v] == v)), 4)
    by_source = {}
    for source in sorted({x["source"] for x in test}):
        idx = np.array([x["source"] == source for x in test])
        by_source[source] = round(float(np.mean(pred[idx] == y_test[idx])), 4)
    result["accuracy by source"] = by_source
    result["meta"] = meta("python benchmarks/claim_head.py " + " ".join(sys.argv[1:]))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    name = "base" if args.reader == "base" else Path(args.reader).stem
    (OUT / f"claim_head-{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
