"""kru.model against two independent oracles:

- Tests/Fixtures/torch: real PyTorch outputs (logits, top-layer outputs, h_n, c_n) of dense RNN/LSTM/GRU models.
  The model is built here straight from the PyTorch state dict in the .npz, not from a converted .kru file;
- Tests/Fixtures/models: `.kru` models with expected outputs from PyTorch (torch_*) or from the NumPy reference of
  tools/make_model_fixtures.py (kru_*), which forms every Kronecker product explicitly with np.kron, whereas
  kru.model never forms one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import kru.model as km
from kru.model.cells import run_layer
from kru.model.schema import Description, Layer, names
from conftest import ROOT

TORCH = ROOT / "Tests" / "Fixtures" / "torch"
MODELS = ROOT / "Tests" / "Fixtures" / "models"
TOLERANCE = 1e-5        # PyTorch ran in float32; kru.model runs in float64


def torch_models() -> list[dict]:
    return json.loads((TORCH / "manifest.json").read_text())["models"]


def model_fixtures() -> list[str]:
    return sorted(p.stem for p in MODELS.glob("*.json") if p.stem != "manifest")


def from_state_dict(spec: dict, npz) -> km.Model:
    """The manifest's model in the schema, with the state dict's tensors under their schema names."""
    cell = {"rnn": f"rnn_{spec['nonlinearity']}", "lstm": "lstm", "gru": "gru"}[spec["cell"]]
    layers = tuple(Layer(cell, spec["hidden_size"]) for _ in range(spec["layers"]))
    description = Description("tokens", layers, "categorical", spec["vocab_size"],
                              vocabulary=tuple("abcdefghijklmnopqrstuvwxyz"[:spec["vocab_size"]]),
                              embedding_width=spec["embed_dim"])
    tensors = {names.embedding: npz["emb.weight"], names.readout_weight: npz["out.weight"],
               names.readout_bias: npz["out.bias"]}
    for l in range(spec["layers"]):
        tensors[names.weight_ih(l)] = npz[f"rnn.weight_ih_l{l}"]
        tensors[names.weight_hh(l)] = npz[f"rnn.weight_hh_l{l}"]
        if spec["bias"]:
            tensors[names.bias_ih(l)] = npz[f"rnn.bias_ih_l{l}"]
            tensors[names.bias_hh(l)] = npz[f"rnn.bias_hh_l{l}"]
    return km.Model(description, tensors)


def final_states(state: list) -> list[np.ndarray]:
    """[layer][batch][width] as the fixtures store them: [Re h; Im h] for kru layers, h for real cells."""
    out = []
    for s in state:
        h = s[0] if isinstance(s, tuple) else s
        out.append(np.concatenate([h.real, h.imag], axis=-1) if np.iscomplexobj(h) else h)
    return out


@pytest.mark.parametrize("spec", torch_models(), ids=lambda s: s["name"])
def test_matches_pytorch_on_its_own_state_dict(spec):
    npz = np.load(TORCH / spec["file"])
    model = from_state_dict(spec, npz)
    logits, state = model.forward(npz["input_ids"])
    assert np.abs(logits - npz["logits"]).max() < TOLERANCE
    h_n = np.stack(final_states(state))
    assert np.abs(h_n - npz["h_n"]).max() < TOLERANCE
    if spec["cell"] == "lstm":
        c_n = np.stack([c for _, c in state])
        assert np.abs(c_n - npz["c_n"]).max() < TOLERANCE
    # The top layer's output at every step, which the readout sees.
    x = model.layer_input(npz["input_ids"])
    for weights, layer_state in zip(model.layers, model.initial_state(x.shape[0])):
        x, _ = run_layer(weights, x, layer_state)
    assert np.abs(x - npz["rnn_output"]).max() < TOLERANCE


@pytest.mark.parametrize("name", model_fixtures())
def test_matches_the_model_fixture(name):
    expected = json.loads((MODELS / f"{name}.json").read_text())
    model = km.load(MODELS / expected["model"])
    outputs, state = model.forward(np.asarray(expected["inputs"]))
    assert np.abs(outputs - np.asarray(expected["outputs"])).max() < TOLERANCE, expected["oracle"]
    for l, (actual, wanted) in enumerate(zip(final_states(state), expected["final_states"])):
        assert np.abs(actual - np.asarray(wanted)).max() < TOLERANCE, f"layer {l}"
    for l, (s, wanted) in enumerate(zip(state, expected.get("cell_states") or [None] * len(state))):
        if wanted is not None:
            assert np.abs(s[1] - np.asarray(wanted)).max() < TOLERANCE, f"layer {l} cell state"


def test_every_cell_recurrence_and_head_is_covered():
    """The fixtures exercise everything kru.model implements (so the tests above cover all of it)."""
    seen = set()
    for name in model_fixtures():
        d = km.load(MODELS / f"{name}.kru").description
        seen |= {("cell", layer.cell) for layer in d.layers}
        seen |= {("activation", layer.activation) for layer in d.layers if layer.activation}
        seen |= {("recurrent", layer.cell == "kru", layer.recurrent) for layer in d.layers}
        seen |= {("output", d.output_kind, d.output_steps), ("input", d.input_kind, d.embedding_width is None)}
    wanted = ({("cell", c) for c in ("kru", "rnn_tanh", "rnn_relu", "lstm", "gru")}
              | {("activation", a) for a in ("modrelu", "split_relu", "split_tanh")}
              | {("recurrent", c, r) for c in (True, False) for r in ("dense", "kronecker")}
              | {("output", k, "every") for k in ("categorical", "bernoulli", "regression")}
              | {("output", "categorical", "last")}
              | {("input", "tokens", True), ("input", "tokens", False), ("input", "vectors", True)})
    assert wanted <= seen, wanted - seen
