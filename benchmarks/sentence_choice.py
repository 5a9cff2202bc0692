"""Which sentence of the gold passage would the answer quote? Own sentence embeddings vs late chunking.

For each XQuAD question (Arabic, and the parallel English one) the sentences of its gold Arabic
passage are ranked against the question; a hit is when the top sentence contains a gold answer
(both sides normalised with rag.arabic.normalize). Three ways to rank:
- own: each sentence embedded on its own (EmbeddingGemma document prompt with the title);
- late: sentence vectors pooled from the passage's own forward pass ("late chunking");
- late+prompt: the same, with the prompt's tokens ("title: … | text: ") in each sentence's mean, as
  the model's own pooling counts them (its Pooling has include_prompt);
- first: always the first sentence (a floor).

    python benchmarks/sentence_choice.py            # about 4 minutes on 2 idle cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from perf_common import meta  # noqa: E402

from rag.arabic import normalize  # noqa: E402
from rag.embedder import SentenceTransformerEmbedder  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "xquad" / "xquad_ar_en_aligned.jsonl"


def late_vectors(embedder: SentenceTransformerEmbedder, title: str, text: str,
                 spans: list[tuple[int, int]], with_prompt: bool = False) -> np.ndarray:
    """Mean of the passage's token embeddings over each sentence (and the prompt's, `with_prompt`),
    through the model's head."""
    model = embedder.model
    prefix = f"title: {title} | text: "
    tokens = model.encode([prefix + text], prompt="", output_value="token_embeddings")[0].float()
    offsets = model.tokenizer(prefix + text, return_offsets_mapping=True, truncation=True,
                              max_length=model.max_seq_length)["offset_mapping"]
    starts = np.array([o[0] for o in offsets])
    ends = np.array([o[1] for o in offsets])
    pooled = []
    for s, e in spans:
        mask = (ends > starts) & (starts < e + len(prefix)) & (ends > s + len(prefix))
        if with_prompt:
            mask |= np.arange(len(starts)) < int(np.searchsorted(starts, len(prefix)))
        pooled.append(tokens[torch.from_numpy(mask)].mean(0) if mask.any() else tokens.mean(0))
    features = {"sentence_embedding": torch.stack(pooled).to(next(model.parameters()).dtype)}
    with torch.inference_mode():
        for module in list(model)[2:]:  # the Dense layers and Normalize after mean pooling
            features = module(features)
    out = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1)
    return out.numpy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "sentence_choice.json"))
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is missing (see ../shared/data/README.md)")
        return 0
    apply_offline_env()
    embedder = SentenceTransformerEmbedder(str(default_model_dir()))
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    passages: dict[str, tuple[str, str]] = {}
    for r in rows:
        passages.setdefault(r["paragraph_key"], (r["title"], r["context_ar"]))
    keys = list(passages)
    spans = {k: split_sentences(passages[k][1]) for k in keys}
    t0 = time.perf_counter()
    late = {k: late_vectors(embedder, *passages[k], spans[k]) for k in keys}
    t1 = time.perf_counter()
    late_prompt = {k: late_vectors(embedder, *passages[k], spans[k], with_prompt=True) for k in keys}
    t1b = time.perf_counter()
    own = {}
    for k in keys:
        title, text = passages[k]
        own[k] = embedder.embed_documents([text[s:e] for s, e in spans[k]], [title] * len(spans[k]))
    t2 = time.perf_counter() - (t1b - t1)
    questions = [(r, "ar", r["question_ar"]) for r in rows] + [(r, "en", r["question_en"]) for r in rows]
    qvecs = embedder.embed_queries([q for _, _, q in questions])
    methods = ("own", "late", "late+prompt", "first")
    hits = {(m, lang): 0 for m in methods for lang in ("ar", "en")}
    for (r, lang, _), qv in zip(questions, qvecs, strict=True):
        key = r["paragraph_key"]
        text = passages[key][1]
        gold = [normalize(a["text"] if isinstance(a, dict) else a) for a in r["answers_ar"]]
        picks = {"own": int(np.argmax(own[key] @ qv)), "late": int(np.argmax(late[key] @ qv)),
                 "late+prompt": int(np.argmax(late_prompt[key] @ qv)), "first": 0}
        for method, j in picks.items():
            s, e = spans[key][j]
            hits[(method, lang)] += any(g in normalize(text[s:e]) for g in gold)
    result = {f"{m}_{lang}": round(v / len(rows), 3) for (m, lang), v in hits.items()}
    result.update(passages=len(keys), questions_per_language=len(rows),
                  late_seconds=round(t1 - t0, 1), own_seconds=round(t2 - t1, 1),
                  meta=meta("python benchmarks/sentence_choice.py " + " ".join(sys.argv[1:])))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print("| sentence vectors | ar | en |\n|---|---|---|")
    for m in methods:
        print(f"| {m} | {result[f'{m}_ar']} | {result[f'{m}_en']} |")
    print(f"late: {result['late_seconds']} s, own: {result['own_seconds']} s for {len(keys)} passages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
