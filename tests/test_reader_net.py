"""The built-in reader's network on a tiny random Gemma3 (no model download): the layers are copies
(the embedder's model is never changed), token embeddings are shared, merging the LoRA updates
changes no output, and the shipped weights load back into the same reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rag import reader_net


@pytest.fixture
def tiny_gemma():  # type: ignore[no-untyped-def]
    from transformers import Gemma3TextConfig
    from transformers.models.gemma3.modeling_gemma3 import Gemma3TextModel

    torch.manual_seed(0)
    cfg = Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                           layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                           use_bidirectional_attention=True, max_position_embeddings=64)
    return Gemma3TextModel(cfg).eval()


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[2, 5, 9, 11, 3, 0], [2, 7, 7, 1, 0, 0]])
    return ids, (ids != 0).long()


def test_the_reader_copies_layers_and_shares_the_embeddings(tiny_gemma) -> None:  # type: ignore[no-untyped-def]
    before = {k: v.clone() for k, v in tiny_gemma.state_dict().items()}
    net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0)
    assert len(net.backbone.layers) == 2
    assert net.backbone.embed_tokens is tiny_gemma.embed_tokens  # shared, not copied
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.add_(0.1)
    reader_net.merge_lora(net)
    after = tiny_gemma.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the embedder's model is untouched


def test_merging_the_updates_changes_no_output(tiny_gemma) -> None:  # type: ignore[no-untyped-def]
    net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(".b"):
                p.normal_(0, 0.05)  # B starts at zero: give the update something to say
    ids, mask = batch()
    net.eval()
    with torch.no_grad():
        unmerged = net(ids, mask)
        reader_net.merge_lora(net)
        merged = net(ids, mask)
    assert unmerged.shape == (2,)
    assert torch.allclose(unmerged, merged, atol=1e-5)
    assert not any(isinstance(m, reader_net.LoRA) for m in net.modules())


def test_the_shipped_weights_load_back(tiny_gemma, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from safetensors.torch import save_file

    net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.normal_(0, 0.05)
    state = reader_net.trained_state(net)
    assert state and all(k.endswith((".a", ".b")) or k.startswith(("head.", "backbone.norm.")) for k in state)
    assert not any(k.startswith("verdict.") for k in state)
    path = tmp_path / "reader.safetensors"
    save_file(state, str(path))
    config = {"layers": 2, "rank": 4, "alpha": 8.0}
    ids, mask = batch()
    net.eval()
    with torch.no_grad():
        want = net(ids, mask)
        got = reader_net.load(tiny_gemma, path, config)(ids, mask)
    assert torch.allclose(want, got, atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        reader_net.load(tiny_gemma, path, {**config, "layers": 3})
    json.dumps(config)


def test_a_verdict_head_reads_the_same_pair_and_loads_back(tiny_gemma, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from safetensors.torch import save_file

    net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0, verdicts=True)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.normal_(0, 0.05)
    net.eval()
    ids, mask = batch()
    with torch.no_grad():
        logit, verdicts = net.both(ids, mask)
        assert torch.allclose(logit, net(ids, mask), atol=1e-6)  # one reading, the reader's logit unchanged
    assert verdicts.shape == (2, len(reader_net.VERDICTS))
    state = reader_net.trained_state(net)
    assert {"verdict.weight", "verdict.bias"} <= set(state)
    path = tmp_path / "reader.safetensors"
    save_file(state, str(path))
    loaded = reader_net.load(tiny_gemma, path, {"layers": 2, "rank": 4, "alpha": 8.0})
    with torch.no_grad():
        got_logit, got_verdicts = loaded.both(ids, mask)
    assert torch.allclose(got_logit, logit, atol=1e-5) and torch.allclose(got_verdicts, verdicts, atol=1e-5)
    plain = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0)
    with pytest.raises(ValueError, match="no verdict head"):
        plain.both(ids, mask)


def test_pair_text_names_question_title_and_sentence() -> None:
    assert reader_net.pair_text(" من توسط؟ ", "", "نص.") == "question: من توسط؟ | title: none | text: نص."


def test_the_built_in_reader_gives_verdict_probabilities_only_with_that_head(tiny_gemma, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """BuiltinReader.verdicts reads the claim in the question's place: three probabilities a candidate
    (supported, contradicted, not found), summing to one; weights without the head say so."""
    from rag.errors import ModelError
    from rag.reader import BuiltinReader, ReadItem

    def tokenizer(texts, **_):  # type: ignore[no-untyped-def]
        ids = torch.tensor([[2 + (len(t) + j) % 60 for j in range(6)] for t in texts])
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    weights, config = tmp_path / "reader.safetensors", tmp_path / "reader.json"
    weights.write_bytes(b"")
    items = [ReadItem("the council met on Monday", "title"), ReadItem("nothing of the kind", "")]
    for with_head in (True, False):
        config.write_text(json.dumps({"layers": 2, "rank": 4, "alpha": 8.0, "threshold": None,
                                      "verdicts": list(reader_net.VERDICTS) if with_head else None}), encoding="utf-8")
        reader = BuiltinReader(object(), weights, config, openvino=False)  # type: ignore[arg-type]
        net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0, verdicts=with_head).eval()
        reader._net = (net, tokenizer)
        assert reader.has_verdicts is with_head
        scores = reader.read("the council met", items).scores
        assert len(scores) == 2 and all(0.0 < s < 1.0 for s in scores)
        if with_head:
            verdicts = reader.verdicts("the council met", items)
            assert [set(v) for v in verdicts] == [set(reader_net.VERDICTS)] * 2
            assert all(abs(sum(v.values()) - 1.0) < 1e-5 for v in verdicts)
        else:
            with pytest.raises(ModelError, match="no verdict head"):
                reader.verdicts("the council met", items)


def test_openvino_gives_both_heads_as_torch_does(tiny_gemma, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A reader with a verdict head converts to one OpenVINO graph whose rows are the reader's logit and
    the three verdict logits, as torch gives them (a tiny random Gemma3 and word-level tokenizer, saved
    as a model folder)."""
    pytest.importorskip("openvino")
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from rag import reader_ov

    model_dir = tmp_path / "tiny-model"
    tiny_gemma.save_pretrained(str(model_dir))
    texts = [reader_net.pair_text(*p) for p in reader_ov.PROBES]
    words = sorted({w for t in texts for w in t.split()})
    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: 2 + i % 60 for i, w in enumerate(words)}}  # the tiny model has 64
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]").save_pretrained(str(model_dir))
    net = reader_net.build(tiny_gemma, layers=2, rank=4, alpha=8.0, verdicts=True)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.normal_(0, 0.05)
    weights = tmp_path / "reader.safetensors"
    save_file(reader_net.trained_state(net), str(weights))
    config = {"layers": 2, "rank": 4, "alpha": 8.0, "verdicts": list(reader_net.VERDICTS)}
    ov_net = reader_ov.load(model_dir, weights, config, log=lambda _: None)
    got = ov_net.outputs(texts)
    assert got.shape == (3, 1 + len(reader_net.VERDICTS))
    assert np.allclose(ov_net.logits(texts), got[:, 0])
    loaded = reader_net.load(tiny_gemma, weights, config)
    enc = ov_net.tokenizer(texts, return_tensors="pt", padding=True)
    with torch.no_grad():
        want = loaded.outputs(enc["input_ids"], enc["attention_mask"]).numpy()
    assert np.abs(got - want).max() < 0.05
    assert reader_ov.is_current(model_dir, weights, config)
    assert not reader_ov.is_current(model_dir, weights, {**config, "verdicts": None})  # another graph: convert again
