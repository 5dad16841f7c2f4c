"""The complex KRU cell and layer (spec/MODEL.md §4, `kru`): h_t = σ(W h_{t−1} + U x_t + b) with W a sum of Kronecker
products of complex factors of any shapes (or dense), U and b complex, σ modReLU or a split activation; the layer
passes [Re h_t; Im h_t] on."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..model.schema import ACTIVATIONS, Layer, names
from .kronecker import RecurrentWeight
from .schema_io import copy_into, load_recurrent, recurrent_shapes, recurrent_tensors, to_numpy

__all__ = ["KRUCell", "KRU", "modrelu", "complex_activation"]


def modrelu(z: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """(|z| + β)·z/|z| where |z| + β > 0, else 0 (and 0 at z = 0), element-wise on complex z."""
    r = z.abs()
    shifted = r + bias
    keep = (shifted > 0) & (r > 0)
    scale = torch.where(keep, shifted / torch.where(r > 0, r, torch.ones_like(r)), torch.zeros_like(r))
    return z * scale


def complex_activation(name: str, z: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    if name == "modrelu":
        return modrelu(z, bias)
    if name == "split_relu":
        return torch.complex(torch.relu(z.real), torch.relu(z.imag))
    if name == "split_tanh":
        return torch.complex(torch.tanh(z.real), torch.tanh(z.imag))
    raise ValueError(f"activation must be one of {ACTIVATIONS}, not {name!r}")


class KRUCell(nn.Module):
    """One step of a complex KRU. `factors`: the Kronecker factors of W — square sizes ([2] * 9 for N = 512),
    (rows, columns) pairs for rectangular factors, or None for a dense complex W; `rank` Kronecker terms.

    Initialisation (as `kru train`): Haar-random unitary factors (isometries when rectangular), so W is unitary at
    step 0; U with real and imaginary parts N(0, 1/(2N)); b = 0; modReLU bias β = `modrelu_bias` (0: modReLU
    starts as the identity)."""

    def __init__(self, input_size: int, hidden_size: int, factors=None, rank: int = 1,
                 activation: str = "modrelu", modrelu_bias: float = 0.0):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        self.input_size, self.hidden_size, self.activation = input_size, hidden_size, activation
        self.recurrent = RecurrentWeight(hidden_size, 1, True, factors, rank)
        std = 1 / math.sqrt(2 * hidden_size)
        self.weight_ih_real = nn.Parameter(torch.randn(hidden_size, input_size) * std)
        self.weight_ih_imag = nn.Parameter(torch.randn(hidden_size, input_size) * std)
        self.bias_real = nn.Parameter(torch.zeros(hidden_size))
        self.bias_imag = nn.Parameter(torch.zeros(hidden_size))
        self.modrelu_bias = nn.Parameter(torch.full((hidden_size,), float(modrelu_bias))) \
            if activation == "modrelu" else None

    @property
    def output_size(self) -> int:
        return 2 * self.hidden_size

    def drive(self, x: torch.Tensor) -> torch.Tensor:
        """U x + b (complex) for real inputs x [..., D]."""
        return torch.complex(x @ self.weight_ih_real.mT + self.bias_real, x @ self.weight_ih_imag.mT + self.bias_imag)

    def step(self, recurrent, driven: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """h_t from h_{t−1} (complex [B, N]) and U x_t + b, with `recurrent` = self.recurrent.operator()."""
        return complex_activation(self.activation, recurrent(h) + driven, self.modrelu_bias)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """One step: real x [B, D], complex h [B, N] (default 0) -> complex h [B, N]."""
        driven = self.drive(x)
        if h is None:
            h = driven.new_zeros(driven.shape)
        return self.step(self.recurrent.operator(), driven, h)

    def unitary_penalty(self) -> torch.Tensor:
        return self.recurrent.unitary_penalty()


class KRU(nn.Module):
    """A KRU layer over sequences (batch first): x [B, T, D] -> ([Re h_t; Im h_t] for every t [B, T, 2N], h_T).
    The state is complex [B, N]; pass it back (detached) to continue a sequence (truncated BPTT)."""

    cell_name = "kru"

    def __init__(self, input_size: int, hidden_size: int, factors=None, rank: int = 1, activation: str = "modrelu",
                 modrelu_bias: float = 0.0):
        super().__init__()
        self.cell = KRUCell(input_size, hidden_size, factors, rank, activation, modrelu_bias)

    @property
    def input_size(self) -> int:
        return self.cell.input_size

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    @property
    def output_size(self) -> int:
        return self.cell.output_size

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        driven = self.cell.drive(x)                                   # every step's U x_t + b at once
        if h is None:
            h = driven.new_zeros(driven.shape[0], self.hidden_size)
        recurrent = self.cell.recurrent.operator()
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell.step(recurrent, driven[:, t], h)
            outputs.append(torch.cat([h.real, h.imag], dim=-1))
        return torch.stack(outputs, dim=1), h

    def unitary_penalty(self) -> torch.Tensor:
        """Σ_f ‖W_fᴴW_f − I‖²_F over the recurrent factors: add λ times it to the loss."""
        return self.cell.unitary_penalty()

    # --- the schema (spec/MODEL.md)

    def schema_layer(self) -> Layer:
        rw = self.cell.recurrent
        return Layer("kru", self.hidden_size, "kronecker" if rw.kronecker else "dense", self.cell.activation,
                     rw.rank, rw.factor_count)

    def schema_tensors(self, l: int) -> dict[str, np.ndarray]:
        c = self.cell
        tensors = {names.weight_ih(l): to_numpy(torch.complex(c.weight_ih_real, c.weight_ih_imag)),
                   names.kru_bias(l): to_numpy(torch.complex(c.bias_real, c.bias_imag))}
        if c.modrelu_bias is not None:
            tensors[names.modrelu_bias(l)] = to_numpy(c.modrelu_bias)
        tensors.update(recurrent_tensors(c.recurrent, l))
        return tensors

    @classmethod
    def from_schema(cls, layer: Layer, input_size: int, tensors: dict[str, np.ndarray], l: int) -> "KRU":
        module = cls(input_size, layer.hidden_size, recurrent_shapes(layer, tensors, l), layer.rank or 1,
                     layer.activation)
        c = module.cell
        load_recurrent(c.recurrent, layer, tensors, l)
        for (real, imag), name in (((c.weight_ih_real, c.weight_ih_imag), names.weight_ih(l)),
                                   ((c.bias_real, c.bias_imag), names.kru_bias(l))):
            value = np.asarray(tensors[name])
            copy_into(real, value.real)
            copy_into(imag, value.imag)
        if c.modrelu_bias is not None:
            copy_into(c.modrelu_bias, tensors[names.modrelu_bias(l)])
        return module
