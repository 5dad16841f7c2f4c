"""The JSON document of spec/FORMAT.md §7: a file's version, metadata and every tensor with its data.

The spec vectors' expected results are such documents, so printing one is how readers are compared.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .reader import KruFile
from .spec import DTYPES_BY_NAME

__all__ = ["to_json"]


def _json_float(x: float) -> float | str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)


def _json_value(type_name: str, value: Any) -> Any:
    if type_name == "float":
        return _json_float(value)
    if type_name == "array":
        if value.element_type == "float":
            return [_json_float(x) for x in value]
        return list(value)
    return value


def to_json(f: KruFile) -> dict:
    """The §7 document: version, metadata and every tensor with its data (decoding each tensor)."""
    tensors = []
    for t in f.tensors:
        array = f.read_tensor(t.name).reshape(-1)
        kind = DTYPES_BY_NAME[t.dtype].kind
        if kind == "int":
            data = [int(x) for x in array.tolist()]
        elif kind == "float":
            data = [_json_float(x) for x in array.astype(np.float64).tolist()]
        else:
            data = [[_json_float(z.real), _json_float(z.imag)] for z in array.astype(np.complex128).tolist()]
        tensors.append({
            "name": t.name, "dtype": t.dtype, "shape": list(t.shape), "compression": t.compression,
            "stored_length": t.stored_length, "raw_length": t.raw_length, "crc32": t.crc32, "data": data,
        })
    return {
        "version": list(f.version),
        "metadata": [{"key": k, "type": ty, "value": _json_value(ty, v)} for k, ty, v in f.metadata],
        "tensors": tensors,
    }
