"""The naive LangChain pipeline, as the performance benchmarks run it (one fresh process each).

    python benchmarks/perf_naive.py ingest --input FILE.jsonl --db DIR   # Chroma.from_documents
    python benchmarks/perf_naive.py build --db DIR --news 2000          # demo_300 + N news_bench
    python benchmarks/perf_naive.py search --db DIR --questions Q.json  # similarity_search timings

What a first LangChain tutorial builds (the same set-up as benchmarks/naive.py, which the
quality benchmark uses): `RecursiveCharacterTextSplitter(1000, 200)` over each article,
`HuggingFaceEmbeddings` on the same EmbeddingGemma folder with its defaults (float32), normalised vectors, no
retrieval prompts, and `langchain_chroma.Chroma`. `ingest` stores everything with
`Chroma.from_documents` in one call, as the tutorial does; `build` adds in resumable batches
(the 2,300-article index for the latency benchmark). Each prints one JSON object on stdout.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()  # as early as possible: the parent times the whole process anyway

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402
from naive import COLLECTION, NaivePipeline, split  # noqa: E402

from rag.settings import Settings, apply_offline_env, default_model_dir  # noqa: E402


def embeddings(model_dir: str):  # type: ignore[no-untyped-def]
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=model_dir,
        model_kwargs={"device": "cpu"},  # the tutorial's defaults: float32
        encode_kwargs={"normalize_embeddings": True},
    )


def ingest(args: argparse.Namespace) -> dict[str, object]:
    from langchain_chroma import Chroma

    t_import = time.perf_counter()
    articles = pc.load_demo(args.input)
    emb = embeddings(args.model)
    t_model = time.perf_counter()
    docs = split(articles)
    t_split = time.perf_counter()
    store = Chroma.from_documents(docs, emb, ids=[d.id for d in docs], collection_name=COLLECTION,
                                  persist_directory=str(args.db))
    t_done = time.perf_counter()
    return {"articles": len(articles), "chunks": len(docs), "count": store._collection.count(),
            "imports_s": round(t_import - T_START, 2), "model_load_s": round(t_model - t_import, 2),
            "split_s": round(t_split - t_model, 2), "embed_store_s": round(t_done - t_split, 2),
            "in_process_s": round(t_done - T_START, 2)}


def build(args: argparse.Namespace) -> dict[str, object]:
    articles = pc.load_demo() + pc.load_news(args.news)
    pipe = NaivePipeline(args.model, args.db)
    result = pipe.build(articles, log=pc.log)
    return {"articles": len(articles), **result}


def search(args: argparse.Namespace) -> dict[str, object]:
    """Warm process: time `similarity_search(q, k)` per question, and its embedding part."""
    from langchain_chroma import Chroma

    emb = embeddings(args.model)
    store = Chroma(collection_name=COLLECTION, embedding_function=emb, persist_directory=str(args.db))
    count = store._collection.count()
    if count == 0:
        raise SystemExit(f"the naive index in {args.db} is empty")
    questions = json.loads(Path(args.questions).read_text(encoding="utf-8"))
    inner = emb.embed_query
    embed_ms: list[float] = []

    def timed_embed(text: str) -> list[float]:
        t = time.perf_counter()
        vec = inner(text)
        embed_ms.append((time.perf_counter() - t) * 1000)
        return vec

    object.__setattr__(emb, "embed_query", timed_embed)  # pydantic model: bypass validation
    for q in questions[:5]:  # warm-up, not counted
        store.similarity_search(q["q"], k=args.k)
    embed_ms.clear()
    total_ms = []
    for q in questions:
        t = time.perf_counter()
        store.similarity_search(q["q"], k=args.k)
        total_ms.append((time.perf_counter() - t) * 1000)
    search_ms = [t - e for t, e in zip(total_ms, embed_ms, strict=True)]
    articles = len({m["article_id"] for m in store._collection.get(include=["metadatas"])["metadatas"]})
    return {"chunks": count, "articles": articles, "questions": len(questions), "k": args.k,
            "total_ms": pc.p50_p95(total_ms), "embed_ms": pc.p50_p95(embed_ms),
            "search_ms": pc.p50_p95(search_ms), "raw_total_ms": [round(x, 2) for x in total_ms]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["ingest", "build", "search"])
    p.add_argument("--db", type=Path, required=True, help="Chroma folder of the naive index")
    p.add_argument("--input", type=Path, default=pc.DEMO, help="ingest: the .jsonl file")
    p.add_argument("--news", type=int, default=2000, help="build: first N news_bench ids (plus demo_300)")
    p.add_argument("--questions", type=Path, help="search: JSON list of {q: ...}")
    p.add_argument("--k", type=int, default=5, help="search: passages per question (Isnad's default k)")
    p.add_argument("--model", default=None, help="model folder (default: the Isnad settings' model)")
    args = p.parse_args(argv)
    apply_offline_env()
    settings = Settings.from_env()  # the naive pipeline always needs a real model, never "hash"
    args.model = args.model or (str(default_model_dir()) if settings.embed_model.startswith("hash")
                                else settings.model_path)
    result = {"ingest": ingest, "build": build, "search": search}[args.command](args)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
