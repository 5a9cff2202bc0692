"""Read with a reader checkpoint of train_reader.py while it trains: the README's question and its paraphrases,
and (optionally) XQuAD's questions within their gold passages. Measurement only: nothing is chosen on it.

    python benchmarks/reader_checkpoint.py benchmarks/out/reader-ckpt-24l.pt [--xquad 100] [--threads 2]

Copy the checkpoint first while training runs (it is rewritten every 100 steps). For each wording of
benchmarks/headline.py it prints where the sentences that name a mediator rank among the default article's
sentences (with its title, as the reader sees them) and the best one; with --xquad N, the share of the first N
XQuAD questions of each language whose answer's sentence the reader puts first within its gold passage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from headline import ARABIC, ENGLISH, MEDIATORS  # noqa: E402
from qa_data import contains_answer, xquad_slice  # noqa: E402

from rag.reader_net import MAX_TOKENS, build, pair_text  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.settings import apply_offline_env, default_model_dir  # noqa: E402

ARTICLE = BENCH.parent / "corpus" / "armenia-azerbaijan-2021.md"
TITLE = "اشتباكات على الحدود بين أرمينيا وأذربيجان"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--xquad", type=int, default=0, help="XQuAD questions per language read in their gold passage")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    apply_offline_env()
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(default_model_dir()), device="cpu", model_kwargs={"torch_dtype": torch.bfloat16})
    ck = torch.load(args.checkpoint, weights_only=False)
    a = ck["args"]
    net = build(st[0].auto_model, a["layers"], a["rank"], 2.0 * a["rank"])
    net.load_state_dict(ck["state"], strict=False)
    net.eval()
    print(f"step {ck['step']}; held out so far: {ck['history']}")
    tokenizer = st.tokenizer

    def score(question: str, title: str, sentences: list[str]) -> np.ndarray:
        texts = [pair_text(question, title, s) for s in sentences]
        out: list[float] = []
        with torch.inference_mode():
            for i in range(0, len(texts), 16):
                enc = tokenizer(texts[i:i + 16], return_tensors="pt", padding=True, truncation=True,
                                max_length=MAX_TOKENS)
                out += torch.sigmoid(net(enc["input_ids"], enc["attention_mask"])).float().tolist()
        return np.array(out)

    text = ARTICLE.read_text(encoding="utf-8").split("---", 2)[2].strip()
    sentences = [text[s:e] for s, e in split_sentences(text)]
    t0 = time.time()
    for lang, questions in (("ar", ARABIC), ("en", ENGLISH)):
        first = 0
        for q in questions:
            s = score(q, TITLE, sentences)
            order = np.argsort(-s)
            ranks = [k + 1 for k, i in enumerate(order) if any(m in sentences[i] for m in MEDIATORS)]
            first += ranks[0] == 1
            print(f"  {q}: mediator ranks {ranks}, best {s[order[0]]:.2f} {sentences[order[0]][:50]}")
        print(f"headline {lang}: a mediator first for {first}/{len(questions)} ({time.time() - t0:.0f} s)", flush=True)
    if args.xquad:
        qa = xquad_slice(240)
        for subset in ("xquad_ar", "xquad_en"):
            hit = total = 0
            for q in [q for q in qa.questions if q.subset == subset][: args.xquad]:
                article = qa.articles[q.article_id]
                ss = [article.text[s:e] for s, e in split_sentences(article.text)]
                if not any(contains_answer(x, q.answers) for x in ss):
                    continue
                total += 1
                hit += contains_answer(ss[int(np.argmax(score(q.question, article.title, ss)))], q.answers)
            print(f"{subset}: the answer's sentence first in its passage {hit / max(total, 1):.3f} ({total})",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
