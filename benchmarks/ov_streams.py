"""OpenVINO's latency hint (one stream, what ships) against its throughput hint (several streams fed by an
asynchronous queue) for embedding many sentences, at three batch sizes.

    python benchmarks/ov_streams.py [--articles 12] [--sentences 240] [--precision f32|bf16]

The sentences of the first articles of ../shared/data/news_demo/demo_300.jsonl, each with its title in the
document prompt as ingestion embeds them, tokenised once per batch size, sorted by length as
`rag/ov_runtime.py` does; the shipped conversion of the model (`python -m rag setup-model`). Each timing
follows one warm-up batch; nothing else should run meanwhile.
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

import perf_common as pc  # noqa: E402

from rag.ov_runtime import convert  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=12)
    p.add_argument("--sentences", type=int, default=240)
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    p.add_argument("--out", type=Path, default=BENCH / "out" / "ov_streams.json")
    args = p.parse_args(argv)
    apply_offline_env()
    pc.require(pc.DEMO)
    import openvino as ov
    from transformers import AutoTokenizer

    model_dir = Path(Settings.from_env({}).model_path).expanduser()
    folder = convert(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    texts: list[str] = []
    lines = pc.DEMO.read_text(encoding="utf-8").splitlines()[: args.articles]
    for a in map(json.loads, lines):
        texts += [f"title: {a['title']} | text: {a['text'][s:e]}" for s, e in split_sentences(a["text"])]
    texts = texts[: args.sentences]
    chars = sum(map(len, texts))

    def batches(size: int) -> list[dict[str, np.ndarray]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = []
        for start in range(0, len(order), size):
            enc = tokenizer([texts[i] for i in order[start:start + size]], padding=True, truncation=True,
                            max_length=512, return_tensors="np")
            out.append({"input_ids": enc["input_ids"].astype(np.int64),
                        "attention_mask": enc["attention_mask"].astype(np.int64)})
        return out

    rows = []
    core = ov.Core()
    for hint in ("LATENCY", "THROUGHPUT"):
        compiled = core.compile_model(str(folder / "model.xml"), "CPU",
                                      {"INFERENCE_PRECISION_HINT": args.precision, "PERFORMANCE_HINT": hint})
        requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        for size in (8, 16, 32):
            work = batches(size)
            if hint == "LATENCY":
                request = compiled.create_infer_request()
                request.infer(work[0])
                t0 = time.perf_counter()
                for b in work:
                    request.infer(b)
            else:
                queue = ov.AsyncInferQueue(compiled, requests)
                queue.start_async(work[0])
                queue.wait_all()
                t0 = time.perf_counter()
                for b in work:
                    queue.start_async(b)
                queue.wait_all()
            rate = chars / (time.perf_counter() - t0)
            rows.append({"hint": hint, "requests": requests, "batch": size, "chars_per_s": round(rate)})
            print(f"| {hint} | {requests} | {size} | {rate:,.0f} |", flush=True)
        del compiled
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": pc.meta("python benchmarks/ov_streams.py " + " ".join(sys.argv[1:])),
                                    "sentences": len(texts), "chars": chars, "rows": rows}, indent=1),
                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
