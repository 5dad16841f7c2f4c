"""PyTorch's RNN, LSTM and GRU (spec/MODEL.md §4, same equations, gate orders and parameter layout) with each
recurrent gate block either dense or a sum of `rank` Kronecker products of real factors of any shapes."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..model.schema import CELLS, Layer, names
from .kronecker import RecurrentWeight
from .schema_io import copy_into, load_recurrent, recurrent_shapes, recurrent_tensors, to_numpy

__all__ = ["RNN", "LSTM", "GRU"]


class _GatedLayer(nn.Module):
    """A real recurrent layer over sequences (batch first): x [B, T, D] -> (h_t for every t [B, T, N], state).

    `factors`: None for a dense recurrence (PyTorch's parameters and initialisation), or the Kronecker factors of
    every gate block — square sizes ([8, 16] for N = 128), (rows, columns) pairs, or shapes[g][t] per gate and
    term — with `rank` terms per block. `bias=False` drops both biases, as in PyTorch. Kronecker factors start as
    random orthogonal matrices (isometries when rectangular) scaled by 1/√rank."""

    cell_name = ""

    def __init__(self, input_size: int, hidden_size: int, factors=None, rank: int = 1, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        gates = CELLS[self.cell_name]
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size).uniform_(-bound, bound))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size).uniform_(-bound, bound))
            self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size).uniform_(-bound, bound))
        else:
            self.bias_ih = self.bias_hh = None
        self.recurrent = RecurrentWeight(hidden_size, gates, False, factors, rank)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def initial_state(self, x: torch.Tensor):
        return x.new_zeros(x.shape[0], self.hidden_size)

    def step(self, driven: torch.Tensor, recurrent: torch.Tensor, state):
        """The cell's equations, from W_ih x_t + b_ih and R h_{t−1} + b_hh (all gates stacked)."""
        raise NotImplementedError

    @staticmethod
    def hidden(state) -> torch.Tensor:
        return state

    def forward(self, x: torch.Tensor, state=None):
        driven = x @ self.weight_ih.mT                                # every step's W_ih x_t at once
        if self.bias_ih is not None:
            driven = driven + self.bias_ih
        if state is None:
            state = self.initial_state(x)
        recurrent = self.recurrent.operator()
        outputs = []
        for t in range(x.shape[1]):
            r = recurrent(self.hidden(state))
            if self.bias_hh is not None:
                r = r + self.bias_hh
            state = self.step(driven[:, t], r, state)
            outputs.append(self.hidden(state))
        return torch.stack(outputs, dim=1), state

    def unitary_penalty(self) -> torch.Tensor:
        """Σ ‖WᵀW − I‖²_F over the Kronecker factors (0 when dense), as `kru train` applies it to every factor."""
        return self.recurrent.unitary_penalty()

    # --- the schema (spec/MODEL.md)

    def schema_layer(self) -> Layer:
        rw = self.recurrent
        return Layer(self.cell_name, self.hidden_size, "kronecker" if rw.kronecker else "dense", None, rw.rank,
                     rw.factor_count)

    def schema_tensors(self, l: int) -> dict[str, np.ndarray]:
        tensors = {names.weight_ih(l): to_numpy(self.weight_ih)}
        if self.bias_ih is not None:
            tensors[names.bias_ih(l)] = to_numpy(self.bias_ih)
            tensors[names.bias_hh(l)] = to_numpy(self.bias_hh)
        tensors.update(recurrent_tensors(self.recurrent, l))
        return tensors

    @classmethod
    def from_schema(cls, layer: Layer, input_size: int, tensors: dict[str, np.ndarray], l: int):
        module = cls._for_layer(layer, input_size, recurrent_shapes(layer, tensors, l), layer.rank or 1,
                                names.bias_ih(l) in tensors)
        copy_into(module.weight_ih, tensors[names.weight_ih(l)])
        if module.bias_ih is not None:
            copy_into(module.bias_ih, tensors[names.bias_ih(l)])
            copy_into(module.bias_hh, tensors[names.bias_hh(l)])
        load_recurrent(module.recurrent, layer, tensors, l)
        return module

    @classmethod
    def _for_layer(cls, layer: Layer, input_size: int, factors, rank: int, bias: bool):
        return cls(input_size, layer.hidden_size, factors, rank, bias)


class RNN(_GatedLayer):
    """h_t = act(W_ih x_t + b_ih + R h_{t−1} + b_hh), act = tanh or ReLU (torch.nn.RNN)."""

    def __init__(self, input_size: int, hidden_size: int, factors=None, rank: int = 1, bias: bool = True,
                 nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {nonlinearity!r}")
        self.cell_name = f"rnn_{nonlinearity}"
        super().__init__(input_size, hidden_size, factors, rank, bias)
        self.nonlinearity = nonlinearity

    def step(self, driven, recurrent, state):
        a = driven + recurrent
        return torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)

    @classmethod
    def _for_layer(cls, layer, input_size, factors, rank, bias):
        return cls(input_size, layer.hidden_size, factors, rank, bias, layer.cell.removeprefix("rnn_"))


class LSTM(_GatedLayer):
    """Gates i, f, g, o (torch.nn.LSTM); the state is (h, c)."""

    cell_name = "lstm"

    def initial_state(self, x):
        zeros = x.new_zeros(x.shape[0], self.hidden_size)
        return zeros, zeros

    @staticmethod
    def hidden(state):
        return state[0]

    def step(self, driven, recurrent, state):
        _, c = state
        i, f, g, o = (driven + recurrent).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class GRU(_GatedLayer):
    """Gates r, z, n with n = tanh(W_in x + b_in + r ⊙ (R_n h + b_hn)) (torch.nn.GRU)."""

    cell_name = "gru"

    def step(self, driven, recurrent, h):
        x_r, x_z, x_n = driven.chunk(3, dim=-1)
        h_r, h_z, h_n = recurrent.chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h
