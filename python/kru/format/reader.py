"""The reader of the `.kru` container format v1.x (spec/FORMAT.md).

Written from the text of spec/FORMAT.md alone, with the Python standard library and NumPy only, so that it checks
the Swift reader (and the test vectors) from the outside.

    f = open_kru("model.kru")        # header, directory, placement and padding (spec §2.1-2.4)
    f.metadata                      # [(key, type_name, value), ...] in file order
    f.tensors                       # [TensorEntry, ...] in directory order
    a = f.read_tensor("w")          # decodes one tensor lazily (§4 and its CRC-32), returns a NumPy array
    full_check("model.kru")         # opens and decodes every tensor

Every failure is a `KruFormatError` with `code` (a §6 error code), `offset` (the byte §6 says is at fault) and a
message. Nothing else escapes for a malformed file: every count and length is checked against the bytes that
are really there, and against the limits of §2.3, before anything of that size is built.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .errors import KruFormatError
from .spec import (
    ARRAY_ELEMENT_MIN_SIZE, ARRAY_ELEMENT_TYPES, COMPRESSIONS, DEFAULT_MAX_TENSOR_BYTES, DTYPES, DTYPES_BY_NAME,
    HEADER_SIZE, KEY_FORM, KEY_RE, MAGIC, MAX_ARRAY_COUNT, MAX_DIMENSION, MAX_DIRECTORY_LENGTH, MAX_ELEMENT_COUNT,
    MAX_ENTRIES, MAX_NAME_LENGTH, MAX_RANK, MAX_STRING_LENGTH, SUPPORTED_MAJOR, TENSOR_NAME_FORM, TENSOR_NAME_RE,
    VALUE_TYPES, ZLIB_MAX_RATIO, align64, crc32,
)

__all__ = ["KruFile", "TensorEntry", "ArrayValue", "open_kru", "full_check"]

# ----------------------------------------------------------------------------------------------------------------
# Byte sources: bytes in memory, or a file read on demand (so a large file is not read whole to open it)

class _BytesSource:
    def __init__(self, data: bytes | bytearray | memoryview):
        self._data = bytes(data)
        self.size = len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        # Callers only ask for ranges they have checked to lie inside the file.
        assert 0 <= offset and offset + length <= self.size
        return self._data[offset:offset + length]

    def close(self) -> None:
        pass


class _FileSource:
    def __init__(self, path: str | os.PathLike):
        self._file = open(path, "rb")
        self.size = os.fstat(self._file.fileno()).st_size

    def read(self, offset: int, length: int) -> bytes:
        assert 0 <= offset and offset + length <= self.size
        self._file.seek(offset)
        data = self._file.read(length)
        if len(data) != length:     # the file shrank under us
            raise KruFormatError("truncated", offset + len(data), "the file changed size while being read")
        return data

    def close(self) -> None:
        self._file.close()


def _source(source) -> _BytesSource | _FileSource:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _BytesSource(source)
    if isinstance(source, (str, os.PathLike)):
        return _FileSource(source)
    raise TypeError(f"source must be a path or bytes, not {type(source).__name__}")


# ----------------------------------------------------------------------------------------------------------------
# The directory cursor: every read checks that the field fits in the directory first

class _Cursor:
    """Reads little-endian fields from `data`, which sits at absolute file offset `base`."""

    def __init__(self, data: bytes, base: int):
        self.data = data
        self.base = base
        self.pos = 0

    @property
    def offset(self) -> int:
        """Absolute file offset of the next byte."""
        return self.base + self.pos

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def _need(self, n: int, what: str, at: int | None = None) -> None:
        if n > self.remaining:
            at = self.offset if at is None else at
            raise KruFormatError(
                "directory_overrun", at,
                f"{what} needs {n} bytes but only {self.remaining} remain in the directory")

    def _unpack(self, fmt: str, size: int, what: str) -> int:
        self._need(size, what)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def u8(self, what: str) -> int:
        return self._unpack("<B", 1, what)

    def u16(self, what: str) -> int:
        return self._unpack("<H", 2, what)

    def u32(self, what: str) -> int:
        return self._unpack("<I", 4, what)

    def u64(self, what: str) -> int:
        return self._unpack("<Q", 8, what)

    def take(self, n: int, what: str, at: int | None = None) -> bytes:
        """n bytes; `at` is the offset to report if they do not fit (default: where they would start)."""
        self._need(n, what, at)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk


def _decode_utf8(raw: bytes, code_offset: int, what: str) -> str:
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise KruFormatError("bad_utf8", code_offset,
                             f"{what} is not valid UTF-8 (byte {e.start} of the string)") from None


def _read_name(cur: _Cursor, kind: str) -> tuple[int, str]:
    """A key or tensor name (§2.2), checked in the order of §6: limit, fit, UTF-8, form. Returns (offset, name)."""
    at = cur.offset
    length = cur.u32(f"the length of a {kind}")
    bad = "bad_key" if kind == "key" else "bad_tensor_name"
    if not 1 <= length <= MAX_NAME_LENGTH:         # limits come before fit (so 0xFFFFFFFF is bad_key)
        raise KruFormatError(bad, at, f"{kind} length {length} is outside 1-{MAX_NAME_LENGTH}")
    raw = cur.take(length, f"a {kind}", at=at)      # a string that does not fit is reported at its length prefix
    text = _decode_utf8(raw, at, f"{kind} {raw!r}")
    pattern = KEY_RE if kind == "key" else TENSOR_NAME_RE
    if not pattern.fullmatch(raw):
        form = KEY_FORM if kind == "key" else TENSOR_NAME_FORM
        raise KruFormatError(bad, at, f"{kind} {text!r} is not of the form {form}")
    return at, text


# ----------------------------------------------------------------------------------------------------------------
# Metadata values

class ArrayValue(list):
    """A metadata array: a list that also remembers its element type (so an empty array keeps it)."""

    def __init__(self, element_type: str, items: Iterable[Any] = ()):
        super().__init__(items)
        self.element_type = element_type

    def __repr__(self) -> str:
        return f"ArrayValue({self.element_type!r}, {list.__repr__(self)})"


def _decode_value(vtype: int, value: bytes, at: int) -> Any:
    """Decodes one metadata value from exactly its value_length bytes; every fault is reported at `at`, the
    entry's value_type byte (§6)."""

    def bad(message: str) -> KruFormatError:
        return KruFormatError("bad_value", at, message)

    name = VALUE_TYPES[vtype]
    if name in ("bool", "int", "float"):
        size = 1 if name == "bool" else 8
        if len(value) != size:
            raise bad(f"a {name} value must be {size} bytes, not {len(value)}")
        if name == "bool":
            if value[0] > 1:
                raise bad(f"a bool value must be 0 or 1, not {value[0]}")
            return value[0] == 1
        return struct.unpack("<q" if name == "int" else "<d", value)[0]
    if name == "string":
        if len(value) > MAX_STRING_LENGTH:
            raise bad(f"a string value of {len(value)} bytes is over the limit of {MAX_STRING_LENGTH}")
        return _decode_utf8(value, at, "a string value")

    # array: u8 element_type, u32 count, then count elements, filling the value exactly
    if len(value) < 1:
        raise bad("an array value is too short for its element type")
    etype = value[0]
    if etype not in ARRAY_ELEMENT_TYPES:
        raise KruFormatError("bad_value_type", at, f"array element type {etype} is not 1-4")
    if len(value) < 5:
        raise bad("an array value is too short for its element count")
    count = struct.unpack_from("<I", value, 1)[0]
    pos = 5
    left = len(value) - pos
    if count > MAX_ARRAY_COUNT:
        raise bad(f"array count {count} is over the limit of {MAX_ARRAY_COUNT}")
    # The count must fit in the bytes left before anything is built for it (§2.3, §6).
    if count * ARRAY_ELEMENT_MIN_SIZE[etype] > left:
        raise bad(f"array count {count} needs more than the {left} bytes left in the value")
    ename = ARRAY_ELEMENT_TYPES[etype]
    if ename == "string":
        items = []
        for i in range(count):
            if len(value) - pos < 4:
                raise bad(f"array string element {i} does not fit in the value")
            n = struct.unpack_from("<I", value, pos)[0]
            pos += 4
            if n > len(value) - pos:
                raise bad(f"array string element {i} of {n} bytes does not fit in the value")
            if n > MAX_STRING_LENGTH:
                raise bad(f"array string element {i} of {n} bytes is over the limit of {MAX_STRING_LENGTH}")
            items.append(_decode_utf8(value[pos:pos + n], at, f"array string element {i}"))
            pos += n
        if pos != len(value):
            raise bad(f"{len(value) - pos} bytes are left over after the last array element")
        return ArrayValue(ename, items)
    size = ARRAY_ELEMENT_MIN_SIZE[etype]
    if count * size != left:
        raise bad(f"{left - count * size} bytes are left over after the last array element")
    body = value[pos:]
    if ename == "bool":
        for i, b in enumerate(body):
            if b > 1:
                raise bad(f"array bool element {i} must be 0 or 1, not {b}")
        return ArrayValue(ename, (b == 1 for b in body))
    fmt = "<%d%s" % (count, "q" if ename == "int" else "d")
    return ArrayValue(ename, struct.unpack(fmt, body))


# ----------------------------------------------------------------------------------------------------------------
# Tensor entries

@dataclass
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    compression: str
    offset: int
    stored_length: int
    raw_length: int
    crc32: int
    # absolute offsets of the entry's fields, for error reports
    field_offsets: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def element_count(self) -> int:
        return math.prod(self.shape)


def _element_count(shape: list[int]) -> int | None:
    """element_count, or None when it or the product of the non-zero dimensions is over 2^40 (§2.2).
    Python integers do not overflow, so this is the exact product, never a wrap-around."""
    if any(d == 0 for d in shape):
        nonzero = math.prod(d for d in shape if d != 0)
        return 0 if nonzero <= MAX_ELEMENT_COUNT else None
    count = math.prod(shape)
    return count if count <= MAX_ELEMENT_COUNT else None


def _read_tensor_entry(cur: _Cursor, strict: bool, seen: set[str], max_tensor_bytes: int | None) -> TensorEntry:
    """One tensor entry (§2.2), checked in the order of §6."""
    at = {}
    at["name"], name = _read_name(cur, "tensor name")
    if name in seen:
        raise KruFormatError("duplicate_tensor", at["name"], f"tensor name {name!r} occurs twice")
    seen.add(name)

    at["dtype"] = cur.offset
    code = cur.u8("dtype")
    if code not in DTYPES:
        raise KruFormatError("bad_dtype", at["dtype"], f"tensor {name!r}: unknown dtype {code}")
    dtype = DTYPES[code]

    at["compression"] = cur.offset
    comp = cur.u8("compression")
    if comp not in COMPRESSIONS:
        raise KruFormatError("bad_compression", at["compression"], f"tensor {name!r}: unknown compression {comp}")

    at["rank"] = cur.offset
    rank = cur.u8("rank")
    if rank > MAX_RANK:
        raise KruFormatError("bad_shape", at["rank"], f"tensor {name!r}: rank {rank} is over {MAX_RANK}")

    at["reserved"] = cur.offset
    reserved = cur.u8("reserved")
    if strict and reserved != 0:
        raise KruFormatError("reserved_nonzero", at["reserved"],
                             f"tensor {name!r}: reserved byte is {reserved}, not 0, in a v1.0 file")

    shape = []
    for i in range(rank):
        d = cur.u64(f"dimension {i}")
        if d > MAX_DIMENSION:
            raise KruFormatError("bad_shape", at["rank"], f"tensor {name!r}: dimension {i} = {d} is over 2^40")
        shape.append(d)
    count = _element_count(shape)
    if count is None:
        raise KruFormatError("bad_shape", at["rank"],
                             f"tensor {name!r}: the element count of shape {shape} is over 2^40")

    at["offset"] = cur.offset
    offset = cur.u64("offset")
    at["stored_length"] = cur.offset
    stored = cur.u64("stored_length")
    at["raw_length"] = cur.offset
    raw = cur.u64("raw_length")
    at["crc32"] = cur.offset
    crc = cur.u32("crc32")

    if raw != count * dtype.size:
        raise KruFormatError("bad_raw_length", at["raw_length"],
                             f"tensor {name!r}: raw_length {raw} is not {count} x {dtype.size}")
    if max_tensor_bytes is not None and raw > max_tensor_bytes:    # checked when opening (§6), before any use
        raise KruFormatError("tensor_too_large", at["raw_length"],
                             f"tensor {name!r}: raw_length {raw} is over this reader's limit of "
                             f"{max_tensor_bytes} bytes")
    if comp == 0 and stored != raw:
        raise KruFormatError("bad_stored_length", at["stored_length"],
                             f"tensor {name!r}: stored_length {stored} is not raw_length {raw} without compression")
    if comp == 1 and raw > ZLIB_MAX_RATIO * stored:
        raise KruFormatError("bad_stored_length", at["stored_length"],
                             f"tensor {name!r}: raw_length {raw} is over {ZLIB_MAX_RATIO} x stored_length {stored}")

    at["extension_length"] = cur.offset
    ext = cur.u16("extension_length")
    if strict and ext != 0:
        raise KruFormatError("reserved_nonzero", at["extension_length"],
                             f"tensor {name!r}: extension_length is {ext}, not 0, in a v1.0 file")
    cur.take(ext, "the extension")     # later minor versions' data: skipped

    return TensorEntry(name, dtype.name, tuple(shape), COMPRESSIONS[comp], offset, stored, raw, crc, at)


# ----------------------------------------------------------------------------------------------------------------
# The file

class KruFile:
    """An opened `.kru` file: header, directory and layout checked; tensors decoded on demand."""

    def __init__(self, src, version, metadata, tensors, max_tensor_bytes):
        self._src = src
        self.version: tuple[int, int] = version
        self.metadata: list[tuple[str, str, Any]] = metadata
        self.tensors: list[TensorEntry] = tensors
        self.max_tensor_bytes = max_tensor_bytes
        self._by_name = {t.name: t for t in tensors}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._src.close()

    def tensor(self, name: str) -> TensorEntry:
        return self._by_name[name]

    def read_raw(self, name: str) -> bytes:
        """The raw (decompressed) bytes of a tensor, checked as §4 says, with its CRC-32."""
        t = self._by_name[name]
        stored = self._src.read(t.offset, t.stored_length)    # in the file: checked by the placement rule
        if t.compression == "zlib":
            raw = _inflate(stored, t.raw_length, t.offset, name)
        else:
            raw = stored
        actual = crc32(raw)
        if actual != t.crc32:
            raise KruFormatError("tensor_checksum", t.offset,
                                 f"tensor {name!r}: CRC-32 of the raw bytes is {actual:#010x}, "
                                 f"the entry says {t.crc32:#010x}")
        return raw

    def read_tensor(self, name: str) -> np.ndarray:
        """A tensor as a NumPy array of its shape: float16/float32/float64, complex64/complex128 for the complex
        types, and for bf16 a float32 array holding the exact values."""
        t = self._by_name[name]
        raw = self.read_raw(name)
        dtype = DTYPES_BY_NAME[t.dtype]
        flat = np.frombuffer(raw, dtype=dtype.storage)
        if dtype.name == "bf16":
            # bfloat16 is the high half of a binary32: widening is exact
            array = (flat.astype(np.uint32) << 16).view(np.float32)
        else:
            array = flat.astype(flat.dtype.newbyteorder("="))   # a native-order, writable copy
        return array.reshape(t.shape)


def _inflate(stored: bytes, raw_length: int, at: int, name: str) -> bytes:
    """Exactly one RFC 1950 zlib stream of exactly raw_length bytes, ending exactly at the end of `stored`.
    Inflating stops at raw_length bytes (§4): a longer stream is an error, never a larger buffer."""

    def bad(message: str) -> KruFormatError:
        return KruFormatError("bad_zlib", at, f"tensor {name!r}: {message}")

    if len(stored) < 2:
        raise bad("too short for a zlib header")
    cmf, flg = stored[0], stored[1]
    if cmf & 0x0F != 8 or cmf >> 4 > 7 or (cmf * 256 + flg) % 31 != 0:
        raise bad(f"not a zlib (RFC 1950) header: {cmf:02x} {flg:02x}")
    if flg & 0x20:
        raise bad("a preset dictionary (FDICT) is not allowed")
    d = zlib.decompressobj(wbits=15)
    try:
        # max_length 0 would mean "no limit", so an empty tensor asks for 1 byte (which it must not get).
        out = d.decompress(stored, raw_length if raw_length > 0 else 1)
    except zlib.error as e:
        raise bad(f"invalid zlib stream ({e})") from None
    if len(out) > raw_length:
        raise bad(f"the stream inflates to more than raw_length {raw_length} bytes")
    if not d.eof:
        if len(out) == raw_length:
            raise bad(f"the stream does not end after raw_length {raw_length} bytes")
        raise bad(f"the stream ends early, after {len(out)} of {raw_length} bytes")
    if len(out) != raw_length:
        raise bad(f"the stream inflates to {len(out)} bytes, not raw_length {raw_length}")
    if d.unused_data or d.unconsumed_tail:
        raise bad(f"{len(d.unused_data) + len(d.unconsumed_tail)} bytes follow the end of the zlib stream")
    return out


def _check_header(src) -> tuple[int, int, int, int, int]:
    """§2.1 in the order of §6. Returns (major, minor, directory_length, file_length, directory_crc32)."""
    size = src.size
    head = src.read(0, min(HEADER_SIZE, size))
    n = min(8, size)
    if head[:n] != MAGIC[:n]:
        if n >= 4 and head[:4] == MAGIC[:4]:
            message = "text-mode damage: the magic's line-ending bytes were changed (CRLF/LF conversion)"
        else:
            message = f"not a .kru file: the magic is {head[:n].hex(' ')}"
        raise KruFormatError("bad_magic", 0, message)
    if size < HEADER_SIZE:
        raise KruFormatError("truncated", size, f"the file is {size} bytes, shorter than the 32-byte header")
    major, minor, dir_len, file_len, dir_crc, reserved = struct.unpack_from("<HHIQII", head, 8)
    if major != SUPPORTED_MAJOR:
        raise KruFormatError("unsupported_version", 8, f"file is v{major}.{minor}, this build reads v1.x")
    if minor == 0 and reserved != 0:
        raise KruFormatError("reserved_nonzero", 28,
                             f"the header's reserved field is {reserved}, not 0, in a v1.0 file")
    if size < file_len:
        raise KruFormatError("truncated", size, f"the file is {size} bytes, file_length says {file_len}")
    if size > file_len:
        raise KruFormatError("trailing_data", file_len, f"the file is {size} bytes, file_length says {file_len}")
    if dir_len > MAX_DIRECTORY_LENGTH or HEADER_SIZE + dir_len > file_len:
        raise KruFormatError("directory_too_large", 12,
                             f"directory_length {dir_len} is over {MAX_DIRECTORY_LENGTH} or past the end of the file")
    return major, minor, dir_len, file_len, dir_crc


def open_kru(source, *, max_tensor_bytes: int | None = DEFAULT_MAX_TENSOR_BYTES) -> KruFile:
    """Opens a `.kru` file (a path, or the bytes of one) and checks §2.1-2.4: header, directory, placement and
    padding. Tensors are not decoded. `max_tensor_bytes` is this reader's limit on one tensor's raw bytes
    (None: only the format's own limits)."""
    src = _source(source)
    try:
        return _open(src, max_tensor_bytes)
    except BaseException:
        src.close()
        raise


def _open(src, max_tensor_bytes) -> KruFile:
    major, minor, dir_len, file_len, dir_crc = _check_header(src)
    strict = minor == 0     # reserved fields, extensions and unknown value types are errors only in v1.0

    directory = src.read(HEADER_SIZE, dir_len)
    actual = crc32(directory)
    if actual != dir_crc:
        raise KruFormatError("directory_checksum", 24,
                             f"the directory's CRC-32 is {actual:#010x}, the header says {dir_crc:#010x}")

    cur = _Cursor(directory, HEADER_SIZE)

    # Metadata. Entries are read one at a time and nothing is reserved for the count (§6).
    count_at = cur.offset
    metadata_count = cur.u32("metadata_count")
    if metadata_count > MAX_ENTRIES:
        raise KruFormatError("too_many_entries", count_at, f"metadata_count {metadata_count} is over {MAX_ENTRIES}")
    metadata: list[tuple[str, str, Any]] = []
    keys: set[str] = set()
    for _ in range(metadata_count):
        key_at, key = _read_name(cur, "key")
        if key in keys:     # keys are ASCII here, so string equality is byte equality
            raise KruFormatError("duplicate_key", key_at, f"key {key!r} occurs twice")
        keys.add(key)
        type_at = cur.offset
        vtype = cur.u8("value_type")
        vlen = cur.u32("value_length")
        value = cur.take(vlen, f"the value of {key!r}")
        if vtype not in VALUE_TYPES:
            if strict:
                raise KruFormatError("bad_value_type", type_at, f"key {key!r}: unknown value type {vtype}")
            continue    # a later minor version's value type: skipped using value_length (§5)
        metadata.append((key, VALUE_TYPES[vtype], _decode_value(vtype, value, type_at)))

    # Tensor directory.
    count_at = cur.offset
    tensor_count = cur.u32("tensor_count")
    if tensor_count > MAX_ENTRIES:
        raise KruFormatError("too_many_entries", count_at, f"tensor_count {tensor_count} is over {MAX_ENTRIES}")
    tensors: list[TensorEntry] = []
    names: set[str] = set()
    for _ in range(tensor_count):
        tensors.append(_read_tensor_entry(cur, strict, names, max_tensor_bytes))
    if cur.remaining:
        raise KruFormatError("directory_trailing", cur.offset,
                             f"{cur.remaining} bytes remain in the directory after the last tensor entry")

    # Placement (§2.4): every payload exactly at align64 of the previous end, zero padding, no trailing bytes.
    end = HEADER_SIZE + dir_len
    for t in tensors:
        expected = align64(end)
        if t.offset != expected:
            raise KruFormatError("bad_offset", t.field_offsets["offset"],
                                 f"tensor {t.name!r}: offset {t.offset} is not {expected}")
        if t.offset + t.stored_length > file_len:
            raise KruFormatError("bad_offset", t.field_offsets["offset"],
                                 f"tensor {t.name!r}: payload {t.offset} + {t.stored_length} reaches past "
                                 f"file_length {file_len}")
        padding = src.read(end, t.offset - end)     # at most 63 bytes
        for i, b in enumerate(padding):
            if b:
                raise KruFormatError("bad_padding", end + i, f"padding byte is {b:#04x}, not 0")
        end = t.offset + t.stored_length
    if file_len != end:     # file_length > end: the reach checks above exclude file_length < end
        raise KruFormatError("trailing_data", end, f"{file_len - end} bytes follow the end of the last payload")

    return KruFile(src, (major, minor), metadata, tensors, max_tensor_bytes)


def full_check(source, *, max_tensor_bytes: int | None = DEFAULT_MAX_TENSOR_BYTES) -> KruFile:
    """Opens the file and decodes every tensor in directory order; returns the opened file."""
    f = open_kru(source, max_tensor_bytes=max_tensor_bytes)
    try:
        for t in f.tensors:
            f.read_raw(t.name)
    except BaseException:
        f.close()
        raise
    return f


