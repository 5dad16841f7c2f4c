"""kru.model against the Swift engine (`kru run`) on every model of the zoo (models/*.kru), on fixed inputs shaped
like each model's task (zoo_inputs.py): character models, copy memory at T = 500/1000/2000, adding, pixel MNIST and
Fashion-MNIST, chorales.

Tolerance. The Swift engine computes in single precision, kru.model in double. How far single-precision rounding
alone moves a model's outputs depends on the model (long copy-task sequences through a near-unitary recurrence
amplify it most), so it is measured, not guessed: kru.model is also run in float32 on the same inputs, and the
Swift outputs must lie within 4× that deviation of the double-precision result (and never need to be closer
than 2e-5), relative to max(1, |y|). The figures are printed with -s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kru.model as km
from conftest import ROOT
from swift_engine import kru_run
from zoo_inputs import zoo_inputs

ZOO = sorted((ROOT / "models").glob("*.kru"))
FLOOR = 2e-5
FACTOR = 4


def relative(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> float:
    return float((np.abs(a - b) / np.maximum(1, np.abs(scale))).max())


def test_the_zoo_is_all_here():
    assert len(ZOO) >= 19, [p.name for p in ZOO]


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_numpy_engine_matches_kru_run(path: Path, kru_binary):
    model = km.load(path)
    inputs = zoo_inputs(path.stem, model)
    exact = model.run(inputs)
    single = km.load(path, precision="single").run(inputs)
    swift = kru_run(kru_binary, path, inputs)
    assert swift.shape == exact.shape
    rounding = relative(single, exact, exact)
    difference = relative(swift, exact, exact)
    print(f"{path.stem}: inputs {inputs.shape}, kru run vs float64 {difference:.2e}, "
          f"float32 vs float64 {rounding:.2e}")
    assert difference <= max(FLOOR, FACTOR * rounding)
