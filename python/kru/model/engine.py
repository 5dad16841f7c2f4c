"""A model of spec/MODEL.md in NumPy: loading with the §6 checks, and running it (§4–§5).

By default everything runs in double precision (float64 / complex128) on the stored weights, so this is a
reference for engines that compute in single precision; `precision="single"` runs in float32 / complex64, which
shows how much single-precision rounding alone moves a model's outputs. It is written to be read next to the
spec, not for speed.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from ..format import open_kru
from ..format.spec import DTYPES_BY_NAME
from .cells import LayerWeights, run_layer, zero_state
from .kronecker import DenseRecurrence, KroneckerRecurrence
from .schema import Description, ModelSchemaError, check_tensors, names
from .tokenizer import Tokenizer

__all__ = ["Model", "load", "read_model", "Session"]

PRECISIONS = {"double": (np.float64, np.complex128), "single": (np.float32, np.complex64)}


def read_model(path: str | os.PathLike) -> tuple[Description, dict[str, np.ndarray], dict[str, tuple[str, Any]]]:
    """(description, tensors as stored, metadata {key: (type_name, value)}) of a `.kru` model. The container is
    checked (kru.format), then the schema (§6) on the metadata and the tensor directory, before any tensor is
    read. Raises KruFormatError or ModelSchemaError."""
    with open_kru(path) as f:
        metadata = {key: (type_name, value) for key, type_name, value in f.metadata}
        directory = {t.name: (DTYPES_BY_NAME[t.dtype].kind.replace("float", "real"), t.shape) for t in f.tensors}
        embedding_width = None
        if names.embedding in directory:
            shape = directory[names.embedding][1]
            if len(shape) != 2:
                raise ModelSchemaError(f"tensor input.embedding must be a matrix, has shape {list(shape)}")
            embedding_width = shape[1]
        description = Description.from_metadata(metadata, embedding_width)
        check_tensors(description, directory)
        tensors = {name: f.read_tensor(name) for name in directory}
    return description, tensors, metadata


def load(path: str | os.PathLike, precision: str = "double") -> "Model":
    """A runnable model from a `.kru` file (checked as read_model says); `precision` "double" or "single"."""
    description, tensors, metadata = read_model(path)
    return Model(description, tensors, metadata, precision=precision)


def _kind(array: np.ndarray) -> str:
    kind = np.asarray(array).dtype.kind
    return {"f": "real", "c": "complex"}.get(kind, np.asarray(array).dtype.name)


class Model:
    """A runnable model. `description` is its structure, `tokenizer` its text ↔ ids mapping (token models), and
    `metadata` every key of the file ({key: (type_name, value)})."""

    def __init__(self, description: Description, tensors: Mapping[str, np.ndarray],
                 metadata: Mapping[str, tuple[str, Any]] | None = None, precision: str = "double"):
        """`tensors` under their spec/MODEL.md names (checked against `description` by the §6 rules)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be 'double' or 'single', not {precision!r}")
        check_tensors(description, {name: (_kind(a), np.shape(a)) for name, a in tensors.items()})
        self.description = description
        self.metadata = dict(metadata or {})
        self.tokenizer: Tokenizer | None = description.tokenizer
        self.real_dtype, self.complex_dtype = PRECISIONS[precision]

        def real(name):
            return np.asarray(tensors[name], dtype=self.real_dtype)

        def cplx(name):
            return np.asarray(tensors[name], dtype=self.complex_dtype)

        self.embedding = real(names.embedding) if names.embedding in tensors else None
        self.layers: list[LayerWeights] = []
        for l, layer in enumerate(description.layers):
            convert = cplx if layer.is_complex else real
            if layer.recurrent == "dense":
                recurrence = DenseRecurrence(convert(names.weight_hh(l)))
            else:
                recurrence = KroneckerRecurrence(
                    [[[convert(names.factor(l, g, t, f)) for f in range(layer.factors)] for t in range(layer.rank)]
                     for g in range(layer.gates)])
            weights = LayerWeights(layer, convert(names.weight_ih(l)), recurrence)
            if layer.is_complex:
                weights.bias = cplx(names.kru_bias(l))
                if layer.activation == "modrelu":
                    weights.modrelu_bias = real(names.modrelu_bias(l))
            elif names.bias_ih(l) in tensors:
                weights.bias_ih, weights.bias_hh = real(names.bias_ih(l)), real(names.bias_hh(l))
            else:
                weights.bias_ih = weights.bias_hh = np.zeros(layer.gates * layer.hidden_size, self.real_dtype)
            self.layers.append(weights)
        # A tied readout's weight is the embedding itself (spec/MODEL.md §5).
        self.readout_weight = self.embedding if description.tied else real(names.readout_weight)
        self.readout_bias = real(names.readout_bias)

    # --- running

    def initial_state(self, batch: int = 1) -> list:
        """The zero state of every layer for `batch` sequences."""
        return [zero_state(w.layer, batch, self.real_dtype, self.complex_dtype) for w in self.layers]

    def layer_input(self, inputs: np.ndarray) -> np.ndarray:
        """§4.1: what layer 0 sees for token ids [B, T] (embedding rows or one-hot) or vectors [B, T, D]."""
        d = self.description
        if d.input_kind == "tokens":
            ids = np.asarray(inputs)
            if ids.ndim != 2 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
                raise ValueError(f"a token model takes integer ids of shape [B, T], not {ids.dtype} {ids.shape}")
            if ids.size and (ids.min() < 0 or ids.max() >= len(d.vocabulary)):
                raise ValueError(f"token ids must be in 0 ..< {len(d.vocabulary)}")
            table = self.embedding if self.embedding is not None else np.eye(len(d.vocabulary), dtype=self.real_dtype)
            return table[ids]
        x = np.asarray(inputs, dtype=self.real_dtype)
        if x.ndim != 3 or x.shape[2] != d.input_width:
            raise ValueError(f"a vector model takes inputs of shape [B, T, {d.input_width}], not {x.shape}")
        return x

    def forward(self, inputs: np.ndarray, state: list | None = None) -> tuple[np.ndarray, list]:
        """Runs B sequences from `state` (default: zero) and returns (outputs, new state). Outputs are the head's
        y_t (§5: logits for categorical and Bernoulli heads): [B, T, K], or [B, K] when the model outputs at the
        last step only."""
        x = self.layer_input(inputs)
        if state is None:
            state = self.initial_state(x.shape[0])
        new_state = []
        for weights, layer_state in zip(self.layers, state):
            x, layer_state = run_layer(weights, x, layer_state)
            new_state.append(layer_state)
        y = x @ self.readout_weight.T + self.readout_bias
        if self.description.output_steps == "last":
            y = y[:, -1]
        return y, new_state

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """What `kru run` computes: token ids T or B×T, or vectors T×D or B×T×D, each sequence from the zero
        state; outputs T×K / B×T×K, or K / B×K for last-step models."""
        x = np.asarray(inputs)
        unbatched = x.ndim == (1 if self.description.input_kind == "tokens" else 2)
        outputs, _ = self.forward(x[None] if unbatched else x)
        return outputs[0] if unbatched else outputs

    def session(self) -> "Session":
        """One sequence fed step by step (for sampling and scoring)."""
        return Session(self)


class Session:
    """One sequence's state: `feed` a token id (or a vector), then `outputs` holds y after it."""

    def __init__(self, model: Model):
        self.model = model
        self.state = model.initial_state(1)
        self.outputs: np.ndarray | None = None

    def feed(self, item) -> np.ndarray:
        """Feeds one token id (token models) or one input vector (vector models); returns the outputs y."""
        x = np.array([[item]]) if self.model.description.input_kind == "tokens" else np.asarray(item)[None, None]
        y, self.state = self.model.forward(x, self.state)
        self.outputs = y[0, -1] if y.ndim == 3 else y[0]
        return self.outputs
