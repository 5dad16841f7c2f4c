"""The constants of spec/FORMAT.md that both the reader and the writer follow: magic, limits, element types.

One definition each, so the reader and the writer cannot drift apart on a limit or a type code.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

MAGIC = b"\x89KRU\r\n\x1a\n"
HEADER_SIZE = 32
SUPPORTED_MAJOR = 1
WRITTEN_VERSION = (1, 0)                    # what the writer produces

# §2.3 limits (readers check them before allocating anything; writers refuse to exceed them)
MAX_DIRECTORY_LENGTH = 16 * 1024 * 1024
MAX_ENTRIES = 65_535                        # metadata entries, tensors
MAX_NAME_LENGTH = 255                       # key, tensor name
MAX_STRING_LENGTH = 1_048_576               # string value, array string element
MAX_ARRAY_COUNT = 1_048_576
MAX_RANK = 8
MAX_DIMENSION = 1 << 40                     # one dimension
MAX_ELEMENT_COUNT = 1 << 40
ZLIB_MAX_RATIO = 1032                       # raw_length <= 1032 * stored_length
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1

# The reader's own limit on one tensor's raw bytes (§2.3 allows a lower limit; exceeding it is tensor_too_large).
# 4 GiB, the limit the test vectors assume (§7).
DEFAULT_MAX_TENSOR_BYTES = 4 << 30

KEY_RE = re.compile(rb"[a-z0-9_]+(\.[a-z0-9_]+)+")
KEY_FORM = "[a-z0-9_]+(.[a-z0-9_]+)+"
TENSOR_NAME_RE = re.compile(rb"[A-Za-z0-9_.\-]+")
TENSOR_NAME_FORM = "[A-Za-z0-9_.-]+"

# §2.2 value types and array element types
VALUE_TYPES = {1: "bool", 2: "int", 3: "float", 4: "string", 5: "array"}
VALUE_TYPE_CODES = {name: code for code, name in VALUE_TYPES.items()}
ARRAY_ELEMENT_TYPES = {1: "bool", 2: "int", 3: "float", 4: "string"}
# bytes an array element needs at least (a string element needs its 4-byte length prefix)
ARRAY_ELEMENT_MIN_SIZE = {1: 1, 2: 8, 3: 8, 4: 4}

COMPRESSIONS = {0: "none", 1: "zlib"}


@dataclass(frozen=True)
class DType:
    """A §3 element type."""
    code: int
    name: str
    size: int
    storage: str      # NumPy dtype of the stored little-endian elements
    kind: str         # "float", "complex" or "int" (how §7 writes the data)


DTYPES = {d.code: d for d in (
    DType(1, "f16", 2, "<f2", "float"),
    DType(2, "bf16", 2, "<u2", "float"),    # the high half of a binary32; decoded to float32 exactly
    DType(3, "f32", 4, "<f4", "float"),
    DType(4, "f64", 8, "<f8", "float"),
    DType(5, "complex64", 8, "<c8", "complex"),
    DType(6, "complex128", 16, "<c16", "complex"),
    DType(7, "u8", 1, "u1", "int"),
    DType(8, "i8", 1, "i1", "int"),
    DType(9, "i32", 4, "<i4", "int"),
    DType(10, "i64", 8, "<i8", "int"),
)}
DTYPES_BY_NAME = {d.name: d for d in DTYPES.values()}


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC, as §1 defines it (zlib's crc32)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def align64(x: int) -> int:
    return (x + 63) // 64 * 64
