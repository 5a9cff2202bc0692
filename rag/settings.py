"""Every setting in one place: defaults, `RAG_*` environment overrides, validation, help.

    >>> s = Settings.from_env({"RAG_K": "8"})
    >>> s.k
    8
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import SettingsError

# These keep Gradio, Chroma and huggingface_hub from reaching for the network.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
}


def apply_offline_env() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "isnad"


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "isnad"


def default_model_dir() -> Path:
    """Where `python -m rag setup-model` assembles EmbeddingGemma-300M."""
    return _cache_home() / "models" / "embeddinggemma-300m"


def _meta(help_: str, env: str | None = None) -> dict[str, Any]:
    return {"help": help_, "env": env}


@dataclass(frozen=True)
class Settings:
    db_dir: Path = field(
        default_factory=lambda: _data_home() / "db",
        metadata=_meta("folder of the index (articles, lexical index, Chroma)", "RAG_DB_DIR"),
    )
    embed_model: str = field(
        default="",
        metadata=_meta(
            "sentence-transformers model folder or hub id; empty means EmbeddingGemma-300M "
            "assembled by `python -m rag setup-model`",
            "RAG_EMBED_MODEL",
        ),
    )
    embed_dtype: str = field(
        default="auto",
        metadata=_meta("torch dtype for the model: auto (bfloat16 where the CPU or GPU computes it natively, "
                       "AVX512_BF16/AMX; float32 elsewhere, where bfloat16 is emulated and ~6x slower), "
                       "bfloat16 or float32", "RAG_EMBED_DTYPE"),
    )
    embed_runtime: str = field(
        default="auto",
        metadata=_meta("what runs the model on the CPU: auto (OpenVINO where the openvino package is installed, "
                       "converted once from the model folder: same vectors, faster; torch on a GPU), torch or "
                       "openvino", "RAG_EMBED_RUNTIME"),
    )
    embed_batch: int = field(default=16, metadata=_meta("passages per embedding batch", "RAG_EMBED_BATCH"))
    chroma_url: str = field(
        default="",
        metadata=_meta("a Chroma server (`chroma run --path DIR --port N`) for the vectors, e.g. "
                       "http://127.0.0.1:8000; empty: Chroma embedded in the index folder", "RAG_CHROMA_URL"),
    )
    database_url: str = field(
        default="",
        metadata=_meta("PostgreSQL for the articles, chunks, lexical index and vector cache, e.g. "
                       "postgresql://isnad:PASSWORD@127.0.0.1:5432/isnad (needs RAG_CHROMA_URL too); empty: "
                       "SQLite in the index folder", "RAG_DATABASE_URL"),
    )
    server_wait: float = field(
        default=120.0,
        metadata=_meta("seconds the web app waits at start for PostgreSQL and the Chroma server to answer "
                       "(they may start after it)", "RAG_SERVER_WAIT"),
    )
    device: str = field(
        default="auto",
        metadata=_meta("where the model runs: auto (CUDA when torch sees a GPU, else CPU), cpu, cuda, cuda:N",
                       "RAG_DEVICE"),
    )
    max_seq_tokens: int = field(
        default=512, metadata=_meta("longest passage the model reads, in tokens", "RAG_MAX_SEQ_TOKENS")
    )
    chunk_chars: int = field(
        default=700, metadata=_meta("target chunk size in characters (whole sentences)", "RAG_CHUNK_CHARS")
    )
    chunk_overlap_sentences: int = field(
        default=1, metadata=_meta("sentences repeated between neighbouring chunks", "RAG_CHUNK_OVERLAP")
    )
    k: int = field(default=5, metadata=_meta("passages retrieved per question", "RAG_K"))
    dense_candidates: int = field(
        default=100, metadata=_meta("dense candidates (sentences) fetched before fusion", "RAG_DENSE_CANDIDATES")
    )
    lexical_candidates: int = field(
        default=40, metadata=_meta("lexical candidates fetched before fusion", "RAG_LEXICAL_CANDIDATES")
    )
    lexical_weight: float = field(
        default=0.15,
        metadata=_meta(
            "weight of the question's (IDF-weighted) words found in a sentence, added to its similarity, "
            "for Arabic questions (0 = dense only)",
            "RAG_LEXICAL_WEIGHT",
        ),
    )
    answer_sentences: int = field(
        default=3, metadata=_meta("most sentences quoted in an answer", "RAG_ANSWER_SENTENCES")
    )
    abstain_below: float = field(
        default=-1.0,
        metadata=_meta("abstain when the estimated chance (0-1) that the best sentence answers the question is "
                       "below this; -1 uses the threshold calibrated with the sentence scorer",
                       "RAG_ABSTAIN_BELOW"),
    )
    reader: str = field(
        default="off",
        metadata=_meta("the reader that judges whether a candidate sentence states the answer: off (the sentence "
                       "scorer alone, the default: fast) or builtin (a cross-encoder on EmbeddingGemma's layers, "
                       "shipped in rag/data: better first quotes, most of a second an answer on two cores, "
                       "BENCHMARKS.md); "
                       "RAG_RERANK_MODEL or RAG_RERANK_URL, when set, are the reader",
                       "RAG_READER"),
    )
    reader_weights: str = field(
        default="", metadata=_meta("a folder with the built-in reader's reader.safetensors and reader.json, as "
                                   "`python benchmarks/train_reader.py --out DIR` writes them (empty: the ones "
                                   "shipped in rag/data)", "RAG_READER_WEIGHTS"))
    verdict_weights: str = field(
        default="", metadata=_meta("a folder with built-in reader weights that carry a verdict head (`python "
                                   "benchmarks/train_reader.py --claim-pairs FILE --out DIR`): `rag verify` asks "
                                   "it whether the closest sentences state a claim that the word rules find only "
                                   "worded otherwise (BENCHMARKS.md, the verdict head). Empty: the head of "
                                   "RAG_READER's built-in reader, where its weights have one", "RAG_VERDICT_WEIGHTS"))
    reader_candidates: int = field(
        default=8, metadata=_meta("the sentence scorer's best candidates that the reader reads",
                                  "RAG_READER_CANDIDATES")
    )
    reader_precision: str = field(
        default="auto", metadata=_meta("the built-in reader's precision where it runs in OpenVINO: auto (bfloat16 "
                                       "where the CPU computes it natively and it measures faster than float32 "
                                       "there, timed once per CPU; float32 elsewhere), float32 or bfloat16",
                                       "RAG_READER_PRECISION"))
    reader_abstain_below: float = field(
        default=-1.0,
        metadata=_meta("decline when the reader's best score is below this; -1: the built-in reader's calibrated "
                       "threshold (a plug-in reader then leaves answerability to the sentence scorer)",
                       "RAG_READER_ABSTAIN_BELOW"),
    )
    rerank_model: str = field(
        default="", metadata=_meta("a sentence-transformers CrossEncoder (folder or hub id) as the reader, e.g. "
                                   "BAAI/bge-reranker-v2-m3", "RAG_RERANK_MODEL"))
    rerank_url: str = field(
        default="", metadata=_meta("a rerank API endpoint as the reader, e.g. http://127.0.0.1:8080/rerank (TEI) or "
                                   "https://api.cohere.com/v2/rerank (with RAG_RERANK_API_MODEL)", "RAG_RERANK_URL"))
    rerank_api_model: str = field(
        default="", metadata=_meta("model name sent to the rerank API ({model, query, documents} shape: Cohere, "
                                   "Jina, vLLM, Infinity, LocalAI); empty: text-embeddings-inference's "
                                   "{query, texts} shape", "RAG_RERANK_API_MODEL"))
    rerank_api_key: str = field(default="", metadata=_meta("API key for the rerank API", "RAG_RERANK_API_KEY"))
    rerank_timeout: float = field(default=10.0, metadata=_meta("seconds to wait for the rerank API before answering "
                                                               "without it (with a note)", "RAG_RERANK_TIMEOUT"))
    llm_base_url: str = field(
        default="",
        metadata=_meta("OpenAI-compatible server that generates answers, e.g. http://127.0.0.1:11434/v1 (Ollama); "
                       "empty: extractive answers only", "RAG_LLM_BASE_URL"),
    )
    llm_model: str = field(default="", metadata=_meta("model name the server knows, e.g. qwen2.5:7b",
                                                      "RAG_LLM_MODEL"))
    llm_api_key: str = field(default="", metadata=_meta("API key for the server, if it needs one", "RAG_LLM_API_KEY"))
    llm_timeout: float = field(default=60.0, metadata=_meta("seconds to wait for the model before answering "
                                                            "extractively", "RAG_LLM_TIMEOUT"))
    mcp: bool = field(default=True, metadata=_meta("serve the API endpoints (ask, verify, add_article) as MCP tools "
                                                   "at /gradio_api/mcp/ (off when a login is set)", "RAG_MCP"))
    host: str = field(default="127.0.0.1", metadata=_meta("address the web app binds to", "RAG_HOST"))
    port: int = field(default=7860, metadata=_meta("port of the web app", "RAG_PORT"))
    auth: str = field(
        default="",
        metadata=_meta("login for the web app as user:password (or a file of such lines)", "RAG_AUTH"),
    )
    allow_public: bool = field(
        default=False,
        metadata=_meta("allow binding beyond 127.0.0.1 without a login", "RAG_ALLOW_PUBLIC"),
    )
    corroborate: bool = field(
        default=True,
        metadata=_meta("look up each cited sentence in the other articles: who else reports it, who reports it "
                       "differently, which articles are copies of the cited one", "RAG_CORROBORATE"),
    )
    fetch_private: bool = field(
        default=False,
        metadata=_meta("let \"add from a URL\" fetch pages on loopback, private and link-local addresses "
                       "(an intranet); off, so that users cannot make the server read its own network",
                       "RAG_FETCH_PRIVATE"),
    )
    max_upload_mb: int = field(
        default=50, metadata=_meta("largest uploaded file or fetched page, in MB", "RAG_MAX_UPLOAD_MB")
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `RAG_*` variables from `env`, then explicit overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            if name and env.get(name, "") != "":
                values[f.name] = _parse(f, env[name], name)
        for key, value in overrides.items():
            if value is not None:
                values[key] = _parse(_field(key), value, f"--{key.replace('_', '-')}")
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        positive = ["embed_batch", "max_seq_tokens", "chunk_chars", "k", "dense_candidates",
                    "lexical_candidates", "answer_sentences", "max_upload_mb"]
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{_label(name)} must be a positive number, got {getattr(self, name)!r}")
        if self.chunk_chars < 100:
            raise SettingsError(f"{_label('chunk_chars')} must be at least 100, got {self.chunk_chars}")
        if self.chunk_overlap_sentences < 0:
            raise SettingsError(f"{_label('chunk_overlap_sentences')} must be 0 or more, "
                                f"got {self.chunk_overlap_sentences}")
        if not 0.0 <= self.lexical_weight <= 1.0:  # also false for nan
            raise SettingsError(f"{_label('lexical_weight')} must be between 0 and 1, got {self.lexical_weight}")
        if not (self.abstain_below == -1.0 or 0.0 <= self.abstain_below <= 1.0):  # also false for nan
            raise SettingsError(f"{_label('abstain_below')} must be between 0 and 1, or -1 for the calibrated "
                                f"threshold; got {self.abstain_below}")
        if self.reader not in ("builtin", "off"):
            raise SettingsError(f"{_label('reader')} must be off or builtin, got {self.reader!r}")
        if self.reader_precision not in ("auto", "float32", "bfloat16"):
            raise SettingsError(f"{_label('reader_precision')} must be auto, float32 or bfloat16, "
                                f"got {self.reader_precision!r}")
        if self.reader_candidates <= 0:
            raise SettingsError(f"{_label('reader_candidates')} must be a positive number, "
                                f"got {self.reader_candidates}")
        if not (self.reader_abstain_below == -1.0 or math.isfinite(self.reader_abstain_below)):
            raise SettingsError(f"{_label('reader_abstain_below')} must be a number, or -1 for the calibrated "
                                f"threshold; got {self.reader_abstain_below}")
        if self.rerank_url and not self.rerank_url.startswith(("http://", "https://")):
            raise SettingsError(f"{_label('rerank_url')} must be an http(s) URL such as http://127.0.0.1:8080/rerank, "
                                f"got {self.rerank_url!r}")
        if not self.rerank_timeout > 0:
            raise SettingsError(f"{_label('rerank_timeout')} must be a positive number of seconds, "
                                f"got {self.rerank_timeout}")
        if not self.llm_timeout > 0:
            raise SettingsError(f"{_label('llm_timeout')} must be a positive number of seconds, got {self.llm_timeout}")
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise SettingsError(f"{_label('llm_base_url')} must be an http(s) URL such as http://127.0.0.1:11434/v1, "
                                f"got {self.llm_base_url!r}")
        if self.embed_dtype not in ("auto", "bfloat16", "float32"):
            raise SettingsError(f"{_label('embed_dtype')} must be auto, bfloat16 or float32, got {self.embed_dtype!r}")
        if self.embed_runtime not in ("auto", "torch", "openvino"):
            raise SettingsError(f"{_label('embed_runtime')} must be auto, torch or openvino, "
                                f"got {self.embed_runtime!r}")
        if self.chroma_url and not re.fullmatch(r"https?://[^/\s:]+(:\d+)?/?", self.chroma_url):
            raise SettingsError(f"{_label('chroma_url')} must be http(s)://HOST:PORT such as http://127.0.0.1:8000, "
                                f"got {self.chroma_url!r}")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError(f"{_label('database_url')} must start with postgresql://, e.g. "
                                "postgresql://isnad:PASSWORD@127.0.0.1:5432/isnad")
        if self.database_url and not self.chroma_url:
            raise SettingsError(f"{_label('database_url')} keeps the articles on a server, so the vectors must be on "
                                f"one too: set {_label('chroma_url')} (a `chroma run` server)")
        if not self.server_wait >= 0:  # also false for nan
            raise SettingsError(f"{_label('server_wait')} must be 0 or more seconds, got {self.server_wait}")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", self.device):
            raise SettingsError(f"{_label('device')} must be auto, cpu, cuda, cuda:N or mps, got {self.device!r}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"{_label('port')} must be 1-65535, got {self.port}")

    @property
    def model_path(self) -> str:
        return self.embed_model or str(default_model_dir())

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["db_dir"] = str(self.db_dir)
        out["auth"] = "(set)" if self.auth else ""
        out["llm_api_key"] = "(set)" if self.llm_api_key else ""
        out["rerank_api_key"] = "(set)" if self.rerank_api_key else ""
        out["embed_model_path"] = self.model_path
        return out


def settings_help() -> str:
    """One line per setting: environment variable, default, what it does."""
    lines = []
    defaults = Settings()
    for f in fields(Settings):
        default = getattr(defaults, f.name)
        lines.append(f"  {f.metadata['env']:<24} {f.metadata['help']} (default: {default})")
    return "\n".join(lines)


def _label(name: str) -> str:
    """'RAG_K (k)': the variable a user sets, and the setting's name."""
    return f"{_field(name).metadata['env']} ({name})"


def _field(name: str) -> dataclasses.Field[Any]:
    for f in fields(Settings):
        if f.name == name:
            return f
    raise SettingsError(f"unknown setting {name!r}")


def _parse(f: dataclasses.Field[Any], raw: Any, label: str) -> Any:
    if not isinstance(raw, str):
        return Path(raw) if f.name == "db_dir" else raw
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind == "Path":
            return Path(raw).expanduser()
    except ValueError:
        raise SettingsError(f"{label}={raw!r} is not a valid {kind}") from None
    return raw
