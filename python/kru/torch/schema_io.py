"""Moving recurrent weights between PyTorch modules and the tensors of spec/MODEL.md §3."""

from __future__ import annotations

import numpy as np
import torch

from ..model.schema import Layer, names
from .kronecker import RecurrentWeight

__all__ = ["to_numpy", "copy_into", "recurrent_tensors", "recurrent_shapes", "load_recurrent"]


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A parameter as stored in a .kru file: float32, or complex64 for complex values (on the CPU)."""
    t = t.detach().cpu()
    return t.to(torch.complex64).numpy() if t.is_complex() else t.to(torch.float32).numpy()


def copy_into(parameter: torch.Tensor, value: np.ndarray) -> None:
    """Copies a stored tensor (any real dtype) into a real parameter of the same shape."""
    with torch.no_grad():
        parameter.copy_(torch.from_numpy(np.asarray(value, dtype=np.float32)))


def recurrent_tensors(rw: RecurrentWeight, l: int) -> dict[str, np.ndarray]:
    """`layer.{l}.weight_hh`, or every factor `layer.{l}.weight_hh.{g}.{t}.{f}`."""
    if not rw.kronecker:
        return {names.weight_hh(l): to_numpy(rw.dense())}
    rw.factor_count                                         # refuses terms with different factor counts
    return {names.factor(l, g, t, f): to_numpy(w)
            for g, block in enumerate(rw.blocks) for t, term in enumerate(block)
            for f, w in enumerate(term.factors())}


def recurrent_shapes(layer: Layer, tensors: dict[str, np.ndarray], l: int):
    """The `factors` argument that builds layer l's stored recurrence: None (dense) or shapes[g][t][f]."""
    if layer.recurrent == "dense":
        return None
    return [[[tuple(np.shape(tensors[names.factor(l, g, t, f)])) for f in range(layer.factors)]
             for t in range(layer.rank)] for g in range(layer.gates)]


def load_recurrent(rw: RecurrentWeight, layer: Layer, tensors: dict[str, np.ndarray], l: int) -> None:
    """Copies layer l's stored recurrence into `rw` (built with recurrent_shapes)."""
    if layer.recurrent == "dense":
        value = np.asarray(tensors[names.weight_hh(l)])
        if layer.is_complex:
            copy_into(rw.weight_real, value.real)
            copy_into(rw.weight_imag, value.imag)
        else:
            copy_into(rw.weight, value)
        return
    for g, block in enumerate(rw.blocks):
        for t, term in enumerate(block):
            for f in range(len(term.shapes)):
                value = np.asarray(tensors[names.factor(l, g, t, f)])
                copy_into(term.real[f], value.real)
                if layer.is_complex:
                    copy_into(term.imag[f], value.imag)
