#!/usr/bin/env python3
"""Craft the files that test kru's memory bound (docs/MEMORY.md): small inputs that declare, share or unpack
far more data than they hold.

Each file is made twice: a small version committed under Tests/Fixtures/memory/ (the tests run the built `kru`
on them and check its peak memory), and with --large DIR the full-size version of issue 15's report, for
measuring with /usr/bin/time -v (see docs/MEMORY.md for the figures). The files that must be real torch.save
output are made with real PyTorch; the rest are written field by field with the standard library, so nothing
here depends on a reader that could be fooled. Output is deterministic (fixed seeds and timestamps) except for
torch's own zip timestamps.

    /work/torchenv/bin/python tools/make_memory_fixtures.py                 # rewrites Tests/Fixtures/memory/
    /work/torchenv/bin/python tools/make_memory_fixtures.py --large /tmp/m  # the full-size files, into /tmp/m
"""
import argparse
import io
import os
import random
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_hostile_fixtures as hostile  # noqa: E402  (the hand-written pickle and ZIP helpers)

OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "memory")


def torch_save(obj):
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def expand_view(elements):
    """torch.zeros(1).expand(n): one stored float, n elements in the view (stride 0)."""
    import torch
    return torch_save({"w": torch.zeros(1).expand(elements)})


def shared_storage(names, storage_elements):
    """`names` tensors, each a different view (offset i) of one storage of `storage_elements` floats."""
    import torch
    base = torch.arange(storage_elements, dtype=torch.float32)
    return torch_save({f"w{i}": base[i:] for i in range(names)})


def pickle_list_bomb(lists):
    """A torch zip whose DEFLATE-compressed data.pkl appends `lists` empty lists to one list."""
    body = hostile.EMPTY_LIST + (hostile.EMPTY_LIST + hostile.APPEND) * lists
    pickle = hostile.PROTO2 + hostile.checkpoint_dict([("state_dict", hostile.state_dict([hostile.WEIGHT])),
                                                       ("lists", body)]) + hostile.STOP
    return hostile.torch_zip(pickle, {"0": hostile.FOUR_FLOATS}, compress_pickle=True)


def random_deflate(declared, seed):
    """Random bytes, as few as a DEFLATE stream needs to claim `declared` bytes (1032:1 is its limit)."""
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(declared // 1032 + 1))


def zip64_zip(files):
    """hostile.handmade_zip with every size in a ZIP64 extra field, so that entries may declare 4 GiB or more."""
    out, central = b"", b""
    for name, method, crc, stored, declared in files:
        extra = struct.pack("<HHQQ", 1, 16, declared, len(stored))
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x5021, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(name), len(extra)) + name + extra + stored
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x5021, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, offset) + name + extra
    return out + central + hostile.end_record(len(files), len(central), len(out))


def zip_storage_declaring(declared):
    """A torch zip whose storage record data/0 is DEFLATE, declares `declared` bytes and holds random bytes."""
    floats = declared // 4
    tensor = hostile.tensor("0", floats, [floats], [1])
    pickle = hostile.PROTO2 + hostile.state_dict([("w", tensor)]) + hostile.STOP
    files = [(b"archive/data.pkl", 0, zlib.crc32(pickle), pickle, len(pickle)),
             (b"archive/byteorder", 0, zlib.crc32(b"little"), b"little", 6),
             (b"archive/data/0", 8, 0, random_deflate(declared, 1), declared)]
    return zip64_zip(files)


def npz_declaring(declared):
    """An npz whose member w.npy is DEFLATE, declares `declared` bytes and holds random bytes."""
    return zip64_zip([(b"w.npy", 8, 0, random_deflate(declared, 2), declared)])


def kru_declaring(declared):
    """A .kru file with one zlib f32 tensor of `declared` raw bytes whose stored stream is random bytes; the
    directory (and its CRC) is valid, so the reader gets as far as inflating."""
    stored = random_deflate(declared, 3)
    name = b"w"
    entry_head = struct.pack("<I", len(name)) + name + bytes([3, 1, 1, 0]) + struct.pack("<Q", declared // 4)
    directory_length = 4 + 4 + len(entry_head) + 8 * 3 + 4 + 2
    offset = (32 + directory_length + 63) // 64 * 64
    directory = (struct.pack("<I", 0) + struct.pack("<I", 1) + entry_head
                 + struct.pack("<QQQI", offset, len(stored), declared, 0) + struct.pack("<H", 0))
    assert len(directory) == directory_length
    end = offset + len(stored)
    header = b"\x89KRU\r\n\x1a\n" + struct.pack("<HHIQII", 1, 0, directory_length, end, zlib.crc32(directory), 0)
    return header + directory + b"\0" * (offset - 32 - directory_length) + stored


def zeros_npz(elements):
    """np.savez_compressed of `elements` float32 zeros: a valid DEFLATE member that inflates about 1000:1."""
    import numpy as np
    buffer = io.BytesIO()
    np.savez_compressed(buffer, w=np.zeros(elements, dtype=np.float32))
    return buffer.getvalue()


# name -> (small maker, large maker, what it does, what kru must do)
FILES = {
    "expand_2pow30.pt": (lambda: expand_view(2 ** 30), lambda: expand_view(2 ** 30),
                         "torch.zeros(1).expand(2**30): one stored float, a view of 2^30",
                         "list it as a view; refuse to decode it (materialised elements)"),
    "expand_2pow32.pt": (lambda: expand_view(2 ** 32), lambda: expand_view(2 ** 32),
                         "torch.zeros(1).expand(2**32)", "list it as a view; refuse to decode it"),
    "shared_storage_2000.pt": (lambda: shared_storage(2000, 2 ** 14), lambda: shared_storage(2000, 2 ** 20),
                               "2,000 names viewing one storage (64 KiB here, 4 MiB large)",
                               "read the storage once; decode at most 4x the storage's elements"),
    "pickle_list_bomb.pt": (lambda: pickle_list_bomb(12_000_000), lambda: pickle_list_bomb(20_000_000),
                            "a DEFLATE data.pkl of 24 MB (40 MB large) that builds 12M (20M) empty lists",
                            "refuse the lists against the file's memory budget (large: refuse data.pkl itself)"),
    "zip_storage_declaring.pt": (lambda: zip_storage_declaring(64 << 20), lambda: zip_storage_declaring(8 << 30),
                                 "a torch zip whose DEFLATE storage declares 64 MiB (8 GiB large) of random bytes",
                                 "fail on the invalid DEFLATE data having allocated almost nothing"),
    "npz_declaring.npz": (lambda: npz_declaring(64 << 20), lambda: npz_declaring((4 << 30) - 64),
                          "an npz member declaring 64 MiB (4 GiB large) of random DEFLATE bytes",
                          "fail on the invalid DEFLATE data having allocated almost nothing"),
    "kru_declaring.kru": (lambda: kru_declaring(64 << 20), lambda: kru_declaring(4 << 30),
                          "a .kru tensor whose random zlib stream declares 64 MiB (4 GiB large)",
                          "bad_zlib, having allocated almost nothing"),
    "zeros.npz": (lambda: zeros_npz(2 ** 24), lambda: zeros_npz(2 ** 28),
                  "np.savez_compressed of 2^24 float32 zeros (2^28, a 1 GiB member, large): a valid ~1000:1 stream",
                  "accept it, checking the member in constant memory"),
}

README_HEAD = """# Memory fixtures

Made by `tools/make_memory_fixtures.py` (real PyTorch for the `torch.save` files; rerun it to regenerate).
Each file is small but declares, shares or unpacks far more than it holds. `Tests/CLITests/MemoryBoundTests.swift`
runs the built `kru` on each and checks its peak memory against docs/MEMORY.md's bound; `--large DIR` writes
the full-size versions used for the figures there.

| file | content | kru must |
|---|---|---|
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", metavar="DIR", help="write the full-size files into DIR instead")
    args = parser.parse_args()
    out = args.large or OUT
    os.makedirs(out, exist_ok=True)
    rows = []
    for name, (small, large, content, expected) in FILES.items():
        data = large() if args.large else small()
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        rows.append(f"| `{name}` | {content} | {expected} |")
        print(f"{name:28} {len(data):>10} bytes")
    if not args.large:
        with open(os.path.join(out, "README.md"), "w") as readme:
            readme.write(README_HEAD + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
