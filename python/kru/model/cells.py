"""The cells of spec/MODEL.md §4, each running one layer over a whole sequence.

Each function takes the layer's weights, its input x of shape [B, T, D] and its state, and returns
(the layer's output [B, T, width], the new state). States: complex h [B, N] for `kru`; h [B, N] for `rnn_*` and
`gru`; (h, c) for `lstm`. The input projections of all steps are computed at once; the recurrence runs step by
step, as it must.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kronecker import DenseRecurrence, KroneckerRecurrence
from .schema import Layer

__all__ = ["LayerWeights", "run_layer", "kru_activation", "sigmoid", "zero_state"]


@dataclass
class LayerWeights:
    """One layer's tensors (§3–§4) in double precision. `kru`: weight_ih complex [N, D], bias complex [N],
    modrelu_bias [N] (modReLU only). Real cells: weight_ih [G·N, D], bias_ih and bias_hh [G·N] (zeros when the
    file has none)."""

    layer: Layer
    weight_ih: np.ndarray
    recurrence: DenseRecurrence | KroneckerRecurrence
    bias: np.ndarray | None = None
    modrelu_bias: np.ndarray | None = None
    bias_ih: np.ndarray | None = None
    bias_hh: np.ndarray | None = None


def sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of −|x| never overflows; the two branches are the same function.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def kru_activation(name: str, z: np.ndarray, beta: np.ndarray | None) -> np.ndarray:
    """§4 `kru` activations on complex pre-activations z [B, N]."""
    if name == "modrelu":
        r = np.abs(z)
        shifted = r + beta
        keep = (shifted > 0) & (r > 0)                              # 0 where |z| + β ≤ 0, and at z = 0
        scale = np.where(keep, shifted / np.where(r > 0, r, 1), 0)
        return scale * z
    if name == "split_relu":
        return np.maximum(z.real, 0) + 1j * np.maximum(z.imag, 0)
    if name == "split_tanh":
        return np.tanh(z.real) + 1j * np.tanh(z.imag)
    raise ValueError(f"unknown kru activation {name!r}")


def zero_state(layer: Layer, batch: int, real=np.float64, complex=np.complex128):
    """§1: every layer starts from zero."""
    n = layer.hidden_size
    if layer.cell == "kru":
        return np.zeros((batch, n), complex)
    if layer.cell == "lstm":
        return np.zeros((batch, n), real), np.zeros((batch, n), real)
    return np.zeros((batch, n), real)


def run_layer(w: LayerWeights, x: np.ndarray, state):
    cell = w.layer.cell
    if cell == "kru":
        return _kru(w, x, state)
    if cell in ("rnn_tanh", "rnn_relu"):
        return _rnn(w, x, state)
    if cell == "lstm":
        return _lstm(w, x, state)
    return _gru(w, x, state)


def _kru(w: LayerWeights, x: np.ndarray, h: np.ndarray):
    """h_t = act(R_0 h_{t−1} + U x_t + b); the output is [Re h_t; Im h_t]."""
    driven = x @ w.weight_ih.T + w.bias                             # U x_t + b for every t: [B, T, N]
    outputs = []
    for t in range(x.shape[1]):
        h = kru_activation(w.layer.activation, w.recurrence.apply(h) + driven[:, t], w.modrelu_bias)
        outputs.append(np.concatenate([h.real, h.imag], axis=-1))
    return np.stack(outputs, axis=1), h


def _rnn(w: LayerWeights, x: np.ndarray, h: np.ndarray):
    """h_t = act(W_ih x_t + b_ih + R_0 h_{t−1} + b_hh), as torch.nn.RNN."""
    driven = x @ w.weight_ih.T + w.bias_ih
    act = np.tanh if w.layer.cell == "rnn_tanh" else (lambda a: np.maximum(a, 0))
    outputs = []
    for t in range(x.shape[1]):
        h = act(driven[:, t] + w.recurrence.apply(h) + w.bias_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def _lstm(w: LayerWeights, x: np.ndarray, state):
    """Gates i, f, g, o, as torch.nn.LSTM."""
    h, c = state
    n = w.layer.hidden_size
    driven = x @ w.weight_ih.T + w.bias_ih
    outputs = []
    for t in range(x.shape[1]):
        a = driven[:, t] + w.recurrence.apply(h) + w.bias_hh
        i, f, g, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), np.tanh(a[:, 2 * n:3 * n]), sigmoid(a[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), (h, c)


def _gru(w: LayerWeights, x: np.ndarray, h: np.ndarray):
    """Gates r, z, n with n = tanh(W_in x + b_in + r ⊙ (R_2 h + b_hn)), as torch.nn.GRU."""
    n = w.layer.hidden_size
    driven = x @ w.weight_ih.T + w.bias_ih
    outputs = []
    for t in range(x.shape[1]):
        a = driven[:, t]
        recurrent = w.recurrence.apply(h) + w.bias_hh
        r = sigmoid(a[:, :n] + recurrent[:, :n])
        z = sigmoid(a[:, n:2 * n] + recurrent[:, n:2 * n])
        candidate = np.tanh(a[:, 2 * n:] + r * recurrent[:, 2 * n:])
        h = (1 - z) * candidate + z * h
        outputs.append(h)
    return np.stack(outputs, axis=1), h
