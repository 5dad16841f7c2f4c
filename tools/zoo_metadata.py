#!/usr/bin/env python3
"""Write the `general.*` metadata of the zoo's model files from the manifest, leaving every tensor as it was.

Each model in models/zoo.json names its licence (an SPDX expression) and its source; with its name, task and
summary they make the four keys spec/FORMAT.md §2.5 reserves for this: `general.name`, `general.description`,
`general.license` and `general.source` (what tools/zoo_cards.py `file_metadata` derives, the one definition).
For every model whose file does not carry exactly those values, this script rewrites the file atomically
(kru.format.write_kru: temporary file, fsync, rename) with

- the same metadata entries in the same order and with the same values, the four keys replaced where present and
  appended where not;
- the same tensors, in the same order, with the same names, element types, shapes and raw bytes (checked, by
  their CRC-32 and bytes, on the encoded file before it replaces the original; only their zlib streams may
  differ).

No retraining, no change to what any model computes; `python3 tools/zoo_cards.py --check` afterwards confirms
that the test metrics did not move (the sha256 and sizes in the cards do change: regenerate them).

Usage (from anywhere; paths are relative to the repository root):

    python3 tools/zoo_metadata.py [--only NAME]     # rewrite the files that need it
    python3 tools/zoo_metadata.py --check           # change nothing; exit 1 if a file lacks its metadata
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "tools"))

from kru import format as kf  # noqa: E402
from zoo_cards import MANIFEST, ZooError, file_metadata, load_manifest  # noqa: E402


def wanted_metadata(entries: list[tuple[str, str, Any]], general: dict[str, str]) -> list[tuple[str, Any]]:
    """The file's metadata with the `general` values put in: replaced in place, or appended in `general`'s order.
    Array values stay the reader's ArrayValue, which the writer takes with its element type."""
    out = [(key, general.get(key, value)) for key, _, value in entries]
    present = {key for key, _, _ in entries}
    return out + [(key, value) for key, value in general.items() if key not in present]


def tensor_value(handle: kf.KruFile, entry: kf.TensorEntry) -> Any:
    """A tensor as the writer takes it back, with the same element type and bytes."""
    if entry.dtype == "bf16":
        raw = handle.read_raw(entry.name)
        return kf.BF16.from_bits(np.frombuffer(raw, dtype="<u2").reshape(entry.shape))
    return handle.read_tensor(entry.name)


def rewrite(path: Path, general: dict[str, str]) -> bool:
    """Puts `general` into the file at `path`; returns False if it already carried exactly those values."""
    with kf.open_kru(path) as handle:
        entries = list(handle.metadata)
        current = {key: value for key, _, value in entries if key in general}
        if current == general:
            return False
        metadata = wanted_metadata(entries, general)
        tensors = [(entry.name, tensor_value(handle, entry)) for entry in handle.tensors]
        before = [(e.name, e.dtype, e.shape, e.raw_length, e.crc32, handle.read_raw(e.name)) for e in handle.tensors]
    encoded = kf.encode_kru(metadata, tensors)
    with kf.open_kru(encoded) as handle:          # verified before the file is touched
        after = [(e.name, e.dtype, e.shape, e.raw_length, e.crc32, handle.read_raw(e.name)) for e in handle.tensors]
        written = [(key, value) for key, _, value in handle.metadata]
    if after != before:
        raise ZooError(f"{path}: the tensors would change (a bug in this script); the file was left alone")
    if written != metadata:
        raise ZooError(f"{path}: the metadata would not read back as written (a bug); the file was left alone")
    kf.write_kru(path, metadata, tensors)         # the same bytes again, written atomically
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file lacks its metadata")
    parser.add_argument("--only", metavar="NAME", help="only this model")
    options = parser.parse_args(argv)
    try:
        manifest = load_manifest(REPO / MANIFEST)
        models = [m for m in manifest["models"] if options.only in (None, m["name"])]
        if not models:
            raise ZooError(f"no model named {options.only!r} in {MANIFEST}")
        stale = []
        for model in models:
            path = REPO / MANIFEST.parent / model["file"]
            general = file_metadata(model)
            if options.check:
                with kf.open_kru(path) as handle:
                    current = {key: value for key, _, value in handle.metadata if key in general}
                if current != general:
                    stale.append(model["name"])
            elif rewrite(path, general):
                print(f"zoo_metadata: wrote {path.relative_to(REPO).as_posix()}")
        if stale:
            print(f"zoo_metadata: {', '.join(stale)} lack their general.* metadata; run python3 tools/zoo_metadata.py",
                  file=sys.stderr)
            return 1
        print(f"zoo_metadata: {len(models)} model file(s) carry their general.* metadata")
        return 0
    except (ZooError, kf.KruFormatError, kf.KruWriteError, OSError) as error:
        print(f"zoo_metadata: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
