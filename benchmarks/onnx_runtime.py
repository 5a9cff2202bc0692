"""ONNX Runtime and OpenVINO for EmbeddingGemma on this CPU: float32, bfloat16 and int8 against torch,
speed and what it changes.

    pip install --target benchmarks/out/ortlib onnxruntime==1.32.0 onnx==1.23.2 onnxscript==0.7.2 \\
        onnx_ir==1.1.0 ml_dtypes==0.7.0 --no-deps
    pip install --target benchmarks/out/ovlib openvino==2026.4.1 openvino-telemetry --no-deps
    PYTHONPATH=benchmarks/out/ortlib:benchmarks/out/ovlib python benchmarks/onnx_runtime.py \\
        [--sentences 120] [--questions 300] [--runtimes ...]

(The runtime is not a dependency of the app: this measures whether it should become one.)
The model's transformer is exported once from the local model folder with torch.onnx (dynamo) to
benchmarks/out/onnx/model.onnx (float32, 1.2 GB) and quantised to int8 with ONNX Runtime's dynamic
quantisation (MatMul weights per channel); the model's own pooling and dense layers run after it in
torch, as sentence-transformers runs them. Then, in one process:
* speed: the first `--sentences` sentences of demo_300 with their titles, as the index embeds them,
  in batches of 16 sorted by length: torch float32, torch bfloat16, ORT float32, ORT int8, and OpenVINO
  reading the same ONNX file with its inference precision set to float32 or bfloat16 (chars/s);
* drift: the cosine of each sentence's vector with torch float32's;
* retrieval: passage R@1 of `--questions` XQuAD questions (Arabic and English) over the 240 Arabic
  passages, with passages and questions embedded by each runtime.
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

from perf_common import DATA, OUT, load_demo, log, meta, missing  # noqa: E402

from rag.sentences import split_sentences  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402

ONNX_DIR = OUT / "onnx"
XQUAD = DATA / "xquad" / "xquad_ar_en_aligned.jsonl"


def export(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, transformer):  # type: ignore[no-untyped-def]
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    enc = model.tokenizer(["title: none | text: نص قصير للتصدير"] * 2, return_tensors="pt", padding=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(Hidden(model[0].auto_model.eval()), (enc["input_ids"], enc["attention_mask"]), str(path),
                      input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                      dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"},
                                    "hidden": {0: "b", 1: "s"}}, opset_version=18, dynamo=True)


class OrtEncoder:
    """The exported transformer in ONNX Runtime, then the model's own pooling and dense layers."""

    def __init__(self, model, path: Path):  # type: ignore[no-untyped-def]
        import onnxruntime as ort
        import torch

        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = model.tokenizer
        self.rest = torch.nn.Sequential(*[model[i] for i in range(1, len(model))])

    def encode(self, texts: list[str], batch: int = 16) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: dict[int, np.ndarray] = {}
        for i in range(0, len(order), batch):
            idx = order[i: i + batch]
            enc = self.tokenizer([texts[j] for j in idx], return_tensors="np", padding=True, truncation=True,
                                 max_length=512)
            hidden = self.session.run(None, {"input_ids": enc["input_ids"].astype(np.int64),
                                             "attention_mask": enc["attention_mask"].astype(np.int64)})[0]
            with torch.no_grad():
                v = self.rest({"token_embeddings": torch.from_numpy(hidden),
                               "attention_mask": torch.from_numpy(enc["attention_mask"])})["sentence_embedding"]
            for j, row in zip(idx, v.numpy(), strict=True):
                out[j] = row / np.linalg.norm(row)
        return np.stack([out[j] for j in range(len(texts))]).astype(np.float32)


class OvEncoder(OrtEncoder):
    """The exported transformer compiled by OpenVINO for the CPU at `precision` ("f32" or "bf16"),
    two threads, latency mode; then the model's own pooling and dense layers, as above."""

    def __init__(self, model, path: Path, precision: str):  # type: ignore[no-untyped-def]
        import openvino as ov
        import torch

        config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": 2, "PERFORMANCE_HINT": "LATENCY"}
        compiled = ov.Core().compile_model(str(path), "CPU", config)
        request = compiled.create_infer_request()
        self.session = _OvSession(request)
        self.tokenizer = model.tokenizer
        self.rest = torch.nn.Sequential(*[model[i] for i in range(1, len(model))])


class _OvSession:
    """The one call of an ONNX Runtime session that OrtEncoder makes, on an OpenVINO request."""

    def __init__(self, request):  # type: ignore[no-untyped-def]
        self.request = request

    def run(self, _outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        result = self.request.infer(feeds)
        return [np.asarray(next(iter(result.values())), np.float32)]


RUNTIMES = ("torch float32", "torch bfloat16", "ORT float32", "ORT int8", "OpenVINO float32", "OpenVINO bfloat16")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sentences", type=int, default=120)
    p.add_argument("--questions", type=int, default=300)
    p.add_argument("--out", type=Path, default=OUT / "onnx_runtime.json")
    p.add_argument("--runtimes", nargs="+", choices=RUNTIMES, default=list(RUNTIMES),
                   help="which to measure (the first is the one the others' vectors are compared with)")
    args = p.parse_args(argv)
    if missing(XQUAD):
        return 2
    apply_offline_env()
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    folder = str(default_model_dir())
    fp32_file, int8_file = ONNX_DIR / "model.onnx", ONNX_DIR / "model-int8.onnx"
    models = {d: SentenceTransformer(folder, device="cpu", model_kwargs={"torch_dtype": getattr(torch, d)})
              for d in ("float32", "bfloat16")}
    if not fp32_file.is_file():
        t0 = time.perf_counter()
        export(models["float32"], fp32_file)
        log(f"exported in {time.perf_counter() - t0:.0f} s")
    if not int8_file.is_file() and "ORT int8" in args.runtimes:
        quantize_dynamic(str(fp32_file), str(int8_file), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], use_external_data_format=True)
    texts = []
    for article in load_demo():
        texts += [f"title: {article.title} | text: {article.text[s:e]}" for s, e in split_sentences(article.text)]
        if len(texts) >= args.sentences:
            break
    texts = texts[: args.sentences]
    rows = [json.loads(line) for line in XQUAD.open(encoding="utf-8")]
    keys = list(dict.fromkeys(r["paragraph_key"] for r in rows))
    ctx = {r["paragraph_key"]: f"title: {r['title']} | text: {r['context_ar']}" for r in rows}
    picked = rows[:: max(1, len(rows) // args.questions)][: args.questions]
    gold = np.array([keys.index(r["paragraph_key"]) for r in picked])
    query = models["float32"].prompts.get("query", "")

    makers = {"torch float32": lambda: lambda t: models["float32"].encode(t, prompt="", batch_size=16,
                                                                         normalize_embeddings=True),
              "torch bfloat16": lambda: lambda t: models["bfloat16"].encode(t, prompt="", batch_size=16,
                                                                           normalize_embeddings=True),
              "ORT float32": lambda: OrtEncoder(models["float32"], fp32_file).encode,
              "ORT int8": lambda: OrtEncoder(models["float32"], int8_file).encode,
              "OpenVINO float32": lambda: OvEncoder(models["float32"], fp32_file, "f32").encode,
              "OpenVINO bfloat16": lambda: OvEncoder(models["float32"], fp32_file, "bf16").encode}
    encoders = {name: makers[name]() for name in args.runtimes}
    chars = sum(map(len, texts))
    results, base = {}, None
    for name, encode in encoders.items():
        encode(texts[:4])  # warm
        t0 = time.perf_counter()
        vectors = np.asarray(encode(texts), np.float32)
        seconds = time.perf_counter() - t0
        base = vectors if base is None else base
        cos = (vectors * base).sum(axis=1)
        docs = np.asarray(encode([ctx[k] for k in keys]), np.float32)
        r1 = {}
        for lang in ("ar", "en"):
            q = np.asarray(encode([query + r[f"question_{lang}"] for r in picked]), np.float32)
            r1[lang] = round(float(np.mean((q @ docs.T).argmax(axis=1) == gold)), 3)
        results[name] = {"chars_per_s": round(chars / seconds), "cos_to_torch_fp32_min": round(float(cos.min()), 4),
                         "cos_to_torch_fp32_mean": round(float(cos.mean()), 4), "xquad_r1_ar": r1["ar"],
                         "xquad_r1_en": r1["en"]}
        log(f"{name}: {results[name]}")
    out = {"meta": meta("python benchmarks/" + " ".join(["onnx_runtime.py", *sys.argv[1:]])),
           "sentences": len(texts), "chars": chars, "questions": len(picked), "passages": len(keys),
           "results": results}
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print("| runtime | chars/s | cosine to torch float32 (min / mean) | XQuAD R@1 ar / en |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['chars_per_s']:,} | {r['cos_to_torch_fp32_min']} / {r['cos_to_torch_fp32_mean']} | "
              f"{r['xquad_r1_ar']} / {r['xquad_r1_en']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
