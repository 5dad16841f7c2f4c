"""Models whose embedding and readout `kru quantize` stored as f16 or bf16, against NumPy's rounding.

The oracle: the full-precision model's tensors rounded by NumPy (`astype(float16)`; for bf16 the nearer of a value's
two bfloat16 neighbours, ties to the even one, computed here in float64), written back as an f32 model by
kru.format. The narrowed file must hold exactly those values (as kru.format reads them), and the Swift engine
(`kru run`) and kru.model must give exactly the same outputs on it as on the rounded f32 model: the engine widens
16-bit weights to float when it loads them, so nothing else may differ.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import kru.model as km
from conftest import ROOT
from kru import format as kf
from swift_engine import kru_run

FIXTURES = ROOT / "Tests" / "Fixtures" / "models"
NARROWED = ["input.embedding", "readout.weight"]


def bf16_oracle(x: np.ndarray) -> np.ndarray:
    """float32 values rounded to bfloat16 (to nearest, ties to even), widened back to float32."""
    bits = x.astype(np.float32).view(np.uint32)
    down = (bits & 0xFFFF0000).view(np.float32)
    up = ((bits & 0xFFFF0000) + 0x10000).view(np.float32)
    below = np.abs(x.astype(np.float64) - down.astype(np.float64))
    above = np.abs(up.astype(np.float64) - x.astype(np.float64))
    even_is_down = ((bits >> 16) & 1) == 0
    return np.where(below < above, down, np.where(above < below, up, np.where(even_is_down, down, up)))


def rounded(x: np.ndarray, dtype: str) -> np.ndarray:
    return x.astype(np.float16).astype(np.float32) if dtype == "f16" else bf16_oracle(x)


def quantize(binary: Path, source: Path, dtype: str, output: Path) -> None:
    done = subprocess.run([str(binary), "quantize", str(source), "--tensors", "embedding,readout", "--to", dtype,
                           "-o", str(output)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_bf16_oracle_rounds_ties_to_even():
    one = np.float32(1)
    step = np.float32(2 ** -7)                           # bf16's unit in the last place at 1
    values = np.array([one + step / 2, one + 3 * step / 2, one + step / 4, one + 3 * step / 4], np.float32)
    assert list(bf16_oracle(values)) == [one, one + 2 * step, one, one + step]


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
@pytest.mark.parametrize("fixture", ["torch_lstm_l2", "kru_square3_modrelu", "torch_gru_l1"])
def test_a_narrowed_model_is_the_full_model_with_rounded_tensors(fixture, dtype, kru_binary, tmp_path):
    source = FIXTURES / f"{fixture}.kru"
    narrowed = tmp_path / "narrowed.kru"
    quantize(kru_binary, source, dtype, narrowed)

    with kf.open_kru(source) as f:
        metadata = [(key, value) for key, _, value in f.metadata]
        tensors = [(t.name, f.read_tensor(t.name)) for t in f.tensors]
        source_dtypes = {t.name: t.dtype for t in f.tensors}
    oracle = [(name, rounded(array, dtype) if name in NARROWED else array) for name, array in tensors]
    with kf.open_kru(narrowed) as f:
        assert [t.name for t in f.tensors] == [name for name, _ in tensors]
        for name, expected in oracle:
            entry, got = f.tensor(name), f.read_tensor(name)
            assert entry.dtype == (dtype if name in NARROWED else source_dtypes[name])
            assert got.dtype == (np.float16 if entry.dtype == "f16" else expected.dtype)
            np.testing.assert_array_equal(got.astype(expected.dtype), expected, err_msg=name)
        recorded = {key: value for key, _, value in f.metadata}
    assert list(recorded["kru.quantize.tensors"]) == NARROWED
    assert list(recorded["kru.quantize.from"]) == ["f32", "f32"]
    for key, value in metadata:
        assert recorded[key] == value, key

    reference = tmp_path / "rounded-f32.kru"
    kf.write_kru(reference, metadata, oracle)
    model = km.load(reference)
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, len(model.description.vocabulary), size=(2, 13)).astype(np.int64)
    swift = kru_run(kru_binary, narrowed, tokens)
    assert np.array_equal(swift, kru_run(kru_binary, reference, tokens))
    assert np.array_equal(km.load(narrowed).run(tokens), model.run(tokens))
    # and rounding did change something: the oracle is not the unrounded model
    assert not np.array_equal(swift, kru_run(kru_binary, source, tokens))
