"""The built-in reader's own time, by runtime, batch size and number of candidates, on the app's candidates.

    python benchmarks/reader_runtime.py [--db benchmarks/out/quality-db] [--questions 30]

Every 7th ARCD-train question (the first `--questions`) is retrieved on the pooled index that
`python benchmarks/quality.py` builds, and the sentence scorer's best 8 candidates become the
reader's pairs, as in the app. Then the reader alone reads each question's pairs: in OpenVINO
(reader_ov.py) in batches of 16, 4, 2 and 1 (pairs of similar length together), with fewer
candidates, in bfloat16 (batches of 4), and in torch on the embedder's model (batches of 16, what that
path reads in). Each reading's logits are checked against the first OpenVINO reading's (float32).
Prints p50 / p95 / mean ms and writes benchmarks/out/reader_runtime.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import qa_data  # noqa: E402
from perf_common import OUT, log, meta, write_json  # noqa: E402

from rag.answer import read_item  # noqa: E402
from rag.engine import Isnad  # noqa: E402
from rag.reader import BuiltinReader  # noqa: E402
from rag.reader_net import pair_text  # noqa: E402
from rag.settings import Settings, apply_offline_env  # noqa: E402


def timed(read, sets: list[list[str]], reference: list[np.ndarray]) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for pairs, ref in zip(sets, reference, strict=True):
        t = time.perf_counter()
        got = np.asarray(read(pairs), np.float32)
        times.append((time.perf_counter() - t) * 1000)
        gap = float(np.max(np.abs(got - ref[: len(got)])))
        if gap > 1.0:  # bfloat16's rounding moves a logit by up to about 0.5
            raise SystemExit(f"a reading differs from OpenVINO's by {gap:.3f}")
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, default=OUT / "quality-db")
    p.add_argument("--questions", type=int, default=30)
    args = p.parse_args()
    apply_offline_env()
    isnad = Isnad(Settings.from_env({}, db_dir=str(args.db), reader="builtin", reader_precision="float32"))
    isnad.index.open()
    answerer = isnad.answerer
    reader = answerer.reader
    assert isinstance(reader, BuiltinReader)
    sets = []
    for q in qa_data.load(["arcd_train"], pool_all=False).questions[::7][: args.questions]:
        retrieval = isnad.retriever.retrieve(q.question, 10)
        cands = answerer.candidates(retrieval, answerer.policy.reader_passages)
        judged = answerer.scorer.judge(answerer.context(q.question, retrieval, {c.article_id for c in cands}), cands)
        sets.append([pair_text(q.question, it.title, it.text)
                     for it in (read_item(s.candidate, retrieval, cands) for s in judged.ranked[:8])])
    reader.warm_up()
    net = reader._net
    run = meta("python benchmarks/reader_runtime.py " + " ".join(sys.argv[1:]))
    log(f"{len(sets)} questions, {sum(map(len, sets))} pairs; reader: {reader.name}; {run['machine']}")
    tokens = [len(net.tokenizer(t)["input_ids"]) for s in sets for t in s]
    print(f"tokens a pair: mean {np.mean(tokens):.0f}, median {np.median(tokens):.0f}, max {max(tokens)} "
          "(cut at 160)")
    reference = [net.logits(s, 16) for s in sets]
    rows: list[tuple[str, list[float]]] = []
    for batch in (16, 4, 2, 1):
        timed(lambda s, b=batch: net.logits(s, b), sets, reference)  # once to warm the shapes
        rows.append((f"OpenVINO, 8 candidates, batches of {batch}",
                     timed(lambda s, b=batch: net.logits(s, b), sets, reference)))
    for n in (2, 3, 4):
        rows.append((f"OpenVINO, the best {n} candidates, batches of 4",
                     timed(lambda s, n=n: net.logits(s[:n], 4), [s[:n] for s in sets], reference)))
    # The same graph compiled with bfloat16 inference (RAG_READER_PRECISION=bfloat16): how much faster, and
    # how far its logits move from float32's (the largest gap; the same first of 8 for how many questions).
    from rag.reader_ov import OpenVinoReaderNet, ir_dir

    bf16 = OpenVinoReaderNet(ir_dir(Path(isnad.embedder.model_path).expanduser(), reader.weights),  # type: ignore[attr-defined]
                             net.tokenizer, "bfloat16")
    rounded = [bf16.logits(s, 4) for s in sets]
    gap = max(float(np.max(np.abs(a - b))) for a, b in zip(rounded, reference, strict=True))
    same = sum(int(np.argmax(a) == np.argmax(b)) for a, b in zip(rounded, reference, strict=True))
    print(f"bfloat16 against float32: logits within {gap:.3f}; the same first of 8 for {same} of {len(sets)}")
    for n in (8, 3, 2):
        rows.append((f"OpenVINO bfloat16, {'8' if n == 8 else f'the best {n}'} candidates, batches of 4",
                     timed(lambda s, n=n: bf16.logits(s[:n], 4), [s[:n] for s in sets], reference)))
    on_torch = BuiltinReader(isnad.embedder, openvino=False)
    on_torch.warm_up()
    timed(on_torch.logits, sets, reference)
    rows.append(("torch (the embedder's model, its precision), 8 candidates, batches of 16",
                 timed(on_torch.logits, sets, reference)))
    write_json("reader_runtime.json", {"meta": run, "tokens": tokens,
                                       "rows": {name: times for name, times in rows}})
    print("\n| reading | p50 / p95 / mean ms |\n|---|---|")
    for name, times in rows:
        print(f"| {name} | {np.percentile(times, 50):.0f} / {np.percentile(times, 95):.0f} / {np.mean(times):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
