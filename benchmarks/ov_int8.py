"""OpenVINO with 8-bit weights (NNCF weight compression) against the shipped conversion: speed and vectors.

    pip install --target benchmarks/out/nncflib nncf      # once; not a dependency of Isnad
    python benchmarks/ov_int8.py [--texts 48] [--mode INT8_ASYM]

Compresses the shipped OpenVINO model (`python -m rag setup-model` makes it) with
`nncf.compress_weights` into benchmarks/out/ov-int8-<mode>/, then embeds the same news texts of
demo_300 (first 1,200 characters, document prompt) with both, one after the other in this process,
each compiled with f32 inference precision, and prints characters a second and the cosine between
their vectors. Run it under `ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2` for an AVX2-only CPU's
kernels (OpenVINO honours the oneDNN cap).
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
sys.path.append(str(BENCH / "out" / "nncflib"))  # after the project's own packages

import perf_common as pc  # noqa: E402

from rag.ov_runtime import _infer, ir_dir  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--texts", type=int, default=48)
    p.add_argument("--mode", default="INT8_ASYM", help="an nncf.CompressWeightsMode name")
    args = p.parse_args(argv)
    apply_offline_env()
    pc.require(pc.DEMO)
    import openvino as ov
    from transformers import AutoTokenizer

    model_dir = Path(default_model_dir())
    shipped = ir_dir(model_dir) / "model.xml"
    if not shipped.is_file():
        sys.exit(f"no OpenVINO model at {shipped}: run `python -m rag setup-model` first")
    out = BENCH / "out" / f"ov-int8-{args.mode.lower()}"
    core = ov.Core()
    if not (out / "model.xml").is_file():
        try:
            import nncf
        except ImportError:
            sys.exit("nncf is not installed: pip install --target benchmarks/out/nncflib nncf")
        out.mkdir(parents=True, exist_ok=True)
        compressed = nncf.compress_weights(core.read_model(str(shipped)),
                                           mode=getattr(nncf.CompressWeightsMode, args.mode))
        ov.save_model(compressed, str(out / "model.xml"), compress_to_fp16=False)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    with pc.DEMO.open(encoding="utf-8") as f:
        lines = [line for line, _ in zip(f, range(args.texts), strict=False)]
    texts = ["title: none | text: " + json.loads(line)["text"][:1200] for line in lines]
    chars = sum(map(len, texts))
    vectors, result = {}, {}
    for name, path in (("shipped (float32 compute)", shipped), (f"{args.mode} weights", out / "model.xml")):
        try:
            compiled = core.compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
            _infer(compiled, tokenizer, texts[:4], 4, 512)  # warm
            t0 = time.perf_counter()
            vectors[name] = _infer(compiled, tokenizer, texts, 16, 512)
            result[name] = {"chars_per_s": round(chars / (time.perf_counter() - t0))}
        except RuntimeError as exc:  # a CPU (or an ISA cap) without kernels for it
            result[name] = {"error": str(exc).strip().splitlines()[-1][:300]}
        print(name, result[name], flush=True)
    if len(vectors) == 2:
        a, b = vectors.values()
        cos = np.sum(a * b, axis=1)
        result["cosine"] = {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}
        print("cosine", result["cosine"])
    pc.write_json(f"ov_int8-{args.mode.lower()}.json",
                  {"meta": pc.meta("python benchmarks/ov_int8.py " + " ".join(sys.argv[1:])), "texts": len(texts),
                   "result": result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
