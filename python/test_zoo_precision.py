"""Tests of tools/zoo_precision.py and tools/zoo_samples.py: the rule that decides whether a narrowed model is
kept, the choice between f16 and bf16, the int8 simulation, and the sample blocks of the cards. No built binary
needed.

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import zoo_precision as zp  # noqa: E402
import zoo_samples as zs  # noqa: E402


def test_the_negligible_rule_per_headline():
    assert zp.negligible("bits_per_char", 2.0844, 2.0893, 206887)
    assert not zp.negligible("bits_per_char", 2.0844, 2.0895, 206887)
    assert not zp.negligible("bits_per_char", 2.0844, 2.0793, 206887)     # a change either way counts
    assert zp.negligible("accuracy", 0.84, 0.84, 1000)
    assert not zp.negligible("accuracy", 0.84, 0.841, 1000)               # one example changed class
    assert zp.negligible("mean_loss", 2.81e-6, 2.83e-6, 3000)
    assert not zp.negligible("mean_loss", 2.81e-6, 2.85e-6, 3000)
    assert zp.negligible("nll_per_step", 10.2667, 10.2667 * 0.995, 77)
    assert not zp.negligible("mean_loss", 100.0, 101.0, 3000)             # exactly 1%: not below it


def test_accuracy_without_examples_and_unknown_headlines_are_errors():
    with pytest.raises(zp.zc.ZooError, match="no test examples"):
        zp.negligible("accuracy", 0.84, 0.5, 0)
    assert zp.headline_value({"accuracy": 0.75, "count": 4}, "accuracy") == 0.75
    with pytest.raises(zp.zc.ZooError, match="reports no 'bits_per_char'"):
        zp.headline_value({"accuracy": 0.75}, "bits_per_char")


def test_the_smaller_passing_copy_is_chosen():
    full = zp.Measurement(2.0, 1000)
    copies = {"f16": zp.Measurement(2.001, 600), "bf16": zp.Measurement(2.002, 550)}
    assert zp.choose("bits_per_char", full, copies, 100) == "bf16"
    copies["bf16"] = zp.Measurement(2.01, 550)                            # bf16 fails: f16 although larger
    assert zp.choose("bits_per_char", full, copies, 100) == "f16"
    copies["f16"] = zp.Measurement(2.006, 600)
    assert zp.choose("bits_per_char", full, copies, 100) is None
    same = {"f16": zp.Measurement(2.0, 500), "bf16": zp.Measurement(2.0, 500)}
    assert zp.choose("bits_per_char", full, same, 100) == "f16"           # a tie in size: f16's longer mantissa


def test_int8_rows_round_each_row_to_its_own_scale():
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(6, 40)).astype(np.float32) * np.array([1e-3, 1, 10, 100, 0.5, 0], np.float32)[:, None]
    q, scales = zp.int8_rows(matrix)
    assert q.dtype == np.int8 and scales.dtype == np.float32 and scales.shape == (6,)
    assert np.all(np.abs(q[:5]).max(axis=1) == 127)                      # each row uses its whole range
    back = zp.dequantize(q, scales)
    assert np.all(np.abs(back - matrix) <= scales[:, None] / 2 * (1 + 1e-6))
    assert np.all(back[5] == 0) and scales[5] == 1                        # an all-zero row stays zero


def test_the_sample_blocks_of_a_card_are_found_and_replaced(monkeypatch):
    card = ("# m\n\n## Sample\n\n`kru sample models/m.kru --prime \"It was\" --seed 1`:\n\n```\nold text\nline 2\n```\n"
            "\nmore prose\n")
    calls = []

    def fake_run(kru, arguments, root):
        calls.append(arguments)
        return "It was new\n"

    monkeypatch.setattr(zs.zc, "run_kru", fake_run)
    new, count = zs.refreshed(card, "kru")
    assert count == 1
    assert calls == [["sample", "models/m.kru", "--prime", "It was", "--seed", "1"]]
    assert new == card.replace("old text\nline 2", "It was new")


def test_changes_are_signed_and_zero_is_unsigned():
    assert zp.fmt_change("bits_per_char", 2.0844, 2.08439) == "0.0000"
    assert zp.fmt_change("bits_per_char", 2.0844, 2.0845) == "+0.0001"
    assert zp.fmt_change("accuracy", 0.84, 0.83) == "-1.00 pt"
    assert zp.fmt_change("mean_loss", 0.04, 0.0404) == "+1.00%"
