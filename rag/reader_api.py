"""A rerank API as the reader (RAG_RERANK_URL), in either shape in use:

* Cohere, Jina, vLLM, Infinity, LocalAI: POST {"model", "query", "documents": [str], "top_n"}
  -> {"results": [{"index", "relevance_score"}, …]}
* Hugging Face text-embeddings-inference: POST {"query", "texts": [str], "raw_scores": false,
  "truncate": true} -> [{"index", "score"}, …]

The URL is the endpoint itself (http://127.0.0.1:8080/rerank, https://api.cohere.com/v2/rerank). The
request's shape follows RAG_RERANK_API_MODEL: with a model name, the {model, query, documents} shape;
without one, TEI's (a TEI server serves one model). A reply of either shape is understood. Anything that goes wrong (a
timeout, an HTTP error, a reply that is not JSON, misses a document or names one twice) makes the
fallback reader (the built-in one, with RAG_READER=builtin) answer, or the scorer's order stay, with a
note that says why, as a failed language model does.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import replace

from .reader import Reader, Reading, ReadItem, document


class RerankError(Exception):
    """The rerank API did not give a usable answer (the message says what it gave)."""


class RemoteReader:
    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 10.0,
                 fallback: Reader | None = None, threshold: float | None = None):
        self.url = url
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.fallback = fallback
        self.threshold = threshold
        self.name = f"rerank API {url}" + (f" ({model})" if model else "")

    def read(self, question: str, items: Sequence[ReadItem]) -> Reading:
        if not items:
            return Reading([], self.name, False)
        try:
            scores = self.scores(question, [document(it) for it in items])
        except RerankError as exc:
            note = f"the rerank API failed ({exc})"
            if self.fallback is None:
                # No reader to stand in: keep the scorer's order (equal scores), and say so.
                return Reading([0.0] * len(items), "none", False, note + "; sentences are in the scorer's order")
            reading = self.fallback.read(question, items)
            return replace(reading, note=f"{note}; the {reading.reader} reader chose the sentences")
        return Reading(scores, self.name, all(0.0 <= s <= 1.0 for s in scores))

    def scores(self, question: str, documents: list[str]) -> list[float]:
        if self.model:
            body = {"model": self.model, "query": question, "documents": documents, "top_n": len(documents)}
        else:
            body = {"query": question, "texts": documents, "raw_scores": False, "truncate": True}
        reply = self._post(body)
        return parse_scores(reply, len(documents))

    def _post(self, body: dict[str, object]) -> object:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - settings' URL
                raw = response.read(8 * 1024 * 1024)
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise RerankError(f"HTTP {exc.code}{': ' + detail if detail else ''}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RerankError(f"no answer from {self.url} within {self.timeout:g} s: {reason}") from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RerankError(f"the reply is not JSON: {raw[:80]!r}") from None


def parse_scores(reply: object, n: int) -> list[float]:
    """Scores in document order from either reply shape; every document exactly once."""
    if isinstance(reply, dict) and isinstance(reply.get("results"), list):
        rows, key = reply["results"], "relevance_score"
    elif isinstance(reply, list):
        rows, key = reply, "score"
    else:
        raise RerankError("the reply has neither a 'results' list nor is a list of scores")
    out: list[float | None] = [None] * n
    for row in rows:
        if not isinstance(row, dict):
            raise RerankError(f"a result is not an object: {str(row)[:60]}")
        index, score = row.get("index"), row.get(key, row.get("score", row.get("relevance_score")))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n:
            raise RerankError(f"a result's index {index!r} is not one of the {n} documents")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
            raise RerankError(f"the score of document {index} is not a number: {score!r}")
        if out[index] is not None:
            raise RerankError(f"document {index} is scored twice")
        out[index] = float(score)
    missing = [i for i, s in enumerate(out) if s is None]
    if missing:
        raise RerankError(f"the reply scores {n - len(missing)} of {n} documents")
    return [float(s) for s in out if s is not None]
