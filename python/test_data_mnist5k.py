"""tools/data/mnist5k.py on a synthetic mnist_5k-style CSV (no network, no data)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import datautil as du  # noqa: E402
import mnist5k  # noqa: E402


def fake_csv(per_class: int = 500) -> bytes:
    rows = []
    for c in range(10):                                  # sorted by class, as the real file is
        for i in range(per_class):
            pixels = [0] * 784
            pixels[i % 784] = 255
            pixels[-1] = c                               # makes each row's class visible in its pixels
            rows.append(",".join(map(str, pixels + [c])))
    return gzip.compress(("\n".join(rows) + "\n").encode())


def test_load_and_split_400_50_50():
    pixels, labels = mnist5k.load_mnist5k_csv(fake_csv())
    assert pixels.shape == (5000, 784) and pixels.dtype == np.uint8 and labels.dtype == np.int64
    parts = du.stratified_split(labels, mnist5k.per_class_sizes, mnist5k.SEED)
    assert {s: len(v) for s, v in parts.items()} == {"train": 4000, "valid": 500, "test": 500}
    for s, want in (("train", 400), ("valid", 50), ("test", 50)):
        assert np.bincount(labels[parts[s]], minlength=10).tolist() == [want] * 10
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(5000))
    assert len(set(labels[parts["valid"][:20]].tolist())) > 3                 # the class-sorted source is mixed
    again = du.stratified_split(labels, mnist5k.per_class_sizes, mnist5k.SEED)
    assert all(np.array_equal(parts[s], again[s]) for s in parts)


def test_written_arrays_scale_to_unit_interval(tmp_path):
    pixels, labels = mnist5k.load_mnist5k_csv(fake_csv())
    parts = du.stratified_split(labels, mnist5k.per_class_sizes, mnist5k.SEED)
    du.write_image_splits(tmp_path, pixels, labels, 255, parts)
    x, y = np.load(tmp_path / "valid-inputs.npy"), np.load(tmp_path / "valid-targets.npy")
    assert x.shape == (500, 784, 1) and x.dtype == np.float32 and y.shape == (500,) and y.dtype == np.int64
    assert x.max() == 1.0 and x.min() == 0.0
    assert np.allclose(x[:, -1, 0] * 255, y)                                # inputs and targets stay paired


def test_class_size_other_than_500_is_an_error():
    with pytest.raises(du.DataError, match="expected 500"):
        mnist5k.per_class_sizes(499)
    _, labels = mnist5k.load_mnist5k_csv(fake_csv(per_class=10))
    with pytest.raises(du.DataError, match="expected 500"):
        du.stratified_split(labels, mnist5k.per_class_sizes, mnist5k.SEED)


def test_rejects_pixels_above_255():
    bad = gzip.compress((",".join(["256"] + ["0"] * 783 + ["1"]) + "\n").encode())
    with pytest.raises(du.DataError, match="pixel outside"):
        mnist5k.load_mnist5k_csv(bad)
