"""A real local model server: llama.cpp's own OpenAI-compatible server (PyPI `xllamacpp`) running
the small GGUF model of `python -m rag setup-test-llm`, over the seed corpus with the real embedder.

That model answers poorly (1.5B parameters, not made for Arabic): the test checks the plumbing —
a real server, streaming through LangChain, a prompt it accepts — and that whatever it says is
either shown with a verified verbatim span or left out as unsupported, never answer quality.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import pytest
from conftest import CORPUS, free_port

from rag.contract import answer_json
from rag.engine import Isnad
from rag.llm_fetch import FILE_NAME, is_ready
from rag.settings import Settings, default_model_dir

GGUF = default_model_dir().parent / FILE_NAME
pytestmark = [
    pytest.mark.llm,
    pytest.mark.integration,
    pytest.mark.skipif(not is_ready(GGUF), reason=f"the test LLM is not at {GGUF}; "
                       "`python -m rag setup-test-llm` assembles it (make test does)"),
]


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    xllamacpp = pytest.importorskip("xllamacpp", reason="xllamacpp (llama.cpp's server) is not installed")
    params = xllamacpp.CommonParams()
    params.model.path = str(GGUF)
    params.n_ctx = 4096
    params.n_predict = 160
    params.port = free_port()
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    server = xllamacpp.Server(params)  # serves in-process until garbage-collected
    url = f"http://127.0.0.1:{params.port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("llama.cpp's server did not become healthy within 120 s")
        time.sleep(1)
    yield url + "/v1"
    del server


def test_a_real_model_is_verified_sentence_by_sentence(real_embedder, llm_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env({}, db_dir=str(tmp_path / "db"), llm_base_url=llm_url, llm_model="local",
                                 llm_timeout=300.0, k=3)
    isnad = Isnad(settings, embedder=real_embedder)
    isnad.ingest([CORPUS])
    answer = isnad.ask("Who mediated between Armenia and Azerbaijan?")
    assert "cannot be reached" not in answer.note and "did not answer" not in answer.note, answer.note
    assert answer.generated or answer.note  # the model said something, or said nothing usable
    article = isnad.get("armenia-azerbaijan-2021").text
    for c in answer.citations:
        assert article[c.start:c.end] == c.quote
    for g in answer.generated:
        if g.supported:
            assert g.text in answer.answer and g.citations
        else:
            assert g.text not in answer.answer and g.reason
    out = answer_json(answer)
    assert out["mode"] in ("generated", "extractive")
    if out["mode"] == "extractive":
        assert out["note"]
