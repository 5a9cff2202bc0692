"""Train the built-in reader (rag/reader_net.py): does this sentence state the answer to this question?

    python benchmarks/train_reader.py [--layers 4] [--steps 3000] [--threads 2]

One command, on the CPU; it checkpoints every 100 steps (--save-every) to
benchmarks/out/reader-ckpt[-<layers>l].pt and a rerun resumes from there (same arguments); `--export
CKPT --out DIR` writes a checkpoint (a copy taken mid-run) as a reader to measure. At the end
it writes rag/data/reader.safetensors and rag/data/reader.json (the architecture, the training data
and the answerability threshold calibrated on the held-out training questions).

Data (../shared/data; each licence lets us ship the weights, NOTICE.md): ARCD train, TyDi GoldP
Arabic dev, MLQA ar-ar dev; MLQA cross-lingual (Arabic passages with en/de/es/hi/vi/zh questions,
and en/de/es/hi/vi/zh passages with Arabic questions); MLQA en-en dev; TyDi GoldP English dev and
train. XQuAD (ar, en) and ARCD test are never read. The 4 ids the data README names as sharing a
topic with XQuAD are dropped. One group per question: the sentence that holds the answer and up to
5 other sentences of its passage and of other passages on the same title; one question in six gets
a group without its answer sentence (the reader must learn to say "no" to a sentence on the right
topic). 1 passage in 12 of the Arabic-passage sets is held out (never trained on) to calibrate the
threshold.

With --extra-groups, groups that reader_groups.py made of the app's own candidates (other articles, other
titles) are mixed in; --init starts from another run's checkpoint and --name keeps this run's apart.

Loss: softmax over each group (which sentence answers) + binary cross-entropy per sentence (does
it answer at all), so the score ranks and is a probability.

With --claim-pairs (claim_pairs.py's file), the reader also learns a second head on the same reading, the
verdict: the claim in the question's place, one sentence, supported / contradicted / not found (cross-entropy,
--claim-batch pairs a step, weighed --claim-weight). Its held-out pairs (the same 1 passage in 12) are scored
at each evaluation: accuracy and each verdict's recall.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from perf_common import DATA, OUT, log, meta  # noqa: E402

from rag.reader_net import MAX_TOKENS, VERDICTS, build, pair_text, trained_state  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402

ROOT = BENCH.parent
WEIGHTS = ROOT / "rag" / "data" / "reader.safetensors"
CONFIG = ROOT / "rag" / "data" / "reader.json"
CKPT = OUT / "reader-ckpt.pt"
LANGS = ("de", "en", "es", "hi", "vi", "zh")
SOURCES = ([("arcd/arcd-train.json", "arcd_train", True),
            ("tydiqa_goldp_ar/tydiqa-goldp-dev-arabic.json", "tydi_ar", True),
            ("mlqa_ar/dev-context-ar-question-ar.json", "mlqa_ar", True)]
           + [(f"mlqa_xling/dev-context-ar-question-{x}.json.gz", f"mlqa_ar_{x}", True) for x in LANGS]
           + [(f"mlqa_xling/dev-context-{x}-question-ar.json.gz", f"mlqa_{x}_ar", False) for x in LANGS]
           + [("mlqa_dev_multi/dev-context-en-question-en.json.gz", "mlqa_en", False),
              ("tydiqa_goldp_multi/english_tydiqa_dev.json.gz", "tydi_en", False),
              ("tydiqa_goldp_multi/english_tydiqa_train.json.gz", "tydi_en_train", False)])
XQUAD_TOPIC = {"english-7003111311521445682-10", "english-9162102122565530541-1", "english--1203231337305279938-2",
               "f7fdac24739c32f44e1d5bde2b867b4a1ea89e3e"}


@dataclass(frozen=True)
class Group:
    source: str
    question: str
    title: str
    sentences: tuple[str, ...]
    labels: tuple[int, ...]  # 1: holds the answer
    titles: tuple[str, ...] = ()  # one per sentence where they differ (groups of reader_groups.py)

    def title_of(self, i: int) -> str:
        return self.titles[i] if self.titles else self.title


def extra_groups(path: Path) -> list[Group]:
    """Groups written by reader_groups.py (one JSON object a line)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Group(d["source"], d["question"], d.get("title", ""), tuple(d["sentences"]),
                             tuple(d["labels"]), tuple(d.get("titles", ()))))
    return out


def _read(path: Path) -> dict:  # type: ignore[type-arg]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(raw.decode("utf-8"))


def _held_out(context: str) -> bool:
    return hashlib.sha1(context.encode("utf-8")).digest()[0] % 12 == 0


def groups(rng: random.Random) -> tuple[list[Group], list[Group]]:
    """(training groups, held-out groups)."""
    train, dev = [], []
    for rel, name, arabic_passages in SOURCES:
        data = _read(DATA / rel)
        for art in data["data"]:
            title = (art.get("title") or "").replace("_", " ")
            paras = art["paragraphs"]
            spans = [split_sentences(p["context"]) for p in paras]
            for pi, para in enumerate(paras):
                ctx = para["context"]
                sents = [ctx[s:e] for s, e in spans[pi]]
                others = [p["context"][s:e] for pj, p in enumerate(paras) if pj != pi for s, e in spans[pj]]
                for qa in para["qas"]:
                    if qa["id"] in XQUAD_TOPIC or not qa["answers"] or len(sents) < 2:
                        continue
                    ans = qa["answers"][0]
                    start = ans["answer_start"]
                    if ctx[start:start + len(ans["text"])] != ans["text"]:
                        found = ctx.find(ans["text"])
                        if found < 0:
                            continue
                        start = found
                    gold = next((i for i, (s, e) in enumerate(spans[pi]) if s <= start < e), None)
                    if gold is None:
                        continue
                    negs = [s for i, s in enumerate(sents) if i != gold]
                    rng.shuffle(negs)
                    pool = negs[:4] + rng.sample(others, min(2, len(others)))
                    no_answer = rng.random() < 1 / 6
                    items = pool[:5] if no_answer else [sents[gold], *pool[:5]]
                    labels = [0] * len(items) if no_answer else [1] + [0] * (len(items) - 1)
                    order = list(range(len(items)))
                    rng.shuffle(order)
                    g = Group(name, qa["question"], title, tuple(items[i] for i in order),
                              tuple(labels[i] for i in order))
                    (dev if arabic_passages and _held_out(ctx) else train).append(g)
    rng.shuffle(train)
    return train, dev


def load_base(threads: int):  # type: ignore[no-untyped-def]
    import torch
    from sentence_transformers import SentenceTransformer

    from rag.precision import choose_precision

    torch.set_num_threads(threads)
    dtype = torch.bfloat16 if choose_precision("auto", "cpu").dtype == "bfloat16" else torch.float32
    st = SentenceTransformer(str(default_model_dir()), device="cpu", model_kwargs={"torch_dtype": dtype})
    return st[0].auto_model, st.tokenizer, dtype


def encode(tokenizer, texts: list[str]):  # type: ignore[no-untyped-def]
    return tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=MAX_TOKENS)


def batch_loss(net, tokenizer, batch: list[Group]):  # type: ignore[no-untyped-def]
    import torch

    texts = [pair_text(g.question, g.title_of(i), s) for g in batch for i, s in enumerate(g.sentences)]
    enc = encode(tokenizer, texts)
    logits = net(enc["input_ids"], enc["attention_mask"])
    labels = torch.tensor([lab for g in batch for lab in g.labels], dtype=torch.float32)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    ce, n, at = torch.zeros(()), 0, 0
    for g in batch:
        part = logits[at: at + len(g.sentences)]
        if 1 in g.labels:  # the chance that one of the sentences that hold the answer comes first
            pos = torch.tensor([lab == 1 for lab in g.labels])
            ce = ce + torch.logsumexp(part, 0) - torch.logsumexp(part[pos], 0)
            n += 1
        at += len(g.sentences)
    return bce + (ce / n if n else 0.0)


def claim_pairs(path: Path) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    """(training pairs, held-out pairs) of claim_pairs.py's file, the training ones shuffled."""
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = sorted({p["verdict"] for p in pairs} - set(VERDICTS))
    if bad:
        raise SystemExit(f"{path}: unknown verdicts {bad}; make it again with python benchmarks/claim_pairs.py")
    train = [p for p in pairs if not p["held_out"]]
    random.Random(1).shuffle(train)
    return train, [p for p in pairs if p["held_out"]]


def claim_loss(net, tokenizer, batch: list[dict]):  # type: ignore[no-untyped-def, type-arg]
    import torch

    enc = encode(tokenizer, [pair_text(p["claim"], p["title"], p["sentence"]) for p in batch])
    _, verdicts = net.both(enc["input_ids"], enc["attention_mask"])
    labels = torch.tensor([VERDICTS.index(p["verdict"]) for p in batch])
    return torch.nn.functional.cross_entropy(verdicts, labels)


def claim_eval(net, tokenizer, pairs: list[dict], chunk: int = 32) -> dict[str, float]:  # type: ignore[no-untyped-def, type-arg]
    """Accuracy of the verdict head on these pairs, and each verdict's recall."""
    import torch

    preds = []
    with torch.inference_mode():
        for i in range(0, len(pairs), chunk):
            enc = encode(tokenizer, [pair_text(p["claim"], p["title"], p["sentence"]) for p in pairs[i: i + chunk]])
            preds += net.both(enc["input_ids"], enc["attention_mask"])[1].argmax(-1).tolist()
    gold = [VERDICTS.index(p["verdict"]) for p in pairs]
    out = {"claim_accuracy": round(float(np.mean([a == b for a, b in zip(preds, gold, strict=True)])), 4)}
    for v, name in enumerate(VERDICTS):
        mine = [a == v for a, b in zip(preds, gold, strict=True) if b == v]
        out[f"recall {name}"] = round(float(np.mean(mine)), 4) if mine else 0.0
    return out


def scores(net, tokenizer, dev: list[Group], chunk: int = 48) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    import torch

    texts = [pair_text(g.question, g.title_of(i), s) for g in dev for i, s in enumerate(g.sentences)]
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), chunk):
            enc = encode(tokenizer, texts[i: i + chunk])
            out.append(torch.sigmoid(net(enc["input_ids"], enc["attention_mask"])).float().numpy())
    flat = np.concatenate(out) if out else np.zeros(0)
    res, at = [], 0
    for g in dev:
        res.append(flat[at: at + len(g.sentences)])
        at += len(g.sentences)
    return res


def evaluate(dev: list[Group], probs: list[np.ndarray]) -> dict[str, float]:
    """Top-1 accuracy on groups with an answer; the threshold that declines 5 % of those, and the
    share of answer-less groups it declines."""
    answerable = [(g, p) for g, p in zip(dev, probs, strict=True) if 1 in g.labels]
    empty = [p for g, p in zip(dev, probs, strict=True) if 1 not in g.labels]
    top1 = float(np.mean([g.labels[int(p.argmax())] == 1 for g, p in answerable])) if answerable else 0.0
    best = np.sort([float(p.max()) for _, p in answerable])
    threshold = float(best[int(0.05 * len(best))]) if len(best) else 0.5
    declined = float(np.mean([float(p.max()) < threshold for p in empty])) if empty else 0.0
    return {"top1": round(top1, 4), "threshold": round(threshold, 4), "declines_no_answer": round(declined, 4),
            "groups": len(dev)}


def reader_config(layers: int, rank: int, threshold: float | None, verdicts: bool,
                  info: dict[str, object]) -> dict[str, object]:
    """reader.json for weights of this shape (what rag/reader.py reads)."""
    return {"layers": layers, "rank": rank, "alpha": 2.0 * rank, "threshold": threshold,
            "verdicts": list(VERDICTS) if verdicts else None,
            "base_model": "EmbeddingGemma-300M (model.safetensors sha256 cbf5a783…)", "info": info}


def export(checkpoint: Path, out: Path) -> int:
    """A checkpoint as a reader folder: what a run writes at its end, without its evaluation."""
    import torch
    from safetensors.torch import save_file

    ck = torch.load(checkpoint, weights_only=False)
    state, args = ck["state"], ck["args"]
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / WEIGHTS.name))
    config = reader_config(args["layers"], args["rank"], None, any(k.startswith("verdict.") for k in state),
                           {"steps": ck["step"], "exported_from": str(checkpoint), "history": ck["history"],
                            "training_seconds": round(ck.get("seconds", 0.0)),
                            "meta": meta("python benchmarks/train_reader.py " + " ".join(sys.argv[1:]))})
    (out / CONFIG.name).write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(f"wrote the weights of step {ck['step']} to {out}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=4, help="EmbeddingGemma layers the reader keeps (of 24)")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=2, help="questions (groups of up to 6 sentences) per step "
                   "(0, with --claim-pairs: only the verdict is trained)")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--dev-limit", type=int, default=400, help="held-out groups scored at each evaluation")
    p.add_argument("--fresh", action="store_true", help="ignore a checkpoint and start again")
    p.add_argument("--save-every", type=int, default=100, help="checkpoint every this many steps")
    p.add_argument("--extra-groups", type=Path, nargs="*", default=[],
                   help="more training groups (reader_groups.py: the app's own candidates), mixed in")
    p.add_argument("--init", type=Path, help="start from this checkpoint's weights, or a trained reader's "
                   "reader.safetensors (the shipped one too; a fresh optimizer and schedule)")
    p.add_argument("--claim-pairs", type=Path, help="claim_pairs.py's file: train the verdict head too")
    p.add_argument("--claim-batch", type=int, default=8, help="claim pairs per step")
    p.add_argument("--claim-weight", type=float, default=1.0, help="the verdict loss's weight beside the reader's")
    p.add_argument("--name", default="", help="a name for this run's checkpoint (reader-ckpt-<layers>l-<name>.pt)")
    p.add_argument("--out", type=Path, default=WEIGHTS.parent,
                   help="folder for reader.safetensors and reader.json (default: rag/data, what ships)")
    p.add_argument("--export", type=Path, metavar="CHECKPOINT",
                   help="only write this checkpoint's weights to --out, unevaluated and with no threshold "
                        "(then: tune_reader.py --reader-weights DIR --write), and stop")
    args = p.parse_args()
    if args.export:
        return export(args.export, args.out)
    if args.batch < 0 or args.batch == 0 and not args.claim_pairs:
        p.error("--batch 0 trains the verdict alone: give --claim-pairs too (or a positive --batch)")
    weights, config_path = args.out / WEIGHTS.name, args.out / CONFIG.name
    ckpt = CKPT if args.layers == 4 and not args.name else CKPT.with_name(
        f"reader-ckpt-{args.layers}l{'-' + args.name if args.name else ''}.pt")
    if not (DATA / "arcd").is_dir():
        print(f"SKIPPED: the training data is not in {DATA} (../shared/data, see its README)", file=sys.stderr)
        return 2
    apply_offline_env()
    import torch
    from safetensors.torch import save_file

    started = time.time()
    torch.manual_seed(0)
    rng = random.Random(0)
    train, dev = groups(rng)
    for path in args.extra_groups:
        more = extra_groups(path)
        log(f"{len(more)} more training groups from {path}")
        train += more
    if args.extra_groups:
        rng.shuffle(train)
    log(f"{len(train)} training groups, {len(dev)} held out; sources: "
        + ", ".join(f"{s} {sum(g.source == s for g in train)}" for s in dict.fromkeys(g.source for g in train)))
    claims, claims_dev = claim_pairs(args.claim_pairs) if args.claim_pairs else ([], [])
    if claims:
        log(f"{len(claims)} claim pairs to train the verdict head, {len(claims_dev)} held out")
    full, tokenizer, dtype = load_base(args.threads)
    net = build(full, args.layers, args.rank, alpha=2.0 * args.rank, verdicts=bool(claims))
    trainable = [p for p in net.parameters() if p.requires_grad]
    log(f"reader: {args.layers} layers, LoRA rank {args.rank}, {sum(p.numel() for p in trainable):,} trainable "
        f"parameters, {dtype}")
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * max(0.05, 1 - s / args.steps))
    step, history, spent = 0, [], 0.0
    if args.init is not None and not (ckpt.exists() and not args.fresh):
        if args.init.suffix == ".safetensors":  # a trained reader's weights (rag/data/reader.safetensors too)
            from safetensors.torch import load_file

            weights = {k: v.float() for k, v in load_file(str(args.init)).items()}
            missing, unexpected = net.load_state_dict(weights, strict=False)
            if unexpected or {k for k in trained_state(net) if not k.startswith("verdict.")} & set(missing):
                raise SystemExit(f"{args.init} does not fit a {args.layers}-layer rank-{args.rank} reader")
            log(f"started from the weights of {args.init}")
        else:
            init = torch.load(args.init, weights_only=False)
            net.load_state_dict(init["state"], strict=False)
            log(f"started from the weights of {args.init} (step {init['step']})")
    if ckpt.exists() and not args.fresh:
        ck = torch.load(ckpt, weights_only=False)
        if ck["args"]["layers"] == args.layers and ck["args"]["rank"] == args.rank:
            net.load_state_dict(ck["state"], strict=False)
            opt.load_state_dict(ck["opt"])
            sched.load_state_dict(ck["sched"])
            step, history, spent = ck["step"], ck["history"], ck.get("seconds", 0.0)
            log(f"resumed at step {step}")
    dev_eval = dev[: args.dev_limit]
    claim_scores: dict[int, dict[str, float]] = {}

    def claim_scored() -> dict[str, float]:
        """The verdict's held-out figures at this step (all the held-out pairs: read once a step)."""
        if step not in claim_scores:
            claim_scores[step] = claim_eval(net, tokenizer, claims_dev)
        return claim_scores[step]

    net.train()
    t0, losses = time.time(), []
    while step < args.steps:
        at = (step * args.batch) % len(train)
        loss = batch_loss(net, tokenizer, train[at: at + args.batch]) if args.batch else torch.zeros(())
        if claims:
            at = (step * args.claim_batch) % len(claims)
            loss = loss + args.claim_weight * claim_loss(net, tokenizer, claims[at: at + args.claim_batch])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(float(loss.detach()))
        if step % 20 == 0:
            rate = 20 / (time.time() - t0)
            log(f"step {step}/{args.steps} loss {np.mean(losses[-20:]):.3f} ({rate:.2f} steps/s)")
            spent += time.time() - t0
            t0 = time.time()
        if step % args.save_every == 0 or step % args.eval_every == 0 or step == args.steps:
            if step % args.eval_every == 0 or step == args.steps:
                net.eval()
                # (with --batch 0 only the verdict is trained, and only it is scored)
                res = evaluate(dev_eval, scores(net, tokenizer, dev_eval)) if args.batch else {}
                if claims:
                    res |= claim_scored()
                net.train()
                history.append({"step": step, **res})
                log(f"held out: {res}")
            OUT.mkdir(parents=True, exist_ok=True)
            torch.save({"state": trained_state(net), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step, "history": history, "args": vars(args) | {"out": str(args.out)},
                        "seconds": spent}, ckpt)
    net.eval()
    final = evaluate(dev, scores(net, tokenizer, dev)) if args.batch else {}
    if claims:
        final |= claim_scored()
    log(f"held out (all {len(dev)}): {final}")
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(net), str(weights))
    config = reader_config(args.layers, args.rank, final.get("threshold"), bool(claims),
                           {"steps": step, "batch_questions": args.batch, "lr": args.lr, "train_groups": len(train),
                            "train_sources": sorted({g.source for g in train}), "held_out": final,
                            "claim_pairs": len(claims), "init": str(args.init or ""),
                            "history": history, "training_seconds": round(spent), "dtype": str(dtype),
                            "meta": meta("python benchmarks/train_reader.py " + " ".join(sys.argv[1:]))})
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB) and {config_path} in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
