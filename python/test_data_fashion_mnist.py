"""tools/data/fashion_mnist.py: the IDX reader and the train/valid split, on tiny synthetic IDX files."""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import fashion_mnist as fm  # noqa: E402
from datautil import DataError  # noqa: E402


def idx(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()


def test_parse_idx_images_and_labels():
    images = np.arange(3 * 28 * 28, dtype=np.int64).astype(np.uint8).reshape(3, 28, 28)
    got = fm.parse_idx(idx(images), fm.IMAGES_MAGIC, (28, 28))
    assert got.shape == (3, 28, 28) and got.dtype == np.uint8 and np.array_equal(got, images)
    labels = np.array([9, 0, 4], dtype=np.uint8)
    assert fm.parse_idx(idx(labels), fm.LABELS_MAGIC).tolist() == [9, 0, 4]


@pytest.mark.parametrize("data, why", [
    (idx(np.zeros((2, 28, 28), np.uint8))[:-1], "payload is 1567 bytes"),
    (idx(np.zeros((2, 28, 28), np.uint8)) + b"\0", "payload is 1569 bytes"),
    (idx(np.zeros((2, 28, 27), np.uint8)), "dimensions"),
    (idx(np.zeros((2, 784), np.uint8)), "magic 2050"),
    (b"\0\0\x0b\x03" + idx(np.zeros((1, 28, 28), np.uint8))[4:], "magic"),   # int16 type code
    (b"\0\0\x08", "shorter than its magic"),
    (b"\0\0\x08\x03\0\0\0\x01", "dimension header"),
])
def test_parse_idx_rejects(data, why):
    with pytest.raises(DataError, match=why):
        fm.parse_idx(data, fm.IMAGES_MAGIC, (28, 28))


def test_load_pair_checks_counts_and_labels():
    images = gzip.compress(idx(np.zeros((2, 28, 28), np.uint8)))
    x, y = fm.load_pair(images, gzip.compress(idx(np.array([3, 7], np.uint8))))
    assert x.shape == (2, 28, 28) and y.dtype == np.int64 and y.tolist() == [3, 7]
    with pytest.raises(DataError, match="2 images but 3 labels"):
        fm.load_pair(images, gzip.compress(idx(np.array([1, 2, 3], np.uint8))))
    with pytest.raises(DataError, match="label 10"):
        fm.load_pair(images, gzip.compress(idx(np.array([1, 10], np.uint8))))


def test_gunzip_limit():
    with pytest.raises(DataError, match="expands beyond"):
        fm.gunzip(gzip.compress(b"\0" * 5000), limit=4096)


def test_split_train_takes_500_per_class_for_valid():
    labels = np.random.default_rng(0).permutation(np.repeat(np.arange(10), 600))
    parts = fm.split_train(labels)
    assert len(parts["valid"]) == 5000 and len(parts["train"]) == 1000
    assert np.bincount(labels[parts["valid"]]).tolist() == [500] * 10
    assert np.bincount(labels[parts["train"]]).tolist() == [100] * 10
    assert not set(parts["train"].tolist()) & set(parts["valid"].tolist())
    assert np.all(np.diff(parts["train"]) > 0) and np.all(np.diff(parts["valid"]) > 0)   # official order kept
    assert np.array_equal(fm.split_train(labels)["valid"], parts["valid"])
    assert not np.array_equal(fm.split_train(labels, seed=1)["valid"], parts["valid"])
