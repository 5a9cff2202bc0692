"""Settings: defaults, RAG_* environment variables, overrides, validation, help (rag/settings.py)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from rag.errors import SettingsError
from rag.settings import OFFLINE_ENV, Settings, apply_offline_env, default_model_dir, settings_help

ENV_NAMES = [f.metadata["env"] for f in fields(Settings)]


def test_every_setting_has_an_env_variable_and_help() -> None:
    for f in fields(Settings):
        assert f.metadata["env"] and f.metadata["env"].startswith("RAG_"), f.name
        assert f.metadata["help"], f.name
    assert len(set(ENV_NAMES)) == len(ENV_NAMES)


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.k == 5
    assert s.chunk_chars == 700
    assert s.lexical_weight == pytest.approx(0.15)
    assert s.host == "127.0.0.1"
    assert s.allow_public is False
    assert s.embed_model == ""
    assert s.model_path == str(default_model_dir())


def test_env_values_are_parsed_by_type() -> None:
    s = Settings.from_env({
        "RAG_K": "8",
        "RAG_LEXICAL_WEIGHT": "0.3",
        "RAG_ALLOW_PUBLIC": "yes",
        "RAG_DB_DIR": "~/isnad-db",
        "RAG_EMBED_MODEL": "hash",
        "RAG_EMBED_DTYPE": "float32",
        "RAG_PORT": "8080",
        "RAG_HOST": "0.0.0.0",
        "RAG_ABSTAIN_BELOW": "0.5",
    })
    assert s.k == 8 and isinstance(s.k, int)
    assert s.lexical_weight == pytest.approx(0.3)
    assert s.allow_public is True
    assert s.db_dir == Path("~/isnad-db").expanduser()
    assert s.embed_model == "hash" and s.model_path == "hash"
    assert s.embed_dtype == "float32"
    assert s.port == 8080
    assert s.host == "0.0.0.0"
    assert s.abstain_below == pytest.approx(0.5)


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("ON", True), ("0", False),
                                            ("false", False), ("No", False), ("off", False)])
def test_bool_spellings(raw: str, value: bool) -> None:
    assert Settings.from_env({"RAG_ALLOW_PUBLIC": raw}).allow_public is value


def test_empty_env_value_means_default() -> None:
    assert Settings.from_env({"RAG_K": "", "RAG_DB_DIR": ""}) == Settings.from_env({})


def test_unrelated_env_is_ignored() -> None:
    assert Settings.from_env({"K": "x", "RAG_UNKNOWN": "1", "PATH": "/bin"}) == Settings.from_env({})


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_K", "11")
    assert Settings.from_env().k == 11


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"RAG_K": "five"}, "RAG_K"),
        ({"RAG_K": "1e3"}, "RAG_K"),
        ({"RAG_LEXICAL_WEIGHT": "high"}, "RAG_LEXICAL_WEIGHT"),
        ({"RAG_ALLOW_PUBLIC": "maybe"}, "RAG_ALLOW_PUBLIC"),
        ({"RAG_PORT": "http"}, "RAG_PORT"),
        ({"RAG_ABSTAIN_BELOW": "low"}, "RAG_ABSTAIN_BELOW"),
    ],
)
def test_unparsable_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    message = str(info.value)
    assert variable in message
    assert repr(next(iter(env.values()))) in message  # and the bad value


@pytest.mark.parametrize(
    "env",
    [
        {"RAG_K": "0"},
        {"RAG_EMBED_BATCH": "-1"},
        {"RAG_CHUNK_CHARS": "50"},
        {"RAG_CHUNK_OVERLAP": "-1"},
        {"RAG_LEXICAL_WEIGHT": "2"},
        {"RAG_LEXICAL_WEIGHT": "nan"},
        {"RAG_EMBED_DTYPE": "fp16"},
        {"RAG_PORT": "70000"},
        {"RAG_MAX_UPLOAD_MB": "0"},
        {"RAG_SERVER_WAIT": "-1"},
        {"RAG_SERVER_WAIT": "nan"},
    ],
)
def test_out_of_range_values_raise_settings_error(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"RAG_K": "0"}, "RAG_K"),
        ({"RAG_CHUNK_CHARS": "50"}, "RAG_CHUNK_CHARS"),
        ({"RAG_CHUNK_OVERLAP": "-1"}, "RAG_CHUNK_OVERLAP"),
        ({"RAG_LEXICAL_WEIGHT": "2"}, "RAG_LEXICAL_WEIGHT"),
        ({"RAG_EMBED_DTYPE": "fp16"}, "RAG_EMBED_DTYPE"),
        ({"RAG_PORT": "70000"}, "RAG_PORT"),
        ({"RAG_SERVER_WAIT": "-5"}, "RAG_SERVER_WAIT"),
    ],
)
def test_out_of_range_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    """A user who set RAG_K=0 must be told about RAG_K, not about an internal field name `k`."""
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert variable in str(info.value)


def test_abstain_threshold_nan_is_rejected() -> None:
    """NaN never compares below anything, so RAG_ABSTAIN_BELOW=nan would silently disable abstention."""
    with pytest.raises(SettingsError, match="RAG_ABSTAIN_BELOW|abstain_below"):
        Settings.from_env({"RAG_ABSTAIN_BELOW": "nan"})


@pytest.mark.parametrize("raw", ["1.5", "-0.5", "-2"])
def test_abstain_threshold_is_a_probability_or_minus_one(raw: str) -> None:
    with pytest.raises(SettingsError, match="between 0 and 1, or -1"):
        Settings.from_env({"RAG_ABSTAIN_BELOW": raw})
    assert Settings.from_env({"RAG_ABSTAIN_BELOW": "-1"}).abstain_below == -1.0


def test_overrides_beat_environment() -> None:
    s = Settings.from_env({"RAG_K": "8", "RAG_DB_DIR": "/env/db", "RAG_EMBED_MODEL": "m"},
                          k=3, db_dir="/flag/db", embed_model="hash")
    assert s.k == 3
    assert s.db_dir == Path("/flag/db")
    assert s.embed_model == "hash"


def test_string_overrides_are_parsed_and_none_is_ignored() -> None:
    s = Settings.from_env({"RAG_K": "8"}, k="4", db_dir=None)
    assert s.k == 4
    assert Settings.from_env({}, db_dir=Path("/x")).db_dir == Path("/x")


def test_bad_override_names_the_flag() -> None:
    with pytest.raises(SettingsError, match="--k"):
        Settings.from_env({}, k="many")


def test_unknown_override_is_refused() -> None:
    with pytest.raises(SettingsError, match="bogus"):
        Settings.from_env({}, bogus=1)


def test_replace_validates() -> None:
    s = Settings.from_env({})
    assert s.replace(k=9).k == 9
    with pytest.raises(SettingsError):
        s.replace(k=0)


def test_as_dict_hides_the_password_and_resolves_the_model_path() -> None:
    d = Settings.from_env({"RAG_AUTH": "user:secret", "RAG_EMBED_MODEL": "hash"}).as_dict()
    assert d["auth"] == "(set)"
    assert "secret" not in repr(d)
    assert d["embed_model_path"] == "hash"
    assert isinstance(d["db_dir"], str)
    assert Settings.from_env({}).as_dict()["embed_model_path"] == str(default_model_dir())


def test_settings_help_lists_every_variable() -> None:
    text = settings_help()
    for name in ENV_NAMES:
        assert name in text, name
    assert len(text.splitlines()) == len(ENV_NAMES)
    assert "default: 5" in text  # RAG_K


def test_apply_offline_env_does_not_override_user_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    apply_offline_env()
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_model_dir_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_model_dir() == tmp_path / "isnad" / "models" / "embeddinggemma-300m"


def test_llm_settings_are_checked_and_the_key_never_printed() -> None:
    with pytest.raises(SettingsError, match="RAG_LLM_BASE_URL"):
        Settings.from_env({"RAG_LLM_BASE_URL": "127.0.0.1:11434"})
    with pytest.raises(SettingsError, match="RAG_LLM_TIMEOUT"):
        Settings.from_env({"RAG_LLM_TIMEOUT": "0"})
    s = Settings.from_env({"RAG_LLM_BASE_URL": "http://127.0.0.1:11434/v1", "RAG_LLM_API_KEY": "sk-secret"})
    assert s.as_dict()["llm_api_key"] == "(set)" and "sk-secret" not in str(s.as_dict())
