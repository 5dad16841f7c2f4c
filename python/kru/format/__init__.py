"""`kru.format` — read and write `.kru` files (spec/FORMAT.md), the container that holds kru models.

    from kru import format as kf

    with kf.open_kru("model.kru") as f:          # checks header, directory and layout; tensors stay on disk
        print(f.version, f.metadata)              # [(key, type_name, value), ...] in file order
        w = f.read_tensor("readout.weight")       # inflates and checksums one tensor -> NumPy array
    kf.write_kru("copy.kru", metadata=[("general.name", "demo")], tensors=[("w", w)])   # atomic

A malformed file raises `KruFormatError` with `.code` (an `ErrorCode` of spec §6), `.offset` (the byte at
fault) and `.message`; invalid input to the writer raises `KruWriteError`. The container knows nothing of
models: `kru.model` gives the keys and tensors their meaning.
"""

from .document import to_json
from .errors import ERROR_CODES, ErrorCode, KruFormatError, KruWriteError
from .reader import ArrayValue, KruFile, TensorEntry, full_check, open_kru
from .spec import DEFAULT_MAX_TENSOR_BYTES, MAGIC, crc32
from .writer import BF16, Array, encode_kru, write_kru

__all__ = [
    "open_kru", "full_check", "KruFile", "TensorEntry", "ArrayValue", "to_json",
    "write_kru", "encode_kru", "Array", "BF16",
    "KruFormatError", "KruWriteError", "ErrorCode", "ERROR_CODES", "DEFAULT_MAX_TENSOR_BYTES", "MAGIC", "crc32",
]
