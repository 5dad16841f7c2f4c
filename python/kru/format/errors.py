"""The errors of the `.kru` container: a reader's `KruFormatError` carries one of the §6 codes of spec/FORMAT.md
and the byte offset at fault; a writer's `KruWriteError` names the key or tensor it cannot write."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """The error classes of spec/FORMAT.md §6. A member compares equal to its code string
    (`ErrorCode.TRUNCATED == "truncated"`), so either spelling works in `except` handlers and tests."""

    TRUNCATED = "truncated"
    BAD_MAGIC = "bad_magic"
    UNSUPPORTED_VERSION = "unsupported_version"
    TRAILING_DATA = "trailing_data"
    RESERVED_NONZERO = "reserved_nonzero"
    DIRECTORY_TOO_LARGE = "directory_too_large"
    DIRECTORY_CHECKSUM = "directory_checksum"
    DIRECTORY_OVERRUN = "directory_overrun"
    DIRECTORY_TRAILING = "directory_trailing"
    TOO_MANY_ENTRIES = "too_many_entries"
    BAD_KEY = "bad_key"
    DUPLICATE_KEY = "duplicate_key"
    BAD_VALUE_TYPE = "bad_value_type"
    BAD_VALUE = "bad_value"
    BAD_UTF8 = "bad_utf8"
    BAD_TENSOR_NAME = "bad_tensor_name"
    DUPLICATE_TENSOR = "duplicate_tensor"
    BAD_DTYPE = "bad_dtype"
    BAD_COMPRESSION = "bad_compression"
    BAD_SHAPE = "bad_shape"
    BAD_RAW_LENGTH = "bad_raw_length"
    BAD_STORED_LENGTH = "bad_stored_length"
    BAD_OFFSET = "bad_offset"
    BAD_PADDING = "bad_padding"
    TENSOR_TOO_LARGE = "tensor_too_large"
    BAD_ZLIB = "bad_zlib"
    TENSOR_CHECKSUM = "tensor_checksum"

    def __str__(self) -> str:
        return self.value


ERROR_CODES = tuple(code.value for code in ErrorCode)


class KruFormatError(Exception):
    """A file that breaks the spec. `code` is an `ErrorCode`, `offset` the byte at fault (§6), `message` says
    what is wrong in words."""

    def __init__(self, code: str | ErrorCode, offset: int, message: str):
        self.code = ErrorCode(code)         # an unknown code is a programming error: ValueError
        self.offset = offset
        self.message = message
        super().__init__(f"{self.code.value} at byte {offset}: {message}")


class KruWriteError(ValueError):
    """The metadata or tensors cannot be written as a valid v1.0 file; the message names the key or tensor."""
