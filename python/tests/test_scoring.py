"""kru.model's scoring against `kru score` (text, --compare, and --inputs/--targets for every kind of head), on zoo
models, and against closed forms on a tiny model."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import kru.model as km
from kru.model.schema import Description, Layer, names
from conftest import ROOT
from swift_engine import kru_score_data, kru_score_text
from zoo_inputs import zoo_inputs

sys.path.insert(0, str(ROOT / "tools" / "data"))
import synthetic  # noqa: E402

MODELS = ROOT / "models"
TEXT = ("And God said, Let there be light: and there was light. And God saw the light, that it was good: and God "
        "divided the light from the darkness. And God called the light Day, and the darkness he called Night. "
        "And the evening and the morning were the first day.\n") * 3


def close(a: float, b: float, tolerance: float = 1e-5) -> bool:
    return abs(a - b) <= tolerance * max(1.0, abs(b))


@pytest.mark.parametrize("name", ["kjv-lstm128-k8x16r4", "kjv-kru512"])
def test_text_score_matches_kru_score(name, kru_binary, tmp_path):
    path = MODELS / f"{name}.kru"
    text_file = tmp_path / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    theirs = kru_score_text(kru_binary, path, text_file)
    ours = km.score_text(km.load(path), TEXT)
    assert ours.token_count == theirs["tokens"] == len(TEXT) - 1
    assert close(ours.mean_nll, theirs["mean_nll"]) and close(ours.bits_per_token, theirs["bits_per_char"])
    assert close(ours.standard_error, theirs["mean_nll_stderr"], 1e-4)
    assert close(ours.perplexity, theirs["perplexity"])
    assert ours.accuracy == theirs["top1_accuracy"]


def test_comparison_matches_kru_score_compare(kru_binary, tmp_path):
    model, reference = MODELS / "kjv-lstm128-k4x4x8.kru", MODELS / "kjv-lstm128.kru"
    text_file = tmp_path / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    theirs = kru_score_text(kru_binary, model, text_file, "--compare", str(reference))["compare"]
    ours = km.compare(km.load(model), km.load(reference), TEXT)
    assert close(ours.mean_kl, theirs["mean_kl"], 1e-4)
    assert close(ours.kl_standard_error, theirs["mean_kl_stderr"], 1e-3)
    assert ours.top1_agreement == theirs["top1_agreement"]


def data_case(name: str, model: km.Model):
    """(inputs, targets) for a zoo model with a data head: the task's own targets where the task is known."""
    rng = np.random.default_rng(5)
    if name.startswith("copy"):
        return synthetic.copy_memory(500, 3, rng)
    if name.startswith("adding"):
        return synthetic.adding(400, 3, rng)
    inputs = zoo_inputs(name, model)
    if name.startswith("chorales"):                                     # the next frame of the roll
        return inputs[:, :-1], inputs[:, 1:]
    return inputs, np.array([0, 3])                                     # digit classes


@pytest.mark.parametrize("name", ["copy500-kru128", "adding400-kru128", "chorales-kru128", "mnist5k-kru128"])
def test_data_score_matches_kru_score(name, kru_binary):
    path = MODELS / f"{name}.kru"
    model = km.load(path)
    inputs, targets = data_case(name, model)
    theirs = kru_score_data(kru_binary, path, inputs, targets)
    ours = km.score_data(model, inputs, targets)
    assert ours.count == theirs["count"]
    assert close(ours.mean_loss, theirs["mean_loss"], 1e-4), (ours.mean_loss, theirs["mean_loss"])
    assert close(ours.loss_standard_error, theirs["mean_loss_stderr"], 1e-3)
    assert ours.accuracy == theirs.get("accuracy")
    if "nll_per_step" in theirs:
        assert close(ours.mean_step_loss, theirs["nll_per_step"], 1e-4)


def uniform_model(vocabulary: str) -> km.Model:
    """A model whose logits are always zero: every next character has probability 1/V."""
    v = len(vocabulary)
    d = Description("tokens", (Layer("rnn_tanh", 2),), "categorical", v, vocabulary=tuple(vocabulary))
    tensors = {names.weight_ih(0): np.ones((2, v)), names.weight_hh(0): np.ones((2, 2)),
               names.readout_weight: np.zeros((v, 2)), names.readout_bias: np.zeros(v)}
    return km.Model(d, tensors)


def test_closed_forms_on_a_uniform_model():
    model = uniform_model("abcd")
    score = km.score_text(model, "abcdabcdab")
    assert score.token_count == 9
    assert math.isclose(score.mean_nll, math.log(4)) and math.isclose(score.bits_per_token, 2.0)
    assert score.standard_error == 0 and math.isclose(score.perplexity, 4.0)
    assert score.accuracy == pytest.approx(2 / 9)          # argmax of equal logits is "a": right twice
    comparison = km.compare(model, model, "abcab")
    assert comparison.mean_kl == 0 and comparison.top1_agreement == 1
    assert km.score_text(model, "a").token_count == 0


def test_unknown_characters_are_named_or_skipped():
    model = uniform_model("abc")
    with pytest.raises(km.UnknownCharactersError, match="'z'"):
        km.score_text(model, "abzz")
    assert km.score_text(model, "abzzc", unknown="skip").token_count == 2
