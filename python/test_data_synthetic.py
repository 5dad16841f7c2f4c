"""tools/data/synthetic.py: the copy-memory and adding test sets follow the task definitions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import synthetic  # noqa: E402


def test_copy_memory_layout():
    inputs, targets = synthetic.copy_memory(5, 4, np.random.default_rng(1))
    assert inputs.shape == targets.shape == (4, 25) and inputs.dtype == np.int64
    for x, y in zip(inputs, targets):
        assert ((1 <= x[:10]) & (x[:10] <= 8)).all()
        assert (x[10:14] == 0).all() and x[14] == 9 and (x[15:] == 0).all()
        assert (y[:15] == 0).all() and (y[15:] == x[:10]).all()


def test_copy_memory_memoryless_baseline_is_the_literatures():
    # Blank before the recall, uniform over 8 symbols during it: 10 log2 8 / (T + 20) bits per step.
    _, targets = synthetic.copy_memory(100, 50, np.random.default_rng(2))
    probabilities = np.where(np.arange(120) < 110, 1.0, 1 / 8)[None, :].repeat(50, axis=0)
    bits = -np.log2(probabilities[np.arange(50)[:, None], np.arange(120)[None, :]]).mean()
    assert targets.shape == (50, 120)
    assert abs(bits - 10 * 3 / 120) < 1e-12


def test_adding_marks_one_value_in_each_half_and_sums_them():
    inputs, targets = synthetic.adding(9, 200, np.random.default_rng(3))
    assert inputs.shape == (200, 9, 2) and targets.shape == (200, 1)
    markers = inputs[:, :, 1]
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :4].sum(axis=1) == 1).all() and (markers[:, 4:].sum(axis=1) == 1).all()
    assert np.allclose(targets[:, 0], (inputs[:, :, 0] * markers).sum(axis=1), atol=1e-6)
    assert ((0 <= inputs[:, :, 0]) & (inputs[:, :, 0] < 1)).all()


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        synthetic.copy_memory(0, 1, np.random.default_rng(0))
    with pytest.raises(ValueError):
        synthetic.adding(1, 1, np.random.default_rng(0))
