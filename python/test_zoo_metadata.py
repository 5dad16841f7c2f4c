"""Tests of tools/zoo_metadata.py: it puts the general.* keys into a .kru file and leaves every tensor and every
other metadata entry as it was. The oracle is the file before the rewrite, read back by the package's reader.

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "python"))
import zoo_metadata as zm  # noqa: E402
from kru import format as kf  # noqa: E402

GENERAL = {"general.name": "tiny", "general.description": "a tiny model", "general.license": "MIT",
           "general.source": "nowhere"}


def contents(path):
    with kf.open_kru(path) as handle:
        metadata = [(key, type_name, value) for key, type_name, value in handle.metadata]
        tensors = [(e.name, e.dtype, e.shape, e.crc32, handle.read_raw(e.name)) for e in handle.tensors]
    return metadata, tensors


def test_rewrite_puts_the_general_keys_in_and_keeps_everything_else(tmp_path):
    path = tmp_path / "tiny.kru"
    kf.write_kru(path, [("general.name", "old name"), ("kru.schema_version", 1), ("kru.train.lr", 0.002),
                        ("kru.input.vocabulary", ["a", "b"]), ("kru.train.tags", kf.Array("string", []))],
                 [("w", np.arange(6, dtype=np.float32).reshape(2, 3)),
                  ("factor", np.array([[1 + 2j, 3 - 4j]], dtype=np.complex128)),
                  ("half", kf.BF16(np.array([1.5, -2.25, 3e-3], dtype=np.float32))),
                  ("ids", np.array([7, 8], dtype=np.int64))])
    old_metadata, old_tensors = contents(path)

    assert zm.rewrite(path, GENERAL) is True
    metadata, tensors = contents(path)
    assert tensors == old_tensors
    assert [key for key, _, _ in metadata] == ["general.name", "kru.schema_version", "kru.train.lr",
                                               "kru.input.vocabulary", "kru.train.tags", "general.description",
                                               "general.license", "general.source"]
    assert metadata[1:5] == old_metadata[1:5]            # the other entries: same types, same values
    assert {key: value for key, _, value in metadata if key in GENERAL} == GENERAL

    written = path.read_bytes()
    assert zm.rewrite(path, GENERAL) is False           # nothing to do: the file is left alone
    assert path.read_bytes() == written


def test_wanted_metadata_replaces_in_place_and_appends_in_order():
    entries = [("kru.a", "int", 1), ("general.license", "string", "GPL-3.0"), ("kru.b", "string", "x")]
    assert zm.wanted_metadata(entries, GENERAL) == [
        ("kru.a", 1), ("general.license", "MIT"), ("kru.b", "x"), ("general.name", "tiny"),
        ("general.description", "a tiny model"), ("general.source", "nowhere")]
