"""The reader stage (rag/reader.py): a reader reorders the scorer's best candidates and, calibrated,
decides answerability; a local CrossEncoder built by the test; a rerank API in both shapes against
scripted servers on loopback, and what happens when it fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_answer import all_articles

from rag import reader_ov
from rag.answer import Answerer, AnswerPolicy
from rag.contract import answer_json
from rag.engine import Isnad
from rag.errors import ModelError, SettingsError
from rag.precision import cpu_profile
from rag.reader import BuiltinReader, CrossEncoderReader, Reading, ReadItem, make_reader, make_verdict_reader
from rag.reader_api import RemoteReader, RerankError, parse_scores
from rag.settings import Settings

QUESTION = "كم دار نشر تشارك في معرض الشارقة للكتاب؟"
WANTED = "1632"


class WordReader:
    """Scores 0.9 a sentence holding `word`, 0.1 any other."""

    def __init__(self, word: str, threshold: float | None = 0.5, probabilities: bool = True):
        self.word = word
        self.threshold = threshold
        self.name = f"word reader ({word})"
        self.probabilities = probabilities
        self.seen: list[list[ReadItem]] = []

    def read(self, question: str, items: Sequence[ReadItem]) -> Reading:
        self.seen.append(list(items))
        return Reading([0.9 if self.word in it.text else 0.1 for it in items], self.name, self.probabilities)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    db = tmp_path_factory.mktemp("reader") / "db"
    isnad = Isnad(Settings.from_env({}, db_dir=str(db), embed_model="hash", chunk_chars=300, abstain_below=0.0))
    isnad.add_articles(all_articles())
    return isnad


def with_reader(engine: Isnad, reader) -> Isnad:  # type: ignore[no-untyped-def]
    isnad = Isnad(engine.settings, engine.embedder)
    isnad.answerer = Answerer(isnad.index, isnad.embedder, AnswerPolicy.from_settings(isnad.settings), reader=reader)
    return isnad


def test_the_hash_embedder_has_no_reader_unless_one_is_plugged_in(engine: Isnad) -> None:
    assert engine.answerer.reader is None
    assert engine.info()["reader"] == "off (the sentence scorer alone)"
    assert engine.info()["claim_names"].startswith("no name probe for this model")  # learned on EmbeddingGemma
    assert engine.info()["claim_reading"] == "none: the word rules and the name probe decide"


def test_the_reader_chooses_the_first_quote_and_its_score_travels(engine: Isnad) -> None:
    reader = WordReader(WANTED)
    answer = with_reader(engine, reader).ask(QUESTION, k=5)
    assert not answer.abstained and WANTED in answer.citations[0].quote
    assert answer.citations[0].reader_score == pytest.approx(0.9)
    assert answer.reader == reader.name
    out = answer_json(answer)
    assert out["reader"] == reader.name and out["citations"][0]["reader_score"] == 0.9
    items = reader.seen[-1]
    assert 1 < len(items) <= engine.settings.reader_candidates
    assert all(it.title for it in items)  # each candidate goes with its article's title
    assert any(it.before or it.after for it in items)  # and its neighbours, for a reader that wants them


def test_only_sentences_the_reader_accepts_are_quoted(engine: Isnad) -> None:
    answer = with_reader(engine, WordReader(WANTED)).ask(QUESTION, k=5)
    assert all(c.reader_score is not None and c.reader_score >= 0.5 for c in answer.citations)


def test_a_calibrated_reader_declines_when_no_sentence_states_the_answer(engine: Isnad) -> None:
    answer = with_reader(engine, WordReader("no sentence has this word")).ask(QUESTION, k=5)
    assert answer.abstained and not answer.citations
    assert answer.reader.startswith("word reader")


def test_a_reader_without_a_threshold_leaves_answerability_to_the_scorer(engine: Isnad) -> None:
    answer = with_reader(engine, WordReader("no sentence has this word", threshold=None)).ask(QUESTION, k=5)
    assert not answer.abstained  # the scorer (abstain_below=0) answers; the reader only orders


def test_a_reader_that_only_orders_is_not_asked_when_the_scorer_declines(engine: Isnad) -> None:
    reader = WordReader(WANTED, threshold=None)
    isnad = with_reader(engine, reader)
    isnad.answerer.policy = AnswerPolicy.from_settings(engine.settings.replace(abstain_below=1.0))
    answer = isnad.ask(QUESTION, k=5)
    assert answer.abstained and answer.passages and not reader.seen
    isnad.answerer.policy = AnswerPolicy.from_settings(engine.settings)  # abstain_below=0: it answers
    assert not isnad.ask(QUESTION, k=5).abstained and len(reader.seen) == 1


def test_reader_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="RAG_READER"):
        Settings.from_env({"RAG_READER": "maybe"})
    with pytest.raises(SettingsError, match="RAG_RERANK_URL"):
        Settings.from_env({"RAG_RERANK_URL": "localhost:8080/rerank"})
    with pytest.raises(SettingsError, match="RAG_RERANK_TIMEOUT"):
        Settings.from_env({"RAG_RERANK_TIMEOUT": "0"})
    with pytest.raises(SettingsError, match="RAG_READER_PRECISION"):
        Settings.from_env({"RAG_READER_PRECISION": "int8"})
    assert Settings.from_env({"RAG_RERANK_API_KEY": "k"}).as_dict()["rerank_api_key"] == "(set)"


def test_make_reader_follows_the_settings(engine: Isnad) -> None:
    s = engine.settings
    assert make_reader(s, engine.embedder) is None
    assert isinstance(make_reader(s.replace(reader="off", rerank_model="x"), engine.embedder), CrossEncoderReader)
    local = make_reader(s.replace(rerank_model="some/model"), engine.embedder)
    assert isinstance(local, CrossEncoderReader) and local.name == "cross-encoder some/model"
    remote = make_reader(s.replace(rerank_url="http://127.0.0.1:9/rerank", rerank_model="x"), engine.embedder)
    assert isinstance(remote, RemoteReader) and remote.fallback is None  # the hash embedder has no built-in

    class Neural:  # what the built-in reader needs of an embedder: a model of its own
        name = "neural"

        @property
        def model(self) -> None:
            raise AssertionError("nothing is loaded when the reader is made")

    assert make_reader(s, Neural()) is None  # RAG_READER=off, the default: the sentence scorer alone
    builtin = make_reader(s.replace(reader="builtin"), Neural())
    assert isinstance(builtin, BuiltinReader) and builtin.name == "built-in (on neural, torch)"
    own = make_reader(s.replace(reader="builtin", reader_weights="trained"), Neural())
    assert isinstance(own, BuiltinReader) and own.weights == Path("trained") / "reader.safetensors"
    with pytest.raises(SettingsError, match="RAG_READER_WEIGHTS"):
        own.config  # noqa: B018  (the folder has no weights: the error says what to do)
    api = make_reader(s.replace(reader="builtin", rerank_url="http://127.0.0.1:9/rerank"), Neural())
    assert isinstance(api, RemoteReader) and isinstance(api.fallback, BuiltinReader)


def test_a_verdict_reader_of_its_own_is_checked_when_made(engine: Isnad, tmp_path: Path) -> None:
    s = engine.settings

    class Neural:
        name = "neural"
        model = None

    assert make_verdict_reader(s, Neural()) is None  # RAG_VERDICT_WEIGHTS unset: the answer reader's head, if any
    assert make_verdict_reader(s.replace(verdict_weights=str(tmp_path)), engine.embedder) is None  # no model
    with pytest.raises(SettingsError, match="RAG_VERDICT_WEIGHTS.*no reader.safetensors"):
        make_verdict_reader(s.replace(verdict_weights=str(tmp_path)), Neural())
    (tmp_path / "reader.safetensors").write_bytes(b"")
    (tmp_path / "reader.json").write_text(json.dumps({"layers": 24, "rank": 16, "threshold": 0.1}), encoding="utf-8")
    with pytest.raises(SettingsError, match="no verdict head"):
        make_verdict_reader(s.replace(verdict_weights=str(tmp_path)), Neural())
    (tmp_path / "reader.json").write_text(json.dumps({"layers": 24, "rank": 16, "verdicts": 3}), encoding="utf-8")
    reader = make_verdict_reader(s.replace(verdict_weights=str(tmp_path)), Neural())
    assert isinstance(reader, BuiltinReader) and reader.has_verdicts and reader.weights.parent == tmp_path


def test_each_set_of_reader_weights_converts_into_a_folder_of_its_own(tmp_path: Path) -> None:
    model = tmp_path / "embeddinggemma-300m"
    assert reader_ov.ir_dir(model) == tmp_path / "embeddinggemma-300m-reader-openvino"  # the shipped weights
    one, two = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    one.write_bytes(b"1")
    two.write_bytes(b"2")
    assert reader_ov.ir_dir(model, one) != reader_ov.ir_dir(model, two)
    assert reader_ov.ir_dir(model, one).name.startswith("embeddinggemma-300m-reader-openvino-")
    assert reader_ov.ir_dir(model, one) == reader_ov.ir_dir(model, one)


def test_the_reader_precision_is_chosen_by_measurement_once_per_cpu(tmp_path: Path) -> None:
    from rag.precision import CpuProfile

    def timings(f32: float, bf16: float):  # type: ignore[no-untyped-def]
        def measure(folder: Path, tokenizer: object, precision: str) -> float:
            calls.append(precision)
            return {"float32": f32, "bfloat16": bf16}[precision]
        return measure

    def never(folder: Path, tokenizer: object, precision: str) -> float:
        raise AssertionError("measured again")

    def choose(wanted: str, cpu: CpuProfile, measure) -> reader_ov.ReaderPrecision:  # type: ignore[no-untyped-def]
        return reader_ov.choose_precision(tmp_path, None, wanted, cpu, measure, log=lambda _: None)

    calls: list[str] = []
    fast = CpuProfile("CPU A", ("avx2", "avx512f", "avx512_bf16"), 2)
    got = choose("auto", fast, timings(100.0, 60.0))
    assert (got.dtype, calls) == ("bfloat16", ["float32", "bfloat16"]) and "1.7x" in got.reason
    assert choose("auto", fast, never).dtype == "bfloat16"  # kept beside the model: timed once per CPU
    # `rag info` tells it before anything loads; for a CPU not timed yet it cannot.
    assert reader_ov.foresee_precision(tmp_path, "auto", fast) == got
    assert reader_ov.foresee_precision(tmp_path, "auto", CpuProfile("CPU B", fast.flags, 2)) is None
    # Another CPU with native bfloat16 where it reads slower than float32 (as one did): float32.
    slow = CpuProfile("CPU B", ("avx2", "avx512f", "avx512_bf16"), 2)
    got = choose("auto", slow, timings(100.0, 130.0))
    assert got.dtype == "float32" and "0.77x" in got.reason
    assert choose("auto", fast, never).dtype == "bfloat16"  # the first CPU's timings are still there
    # Without native bfloat16 nothing is timed; an explicit setting wins.
    avx2 = CpuProfile("CPU C", ("avx2",), 2)
    assert choose("auto", avx2, never).dtype == "float32"
    assert choose("bfloat16", avx2, never).dtype == "bfloat16"
    assert choose("float32", fast, never).dtype == "float32"
    # A precision that cannot be compiled leaves float32, with the reason.
    def broken(folder: Path, tokenizer: object, precision: str) -> float:
        raise RuntimeError("no bf16 kernels")
    other = CpuProfile("CPU D", ("avx2", "avx512f", "avx512_bf16"), 2)
    got = choose("auto", other, broken)
    assert got.dtype == "float32" and "no bf16 kernels" in got.reason
    # A damaged timings file is measured again, not an error.
    (tmp_path / reader_ov.SPEED_FILE).write_text("{not json", encoding="utf-8")
    calls.clear()
    assert choose("auto", fast, timings(100.0, 90.0)).dtype == "float32" and len(calls) == 2


# -- a local CrossEncoder, built and saved by the test ---------------------------------------------------

@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT cross-encoder over a word-level vocabulary of the test corpus, saved as a
    sentence-transformers CrossEncoder folder (random weights: it reads, it does not know)."""
    import torch
    from sentence_transformers import CrossEncoder
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    torch.manual_seed(0)
    words = sorted({w for a in all_articles() for w in a.text.split()} | set(QUESTION.split()))
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]")
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, num_labels=1)
    folder = tmp_path_factory.mktemp("ce") / "tiny-cross-encoder"
    BertForSequenceClassification(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    CrossEncoder(str(folder), device="cpu").save(str(folder))
    return folder


def test_a_local_cross_encoder_reads_each_sentence_with_its_title(engine: Isnad, tiny_cross_encoder: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    isnad = Isnad(engine.settings.replace(rerank_model=str(tiny_cross_encoder), device="cpu"), engine.embedder)
    reader = isnad.answerer.reader
    assert isinstance(reader, CrossEncoderReader)
    sent: list[tuple[str, str]] = []
    answer = isnad.ask(QUESTION, k=5)
    ce = reader._ce
    real = ce.predict

    def spy(pairs, **kw):  # type: ignore[no-untyped-def]
        sent.extend(pairs)
        return real(pairs, **kw)

    monkeypatch.setattr(ce, "predict", spy)
    answer = isnad.ask(QUESTION, k=5)
    assert answer.reader == f"cross-encoder {tiny_cross_encoder}"
    assert not answer.abstained  # no threshold set: the scorer decides answerability
    assert all(0.0 <= c.reader_score <= 1.0 for c in answer.citations if c.reader_score is not None)
    assert sent and all(q == QUESTION for q, _ in sent)
    titles = {a.title for a in all_articles()}
    assert all(any(d.startswith(t + ": ") for t in titles) for _, d in sent)  # title, then one sentence
    for c in answer.citations:
        assert isnad.get(c.article_id).text[c.start:c.end] == c.quote


def test_a_missing_cross_encoder_is_a_clear_error(engine: Isnad, tmp_path: Path) -> None:
    from rag.errors import ModelError

    isnad = Isnad(engine.settings.replace(rerank_model=str(tmp_path / "nothing-here"), device="cpu"),
                  engine.embedder)
    with pytest.raises(ModelError, match="RAG_RERANK_MODEL"):
        isnad.ask(QUESTION, k=5)


# -- a rerank API: scripted servers on loopback ----------------------------------------------------------

class Script:
    """What the scripted server does with the next requests."""

    def __init__(self) -> None:
        self.mode = "cohere"
        self.requests: list[tuple[dict[str, str], dict]] = []  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def rerank_server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append((dict(self.headers), body))
            docs = body.get("documents") or body.get("texts") or []
            scores = [0.95 if WANTED in d else 0.05 for d in docs]
            order = sorted(range(len(docs)), key=lambda i: -scores[i])
            mode = script.mode
            if mode == "slow":
                time.sleep(2)
            if mode == "error":
                self._send(500, b'{"error": "model not loaded"}')
            elif mode == "not json":
                self._send(200, b"<html>gateway</html>")
            elif mode == "short":
                self._send(200, json.dumps({"results": [{"index": order[0], "relevance_score": 0.9}]}).encode())
            elif mode == "twice":
                self._send(200, json.dumps({"results": [{"index": 0, "relevance_score": 0.9}] * len(docs)}).encode())
            elif mode == "tei" or "texts" in body:
                self._send(200, json.dumps([{"index": i, "score": scores[i]} for i in order]).encode())
            else:
                top = order[: body.get("top_n", len(docs))]
                self._send(200, json.dumps({"id": "x", "results": [{"index": i, "relevance_score": scores[i]}
                                                                   for i in top]}).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (the "slow" case)
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/rerank", script
    server.shutdown()


@pytest.mark.parametrize("shape", ["cohere", "tei"])
def test_a_rerank_api_of_either_shape_chooses_the_quote(engine: Isnad, rerank_server, shape: str) -> None:  # type: ignore[no-untyped-def]
    url, script = rerank_server
    script.mode = shape
    model = "rerank-v3.5" if shape == "cohere" else ""
    isnad = Isnad(engine.settings.replace(rerank_url=url, rerank_api_model=model, rerank_api_key="secret",
                                          reader_abstain_below=0.5), engine.embedder)
    answer = isnad.ask(QUESTION, k=5)
    headers, body = script.requests[-1]
    assert headers["Authorization"] == "Bearer secret"
    if shape == "cohere":
        assert body["model"] == "rerank-v3.5" and body["top_n"] == len(body["documents"])
    else:
        assert "texts" in body and "model" not in body
    docs = body.get("documents") or body["texts"]
    assert all(": " in d for d in docs) and body["query"] == QUESTION
    assert WANTED in answer.citations[0].quote and answer.citations[0].reader_score == 0.95
    assert answer.reader.startswith("rerank API") and not answer.note


@pytest.mark.parametrize(("mode", "why"), [("error", "HTTP 500"), ("not json", "not JSON"),
                                           ("short", "scores 1 of"), ("twice", "scored twice"),
                                           ("slow", "within 0.5 s")])
def test_a_failing_rerank_api_lets_the_fallback_answer_with_a_note(engine: Isnad, rerank_server, mode: str,
                                                                   why: str) -> None:  # type: ignore[no-untyped-def]
    url, script = rerank_server
    script.mode = mode
    fallback = WordReader(WANTED)
    remote = RemoteReader(url, "m", timeout=0.5, fallback=fallback, threshold=0.5)
    answer = with_reader(engine, remote).ask(QUESTION, k=5)
    assert why in answer.note and fallback.name in answer.note
    assert answer.reader == fallback.name and WANTED in answer.citations[0].quote
    assert answer_json(answer)["note"] == answer.note


def test_a_failing_rerank_api_without_a_fallback_keeps_the_scorers_order(engine: Isnad, rerank_server) -> None:  # type: ignore[no-untyped-def]
    url, script = rerank_server
    script.mode = "error"
    plain = engine.ask(QUESTION, k=5)
    answer = with_reader(engine, RemoteReader(url, "m", fallback=None, threshold=0.5)).ask(QUESTION, k=5)
    assert "HTTP 500" in answer.note and "scorer's order" in answer.note
    assert [c.quote for c in answer.citations][:1] == [c.quote for c in plain.citations][:1]
    assert answer.abstained == plain.abstained


def test_an_unreachable_rerank_api_is_a_note_not_a_crash(engine: Isnad) -> None:
    from conftest import free_port

    remote = RemoteReader(f"http://127.0.0.1:{free_port()}/rerank", timeout=1, fallback=WordReader(WANTED))
    answer = with_reader(engine, remote).ask(QUESTION, k=5)
    assert "no answer from" in answer.note and not answer.abstained


@pytest.mark.parametrize("reply", [{"results": "x"}, {"data": []}, [{"index": "0", "score": 1}],
                                   [{"index": 0, "score": "high"}], [{"index": 5, "score": 1.0}],
                                   [{"index": 0, "score": float("nan")}], ["0.3"]])
def test_malformed_replies_are_refused(reply: object) -> None:
    with pytest.raises(RerankError):
        parse_scores(reply, 2)


def test_replies_come_back_in_document_order() -> None:
    assert parse_scores({"results": [{"index": 1, "relevance_score": 0.8}, {"index": 0, "relevance_score": 0.1}]},
                        2) == [0.1, 0.8]
    assert parse_scores([{"index": 1, "score": 3.5}, {"index": 0, "score": -2}], 2) == [-2.0, 3.5]


def test_a_built_in_reader_without_a_calibrated_threshold_only_orders(tmp_path: Path) -> None:
    """reader.json without a threshold: the reader orders and the sentence scorer decides whether anything
    answers (Answerer.choose); RAG_READER_ABSTAIN_BELOW still sets one."""
    (tmp_path / "reader.safetensors").write_bytes(b"")
    (tmp_path / "reader.json").write_text(json.dumps({"layers": 24, "rank": 16, "alpha": 32.0, "threshold": None,
                                                      "blend": 4.0}), encoding="utf-8")
    weights, config = tmp_path / "reader.safetensors", tmp_path / "reader.json"
    assert BuiltinReader(object(), weights, config).threshold is None  # type: ignore[arg-type]
    assert BuiltinReader(object(), weights, config, threshold=0.2).threshold == 0.2  # type: ignore[arg-type]
    assert BuiltinReader(object(), weights, config).blend == 4.0  # type: ignore[arg-type]
    config.write_text(json.dumps({"layers": 4, "rank": 16, "alpha": 32.0, "threshold": 0.14}), encoding="utf-8")
    assert BuiltinReader(object(), weights, config).threshold == 0.14  # type: ignore[arg-type]


def test_a_built_in_reader_that_cannot_be_converted_for_openvino_falls_back_to_torch(tmp_path: Path) -> None:
    """The embedder runs in OpenVINO but the reader's conversion fails (here: no model folder): the torch
    path is taken and says why; here it then refuses a model that is not EmbeddingGemma."""

    class OtherModel:
        config = type("Config", (), {"model_type": "bert", "hidden_size": 384})()

    class OpenVinoEmbedder:
        name, runtime, model_path = "other", "openvino", str(tmp_path / "no-model")
        model = [type("Module", (), {"auto_model": OtherModel()})()]

    reader = BuiltinReader(OpenVinoEmbedder())  # type: ignore[arg-type]
    # Foreseen before it loads: float32 where the CPU has no native bfloat16 (or its kernels are held
    # to AVX2); where it has, the two precisions are yet to be timed, so none is named.
    foreseen = "" if cpu_profile().native_bf16 else " float32"
    assert reader.name == f"built-in (on other, OpenVINO{foreseen})"
    with pytest.raises(ModelError, match="trained on EmbeddingGemma-300M"):
        reader.read("who?", [ReadItem("someone did")])
    assert reader.runtime == "torch" and reader.runtime_reason.startswith("OpenVINO failed")
    assert reader.name == "built-in (on other, torch)"
