"""The JSON contracts of the CLI and the API: what `ask --json` / `/ask` and `verify --json` /
`/verify` return. One place, so the two surfaces cannot drift apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .types import Answer, Citation

if TYPE_CHECKING:
    from .verify import Verdict


def answer_json(answer: Answer) -> dict[str, Any]:
    """The `ask --json` contract."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "language": answer.language,
        "citations": [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "date": c.date, "source": c.source,
             "url": c.url, "quote": c.quote, "start": c.start, "end": c.end,
             "reader_score": None if c.reader_score is None else round(c.reader_score, 4),
             **corroboration_json(answer.corroboration.get(c.n))}
            for c in answer.citations
        ],
        "passages": [
            {"article_id": p.article_id, "title": p.title, "start": p.start, "end": p.end, "score": p.score}
            for p in answer.passages
        ],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "mode": answer.mode,
        "reader": answer.reader,
        "sentences": ([{"text": g.text, "supported": g.supported, "citations": g.citations} for g in answer.generated
                       if g.supported] if answer.mode == "generated" else
                      [{"text": s.text, "supported": True, "citations": [s.citation]} for s in answer.sentences]),
        "unsupported": [{"text": g.text, "reason": g.reason} for g in answer.generated if not g.supported],
        **({"note": answer.note} if answer.note else {}),
    }


def corroboration_json(found: Any) -> dict[str, Any]:
    """A citation's "corroborated_by", "disputed_by" and "copies" (empty lists when none or not looked up)."""
    def echo(e: Any, reason: bool) -> dict[str, Any]:
        out = {"article_id": e.article_id, "source": e.source, "date": e.date, "quote": e.quote,
               "start": e.start, "end": e.end}
        return {**out, "reason": e.reason} if reason else out

    if found is None:
        return {"corroborated_by": [], "disputed_by": [], "copies": []}
    return {"corroborated_by": [echo(e, False) for e in found.corroborated_by],
            "disputed_by": [echo(e, True) for e in found.disputed_by],
            "copies": [{"article_id": a, "source": s} for a, s in found.copies]}


def verdict_json(v: Verdict, claim_id: object = None) -> dict[str, object]:
    """The `rag verify --json` contract."""
    def cite(c: Citation) -> dict[str, object]:
        return {"article_id": c.article_id, "title": c.title, "quote": c.quote, "start": c.start, "end": c.end}

    out: dict[str, object] = {"id": claim_id, "claim": v.claim, "supported": v.supported, "verdict": v.verdict,
                              "score": v.score, "reason": v.reason, "citations": [cite(c) for c in v.citations]}
    if v.closest is not None:
        out["closest"] = cite(v.closest)
    found = corroboration_json(v.corroboration)
    out["corroborated_by"], out["disputed_by"] = found["corroborated_by"], found["disputed_by"]
    return out
