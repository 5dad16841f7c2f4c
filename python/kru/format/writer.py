"""The writer of `.kru` container files, version 1.0 (spec/FORMAT.md).

Standard library and NumPy only. It shares the spec's constants (kru.format.spec) with the reader and nothing
else: the reader is checked against the spec vectors, which neither of them wrote.

    from kru.format import write_kru, Array, BF16

    write_kru("model.kru",
              metadata=[("general.name", "demo"),            # str   -> string
                        ("kru.layer_count", 1),               # int   -> int (i64)
                        ("kru.train.lr", 1e-3),               # float -> float (f64)
                        ("kru.train.shuffle", True),          # bool  -> bool
                        ("kru.input.vocabulary", ["a", "b"]), # list  -> array, element type from the items
                        ("kru.train.tags", Array("string", []))],   # empty list: element type said explicitly
              tensors=[("w", np.zeros((2, 3), np.float32)),
                       ("u", BF16(np.ones(4, np.float32)))])      # bf16: float32 rounded to nearest even

Metadata values (§2.2):
    bool (and numpy.bool_)                    -> bool
    int (and numpy integers), -2^63 … 2^63-1  -> int
    float (and numpy floating), any value     -> float
    str (valid UTF-8, ≤ 1 MiB encoded)        -> string
    list / tuple                              -> array; all items of one of the four types above (bool is never
                                                 taken for int); an empty list/tuple is an error: use Array
    Array(element_type, items)                -> array of "bool", "int", "float" or "string"; ints are accepted
                                                 in a float array (converted), nothing else is converted
    (any object with `element_type` and list behaviour, e.g. the reader's ArrayValue, is taken as an Array)

Tensors (§3), NumPy arrays of rank 0-8 (any byte order and memory layout; written little-endian, row-major):
    float16 -> f16, float32 -> f32, float64 -> f64, complex64, complex128, uint8 -> u8, int8 -> i8,
    int32 -> i32, int64 -> i64, BF16(array) -> bf16.  Any other dtype (bool, uint16, int16, object, …) is an
    error: convert explicitly.

Each tensor is compressed with zlib level 9 and the result kept only if
stored_length ≤ raw_length − raw_length // 16 (§4); `compress=False` stores everything uncompressed.
Payloads are 64-byte aligned with zero padding, the file ends where the last payload ends (§2.4).

`write_kru` is atomic: it writes a temporary file in the destination's directory, fsyncs it and renames it
over the destination with os.replace, so an interrupted write never leaves a partial file under that name.
`encode_kru` returns the bytes without writing anything. Invalid input raises `KruWriteError` (a ValueError)
naming the offending key or tensor; nothing is written then.
"""

from __future__ import annotations

import math
import os
import re
import struct
import tempfile
import zlib
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import KruWriteError
from .spec import (
    DTYPES_BY_NAME, HEADER_SIZE, I64_MAX, I64_MIN, KEY_FORM, KEY_RE, MAGIC, MAX_ARRAY_COUNT, MAX_DIMENSION,
    MAX_DIRECTORY_LENGTH, MAX_ELEMENT_COUNT, MAX_ENTRIES, MAX_NAME_LENGTH, MAX_RANK, MAX_STRING_LENGTH,
    TENSOR_NAME_FORM, TENSOR_NAME_RE, VALUE_TYPE_CODES, WRITTEN_VERSION, align64, crc32,
)

__all__ = ["write_kru", "encode_kru", "Array", "BF16"]

VT_BOOL, VT_INT, VT_FLOAT, VT_STRING, VT_ARRAY = (
    VALUE_TYPE_CODES[n] for n in ("bool", "int", "float", "string", "array"))
ELEMENT_TYPES = {"bool": VT_BOOL, "int": VT_INT, "float": VT_FLOAT, "string": VT_STRING}

# §3: NumPy dtype -> the element type it is stored as (bf16 has no NumPy dtype: see BF16)
_NUMPY_DTYPES = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
                 np.dtype(np.complex64): "complex64", np.dtype(np.complex128): "complex128",
                 np.dtype(np.uint8): "u8", np.dtype(np.int8): "i8", np.dtype(np.int32): "i32",
                 np.dtype(np.int64): "i64"}
DTYPES = {dtype: (DTYPES_BY_NAME[name].code, DTYPES_BY_NAME[name].storage) for dtype, name in _NUMPY_DTYPES.items()}
BF16_CODE = DTYPES_BY_NAME["bf16"].code


class Array:
    """A metadata array with an explicit element type ("bool", "int", "float" or "string")."""

    def __init__(self, element_type: str, items: Iterable[Any] = ()):
        if element_type not in ELEMENT_TYPES:
            raise KruWriteError(f"array element type must be one of {sorted(ELEMENT_TYPES)}, not {element_type!r}")
        self.element_type = element_type
        self.items = list(items)

    def __repr__(self) -> str:
        return f"Array({self.element_type!r}, {self.items!r})"


class BF16:
    """A tensor to be stored as bf16 (§3: the high 16 bits of a binary32).

    `BF16(floats)` rounds float32 values to nearest, ties to even (NaN stays NaN, quiet);
    `BF16.from_bits(uint16_array)` takes the stored bit patterns as they are."""

    def __init__(self, values):
        x = np.asarray(values, dtype=np.float32)
        bits = x.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        nan = np.isnan(x)
        rounded = np.where(nan, (bits >> 16) | 0x0040, rounded)     # keep NaN a (quiet) NaN, sign kept
        self.bits = rounded.astype(np.uint16).reshape(x.shape)

    @classmethod
    def from_bits(cls, bits) -> "BF16":
        b = np.asarray(bits)
        if b.dtype != np.uint16:
            raise KruWriteError(f"BF16.from_bits needs a uint16 array, not {b.dtype}")
        self = cls.__new__(cls)
        self.bits = b
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        return self.bits.shape

    def to_float32(self) -> np.ndarray:
        return (self.bits.astype(np.uint32) << 16).view(np.float32)


# ----------------------------------------------------------------------------------------------------------------
# Encoding helpers

def _u8(x: int) -> bytes:
    return struct.pack("<B", x)


def _u16(x: int) -> bytes:
    return struct.pack("<H", x)


def _u32(x: int) -> bytes:
    return struct.pack("<I", x)


def _u64(x: int) -> bytes:
    return struct.pack("<Q", x)


def _utf8(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise KruWriteError(f"{what}: expected a str, got {type(text).__name__}")
    try:
        return text.encode("utf-8")          # strict: lone surrogates cannot be encoded
    except UnicodeEncodeError as e:
        raise KruWriteError(f"{what}: not encodable as UTF-8 ({e.reason})") from None


def _string(raw: bytes) -> bytes:
    return _u32(len(raw)) + raw


def _check_name(raw: bytes, pattern: re.Pattern, what: str, rule: str) -> None:
    if not 1 <= len(raw) <= MAX_NAME_LENGTH:
        raise KruWriteError(f"{what}: must be 1-{MAX_NAME_LENGTH} bytes, is {len(raw)}")
    if pattern.fullmatch(raw) is None:
        raise KruWriteError(f"{what}: must match {rule}")


def _scalar_type(value: Any) -> int | None:
    """The §2.2 type of a scalar Python/NumPy value, or None."""
    if isinstance(value, (bool, np.bool_)):
        return VT_BOOL
    if isinstance(value, (int, np.integer)):
        return VT_INT
    if isinstance(value, (float, np.floating)):
        return VT_FLOAT
    if isinstance(value, str):
        return VT_STRING
    return None


def _encode_scalar(vtype: int, value: Any, what: str) -> bytes:
    if vtype == VT_BOOL:
        return _u8(1 if bool(value) else 0)
    if vtype == VT_INT:
        v = int(value)
        if not I64_MIN <= v <= I64_MAX:
            raise KruWriteError(f"{what}: int {v} does not fit in i64")
        return struct.pack("<q", v)
    if vtype == VT_FLOAT:
        return struct.pack("<d", float(value))
    raise AssertionError(vtype)


def _encode_value(key: str, value: Any) -> tuple[int, bytes]:
    what = f"metadata {key!r}"
    vtype = _scalar_type(value)
    if vtype == VT_STRING:
        raw = _utf8(value, what)
        if len(raw) > MAX_STRING_LENGTH:
            raise KruWriteError(f"{what}: string of {len(raw)} bytes is over {MAX_STRING_LENGTH}")
        return VT_STRING, raw
    if vtype is not None:
        return vtype, _encode_scalar(vtype, value, what)

    # arrays
    if isinstance(value, Array) or (hasattr(value, "element_type") and isinstance(value, (list, tuple))):
        element_type = value.element_type
        if element_type not in ELEMENT_TYPES:
            raise KruWriteError(f"{what}: array element type {element_type!r} is not one of {sorted(ELEMENT_TYPES)}")
        items = list(value.items if isinstance(value, Array) else value)
        etype = ELEMENT_TYPES[element_type]
    elif isinstance(value, (list, tuple)):
        items = list(value)
        if not items:
            raise KruWriteError(f"{what}: an empty list has no element type; write Array('string', []) etc.")
        types = {_scalar_type(v) for v in items}
        if None in types:
            bad = next(v for v in items if _scalar_type(v) is None)
            raise KruWriteError(f"{what}: array element of type {type(bad).__name__} (arrays do not nest)")
        if len(types) != 1:
            names = sorted({n for n, t in ELEMENT_TYPES.items() if t in types})
            raise KruWriteError(f"{what}: array mixes element types {names}; use Array(...) to convert")
        etype = types.pop()
    else:
        raise KruWriteError(f"{what}: cannot store a value of type {type(value).__name__}")

    if len(items) > MAX_ARRAY_COUNT:
        raise KruWriteError(f"{what}: array of {len(items)} elements is over {MAX_ARRAY_COUNT}")
    out = [_u8(etype), _u32(len(items))]
    for i, item in enumerate(items):
        it = _scalar_type(item)
        ok = it == etype or (etype == VT_FLOAT and it == VT_INT)
        if not ok:
            raise KruWriteError(f"{what}: element {i} ({item!r}) is not of the array's element type")
        if etype == VT_STRING:
            raw = _utf8(item, f"{what} element {i}")
            if len(raw) > MAX_STRING_LENGTH:
                raise KruWriteError(f"{what}: element {i} is {len(raw)} bytes, over {MAX_STRING_LENGTH}")
            out.append(_string(raw))
        else:
            out.append(_encode_scalar(etype, item, f"{what} element {i}"))
    return VT_ARRAY, b"".join(out)


def _tensor_bytes(name: str, array: Any) -> tuple[int, tuple[int, ...], bytes]:
    """(dtype code, shape, raw little-endian row-major bytes)."""
    what = f"tensor {name!r}"
    if isinstance(array, BF16):
        code, shape = BF16_CODE, tuple(array.bits.shape)
        raw = np.ascontiguousarray(array.bits, dtype="<u2").tobytes()
    else:
        if not isinstance(array, np.ndarray):
            raise KruWriteError(f"{what}: expected a numpy array (or BF16), got {type(array).__name__}")
        native = array.dtype.newbyteorder("=")
        if native not in DTYPES:
            raise KruWriteError(f"{what}: dtype {array.dtype} has no .kru element type (see spec §3)")
        code, storage = DTYPES[native]
        shape = tuple(int(d) for d in array.shape)
        raw = np.ascontiguousarray(array).astype(storage, copy=False).tobytes(order="C")
    if len(shape) > MAX_RANK:
        raise KruWriteError(f"{what}: rank {len(shape)} is over {MAX_RANK}")
    for d in shape:
        if d > MAX_DIMENSION:
            raise KruWriteError(f"{what}: dimension {d} is over 2^40")
    nonzero = math.prod(d for d in shape if d != 0)
    if nonzero > MAX_ELEMENT_COUNT:
        raise KruWriteError(f"{what}: {nonzero} elements is over 2^40")
    return code, shape, raw


def _compress(raw: bytes, compress: bool) -> tuple[int, bytes]:
    """(compression code, stored bytes) by the reference writer's rule of §4."""
    if compress and raw:
        packed = zlib.compress(raw, 9)       # RFC 1950 stream: zlib header, DEFLATE, Adler-32; no dictionary
        if len(packed) <= len(raw) - len(raw) // 16:
            return 1, packed
    return 0, raw


# ----------------------------------------------------------------------------------------------------------------
# The file

def encode_kru(metadata: Sequence[tuple[str, Any]], tensors: Sequence[tuple[str, Any]], *,
               compress: bool = True) -> bytes:
    """The bytes of a v1.0 `.kru` file holding `metadata` and `tensors`, in the given order."""
    metadata = list(metadata)
    tensors = list(tensors)
    if len(metadata) > MAX_ENTRIES:
        raise KruWriteError(f"{len(metadata)} metadata entries is over {MAX_ENTRIES}")
    if len(tensors) > MAX_ENTRIES:
        raise KruWriteError(f"{len(tensors)} tensors is over {MAX_ENTRIES}")

    directory = [_u32(len(metadata))]
    seen: set[bytes] = set()
    for entry in metadata:
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise KruWriteError(f"metadata entries are (key, value) pairs, not {entry!r}")
        key, value = entry
        raw_key = _utf8(key, "metadata key")
        _check_name(raw_key, KEY_RE, f"metadata key {key!r}", KEY_FORM)
        if raw_key in seen:
            raise KruWriteError(f"metadata key {key!r} occurs twice")
        seen.add(raw_key)
        vtype, encoded = _encode_value(key, value)
        directory += [_string(raw_key), _u8(vtype), _u32(len(encoded)), encoded]

    directory.append(_u32(len(tensors)))
    payloads = []
    entries = []                   # (prefix bytes before offset, stored, raw_length, crc) for each tensor
    seen = set()
    for entry in tensors:
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise KruWriteError(f"tensors are (name, array) pairs, not {entry!r}")
        name, array = entry
        raw_name = _utf8(name, "tensor name")
        _check_name(raw_name, TENSOR_NAME_RE, f"tensor name {name!r}", TENSOR_NAME_FORM)
        if raw_name in seen:
            raise KruWriteError(f"tensor name {name!r} occurs twice")
        seen.add(raw_name)
        code, shape, raw = _tensor_bytes(name, array)
        compression, stored = _compress(raw, compress)
        head = b"".join([_string(raw_name), _u8(code), _u8(compression), _u8(len(shape)), _u8(0)]
                        + [_u64(d) for d in shape])
        entries.append((head, len(stored), len(raw), crc32(raw)))
        payloads.append(stored)

    # Every tensor entry has a fixed size once its head is known, so the directory length is known before the
    # offsets are: head + offset (8) + stored_length (8) + raw_length (8) + crc32 (4) + extension_length (2).
    fixed = sum(len(b) for b in directory)
    directory_length = fixed + sum(len(head) + 30 for head, *_ in entries)
    if directory_length > MAX_DIRECTORY_LENGTH:
        raise KruWriteError(f"the directory would be {directory_length} bytes, over {MAX_DIRECTORY_LENGTH}")

    end = HEADER_SIZE + directory_length
    body = []                      # padding + payloads
    for (head, stored_length, raw_length, crc), stored in zip(entries, payloads):
        offset = align64(end)
        directory += [head, _u64(offset), _u64(stored_length), _u64(raw_length), _u32(crc), _u16(0)]
        body += [bytes(offset - end), stored]
        end = offset + stored_length
    dir_bytes = b"".join(directory)
    assert len(dir_bytes) == directory_length

    header = (MAGIC + _u16(WRITTEN_VERSION[0]) + _u16(WRITTEN_VERSION[1]) + _u32(directory_length) + _u64(end)
              + _u32(crc32(dir_bytes)) + _u32(0))
    data = header + dir_bytes + b"".join(body)
    assert len(data) == end
    return data


def write_kru(path: str | os.PathLike, metadata: Sequence[tuple[str, Any]], tensors: Sequence[tuple[str, Any]],
              *, compress: bool = True) -> int:
    """Writes a v1.0 `.kru` file atomically; returns its size in bytes."""
    data = encode_kru(metadata, tensors, compress=compress)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:                                     # make the rename itself durable where the platform allows it
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return len(data)
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
    return len(data)
