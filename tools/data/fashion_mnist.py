#!/usr/bin/env python3
"""Fashion-MNIST (Zalando, MIT) as pixel-by-pixel sequences of length 784, from Debian's dataset-fashion-mnist.

Usage: tools/data/fashion_mnist.py [--out data/fashion-mnist] [--force]

Source: apt-get download dataset-fashion-mnist=0.0~git20200523.55506a9-1, unpacked with dpkg-deb -x (nothing is
installed); the four gzip'd IDX files in /usr/share/datasets/fashion-mnist/ are checked against data-sources.md §2a
and parsed here with full validation (magic number, dimensions, exact payload size, labels 0..9).

Writes OUT/{train,valid,test}-inputs.npy (float32, (B, 784, 1), pixel/255, row-major pixel order) and
OUT/{train,valid,test}-targets.npy (int64, (B,)), plus OUT/SHA256SUMS. Split: valid = 500 images per class of the
official 60,000-image training set, chosen by numpy.random.default_rng(SEED) permuting each class's indices (classes
0..9 in turn) and taking the first 500; train = the other 55,000; both keep the official order (which is already
shuffled). test = the official 10,000 test images in official order.
"""

from __future__ import annotations

import argparse
import gzip
import io
import tempfile
from pathlib import Path

import numpy as np

from datautil import (DataError, apt_download, deb_extract, main_wrapper, outputs_done, require_sha256,
                      stratified_split, write_image_splits, write_sums)

PACKAGE = "dataset-fashion-mnist=0.0~git20200523.55506a9-1"
DIR = "usr/share/datasets/fashion-mnist"
FILES = {  # name -> sha256, data-sources.md §2a
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049          # IDX: 0x00 0x00, type 0x08 (ubyte), number of dimensions
VALID_PER_CLASS = 500
SEED = 20240103
MAX_IDX_BYTES = 64 << 20


def parse_idx(data: bytes, magic: int, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    """An unsigned-byte IDX array: big-endian magic (two zero bytes, type 0x08, ndim), ndim big-endian uint32
    dimensions, then exactly prod(dims) bytes. `magic` fixes the type and rank; shape_tail the trailing dims."""
    if len(data) < 4:
        raise DataError("IDX file shorter than its magic number")
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise DataError(f"IDX magic {got} (0x{got:08x}), expected {magic} (0x{magic:08x})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError("IDX file shorter than its dimension header")
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if dims[1:] != shape_tail:
        raise DataError(f"IDX dimensions {dims}, expected N followed by {shape_tail}")
    size = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != size:
        raise DataError(f"IDX payload is {len(data) - header} bytes, dimensions {dims} need {size}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def gunzip(data: bytes, limit: int = MAX_IDX_BYTES) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        out = f.read(limit + 1)
    if len(out) > limit:
        raise DataError(f"gzip member expands beyond {limit} bytes")
    return out


def load_pair(images_gz: bytes, labels_gz: bytes) -> tuple[np.ndarray, np.ndarray]:
    images = parse_idx(gunzip(images_gz), IMAGES_MAGIC, (28, 28))
    labels = parse_idx(gunzip(labels_gz), LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"{len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise DataError(f"label {labels.max()} outside 0..9")
    return images, labels.astype(np.int64)


def split_train(labels: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """valid: VALID_PER_CLASS per class, chosen by seed; train: the rest; both in official order."""
    return stratified_split(labels, lambda n: (n - VALID_PER_CLASS, VALID_PER_CLASS), seed, ("train", "valid"),
                            shuffle=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=Path("data/fashion-mnist"))
    ap.add_argument("--force", action="store_true", help="rebuild even if the outputs verify")
    args = ap.parse_args()
    names = [f"{s}-{k}.npy" for s in ("train", "valid", "test") for k in ("inputs", "targets")]
    if not args.force and outputs_done(args.out, names):
        return
    raw = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = deb_extract(apt_download(PACKAGE, Path(tmp)), Path(tmp) / "x") / DIR
        for name, digest in FILES.items():
            raw[name] = (root / name).read_bytes()
            require_sha256(raw[name], digest, name)
    train_x, train_y = load_pair(raw["train-images-idx3-ubyte.gz"], raw["train-labels-idx1-ubyte.gz"])
    test_x, test_y = load_pair(raw["t10k-images-idx3-ubyte.gz"], raw["t10k-labels-idx1-ubyte.gz"])
    if len(train_y) != 60000 or len(test_y) != 10000:
        raise DataError(f"expected 60000 + 10000 images, got {len(train_y)} + {len(test_y)}")
    args.out.mkdir(parents=True, exist_ok=True)
    write_image_splits(args.out, train_x, train_y, 255, split_train(train_y))
    write_image_splits(args.out, test_x, test_y, 255, {"test": np.arange(len(test_y))})
    write_sums(args.out, names)


if __name__ == "__main__":
    main_wrapper(main)
