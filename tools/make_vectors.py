#!/usr/bin/env python3
"""Writes the `.kru` test vectors of spec/vectors (spec/FORMAT.md §7).

    python3 tools/make_vectors.py            # writes spec/vectors/{valid,invalid}/ and spec/vectors/README.md
    python3 tools/make_vectors.py --out DIR  # somewhere else (the tests regenerate into a temp dir and compare)

Every file is built here, byte by byte, by the small explicit encoder below. This script deliberately does not
import python/kru_format.py: the readers are checked against bytes they did not write themselves, and the
expected results (the §7 JSON of a valid vector; the error code and offset of an invalid one) come from what
the encoder knows it wrote, not from decoding.

Invalid vectors are a small valid file with exactly one fault (the ones named `order_*` have two or more on
purpose, to pin down which check §6 runs first). Faults inside the directory are made in the encoder, so the
directory CRC-32 in the header is computed over the faulty directory and is right: otherwise every such vector
would only ever test `directory_checksum`.

The output is deterministic: fixed data, zlib level 9, no timestamps. Byte-for-byte reproduction of the zlib
payloads needs the same zlib (the README records the version used).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

# ----------------------------------------------------------------------------------------------------------------
# Format constants (spec/FORMAT.md), written out again here on purpose

MAGIC = b"\x89KRU\r\n\x1a\n"
DTYPE_CODES = {"f16": 1, "bf16": 2, "f32": 3, "f64": 4, "complex64": 5, "complex128": 6,
               "u8": 7, "i8": 8, "i32": 9, "i64": 10}
DTYPE_SIZES = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "complex64": 8, "complex128": 16,
               "u8": 1, "i8": 1, "i32": 4, "i64": 8}
VALUE_TYPE_CODES = {"bool": 1, "int": 2, "float": 3, "string": 4, "array": 5}
COMPRESSION_CODES = {"none": 0, "zlib": 1}
TIB = 1 << 40


def u8(v: int) -> bytes:
    return struct.pack("<B", v)


def u16(v: int) -> bytes:
    return struct.pack("<H", v)


def u32(v: int) -> bytes:
    return struct.pack("<I", v)


def u64(v: int) -> bytes:
    return struct.pack("<Q", v)


def crc32(b: bytes) -> int:
    return zlib.crc32(b) & 0xFFFFFFFF


def align64(x: int) -> int:
    return -(-x // 64) * 64


def json_float(x: float) -> Any:
    """§7: non-finite floats are strings."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


# ----------------------------------------------------------------------------------------------------------------
# Element encoding. Each returns (the raw bytes, the §7 JSON value of what was stored).

def _f16(v: float) -> tuple[bytes, Any]:
    b = struct.pack("<e", v)
    back = struct.unpack("<e", b)[0]
    assert back == v or (math.isnan(v) and math.isnan(back)), f"{v} is not exact in f16"
    return b, json_float(back)


def _bf16(v: float) -> tuple[bytes, Any]:
    bits = struct.unpack("<I", struct.pack("<f", v))[0]
    assert bits & 0xFFFF == 0, f"{v} is not exact in bf16"
    return u16(bits >> 16), json_float(struct.unpack("<f", struct.pack("<I", bits))[0])


def _real(fmt: str):
    def enc(v: float) -> tuple[bytes, Any]:
        b = struct.pack(fmt, v)
        return b, json_float(struct.unpack(fmt, b)[0])
    return enc


def _complex(fmt: str):
    def enc(v: tuple[float, float]) -> tuple[bytes, Any]:
        b = struct.pack(fmt, v[0], v[1])
        re, im = struct.unpack(fmt, b)
        return b, [json_float(re), json_float(im)]
    return enc


def _int(fmt: str):
    def enc(v: int) -> tuple[bytes, Any]:
        return struct.pack(fmt, v), v
    return enc


ELEMENT_ENCODERS: dict[str, Callable[[Any], tuple[bytes, Any]]] = {
    "f16": _f16, "bf16": _bf16, "f32": _real("<f"), "f64": _real("<d"),
    "complex64": _complex("<ff"), "complex128": _complex("<dd"),
    "u8": _int("<B"), "i8": _int("<b"), "i32": _int("<i"), "i64": _int("<q"),
}


def encode_elements(dtype: str, values: list) -> tuple[bytes, list]:
    raw, data = bytearray(), []
    for v in values:
        b, j = ELEMENT_ENCODERS[dtype](v)
        raw += b
        data.append(j)
    return bytes(raw), data


# ----------------------------------------------------------------------------------------------------------------
# Metadata entries

@dataclass
class Meta:
    key: bytes
    vtype: int
    value: bytes
    type_name: str | None = None        # None: not in the JSON (skipped, or a faulty entry)
    json_value: Any = None
    key_length: int | None = None       # override of the key's u32 length prefix
    value_length: int | None = None     # override of value_length

    def json(self) -> dict:
        return {"key": self.key.decode(errors="replace"), "type": self.type_name, "value": self.json_value}


def _kb(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def m_bool(key, v: bool) -> Meta:
    return Meta(_kb(key), 1, u8(1 if v else 0), "bool", v)


def m_int(key, v: int) -> Meta:
    return Meta(_kb(key), 2, struct.pack("<q", v), "int", v)


def m_float(key, v: float) -> Meta:
    return Meta(_kb(key), 3, struct.pack("<d", v), "float", json_float(v))


def m_str(key, v: str) -> Meta:
    return Meta(_kb(key), 4, v.encode("utf-8"), "string", v)


def array_value(etype: str, items: list) -> bytes:
    out = bytearray(u8(VALUE_TYPE_CODES[etype]) + u32(len(items)))
    for x in items:
        if etype == "bool":
            out += u8(1 if x else 0)
        elif etype == "int":
            out += struct.pack("<q", x)
        elif etype == "float":
            out += struct.pack("<d", x)
        else:
            b = x.encode("utf-8")
            out += u32(len(b)) + b
    return bytes(out)


def m_array(key, etype: str, items: list) -> Meta:
    j = [json_float(x) for x in items] if etype == "float" else list(items)
    return Meta(_kb(key), 5, array_value(etype, items), "array", j)


def m_raw(key, vtype: int, value: bytes, **overrides) -> Meta:
    """An entry with exactly these bytes (for faults and unknown types)."""
    return Meta(_kb(key), vtype, value, **overrides)


# ----------------------------------------------------------------------------------------------------------------
# Tensors

@dataclass
class Tensor:
    name: bytes
    dtype: str
    shape: list[int]
    values: list = field(default_factory=list)
    compression: str = "none"            # "none", "zlib" or "auto" (the writer rule of §4)
    stored: bytes | None = None          # the payload bytes (default: raw, or zlib level 9 of raw)
    # overrides of entry fields (None: the right value)
    name_length: int | None = None
    dtype_code: int | None = None
    compression_code: int | None = None
    rank: int | None = None
    reserved: int = 0
    offset: int | None = None            # absolute
    offset_delta: int = 0                # added to the right offset
    stored_length: int | None = None
    raw_length: int | None = None
    crc32: int | None = None
    extension: bytes = b""
    extension_length: int | None = None
    raw: bytes = b""                     # filled by prepare()
    data: list = field(default_factory=list)

    def prepare(self) -> None:
        self.raw, self.data = encode_elements(self.dtype, self.values)
        if self.compression == "auto":      # what the reference writer would choose (§4)
            self.compression = "zlib" if writer_would_compress(self.raw) else "none"
        if self.stored is None:
            self.stored = zlib.compress(self.raw, 9) if self.compression == "zlib" else self.raw

    def json(self) -> dict:
        return {"name": self.name.decode(errors="replace"), "dtype": self.dtype, "shape": list(self.shape),
                "compression": self.compression, "stored_length": len(self.stored),
                "raw_length": len(self.raw), "crc32": crc32(self.raw), "data": self.data}


def t(name, dtype: str, shape: list[int], values: list, compression: str = "none", **kw) -> Tensor:
    return Tensor(_kb(name), dtype, list(shape), list(values), compression, **kw)


# ----------------------------------------------------------------------------------------------------------------
# The encoder

class Directory:
    """Directory bytes being written; `marks` records the absolute file offset of every named field."""

    def __init__(self):
        self.buf = bytearray()
        self.marks: dict[str, int] = {}

    def put(self, mark: str, b: bytes) -> None:
        self.marks[mark] = 32 + len(self.buf)
        self.buf += b


def encode_directory(metas: list[Meta], tensors: list[Tensor], offsets: list[int],
                     metadata_count: int | None, tensor_count: int | None) -> Directory:
    d = Directory()
    d.put("metadata_count", u32(len(metas) if metadata_count is None else metadata_count))
    for i, m in enumerate(metas):
        d.put(f"m{i}.key", u32(len(m.key) if m.key_length is None else m.key_length) + m.key)
        d.put(f"m{i}.value_type", u8(m.vtype))
        d.put(f"m{i}.value_length", u32(len(m.value) if m.value_length is None else m.value_length))
        d.put(f"m{i}.value", m.value)
    d.put("tensor_count", u32(len(tensors) if tensor_count is None else tensor_count))
    for i, x in enumerate(tensors):
        p = f"t{i}."
        d.put(p + "name", u32(len(x.name) if x.name_length is None else x.name_length) + x.name)
        d.put(p + "dtype", u8(DTYPE_CODES[x.dtype] if x.dtype_code is None else x.dtype_code))
        d.put(p + "compression",
              u8(COMPRESSION_CODES[x.compression] if x.compression_code is None else x.compression_code))
        d.put(p + "rank", u8(len(x.shape) if x.rank is None else x.rank))
        d.put(p + "reserved", u8(x.reserved))
        for j, dim in enumerate(x.shape):
            d.put(p + f"dim{j}", u64(dim))
        d.put(p + "offset", u64(offsets[i]))
        d.put(p + "stored_length", u64(len(x.stored) if x.stored_length is None else x.stored_length))
        d.put(p + "raw_length", u64(len(x.raw) if x.raw_length is None else x.raw_length))
        d.put(p + "crc32", u32(crc32(x.raw) if x.crc32 is None else x.crc32))
        d.put(p + "extension_length", u16(len(x.extension) if x.extension_length is None else x.extension_length))
        d.put(p + "extension", x.extension)
    d.marks["directory_end"] = 32 + len(d.buf)
    return d


@dataclass
class Built:
    data: bytes
    marks: dict[str, int]
    doc: dict            # the §7 JSON of what was meant to be written


def build(metas=(), tensors=(), *, major=1, minor=0, reserved=0, metadata_count=None, tensor_count=None,
          dir_edit: Callable[[bytearray, dict], bytearray] | None = None, directory_length=None,
          file_length=None, directory_crc=None, post: Callable[[bytearray, dict], bytearray] | None = None) -> Built:
    """Lays a file out as §2 says. `dir_edit` changes the finished directory (the CRC is computed after it);
    `post` changes the finished file (after the header was computed). The other keywords override header and
    count fields."""
    metas, tensors = list(metas), list(tensors)
    for x in tensors:
        x.prepare()

    def directory(offsets):
        d = encode_directory(metas, tensors, offsets, metadata_count, tensor_count)
        buf = bytearray(d.buf)
        if dir_edit is not None:
            buf = dir_edit(buf, d.marks)
        return bytes(buf), d.marks

    # The directory's length does not depend on the offsets written in it (they are u64s): lay out with a
    # first pass, then write the real offsets.
    dir_bytes, marks = directory([0] * len(tensors))
    end = 32 + len(dir_bytes)
    payload_at = []
    for x in tensors:
        payload_at.append(align64(end))
        end = payload_at[-1] + len(x.stored)
    offsets = [x.offset if x.offset is not None else at + x.offset_delta for x, at in zip(tensors, payload_at)]
    dir_bytes, marks = directory(offsets)

    body = bytearray(dir_bytes)
    for i, (x, at) in enumerate(zip(tensors, payload_at)):
        body += bytes(at - 32 - len(body))          # zero padding
        marks[f"t{i}.payload"] = at
        body += x.stored
        marks[f"t{i}.end"] = 32 + len(body)
    size = 32 + len(body)
    marks["file_end"] = size
    header = MAGIC + struct.pack(
        "<HHIQII", major, minor,
        len(dir_bytes) if directory_length is None else directory_length,
        size if file_length is None else file_length,
        crc32(dir_bytes) if directory_crc is None else directory_crc,
        reserved)
    data = bytearray(header) + body
    if post is not None:
        data = post(data, marks)
    doc = {"version": [major, minor],
           "metadata": [m.json() for m in metas if m.type_name is not None],
           "tensors": [x.json() for x in tensors]}
    return Built(bytes(data), marks, doc)


# Small helpers for `dir_edit` / `post`

def cut_at(mark: str, extra: int = 0):
    """A dir_edit that ends the directory at a mark (plus `extra` bytes)."""
    def edit(buf: bytearray, marks: dict) -> bytearray:
        return buf[:marks[mark] - 32 + extra]
    return edit


def set_u64(data: bytearray, at: int, v: int) -> bytearray:
    data[at:at + 8] = u64(v)
    return data


# ----------------------------------------------------------------------------------------------------------------
# Shared data

def base_metas() -> list[Meta]:
    return [m_str("general.name", "base"), m_int("kru.hidden_size", 8)]


def base_tensors() -> list[Tensor]:
    """A raw f32 tensor and a zlib i32 tensor (that compresses)."""
    return [t("w", "f32", [2, 3], [0.5, -1.0, 2.0, 3.5, -4.25, 8.0]),
            t("b", "i32", [16], [7] * 8 + [-1] * 8, "zlib")]


def base(metas=None, tensors=None, **kw) -> Built:
    return build(base_metas() if metas is None else metas, base_tensors() if tensors is None else tensors, **kw)


def writer_would_compress(raw: bytes) -> bool:
    """§4: the reference writer keeps zlib level 9 only if it saves at least 1/16 of the raw bytes."""
    return 16 * (len(raw) - len(zlib.compress(raw, 9))) >= len(raw)


# ----------------------------------------------------------------------------------------------------------------
# Vector registry

VALID: dict[str, tuple[str, Callable[[], Built]]] = {}
INVALID: dict[str, tuple[str, str, Callable]] = {}


def valid(name: str, description: str):
    def register(fn):
        assert name not in VALID
        VALID[name] = (description, fn)
        return fn
    return register


def invalid(name: str, code: str, description: str):
    """The function returns (file bytes, expected offset) or (bytes, offset, extra JSON fields)."""
    def register(fn):
        assert name not in INVALID
        INVALID[name] = (code, description, fn)
        return fn
    return register


# ================================================================================================================
# Valid vectors

@valid("empty", "No metadata and no tensors: the smallest file (40 bytes); file_length = 32 + directory_length.")
def _():
    return build()


@valid("metadata_all_types",
       "Every value type: bool, int (incl. negative and the i64 extremes), float, string (incl. non-ASCII UTF-8 "
       "and the empty string), arrays of each element type (incl. an empty array); the general.* keys.")
def _():
    return build([
        m_str("general.name", "tiny-kru"),
        m_str("general.description", "A tiny model — für Tests ✓ 日本語 🚀"),
        m_str("general.license", "MIT"),
        m_str("general.source", "https://example.org/tiny-kru"),
        m_str("general.author", "Zoë Ångström"),
        m_str("general.creation_tool", "tools/make_vectors.py"),
        m_bool("test.bool_true", True),
        m_bool("test.bool_false", False),
        m_int("test.int_zero", 0),
        m_int("test.int_negative", -42),
        m_int("test.int_max", 2**63 - 1),
        m_int("test.int_min", -2**63),
        m_float("test.float_pi", math.pi),
        m_float("test.float_negative", -0.15625),
        m_float("test.float_tiny", 5e-324),
        m_str("test.string_empty", ""),
        m_array("test.array_bool", "bool", [True, False, True]),
        m_array("test.array_int", "int", [1, -1, 2**63 - 1, -2**63, 0]),
        m_array("test.array_float", "float", [0.5, -2.25, 1e300, -0.0]),
        m_array("test.array_string", "string", ["a", "", "ünïcødé", "x.y"]),
        m_array("test.array_empty", "int", []),
        m_array("test.array_empty_string", "string", []),
        m_int("a.b", 1),
        m_int("kru.layer_0.block_1.size_2", 3),
    ])


def _all_dtype_tensors() -> list[Tensor]:
    return [
        t("f16.values", "f16", [2, 3], [0.0, 1.0, -2.5, 65504.0, 2**-14, 2**-24]),
        t("bf16.values", "bf16", [5], [1.0, -3.0, 0.15625, 2.0**100, -(2.0**-126)]),
        t("f32.values", "f32", [3, 2], [0.1, -1.5, 3.4028234663852886e38, 1e-45, 2.0, -0.0]),
        t("f64.values", "f64", [4], [math.pi, -1e-300, 1.7976931348623157e308, 5e-324]),
        t("complex64.values", "complex64", [2], [(1.0, -1.0), (0.5, 0.25)]),
        t("complex128.values", "complex128", [1, 2], [(math.e, -math.pi), (-0.0, 1e-310)]),
        t("u8.values", "u8", [4], [0, 1, 128, 255]),
        t("i8.values", "i8", [2, 2], [-128, -1, 0, 127]),
        t("i32.values", "i32", [3], [-2**31, -7, 2**31 - 1]),
        t("i64.values", "i64", [2], [-2**63, 2**63 - 1]),
        # the same element types again, compressed (the data is repetitive, so zlib saves well over 1/16)
        t("f16.zlib", "f16", [64], [0.5, -0.5, 1.5, -1.5] * 16, "zlib"),
        t("bf16.zlib", "bf16", [8, 8], [1.0, 2.0, -4.0, 0.5] * 16, "zlib"),
        t("f32.zlib", "f32", [4, 16], [float(i % 8) - 3.0 for i in range(64)], "zlib"),
        t("f64.zlib", "f64", [32], [0.25] * 16 + [-8.0] * 16, "zlib"),
        t("complex64.zlib", "complex64", [32], [(1.0, -2.0)] * 32, "zlib"),
        t("complex128.zlib", "complex128", [2, 8], [(0.0, 1.0), (-1.0, 0.0)] * 8, "zlib"),
        t("u8.zlib", "u8", [100], [i % 4 for i in range(100)], "zlib"),
        t("i8.zlib", "i8", [10, 10], [-(i % 3) for i in range(100)], "zlib"),
        t("i32.zlib", "i32", [40], [-100000] * 20 + [5] * 20, "zlib"),
        t("i64.zlib", "i64", [3, 10], [-2**40] * 15 + [2**50] * 15, "zlib"),
    ]


@valid("all_dtypes",
       "One tensor of every element type with varied shapes (exact f16/bf16 values incl. subnormals, negative "
       "ints and the integer extremes, complex values), then every type again compressed with zlib.")
def _():
    return build([m_str("general.name", "all dtypes")], _all_dtype_tensors())


@valid("scalar_and_empty",
       "A rank-0 tensor (one element), tensors with a 0 dimension (incl. [2^40, 0] and [0, 2^40]: the product "
       "of the non-zero dimensions is at the limit), a zlib-compressed empty tensor (an 8-byte zlib stream for 0 "
       "raw bytes); the last tensor is empty, so the file ends with padding.")
def _():
    return build([], [
        t("scalar", "f32", [], [3.25]),
        t("scalar_i64", "i64", [], [-5]),
        t("empty", "f32", [0], []),
        t("empty_3d", "i32", [3, 0, 2], []),
        t("empty_zlib", "f64", [0], [], "zlib"),
        t("empty_huge_first", "u8", [TIB, 0], []),
        t("empty_huge_last", "complex128", [0, TIB], []),
        t("empty_last", "u8", [0], []),
    ])


@valid("padding",
       "Several tensors whose stored lengths are not multiples of 64 (1, 3, 63, 65, 127 bytes, and a zlib "
       "one), so zero padding is needed before every payload.")
def _():
    return build([m_str("general.name", "padding")], [
        t("one_byte", "u8", [1], [42]),
        t("three_bytes", "i8", [3], [-1, 2, -3]),
        t("sixty_three", "u8", [63], list(range(63))),
        t("sixty_five", "u8", [5, 13], [(7 * i) % 256 for i in range(65)]),
        t("odd_zlib", "i32", [64], [i // 16 for i in range(64)], "zlib"),
        t("one_two_seven", "u8", [127], [(3 * i + 1) % 256 for i in range(127)]),
        t("half", "f16", [3], [1.0, 2.0, 3.0]),
    ])


@valid("no_padding",
       "The directory ends exactly on a 64-byte boundary and every payload is a multiple of 64 bytes, so the "
       "file has no padding at all.")
def _():
    noise = [(x * 1103515245 + 12345) >> 16 & 0xFF for x in range(128)]    # fixed bytes that do not compress

    def make(fill: str) -> Built:
        return build([m_str("general.name", fill)], [
            t("a", "i32", [4, 4], [((x * 2654435761) & 0xFFFFFFFF) - (1 << 31) for x in range(16)], "auto"),
            t("b", "u8", [128], noise, "auto"),
        ])
    # choose the name's length so that 32 + directory_length is a multiple of 64
    first = make("x")
    need = (-first.marks["directory_end"]) % 64
    built = make("x" * (1 + need))
    assert built.marks["directory_end"] % 64 == 0
    assert all(x["compression"] == "none" for x in built.doc["tensors"])
    return built


@valid("rank8", "Two rank-8 tensors (the maximum rank): f32 [2, 1, 3, 1, 2, 1, 2, 2] and i8 zeros "
                "[2, 2, 2, 2, 2, 2, 2, 2], both zlib-compressed as the writer rule chooses.")
def _():
    return build([], [
        t("r8", "f32", [2, 1, 3, 1, 2, 1, 2, 2], [float(i) - 12.0 for i in range(48)], "auto"),
        t("r8_zlib", "i8", [2, 2, 2, 2, 2, 2, 2, 2], [0] * 256, "zlib"),
    ])


@valid("minor_version_1_1",
       "A v1.1 file: the header's reserved field is not 0, a metadata entry has the unknown value type 9 (and "
       "another 200), a tensor entry has a non-zero reserved byte and 5 extension bytes. All of it is ignored "
       "by a v1.0 reader: the unknown entries are not in the JSON, version is [1, 1].")
def _():
    return build([
        m_str("general.name", "from the future"),
        m_raw("future.thing", 9, b"\x01\x02\x03 anything"),
        m_int("kru.size", 3),
        m_raw("future.empty", 200, b""),
    ], [
        t("w", "f32", [3], [1.0, 2.0, 3.0], reserved=0xA5, extension=b"\x01\x00\xff\x7f\x00"),
        t("v", "i32", [2], [4, 5], reserved=1),
    ], minor=1, reserved=0xDEADBEEF)


@valid("compressed_large", "A 4000-element f32 tensor (16000 raw bytes) that compresses to a few dozen bytes.")
def _():
    return build([m_str("general.name", "large")], [
        t("big", "f32", [40, 100], [float(i % 8) for i in range(4000)], "zlib"),
    ])


@valid("special_floats",
       "Non-finite and signed-zero floats: NaN, +inf, -inf, -0.0 and subnormals in f16, bf16, f32, f64 and "
       "complex tensors and in float metadata (written as \"nan\", \"inf\", \"-inf\" in the JSON).")
def _():
    nan, inf = float("nan"), float("inf")
    specials = [nan, inf, -inf, -0.0, 0.0]
    return build([
        m_float("test.nan", nan), m_float("test.inf", inf), m_float("test.minus_inf", -inf),
        m_float("test.minus_zero", -0.0),
        m_array("test.floats", "float", [nan, -inf, inf, -0.0, 1.0]),
    ], [
        t("f16", "f16", [6], specials + [-(2**-24)], "auto"),
        t("bf16", "bf16", [5], specials, "auto"),
        t("f32", "f32", [6], specials + [-1e-45], "auto"),
        t("f64", "f64", [6], specials + [-5e-324], "auto"),
        t("c64", "complex64", [3], [(nan, 1.0), (-0.0, inf), (-inf, -0.0)], "auto"),
        t("c128", "complex128", [2], [(inf, nan), (0.0, -0.0)], "auto"),
        t("f32_zlib", "f32", [64], specials * 12 + [nan] * 4, "auto"),
    ])


@valid("max_lengths",
       "A 255-byte key, a 255-byte tensor name using every allowed character class ([A-Za-z0-9_.-]), and "
       "one-character key segments.")
def _():
    key = "k." + "a" * 253
    name = ("Az09_.-" * 40)[:255]
    return build([m_int(key, 255), m_int("a.b.c.d", 4)], [t(name, "u8", [2], [1, 2])])


# ================================================================================================================
# Invalid vectors

def _replace_magic(new: bytes):
    def post(data, marks):
        data[0:8] = new
        return data
    return post


# --- header ---------------------------------------------------------------------------------------------------

@invalid("bad_magic", "bad_magic", "The first 8 bytes are another format's magic (GGUF).")
def _():
    return base(post=_replace_magic(b"GGUF\x03\x00\x00\x00")).data, 0


@invalid("bad_magic_high_bit_stripped", "bad_magic", "A 7-bit channel cleared the high bit of byte 0 (0x89 → 0x09).")
def _():
    return base(post=_replace_magic(b"\x09KRU\r\n\x1a\n")).data, 0


@invalid("bad_magic_crlf_to_lf", "bad_magic",
         "The whole file went through a CRLF→LF conversion (text-mode damage: bytes 0-3 still match).")
def _():
    return base().data.replace(b"\r\n", b"\n"), 0


@invalid("bad_magic_lf_to_crlf", "bad_magic",
         "The whole file went through an LF→CRLF conversion (text-mode damage: bytes 0-3 still match).")
def _():
    return base().data.replace(b"\n", b"\r\n"), 0


@invalid("bad_magic_short_file", "bad_magic",
         "A 4-byte file whose bytes do not match the magic: the magic check (on min(8, size) bytes) comes "
         "before the size check.")
def _():
    return b"\x89KRX", 0


@invalid("truncated_empty_file", "truncated", "A 0-byte file.")
def _():
    return b"", 0


@invalid("truncated_magic_only", "truncated", "Only the 8 magic bytes.")
def _():
    return MAGIC, 8


@invalid("truncated_header", "truncated", "The first 20 bytes of a valid file (a cut inside the fixed header).")
def _():
    return base().data[:20], 20


@invalid("truncated_directory", "truncated", "A valid file cut inside its directory: size < file_length.")
def _():
    b = base()
    n = b.marks["t0.name"] + 2
    return b.data[:n], n


@invalid("truncated_payload", "truncated", "A valid file missing the last 5 bytes of its last payload.")
def _():
    b = base()
    n = len(b.data) - 5
    return b.data[:n], n


@invalid("unsupported_version_major_2", "unsupported_version", "A valid v1.0 file with major = 2.")
def _():
    return base(major=2).data, 8


@invalid("unsupported_version_major_0", "unsupported_version",
         "A valid v1.0 file with major = 0 (v0.x does not exist).")
def _():
    return base(major=0).data, 8


@invalid("order_version_before_other_fields", "unsupported_version",
         "Two or more faults: major = 2 (minor 3), a non-zero reserved field, a wrong file_length and an "
         "oversized directory_length. The version is checked before any other header field is trusted.")
def _():
    return base(major=2, minor=3, reserved=9, file_length=7, directory_length=0xFFFFFFFF).data, 8


@invalid("reserved_nonzero_header", "reserved_nonzero", "A v1.0 file whose header reserved field is 1.")
def _():
    return base(reserved=1).data, 28


@invalid("order_reserved_before_file_length", "reserved_nonzero",
         "Two faults: a non-zero header reserved field in a v1.0 file, and 3 bytes after file_length. The "
         "reserved field is checked first.")
def _():
    return base(reserved=1, post=lambda d, m: d + b"\0\0\0").data, 28


@invalid("reserved_nonzero_tensor", "reserved_nonzero", "A v1.0 tensor entry whose reserved byte is 1.")
def _():
    ts = base_tensors()
    ts[1].reserved = 1
    b = base(tensors=ts)
    return b.data, b.marks["t1.reserved"]


@invalid("reserved_nonzero_extension_length", "reserved_nonzero",
         "A v1.0 tensor entry with extension_length = 2 (and the 2 extension bytes).")
def _():
    ts = base_tensors()
    ts[0].extension = b"\0\0"
    b = base(tensors=ts)
    return b.data, b.marks["t0.extension_length"]


@invalid("trailing_data_after_file_length", "trailing_data", "One byte after the end given by file_length.")
def _():
    b = base(post=lambda d, m: d + b"\0")
    return b.data, b.marks["file_end"]


@invalid("trailing_data_after_last_payload", "trailing_data",
         "64 zero bytes after the last payload, and file_length counts them: the placement rule finds them.")
def _():
    b = base(post=lambda d, m: set_u64(d + bytes(64), 16, len(d) + 64))
    return b.data, b.marks["t1.end"]


@invalid("trailing_data_no_tensors", "trailing_data",
         "A file without tensors followed by 16 zero bytes that file_length counts.")
def _():
    b = build(post=lambda d, m: set_u64(d + bytes(16), 16, len(d) + 16))
    return b.data, b.marks["directory_end"]


@invalid("directory_too_large_limit", "directory_too_large", "directory_length = 16 MiB + 1, over the limit.")
def _():
    return base(directory_length=16 * 1024 * 1024 + 1).data, 12


@invalid("directory_too_large_past_end", "directory_too_large",
         "directory_length reaches 1 byte past file_length.")
def _():
    b = base()
    return base(directory_length=len(b.data) - 32 + 1).data, 12


@invalid("order_truncated_before_directory_length", "truncated",
         "Two faults: the file is cut (size < file_length) and directory_length is over the limit. The size "
         "check comes first.")
def _():
    b = base(directory_length=0xFFFFFFFF)
    n = len(b.data) - 1
    return b.data[:n], n


@invalid("directory_checksum", "directory_checksum", "One bit of the directory flipped; the header CRC not updated.")
def _():
    def post(d, m):
        d[m["m0.value"]] ^= 0x01
        return d
    return base(post=post).data, 24


@invalid("directory_checksum_field", "directory_checksum", "The header's directory_crc32 is off by one.")
def _():
    b = base()
    return base(directory_crc=crc32(b.data[32:b.marks["directory_end"]]) ^ 1).data, 24


@invalid("order_directory_length_before_checksum", "directory_too_large",
         "Two faults: directory_length past the end of the file and a wrong CRC. The length is checked first.")
def _():
    b = base()
    return base(directory_length=len(b.data), directory_crc=0).data, 12


# --- directory structure ------------------------------------------------------------------------------------------

@invalid("directory_overrun_metadata_count", "directory_overrun",
         "metadata_count = 65535 (within the limit) but the directory holds 2 entries and ends: the third "
         "entry's key length prefix does not fit. A reader must not allocate 65535 entries up front.")
def _():
    b = base(tensors=[], metadata_count=65535, dir_edit=cut_at("tensor_count"))
    return b.data, b.marks["tensor_count"]


@invalid("directory_overrun_metadata_count_only", "directory_overrun",
         "The directory is 4 bytes: metadata_count = 65535 and nothing else.")
def _():
    b = build([], [], metadata_count=65535, dir_edit=cut_at("tensor_count"))
    return b.data, 36


@invalid("directory_overrun_tensor_count", "directory_overrun",
         "tensor_count = 65535 but only 2 tensor entries follow and the directory ends.")
def _():
    b = base(tensor_count=65535)
    return b.data, b.marks["directory_end"]


@invalid("directory_overrun_string_value_length", "directory_overrun",
         "A string value whose value_length is 0xFFFFFFFF: the value does not fit in the directory (fit is "
         "checked before the 1 MiB string limit, which is part of decoding the value).")
def _():
    ms = base_metas()
    ms[0].value_length = 0xFFFFFFFF
    b = base(metas=ms)
    return b.data, b.marks["m0.value"]


@invalid("directory_overrun_key_bytes", "directory_overrun",
         "The last field of the directory is a key whose length (200, within the limit) is more than the bytes "
         "left: reported at the key's length prefix.")
def _():
    ms = [m_str("general.name", "x")]
    ms[0].key_length = 200
    b = build(ms, [], dir_edit=cut_at("m0.key", 4 + 12))
    return b.data, b.marks["m0.key"]


@invalid("directory_overrun_shape", "directory_overrun",
         "The directory ends 4 bytes into the only dimension of the last tensor entry.")
def _():
    b = base(dir_edit=cut_at("t1.dim0", 4))    # t1 has rank 1: cut inside its only dimension
    return b.data, b.marks["t1.dim0"]


@invalid("order_crc32_read_before_raw_length_check", "directory_overrun",
         "Two faults: a wrong raw_length, and the directory ends right after raw_length. §6 reads offset, "
         "stored_length, raw_length and crc32 before checking raw_length, so the overrun of crc32 comes first.")
def _():
    ts = base_tensors()
    ts[1].raw_length = 60
    b = base(tensors=ts, dir_edit=cut_at("t1.crc32"))
    return b.data, b.marks["t1.crc32"]


@invalid("directory_overrun_extension", "directory_overrun",
         "A v1.1 tensor entry with extension_length = 100 but only 4 extension bytes before the directory ends.")
def _():
    ts = base_tensors()
    ts[1].extension = b"\1\2\3\4"
    ts[1].extension_length = 100
    b = base(tensors=ts, minor=1)
    return b.data, b.marks["t1.extension"]


@invalid("directory_overrun_unknown_value_type_v1_1", "directory_overrun",
         "A v1.1 metadata entry of unknown value type 9 whose value_length (1000) reaches past the directory: "
         "even a skipped value must fit.")
def _():
    ms = base_metas() + [m_raw("future.thing", 9, b"\0\0\0\0", value_length=1000)]
    b = base(metas=ms, minor=1)
    return b.data, b.marks["m2.value"]


@invalid("directory_trailing", "directory_trailing", "3 bytes after the last tensor entry, inside directory_length.")
def _():
    b = base(dir_edit=lambda buf, m: buf + b"\0\0\0")
    return b.data, b.marks["directory_end"]


@invalid("directory_trailing_no_tensors", "directory_trailing", "An empty directory (two zero counts) plus 1 byte.")
def _():
    b = build(dir_edit=lambda buf, m: buf + b"\x07")
    return b.data, b.marks["directory_end"]


@invalid("too_many_entries_metadata", "too_many_entries", "metadata_count = 65536.")
def _():
    return base(metadata_count=65536).data, 32


@invalid("too_many_entries_metadata_max_u32", "too_many_entries", "metadata_count = 0xFFFFFFFF.")
def _():
    return base(metadata_count=0xFFFFFFFF).data, 32


@invalid("too_many_entries_tensors", "too_many_entries", "tensor_count = 65536.")
def _():
    b = base(tensor_count=65536)
    return b.data, b.marks["tensor_count"]


# --- keys and values ------------------------------------------------------------------------------------------

def _bad_key(key: bytes, key_length: int | None = None):
    ms = base_metas()
    ms.insert(1, m_int(key, 1))
    ms[1].key_length = key_length
    b = base(metas=ms)
    return b.data, b.marks["m1.key"]


@invalid("bad_key_empty", "bad_key", "A key of length 0.")
def _():
    return _bad_key(b"")


@invalid("bad_key_too_long", "bad_key", "A key of 256 bytes (otherwise well formed).")
def _():
    return _bad_key(b"k." + b"a" * 254)


@invalid("bad_key_length_ffffffff", "bad_key",
         "A key length prefix of 0xFFFFFFFF: the 255-byte limit is checked before the bytes are required to fit.")
def _():
    return _bad_key(b"kru.x", key_length=0xFFFFFFFF)


@invalid("bad_key_no_dot", "bad_key", "A key without a namespace dot: \"name\".")
def _():
    return _bad_key(b"name")


@invalid("bad_key_uppercase", "bad_key", "An upper-case letter: \"general.Name\".")
def _():
    return _bad_key(b"general.Name")


@invalid("bad_key_empty_segment", "bad_key", "An empty segment: \"general..name\".")
def _():
    return _bad_key(b"general..name")


@invalid("bad_key_trailing_dot", "bad_key", "A trailing dot: \"general.\".")
def _():
    return _bad_key(b"general.")


@invalid("bad_key_hyphen", "bad_key", "A hyphen (allowed in tensor names, not in keys): \"general.model-name\".")
def _():
    return _bad_key(b"general.model-name")


@invalid("bad_key_non_ascii", "bad_key", "Valid UTF-8 outside the key alphabet: \"général.name\".")
def _():
    return _bad_key("général.name".encode())


@invalid("bad_key_nul", "bad_key", "A NUL byte inside the key: \"general.na\\0me\".")
def _():
    return _bad_key(b"general.na\0me")


@invalid("duplicate_key", "duplicate_key", "The key general.name occurs twice (the second time as an int).")
def _():
    ms = base_metas() + [m_int("general.name", 5)]
    b = base(metas=ms)
    return b.data, b.marks["m2.key"]


@invalid("duplicate_key_skipped_entry_v1_1", "duplicate_key",
         "v1.1: an entry of unknown value type (skipped) and a later entry with the same key. Keys are checked "
         "before the value type is known, so the skipped entry's key still counts.")
def _():
    ms = [m_raw("future.thing", 9, b"abc"), m_int("future.thing", 1)]
    b = base(metas=ms, minor=1)
    return b.data, b.marks["m1.key"]


@invalid("bad_utf8_key", "bad_utf8", "A key with a 0xFF byte (bad UTF-8 is reported before the key's form).")
def _():
    return _bad_key(b"general.n\xffme")


@invalid("bad_utf8_key_overlong", "bad_utf8", "A key with an overlong UTF-8 encoding of '.' (C0 AE).")
def _():
    return _bad_key(b"general\xc0\xaename")


def _bad_value(meta: Meta):
    ms = base_metas()
    ms.insert(1, meta)
    b = base(metas=ms)
    return b.data, b.marks["m1.value_type"]


@invalid("bad_utf8_value", "bad_utf8", "A string value containing an encoded UTF-16 surrogate (ED A0 80).")
def _():
    return _bad_value(m_raw("test.s", 4, b"ok \xed\xa0\x80"))


@invalid("bad_utf8_value_cut_sequence", "bad_utf8", "A string value ending in the middle of a 3-byte sequence.")
def _():
    return _bad_value(m_raw("test.s", 4, b"euro \xe2\x82"))


@invalid("bad_utf8_value_above_max", "bad_utf8", "A string value with a code point above U+10FFFF (F4 90 80 80).")
def _():
    return _bad_value(m_raw("test.s", 4, b"\xf4\x90\x80\x80"))


@invalid("bad_utf8_array_element", "bad_utf8", "The second element of a string array is not UTF-8 (0x80 alone).")
def _():
    value = u8(4) + u32(3) + u32(1) + b"a" + u32(2) + b"b\x80" + u32(1) + b"c"
    return _bad_value(m_raw("test.strings", 5, value))


@invalid("bad_utf8_tensor_name", "bad_utf8", "A tensor name with a 0xFE byte.")
def _():
    ts = base_tensors()
    ts[1].name = b"b\xfe"
    b = base(tensors=ts)
    return b.data, b.marks["t1.name"]


@invalid("bad_value_type_v1_0", "bad_value_type", "A v1.0 file with a metadata entry of unknown value type 9.")
def _():
    return _bad_value(m_raw("future.thing", 9, b"\1\2\3"))


@invalid("bad_value_type_zero", "bad_value_type", "A metadata entry of value type 0.")
def _():
    return _bad_value(m_raw("test.zero", 0, b""))


@invalid("bad_value_type_array_of_arrays", "bad_value_type", "An array whose element type is 5 (arrays do not nest).")
def _():
    return _bad_value(m_raw("test.nested", 5, u8(5) + u32(0)))


@invalid("bad_value_type_array_element_v1_1", "bad_value_type",
         "v1.1: an array with element type 9. Unknown array element types are errors in every minor version.")
def _():
    ms = base_metas() + [m_raw("test.future_array", 5, u8(9) + u32(0))]
    b = base(metas=ms, minor=1)
    return b.data, b.marks["m2.value_type"]


@invalid("bad_value_bool_byte", "bad_value", "A bool value of 2.")
def _():
    return _bad_value(m_raw("test.flag", 1, b"\x02"))


@invalid("bad_value_bool_length", "bad_value", "A bool value of 2 bytes.")
def _():
    return _bad_value(m_raw("test.flag", 1, b"\x01\x00"))


@invalid("bad_value_int_length", "bad_value", "An int value of 4 bytes.")
def _():
    return _bad_value(m_raw("test.n", 2, u32(7)))


@invalid("bad_value_float_length", "bad_value", "A float value of 9 bytes.")
def _():
    return _bad_value(m_raw("test.x", 3, struct.pack("<d", 1.0) + b"\0"))


@invalid("bad_value_array_empty_value", "bad_value", "An array value of 0 bytes (no element type).")
def _():
    return _bad_value(m_raw("test.a", 5, b""))


@invalid("bad_value_array_no_count", "bad_value", "An array value of 3 bytes: element type, then a cut count.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(2) + b"\0\0"))


@invalid("bad_value_array_count_over_limit", "bad_value",
         "An int array whose count is 1,048,577 (over the limit), in a 5-byte value.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(2) + u32(1_048_577)))


@invalid("bad_value_array_count_too_big_for_value", "bad_value",
         "An int array of count 1,000,000 (within the limit) in a value of 21 bytes: 8,000,000 bytes would be needed.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(2) + u32(1_000_000) + u64(1) + u64(2)))


@invalid("bad_value_array_leftover", "bad_value", "An int array of count 2 with 1 byte left over in its value.")
def _():
    return _bad_value(m_raw("test.a", 5, array_value("int", [1, 2]) + b"\0"))


@invalid("bad_value_array_bool_element", "bad_value", "A bool array whose second element is 2.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(1) + u32(3) + b"\x01\x02\x00"))


@invalid("bad_value_string_element_overrun", "bad_value",
         "A string array whose last element's length reaches past the end of the value (though not of the "
         "directory): inside a value that is bad_value, not directory_overrun.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(4) + u32(2) + u32(1) + b"a" + u32(5) + b"bc"))


@invalid("order_array_count_before_elements", "bad_value",
         "Two faults: a string array of count 4 in a value with room for fewer than 4 length prefixes, whose "
         "first element is not UTF-8. The count is checked against the value's bytes before any element is read.")
def _():
    return _bad_value(m_raw("test.a", 5, u8(4) + u32(4) + u32(1) + b"\xff" + u32(0)))


@invalid("order_key_before_value", "bad_key",
         "Two faults in one entry: a bad key (\"Bad.Key\") and a bool value of 7. The key comes first.")
def _():
    return _bad_key_value()


def _bad_key_value():
    ms = base_metas()
    ms.insert(1, m_raw("Bad.Key", 1, b"\x07"))
    b = base(metas=ms)
    return b.data, b.marks["m1.key"]


# --- tensor entries -------------------------------------------------------------------------------------------

def _tensor_fault(mark: str, **changes):
    ts = base_tensors()
    for k, v in changes.items():
        setattr(ts[1], k, v)
    b = base(tensors=ts)
    return b.data, b.marks[f"t1.{mark}"]


@invalid("bad_tensor_name_empty", "bad_tensor_name", "A tensor name of length 0.")
def _():
    return _tensor_fault("name", name=b"")


@invalid("bad_tensor_name_char", "bad_tensor_name", "A tensor name with a '/' (\"layer/weight\").")
def _():
    return _tensor_fault("name", name=b"layer/weight")


@invalid("bad_tensor_name_space", "bad_tensor_name", "A tensor name with a space (\"my weight\").")
def _():
    return _tensor_fault("name", name=b"my weight")


@invalid("bad_tensor_name_non_ascii", "bad_tensor_name", "A tensor name with valid non-ASCII UTF-8 (\"wäge\").")
def _():
    return _tensor_fault("name", name="wäge".encode())


@invalid("bad_tensor_name_too_long", "bad_tensor_name", "A tensor name of 256 bytes.")
def _():
    return _tensor_fault("name", name=b"n" * 256)


@invalid("bad_tensor_name_length_ffffffff", "bad_tensor_name",
         "A tensor name length prefix of 0xFFFFFFFF: the limit comes before fit.")
def _():
    return _tensor_fault("name", name_length=0xFFFFFFFF)


@invalid("duplicate_tensor", "duplicate_tensor", "Two tensors named \"w\".")
def _():
    return _tensor_fault("name", name=b"w")


@invalid("bad_dtype_0", "bad_dtype", "dtype 0.")
def _():
    return _tensor_fault("dtype", dtype_code=0)


@invalid("bad_dtype_11", "bad_dtype", "dtype 11 (one past the last element type).")
def _():
    return _tensor_fault("dtype", dtype_code=11)


@invalid("bad_compression", "bad_compression", "compression 2.")
def _():
    return _tensor_fault("compression", compression_code=2)


@invalid("bad_shape_rank_9", "bad_shape", "A tensor of rank 9 (9 dimensions of 1, raw_length consistent).")
def _():
    return _tensor_fault("rank", shape=[1] * 8 + [16], values=[7] * 16)


def _shape_fault(shape: list[int], raw_length: int = 0):
    # stored and raw length 0: what a reader that wraps around (or ignores the non-zero dimensions) would expect
    ts = base_tensors()[:1] + [Tensor(b"big", "f32", shape, [], raw_length=raw_length)]
    b = base(tensors=ts)
    return b.data, b.marks["t1.rank"]


@invalid("bad_shape_dimension", "bad_shape", "A dimension of 2^40 + 1, in the shape [2^40 + 1, 0].")
def _():
    return _shape_fault([TIB + 1, 0])


@invalid("bad_shape_count_overflow", "bad_shape",
         "Shape [2^40, 2^40]: each dimension is allowed, the product (2^80) is not; raw_length 0.")
def _():
    return _shape_fault([TIB, TIB])


@invalid("bad_shape_count_wraps_to_zero", "bad_shape",
         "Shape [2^32, 2^32]: the product 2^64 wraps to 0 in u64 arithmetic; raw_length 0 matches the wrap.")
def _():
    return _shape_fault([1 << 32, 1 << 32])


@invalid("bad_shape_count_over_limit", "bad_shape",
         "Shape [2^20, 2^20, 2]: element_count 2^41 (no u64 overflow, just over the limit); raw_length 2^43.")
def _():
    return _shape_fault([1 << 20, 1 << 20, 2], raw_length=1 << 43)


@invalid("bad_shape_zero_does_not_excuse", "bad_shape",
         "Shape [0, 2^40, 2^40]: element_count is 0, but the product of the non-zero dimensions is 2^80.")
def _():
    return _shape_fault([0, TIB, TIB])


@invalid("bad_raw_length", "bad_raw_length", "A zlib i32 [16] tensor whose raw_length says 60, not 64.")
def _():
    return _tensor_fault("raw_length", raw_length=60)


@invalid("bad_raw_length_uncompressed", "bad_raw_length",
         "An uncompressed f32 [2, 3] tensor whose raw_length and stored_length both say 20, not 24 (the payload "
         "really is 20 bytes and its crc32 is right).")
def _():
    ts = base_tensors()
    ts[0].values = ts[0].values[:5]
    b = base(tensors=ts)        # shape still [2, 3], 5 values encoded: raw = stored = 20 bytes
    return b.data, b.marks["t0.raw_length"]


@invalid("bad_stored_length_uncompressed", "bad_stored_length",
         "An uncompressed tensor whose stored_length (25) is not its raw_length (24).")
def _():
    ts = base_tensors()
    ts[0].prepare()
    ts[0].stored = ts[0].raw + b"\0"      # the payload really is 25 bytes
    b = base(tensors=ts)
    return b.data, b.marks["t0.stored_length"]


@invalid("bad_stored_length_zip_bomb", "bad_stored_length",
         "A zlib u8 tensor of 1,000,000 zero bytes declared with stored_length 16: more than 1032 × stored, so "
         "no DEFLATE stream can be that small. The payload holds the first 16 bytes of the real stream.")
def _():
    ts = base_tensors()[:1] + [t("zeros", "u8", [1_000_000], [0] * 1_000_000, "zlib")]
    ts[1].prepare()
    ts[1].stored = ts[1].stored[:16]
    b = base(tensors=ts)
    return b.data, b.marks["t1.stored_length"]


@invalid("bad_stored_length_zlib_bound", "bad_stored_length",
         "A zlib u8 tensor with raw_length = 1032 × stored_length + 1 (10 stored bytes, 10321 raw).")
def _():
    ts = base_tensors()[:1] + [t("z", "u8", [10321], [0] * 10321, "zlib")]
    ts[1].prepare()
    ts[1].stored = ts[1].stored[:10]
    b = base(tensors=ts)
    return b.data, b.marks["t1.stored_length"]


@invalid("tensor_too_large", "tensor_too_large",
         "A u8 tensor of 2^32 + 1 bytes (zlib, stored_length = ceil(raw / 1032), so the format's bounds hold), "
         "one byte over a 4 GiB reader limit. The limit is checked at raw_length, before the placement that "
         "would find the payload missing.")
def _():
    raw = (1 << 32) + 1
    ts = base_tensors()[:1] + [Tensor(b"huge", "u8", [raw], [], "zlib", stored=zlib.compress(b"", 9),
                                      raw_length=raw, stored_length=-(-raw // 1032))]
    b = base(tensors=ts)
    return b.data, b.marks["t1.raw_length"], {"max_tensor_bytes": 4 << 30}


# --- placement ------------------------------------------------------------------------------------------------

@invalid("bad_offset_misaligned", "bad_offset", "The first tensor's offset is 1 past where §2.4 puts it.")
def _():
    ts = base_tensors()
    ts[0].offset_delta = 1
    b = base(tensors=ts)
    return b.data, b.marks["t0.offset"]


@invalid("bad_offset_gap", "bad_offset",
         "The second tensor's offset is 64 bytes later than §2.4 puts it (aligned, inside the file).")
def _():
    ts = base_tensors()
    ts[1].offset_delta = 64
    b = base(tensors=ts, post=lambda d, m: set_u64(d + bytes(64), 16, len(d) + 64))
    return b.data, b.marks["t1.offset"]


@invalid("bad_offset_overlap", "bad_offset", "Both tensors' offsets point at the first payload (overlap).")
def _():
    ts = base_tensors()
    b0 = base(tensors=base_tensors())
    ts[1].offset = b0.marks["t0.payload"]
    b = base(tensors=ts)
    return b.data, b.marks["t1.offset"]


@invalid("bad_offset_zero", "bad_offset", "The first tensor's offset is 0 (inside the header).")
def _():
    ts = base_tensors()
    ts[0].offset = 0
    b = base(tensors=ts)
    return b.data, b.marks["t0.offset"]


@invalid("bad_offset_past_end", "bad_offset",
         "The last tensor (zlib) declares stored_length 1000: the payload reaches past file_length.")
def _():
    ts = base_tensors()
    ts[1].stored_length = 1000
    b = base(tensors=ts)
    return b.data, b.marks["t1.offset"]


@invalid("bad_offset_huge", "bad_offset", "An offset of 2^64 - 64 (aligned, but far past the end of the file).")
def _():
    ts = base_tensors()
    ts[0].offset = 2**64 - 64
    b = base(tensors=ts)
    return b.data, b.marks["t0.offset"]


@invalid("bad_padding_after_directory", "bad_padding",
         "A non-zero byte in the padding between the directory and the first payload.")
def _():
    b0 = base()
    at = b0.marks["t0.payload"] - 3
    assert at >= b0.marks["directory_end"]

    def post(d, m):
        d[at] = 0x20
        return d
    return base(post=post).data, at


@invalid("bad_padding_between_payloads", "bad_padding", "A non-zero byte in the padding between two payloads.")
def _():
    b0 = base()
    at = b0.marks["t0.end"] + 1
    assert at < b0.marks["t1.payload"]

    def post(d, m):
        d[at] = 0x01
        return d
    return base(post=post).data, at


@invalid("order_offset_before_padding", "bad_offset",
         "Two faults for the second tensor: a non-zero padding byte before it and a wrong offset. Offset and "
         "reach are checked before that payload's padding.")
def _():
    ts = base_tensors()
    ts[1].offset_delta = 64
    b0 = base()
    at = b0.marks["t0.end"]

    def post(d, m):
        d[at] = 0xFF
        return set_u64(d + bytes(64), 16, len(d) + 64)
    b = base(tensors=ts, post=post)
    return b.data, b.marks["t1.offset"]


@invalid("order_padding_before_next_offset", "bad_padding",
         "Two faults: a non-zero padding byte before the first payload and a wrong offset for the second "
         "tensor. Placement goes tensor by tensor.")
def _():
    ts = base_tensors()
    ts[1].offset_delta = 64
    b0 = base()
    at = b0.marks["directory_end"]

    def post(d, m):
        d[at] = 0xFF
        return set_u64(d + bytes(64), 16, len(d) + 64)
    return base(tensors=ts, post=post).data, at


@invalid("order_directory_before_placement", "bad_dtype",
         "Two faults: the first tensor's offset is wrong and the second tensor's dtype is 0. The whole directory "
         "is parsed before placement is checked.")
def _():
    ts = base_tensors()
    ts[0].offset_delta = 64
    ts[1].dtype_code = 0
    b = base(tensors=ts)
    return b.data, b.marks["t1.dtype"]


@invalid("order_placement_before_payloads", "bad_offset",
         "Two faults: the first tensor's payload is not a zlib stream (it is declared zlib) and the second "
         "tensor's offset is wrong. Placement is checked before any payload is decoded.")
def _():
    ts = base_tensors()
    ts[0].compression = "zlib"
    ts[0].prepare()
    ts[0].stored = ts[0].raw     # 24 raw bytes where a zlib stream should be
    ts[1].offset_delta = 64
    b = base(tensors=ts, post=lambda d, m: set_u64(d + bytes(64), 16, len(d) + 64))
    return b.data, b.marks["t1.offset"]


# --- payloads ---------------------------------------------------------------------------------------------------

def _zlib_fault(stored: bytes, values: list | None = None, **changes):
    """The second tensor (i32, zlib) with these stored bytes; the entry's crc32 is that of the intended raw."""
    ts = base_tensors()
    if values is not None:
        ts[1].values = values
        ts[1].shape = [len(values)]
    ts[1].prepare()
    ts[1].stored = stored
    for k, v in changes.items():
        setattr(ts[1], k, v)
    b = base(tensors=ts)
    return b.data, b.marks["t1.payload"]


def _b_raw() -> bytes:
    x = base_tensors()[1]
    x.prepare()
    return x.raw


@invalid("bad_zlib_raw_deflate", "bad_zlib",
         "The payload is raw DEFLATE (RFC 1951, e.g. Apple's COMPRESSION_ZLIB) without the zlib header and Adler-32.")
def _():
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return _zlib_fault(c.compress(_b_raw()) + c.flush())


@invalid("bad_zlib_gzip", "bad_zlib", "The payload is a gzip (RFC 1952) member instead of a zlib stream.")
def _():
    raw = _b_raw()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    member = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03" + c.compress(raw) + c.flush()
    return _zlib_fault(member + u32(crc32(raw)) + u32(len(raw)))


@invalid("bad_zlib_inflates_too_long", "bad_zlib",
         "The stream inflates to 68 bytes; raw_length is 64 and the crc32 is that of the first 64, so only a "
         "reader that stops at raw_length and then requires the end of the stream catches it.")
def _():
    raw = _b_raw()
    return _zlib_fault(zlib.compress(raw + b"\x07\0\0\0", 9))


@invalid("bad_zlib_inflates_too_short", "bad_zlib", "The stream inflates to 60 bytes; raw_length is 64.")
def _():
    return _zlib_fault(zlib.compress(_b_raw()[:60], 9))


@invalid("bad_zlib_adler32", "bad_zlib", "The stream's Adler-32 is wrong (last byte changed); the data is right.")
def _():
    s = bytearray(zlib.compress(_b_raw(), 9))
    s[-1] ^= 0x55
    return _zlib_fault(bytes(s))


@invalid("bad_zlib_trailing_bytes", "bad_zlib",
         "Two zero bytes follow the end of the zlib stream, inside stored_length.")
def _():
    return _zlib_fault(zlib.compress(_b_raw(), 9) + b"\0\0")


@invalid("bad_zlib_two_streams", "bad_zlib",
         "Two complete zlib streams (the data, then an empty stream) inside stored_length.")
def _():
    return _zlib_fault(zlib.compress(_b_raw(), 9) + zlib.compress(b"", 9))


@invalid("bad_zlib_missing_adler32", "bad_zlib",
         "The stream is cut before its Adler-32: all 64 bytes inflate but the stream never ends.")
def _():
    return _zlib_fault(zlib.compress(_b_raw(), 9)[:-4])


@invalid("bad_zlib_preset_dictionary", "bad_zlib", "A zlib stream that needs a preset dictionary (FDICT set).")
def _():
    c = zlib.compressobj(9, zdict=b"\x07\0\0\0\xff\xff\xff\xff")
    return _zlib_fault(c.compress(_b_raw()) + c.flush())


@invalid("bad_zlib_header_check", "bad_zlib",
         "The zlib header's FCHECK bits are wrong (CMF·256 + FLG not a multiple of 31).")
def _():
    s = bytearray(zlib.compress(_b_raw(), 9))
    s[1] ^= 0x01
    return _zlib_fault(bytes(s))


@invalid("bad_zlib_window_too_large", "bad_zlib",
         "CINFO = 8 (a 64 KiB window, not allowed by RFC 1950), with a correct FCHECK.")
def _():
    s = bytearray(zlib.compress(_b_raw(), 9))
    s[0] = 0x88
    s[1] = (s[1] & 0xE0)
    s[1] += (31 - (s[0] * 256 + s[1]) % 31) % 31
    assert (s[0] * 256 + s[1]) % 31 == 0
    return _zlib_fault(bytes(s))


@invalid("bad_zlib_empty_payload", "bad_zlib", "A zlib tensor with 0 raw bytes and 0 stored bytes: no stream at all.")
def _():
    return _zlib_fault(b"", values=[])


@invalid("bad_zlib_corrupt_deflate", "bad_zlib",
         "An invalid DEFLATE block type (BTYPE = 3) right after a correct zlib header.")
def _():
    return _zlib_fault(b"\x78\xda\x07" + bytes(10))


@invalid("tensor_checksum", "tensor_checksum", "An uncompressed tensor whose crc32 is off by one.")
def _():
    ts = base_tensors()
    ts[0].prepare()
    ts[0].crc32 = crc32(ts[0].raw) ^ 1
    b = base(tensors=ts)
    return b.data, b.marks["t0.payload"]


@invalid("tensor_checksum_zlib", "tensor_checksum",
         "A zlib tensor whose stream is valid (right Adler-32) but whose crc32 in the entry is wrong.")
def _():
    ts = base_tensors()
    ts[1].prepare()
    ts[1].crc32 = crc32(ts[1].raw) ^ 0x80000000
    b = base(tensors=ts)
    return b.data, b.marks["t1.payload"]


@invalid("tensor_checksum_changed_payload", "tensor_checksum", "One bit of an uncompressed payload flipped.")
def _():
    def post(d, m):
        d[m["t0.payload"] + 5] ^= 0x10
        return d
    b = base(post=post)
    return b.data, b.marks["t0.payload"]


@invalid("order_payloads_in_directory_order", "tensor_checksum",
         "Two faults: the first tensor's crc32 is wrong and the second tensor's zlib stream is bad. Payloads are "
         "checked in directory order.")
def _():
    ts = base_tensors()
    ts[0].prepare()
    ts[0].crc32 = 0
    ts[1].prepare()
    ts[1].stored = ts[1].stored[:-1] + bytes([ts[1].stored[-1] ^ 0xFF])    # a wrong Adler-32
    b = base(tensors=ts)
    return b.data, b.marks["t0.payload"]


# ================================================================================================================
# Writing

def json_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def valid_json_text(doc: dict) -> str:
    """The §7 document, one metadata entry / tensor per line."""
    def rows(items):
        return [json_text(x).strip() + ("," if i + 1 < len(items) else "") for i, x in enumerate(items)]
    lines = ['{"version":' + json_text(doc["version"]).strip() + ",", '"metadata":[']
    lines += rows(doc["metadata"]) + ["],", '"tensors":['] + rows(doc["tensors"]) + ["]}"]
    return "\n".join(lines) + "\n"


def readme(valid_rows, invalid_rows) -> str:
    out = [
        "# `.kru` test vectors",
        "",
        "Made by `tools/make_vectors.py` (do not edit by hand: change the script and run it again). The script "
        "builds every file with its own small encoder; it does not use either reader. See spec/FORMAT.md §7.",
        "",
        f"Made with Python {sys.version_info.major}.{sys.version_info.minor} and zlib {zlib.ZLIB_RUNTIME_VERSION} "
        "(zlib level 9; a different zlib may compress differently, which changes only the zlib payloads).",
        "",
        "- `valid/NAME.kru` + `valid/NAME.json`: a file and its decoded content (the §7 document).",
        "- `invalid/NAME.kru` + `invalid/NAME.json`: a file and `{\"error\", \"offset\", \"description\"}`, the "
        "first error a full check (open, then decode every tensor) must report. Each is a small valid file with "
        "one fault; the `order_*` vectors have two or more faults on purpose and test which check §6 runs first. "
        "Faults inside the directory come with a correct directory CRC-32.",
        "- The vectors assume a reader whose own tensor limit is 4 GiB (§2.3, §7).",
        "- *canonical* = exactly what the reference writer rule of §4 would produce for the same content "
        "(v1.0, zlib kept only when it saves at least 1/16).",
        "",
        "## Valid",
        "",
        "| vector | bytes | canonical | what it tests |",
        "|---|---|---|---|",
    ]
    out += [f"| `{n}` | {size} | {'yes' if canon else 'no'} | {d} |" for n, size, canon, d in valid_rows]
    out += ["", "## Invalid", "", "| vector | error | offset | what it tests |", "|---|---|---|---|"]
    out += [f"| `{n}` | `{code}` | {off} | {d} |" for n, code, off, d in invalid_rows]
    out += ["", "Error codes covered: " + ", ".join(f"`{c}`" for c in sorted({r[1] for r in invalid_rows})) + "."]
    return "\n".join(out) + "\n"


def canonical(built: Built, tensors_compression: list[str], raws: list[bytes]) -> bool:
    if built.doc["version"] != [1, 0]:
        return False
    return all((c == "zlib") == writer_would_compress(r) for c, r in zip(tensors_compression, raws))


def write_all(out: Path) -> None:
    valid_dir, invalid_dir = out / "valid", out / "invalid"
    for d in (valid_dir, invalid_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)

    valid_rows = []
    for name, (description, fn) in VALID.items():
        built = fn()
        (valid_dir / f"{name}.kru").write_bytes(built.data)
        (valid_dir / f"{name}.json").write_text(valid_json_text(built.doc), encoding="utf-8")
        comps = [x["compression"] for x in built.doc["tensors"]]
        raws = [_raw_of(built, i) for i in range(len(comps))]
        valid_rows.append((name, len(built.data), canonical(built, comps, raws), description))

    invalid_rows = []
    for name, (code, description, fn) in INVALID.items():
        result = fn()
        data, offset = result[0], result[1]
        extra = result[2] if len(result) > 2 else {}
        (invalid_dir / f"{name}.kru").write_bytes(data)
        doc = {"error": code, "offset": offset, "description": description, **extra}
        (invalid_dir / f"{name}.json").write_text(json_text(doc), encoding="utf-8")
        invalid_rows.append((name, code, offset, description))

    (out / "README.md").write_text(readme(valid_rows, invalid_rows), encoding="utf-8")


def _raw_of(built: Built, i: int) -> bytes:
    """The raw bytes of tensor i of a valid vector (to judge whether the writer rule would compress it)."""
    at, end = built.marks[f"t{i}.payload"], built.marks[f"t{i}.end"]
    stored = built.data[at:end]
    return zlib.decompress(stored) if built.doc["tensors"][i]["compression"] == "zlib" else stored


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "spec" / "vectors",
                        help="output directory (default: spec/vectors of this repository)")
    args = parser.parse_args(argv)
    write_all(args.out)
    print(f"wrote {len(VALID)} valid and {len(INVALID)} invalid vectors to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
