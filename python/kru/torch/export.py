"""`.kru` files from and to PyTorch modules: `save` writes a RecurrentModel as a spec/MODEL.md model the Swift engine
runs; `load` builds the module back; `to_numpy_model` hands it to kru.model without a file."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .. import __version__
from ..format import write_kru
from ..model.engine import Model, read_model
from ..model.schema import Description, check_tensors, names
from .gated import GRU, LSTM, RNN
from .kru_layer import KRU
from .model import LanguageModel, RecurrentModel
from .schema_io import copy_into, to_numpy

__all__ = ["save", "load", "to_numpy_model", "schema_tensors"]

_LAYERS = {"kru": KRU, "rnn_tanh": RNN, "rnn_relu": RNN, "lstm": LSTM, "gru": GRU}


def _unwrap(model: nn.Module) -> RecurrentModel:
    """The RecurrentModel inside DistributedDataParallel / DataParallel wrappers."""
    while not isinstance(model, RecurrentModel):
        inner = getattr(model, "module", None)
        if inner is None:
            raise TypeError(f"expected a kru.torch.RecurrentModel, got {type(model).__name__}")
        model = inner
    return model


def schema_tensors(model: nn.Module, vocabulary: Sequence[str] | None = None
                   ) -> tuple[Description, dict[str, np.ndarray]]:
    """The model's description and its tensors under their spec/MODEL.md names (float32 / complex64, on the CPU),
    checked against the schema's rules."""
    model = _unwrap(model)
    if model.vocabulary_size is not None and vocabulary is None and model.vocabulary is None:
        raise ValueError("a token model needs its vocabulary to be saved: save(model, path, vocabulary=…)")
    description = model.description(vocabulary)
    tensors: dict[str, np.ndarray] = {}
    if model.embedding is not None:
        tensors[names.embedding] = to_numpy(model.embedding.weight)
    for l, layer in enumerate(model.layers):
        tensors.update(layer.schema_tensors(l))
    tensors[names.readout_weight] = to_numpy(model.readout.weight)
    tensors[names.readout_bias] = to_numpy(model.readout.bias)
    kinds = {name: ("complex" if np.iscomplexobj(a) else "real", a.shape) for name, a in tensors.items()}
    check_tensors(description, kinds)
    return description, tensors


def save(model: nn.Module, path: str | os.PathLike, vocabulary: Sequence[str] | None = None, *,
         name: str | None = None, metadata: Mapping[str, Any] | None = None) -> int:
    """Writes `model` (a RecurrentModel, also inside DistributedDataParallel) as a `.kru` model file, atomically;
    returns its size in bytes. `vocabulary` is required for token models that were built without one. `name`
    goes into general.name (default: the file name without its extension); `metadata` adds keys (e.g.
    {"kru.train.steps": 1000, "general.license": "MIT"}). Weights are stored as float32 / complex64."""
    description, tensors = schema_tensors(model, vocabulary)
    entries: list[tuple[str, Any]] = [
        ("general.name", name or os.path.splitext(os.path.basename(os.fspath(path)))[0]),
        ("general.creation_tool", f"kru.torch {__version__} (torch {torch.__version__})"),
    ]
    schema_keys = [key for key, _ in description.metadata()]
    for key, value in (metadata or {}).items():
        if key in schema_keys or key in ("general.name", "general.creation_tool"):
            raise ValueError(f"metadata {key} is written by save itself")
        entries.append((key, value))
    entries += description.metadata()
    order = {"input.embedding": 0, "readout.weight": 2, "readout.bias": 3}
    ordered = sorted(tensors.items(), key=lambda item: order.get(item[0], 1))        # stable within layers
    return write_kru(path, entries, ordered)


def _build(description: Description, tensors: Mapping[str, np.ndarray]) -> RecurrentModel:
    # The modules know one-scalar character tokens and a readout of their own; building a words or bytes model (or a
    # tied one) into them would save it back as something else, so such a model is refused rather than changed.
    if description.input_kind == "tokens" and (description.tokenizer_kind != "characters" or description.tied):
        what = "a tied readout" if description.tokenizer_kind == "characters" else \
            f"a {description.tokenizer_kind} vocabulary" + (" and a tied readout" if description.tied else "")
        raise ValueError(f"kru.torch builds character models with their own readout weight; this model has {what} "
                         "(run it with kru.model.load instead)")
    layers = []
    for l, layer in enumerate(description.layers):
        layers.append(_LAYERS[layer.cell].from_schema(layer, description.layer_input_width(l), tensors, l))
    common = dict(embedding_dim=description.embedding_width)
    if (description.input_kind == "tokens" and description.output_kind == "categorical"
            and description.output_steps == "every"):
        model = LanguageModel(description.vocabulary, layers, **common)
    else:
        model = RecurrentModel(layers, description.output_width, output_kind=description.output_kind,
                               output_steps=description.output_steps, vocabulary=description.vocabulary,
                               input_size=description.input_width, **common)
    if model.embedding is not None:
        copy_into(model.embedding.weight, tensors[names.embedding])
    copy_into(model.readout.weight, tensors[names.readout_weight])
    copy_into(model.readout.bias, tensors[names.readout_bias])
    return model


def load(path: str | os.PathLike) -> RecurrentModel:
    """The module a `.kru` model file describes, with its weights (float32): a LanguageModel for next-token models,
    a RecurrentModel otherwise. The file is checked as kru.model.load checks it (container, then schema)."""
    description, tensors, _ = read_model(path)
    return _build(description, tensors)


def to_numpy_model(model: nn.Module, vocabulary: Sequence[str] | None = None, precision: str = "double") -> Model:
    """The kru.model engine on this module's weights, as `save` would store them (without writing a file)."""
    description, tensors = schema_tensors(model, vocabulary)
    return Model(description, tensors, precision=precision)
