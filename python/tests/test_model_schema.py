"""The §6 consistency rules of spec/MODEL.md: kru.model refuses every broken model with a message naming the key
or tensor at fault, and so does the Swift engine (`kru run`) on the same file — the two readers agree on what a
model is."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import kru.format as kf
import kru.model as km
from conftest import ROOT

BASE = ROOT / "Tests" / "Fixtures" / "models"


def parts(name: str):
    with kf.full_check(BASE / f"{name}.kru") as f:
        metadata = [(k, v) for k, _, v in f.metadata]
        tensors = [(t.name, f.read_tensor(t.name)) for t in f.tensors]
    return metadata, tensors


def edit_metadata(metadata, key, value):
    if value is None:
        return [(k, v) for k, v in metadata if k != key]
    if key not in dict(metadata):
        return metadata + [(key, value)]
    return [(k, value if k == key else v) for k, v in metadata]


def edit_tensor(tensors, name, value):
    if value is None:
        return [(n, a) for n, a in tensors if n != name]
    if name not in dict(tensors):
        return tensors + [(name, value)]
    return [(n, value if n == name else a) for n, a in tensors]


LSTM = "kru_lstm_kron_rank1"                   # lstm, Kronecker rank 1, a different factor shape per gate
KRU = "kru_square3_modrelu"                    # kru, modReLU, tokens with an embedding
CASES = [
    # (name, base model, edit of (metadata, tensors), words the message must contain)
    ("schema v3", KRU, lambda m, t: (edit_metadata(m, "kru.schema_version", 3), t), "v3"),
    ("tokenizer key in a v1 file", KRU, lambda m, t: (edit_metadata(m, "kru.input.tokenizer", "words"), t),
     "kru.input.tokenizer"),
    ("tied key in a v1 file", KRU, lambda m, t: (edit_metadata(m, "kru.output.tied", True), t), "kru.output.tied"),
    ("unknown tokenizer", KRU, lambda m, t: (edit_metadata(edit_metadata(m, "kru.schema_version", 2),
                                                           "kru.input.tokenizer", "sentencepiece"), t),
     "kru.input.tokenizer"),
    ("word with a space", KRU, lambda m, t: (edit_metadata(edit_metadata(edit_metadata(
        m, "kru.schema_version", 2), "kru.input.tokenizer", "words"), "kru.input.vocabulary",
        kf.Array("string", ["the king"] + list("bcdefg"))), t), "whitespace"),
    ("byte above U+00FF", KRU, lambda m, t: (edit_metadata(edit_metadata(edit_metadata(
        m, "kru.schema_version", 2), "kru.input.tokenizer", "bytes"), "kru.input.vocabulary",
        kf.Array("string", ["\u0100"] + list("bcdefg"))), t), "byte"),
    ("empty token", KRU, lambda m, t: (edit_metadata(edit_metadata(edit_metadata(
        m, "kru.schema_version", 2), "kru.input.tokenizer", "words"), "kru.input.vocabulary",
        kf.Array("string", [""] + list("bcdefg"))), t), "empty"),
    ("tied with its own readout weight", "kru_words_tied_lstm", lambda m, t: (m, edit_tensor(
        t, "readout.weight", np.zeros((9, 6), np.float32))), "readout.weight"),
    ("tied with an embedding of another width", KRU, lambda m, t: (edit_metadata(edit_metadata(
        m, "kru.schema_version", 2), "kru.output.tied", True), edit_tensor(t, "readout.weight", None)),
     "kru.output.tied"),
    ("tied without an embedding", "kru_unequal_4x4_2x2_onehot_split_tanh", lambda m, t: (edit_metadata(
        edit_metadata(m, "kru.schema_version", 2), "kru.output.tied", True), edit_tensor(t, "readout.weight", None)),
     "input.embedding"),
    ("schema v0", KRU, lambda m, t: (edit_metadata(m, "kru.schema_version", 0), t), "kru.schema_version"),
    ("missing cell", KRU, lambda m, t: (edit_metadata(m, "kru.layer.0.cell", None), t), "kru.layer.0.cell"),
    ("hidden size a string", KRU, lambda m, t: (edit_metadata(m, "kru.layer.0.hidden_size", "8"), t),
     "kru.layer.0.hidden_size"),
    ("unknown activation", KRU, lambda m, t: (edit_metadata(m, "kru.layer.0.activation", "relu"), t),
     "kru.layer.0.activation"),
    ("duplicate token", KRU, lambda m, t: (edit_metadata(m, "kru.input.vocabulary",
                                                         kf.Array("string", list("abcdefa"))), t), "duplicate"),
    ("two-character token", KRU, lambda m, t: (edit_metadata(m, "kru.input.vocabulary",
                                                             kf.Array("string", ["ab"] + list("bcdefg"))), t),
     "Unicode scalar"),
    ("K is not V", KRU, lambda m, t: (edit_metadata(m, "kru.output.width", 3), t), "kru.output.width"),
    ("extra tensor", KRU, lambda m, t: (m, edit_tensor(t, "layer.0.extra", np.zeros(2, np.float32))),
     "layer.0.extra"),
    ("missing modReLU bias", KRU, lambda m, t: (m, edit_tensor(t, "layer.0.modrelu_bias", None)),
     "layer.0.modrelu_bias"),
    ("real U in a kru cell", KRU, lambda m, t: (m, edit_tensor(t, "layer.0.weight_ih",
                                                                 dict(t)["layer.0.weight_ih"].real.copy())),
     "layer.0.weight_ih"),
    ("readout of the wrong width", KRU, lambda m, t: (m, edit_tensor(t, "readout.weight", np.zeros((7, 3),
                                                                                                  np.float32))),
     "readout.weight"),
    ("factors that do not multiply to N", LSTM, lambda m, t: (m, edit_tensor(t, "layer.0.weight_hh.2.0.1",
                                                                              np.zeros((3, 3), np.float32))),
     "gate 2"),
    ("one bias of the pair", LSTM, lambda m, t: (m, edit_tensor(t, "layer.0.bias_hh", None)), "bias"),
    ("complex factor in an lstm", LSTM, lambda m, t: (m, edit_tensor(
        t, "layer.0.weight_hh.0.0.0", dict(t)["layer.0.weight_hh.0.0.0"].astype(np.complex64))),
     "layer.0.weight_hh.0.0.0"),
    ("embedding in a vector model", "kru_rect_2x3_3x2_2x2_vectors_regression",
     lambda m, t: (m, edit_tensor(t, "input.embedding", np.zeros((3, 2), np.float32))), "input.embedding"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_models_are_refused_by_both_engines(case, tmp_path, kru_binary):
    _, base, edit, words = case
    metadata, tensors = edit(*parts(base))
    path = tmp_path / "broken.kru"
    kf.write_kru(path, metadata, tensors)
    with pytest.raises(km.ModelSchemaError) as info:
        km.load(path)
    assert words.lower() in str(info.value).lower(), str(info.value)
    np.save(tmp_path / "inputs.npy", np.zeros((1, 3), np.int64))
    swift = subprocess.run([str(kru_binary), "run", str(path), "--input", str(tmp_path / "inputs.npy"), "--output",
                            str(tmp_path / "out.npy")], capture_output=True, text=True)
    assert swift.returncode == 65 and "not a valid model" in swift.stderr, swift.stderr  # 65: bad data (docs/CLI.md)


@pytest.mark.parametrize("name", sorted({case[1] for case in CASES}))
def test_the_unedited_bases_load_in_both(name, tmp_path, kru_binary):
    """(so the refusals above come from the edits)"""
    model = km.load(BASE / f"{name}.kru")
    d = model.description
    inputs = np.zeros((1, 3), np.int64) if d.input_kind == "tokens" else np.zeros((1, 3, d.input_width), np.float32)
    np.save(tmp_path / "inputs.npy", inputs)
    swift = subprocess.run([str(kru_binary), "run", str(BASE / f"{name}.kru"), "--input", str(tmp_path / "inputs.npy"),
                            "--output", str(tmp_path / "out.npy")], capture_output=True, text=True)
    assert swift.returncode == 0, swift.stderr
