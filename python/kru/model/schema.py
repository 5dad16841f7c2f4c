"""The model schema of spec/MODEL.md, in one place for everything in this package that reads or writes models.

`Description` is a model's structure as its metadata declares it (§2); `tensor_shapes` lists every tensor the
schema names for a description, with its shape and whether it is complex (§3–§5); `check_tensors` applies the
§6 rules to a file's tensor directory before any tensor is read. `kru.model` runs what passes; `kru.torch`
writes its modules through `Description.metadata()` and `tensor_shapes`, so a file it writes is checked by the
same rules it will be read with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from .tokenizer import TOKENIZERS, Tokenizer, VocabularyError

__all__ = [
    "SCHEMA_VERSION", "CELLS", "ACTIVATIONS", "OUTPUT_KINDS", "OUTPUT_STEPS", "ModelSchemaError", "Layer",
    "Description", "TensorSpec", "tensor_shapes", "check_tensors", "names",
]

SCHEMA_VERSION = 2          # the newest version this package reads (§7); it writes the lowest that fits
CELLS = {"kru": 1, "rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}     # cell -> recurrent blocks G (§3)
ACTIVATIONS = ("modrelu", "split_relu", "split_tanh")
RECURRENCES = ("dense", "kronecker")
INPUT_KINDS = ("tokens", "vectors")
OUTPUT_KINDS = ("categorical", "bernoulli", "regression")
OUTPUT_STEPS = ("every", "last")
MAX_SIZE = 1 << 24          # hidden_size, output.width, vocabulary size, input.width
MAX_COUNT = 64              # layer_count, recurrent_rank, recurrent_factors


class ModelSchemaError(ValueError):
    """A `.kru` file that is a valid container but not a valid model (§6); the message names the key or tensor."""


class names:
    """The tensor names of §3–§5 (one definition, for readers and writers)."""

    embedding = "input.embedding"
    readout_weight = "readout.weight"
    readout_bias = "readout.bias"

    @staticmethod
    def weight_ih(l: int) -> str:
        return f"layer.{l}.weight_ih"

    @staticmethod
    def bias_ih(l: int) -> str:
        return f"layer.{l}.bias_ih"

    @staticmethod
    def bias_hh(l: int) -> str:
        return f"layer.{l}.bias_hh"

    @staticmethod
    def weight_hh(l: int) -> str:
        """The dense recurrent matrix, gate blocks stacked."""
        return f"layer.{l}.weight_hh"

    @staticmethod
    def factor(l: int, g: int, t: int, f: int) -> str:
        """Factor f of Kronecker term t of recurrent block g."""
        return f"layer.{l}.weight_hh.{g}.{t}.{f}"

    @staticmethod
    def kru_bias(l: int) -> str:
        return f"layer.{l}.bias"

    @staticmethod
    def modrelu_bias(l: int) -> str:
        return f"layer.{l}.modrelu_bias"


@dataclass(frozen=True)
class Layer:
    """One recurrent layer (§2, §3): `activation` only for `kru` cells, `rank`/`factors` only for `kronecker`."""

    cell: str
    hidden_size: int
    recurrent: str = "dense"
    activation: str | None = None
    rank: int | None = None
    factors: int | None = None

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ModelSchemaError(f"cell {self.cell!r} is not one of {', '.join(CELLS)}")
        if (self.activation is not None) != (self.cell == "kru"):
            raise ModelSchemaError("an activation is given for kru cells, and only for them")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise ModelSchemaError(f"activation {self.activation!r} is not one of {', '.join(ACTIVATIONS)}")
        if self.recurrent not in RECURRENCES:
            raise ModelSchemaError(f"recurrent {self.recurrent!r} is not dense or kronecker")
        if (self.rank is not None or self.factors is not None) != (self.recurrent == "kronecker"):
            raise ModelSchemaError("rank and factors are given for kronecker recurrences, and only for them")

    @property
    def gates(self) -> int:
        return CELLS[self.cell]

    @property
    def is_complex(self) -> bool:
        return self.cell == "kru"

    @property
    def output_size(self) -> int:
        """What the layer passes on: [Re h; Im h] for kru cells (2N), h otherwise (N)."""
        return 2 * self.hidden_size if self.is_complex else self.hidden_size


@dataclass(frozen=True)
class Description:
    """A model's structure (§2). `vocabulary` and `tokenizer_kind` (§4.2) for token models, `input_width` for
    vector models; `embedding_width` is the width of `input.embedding` (None: one-hot input); `tied` says that the
    readout weight is the embedding (§5)."""

    input_kind: str
    layers: tuple[Layer, ...]
    output_kind: str
    output_width: int
    output_steps: str = "every"
    vocabulary: tuple[str, ...] | None = None
    input_width: int | None = None
    embedding_width: int | None = None
    tokenizer_kind: str = "characters"
    tied: bool = False

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        if self.vocabulary is not None:
            object.__setattr__(self, "vocabulary", tuple(self.vocabulary))
        if self.input_kind == "tokens":
            if self.vocabulary is None or self.input_width is not None:
                raise ModelSchemaError("a token model has a vocabulary and no input width")
            if self.tokenizer_kind not in TOKENIZERS:
                raise ModelSchemaError(f"kru.input.tokenizer is {self.tokenizer_kind!r}; expected one of "
                                       f"{', '.join(TOKENIZERS)}")
            try:
                Tokenizer(self.vocabulary, self.tokenizer_kind)
            except VocabularyError as e:
                raise ModelSchemaError(f"kru.input.vocabulary: {e}") from None
            _check_range("kru.input.vocabulary size", len(self.vocabulary), MAX_SIZE)
        elif self.input_kind == "vectors":
            if self.input_width is None or self.vocabulary is not None or self.embedding_width is not None:
                raise ModelSchemaError("a vector model has an input width, no vocabulary and no embedding")
            _check_range("kru.input.width", self.input_width, MAX_SIZE)
        else:
            raise ModelSchemaError(f"kru.input.kind is {self.input_kind!r}; expected tokens or vectors")
        if self.embedding_width is not None and self.embedding_width < 1:
            raise ModelSchemaError(f"the embedding width is {self.embedding_width}; at least 1")
        _check_range("kru.layer_count", len(self.layers), MAX_COUNT)
        for l, layer in enumerate(self.layers):
            _check_range(f"kru.layer.{l}.hidden_size", layer.hidden_size, MAX_SIZE)
            if layer.recurrent == "kronecker":
                _check_range(f"kru.layer.{l}.recurrent_rank", layer.rank, MAX_COUNT)
                _check_range(f"kru.layer.{l}.recurrent_factors", layer.factors, MAX_COUNT)
        if self.output_kind not in OUTPUT_KINDS:
            raise ModelSchemaError(f"kru.output.kind is {self.output_kind!r}; expected one of {OUTPUT_KINDS}")
        if self.output_steps not in OUTPUT_STEPS:
            raise ModelSchemaError(f"kru.output.steps is {self.output_steps!r}; expected every or last")
        _check_range("kru.output.width", self.output_width, MAX_SIZE)
        if (self.input_kind == "tokens" and self.output_kind == "categorical" and self.output_steps == "every"
                and self.output_width != len(self.vocabulary)):
            raise ModelSchemaError(f"kru.output.width is {self.output_width} but the vocabulary has "
                                   f"{len(self.vocabulary)} tokens (a next-token model predicts the vocabulary)")
        if self.tied and (self.embedding_width is None
                          or self.embedding_width != self.layers[-1].output_size
                          or self.output_width != len(self.vocabulary)):
            raise ModelSchemaError("kru.output.tied needs an input.embedding of shape [output.width, the last "
                                   "layer's output width], the shape of readout.weight")

    @property
    def schema_version(self) -> int:
        """The lowest version that expresses this model (§7): 2 for `words`/`bytes` tokenizers and tied readouts."""
        return 2 if self.tied or (self.input_kind == "tokens" and self.tokenizer_kind != "characters") else 1

    # --- derived sizes (§4.1)

    @property
    def first_input_width(self) -> int:
        """Layer 0's input width: the embedding width, the vocabulary size (one-hot) or the vector width."""
        if self.input_kind == "vectors":
            return self.input_width
        return self.embedding_width if self.embedding_width is not None else len(self.vocabulary)

    def layer_input_width(self, l: int) -> int:
        return self.first_input_width if l == 0 else self.layers[l - 1].output_size

    @property
    def tokenizer(self) -> Tokenizer | None:
        return Tokenizer(self.vocabulary, self.tokenizer_kind) if self.vocabulary is not None else None

    # --- metadata (§2)

    def metadata(self) -> list[tuple[str, Any]]:
        """The §2 entries that declare this structure, in the order the Swift writer uses."""
        from ..format import Array
        version = self.schema_version
        entries: list[tuple[str, Any]] = [("kru.schema_version", version), ("kru.input.kind", self.input_kind)]
        if self.input_kind == "tokens":
            entries.append(("kru.input.vocabulary", Array("string", self.vocabulary)))
            if version >= 2:
                entries.append(("kru.input.tokenizer", self.tokenizer_kind))
        else:
            entries.append(("kru.input.width", self.input_width))
        entries.append(("kru.layer_count", len(self.layers)))
        for l, layer in enumerate(self.layers):
            p = f"kru.layer.{l}."
            entries += [(p + "cell", layer.cell), (p + "hidden_size", layer.hidden_size)]
            if layer.activation is not None:
                entries.append((p + "activation", layer.activation))
            entries.append((p + "recurrent", layer.recurrent))
            if layer.recurrent == "kronecker":
                entries += [(p + "recurrent_rank", layer.rank), (p + "recurrent_factors", layer.factors)]
        entries += [("kru.output.kind", self.output_kind), ("kru.output.width", self.output_width),
                    ("kru.output.steps", self.output_steps)]
        if self.tied:
            entries.append(("kru.output.tied", True))
        return entries

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, tuple[str, Any]], embedding_width: int | None = None
                      ) -> "Description":
        """Reads §2 from `metadata` ({key: (type_name, value)}, as kru.format reads it). Keys that do not apply
        to the model's kinds are ignored, as §2 says."""
        keys = _Keys(metadata)
        version = keys.int("kru.schema_version", 1, None)
        if version > SCHEMA_VERSION:
            raise ModelSchemaError(f"model schema is v{version}, this reader reads v{SCHEMA_VERSION}")
        if version == 1:
            for key in ("kru.input.tokenizer", "kru.output.tied"):
                if key in metadata:
                    raise ModelSchemaError(f"metadata {key} needs kru.schema_version 2; this file declares 1, whose "
                                           "readers would ignore it")
        input_kind = keys.choice("kru.input.kind", INPUT_KINDS)
        vocabulary = input_width = None
        tokenizer_kind = "characters"
        if input_kind == "tokens":
            vocabulary = keys.strings("kru.input.vocabulary")
            if "kru.input.tokenizer" in metadata:
                tokenizer_kind = keys.choice("kru.input.tokenizer", TOKENIZERS)
        else:
            input_width = keys.int("kru.input.width", 1, MAX_SIZE)
        layers = []
        for l in range(keys.int("kru.layer_count", 1, MAX_COUNT)):
            p = f"kru.layer.{l}."
            cell = keys.choice(p + "cell", tuple(CELLS))
            hidden = keys.int(p + "hidden_size", 1, MAX_SIZE)
            activation = keys.choice(p + "activation", ACTIVATIONS) if cell == "kru" else None
            recurrent = keys.choice(p + "recurrent", RECURRENCES)
            rank = factors = None
            if recurrent == "kronecker":
                rank = keys.int(p + "recurrent_rank", 1, MAX_COUNT)
                factors = keys.int(p + "recurrent_factors", 1, MAX_COUNT)
            layers.append(Layer(cell, hidden, recurrent, activation, rank, factors))
        return cls(input_kind=input_kind, layers=tuple(layers),
                   output_kind=keys.choice("kru.output.kind", OUTPUT_KINDS),
                   output_width=keys.int("kru.output.width", 1, MAX_SIZE),
                   output_steps=keys.choice("kru.output.steps", OUTPUT_STEPS),
                   vocabulary=vocabulary, input_width=input_width,
                   embedding_width=embedding_width if input_kind == "tokens" else None,
                   tokenizer_kind=tokenizer_kind,
                   tied=keys.bool("kru.output.tied") if "kru.output.tied" in metadata else False)


def _check_range(what: str, value: int | None, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
        raise ModelSchemaError(f"{what} is {value!r}; 1 to {high} allowed")


class _Keys:
    """Typed access to the metadata, each failure naming the key."""

    def __init__(self, metadata: Mapping[str, tuple[str, Any]]):
        self.metadata = metadata

    def _get(self, key: str, type_name: str) -> Any:
        if key not in self.metadata:
            raise ModelSchemaError(f"metadata {key} is missing")
        actual, value = self.metadata[key]
        if actual != type_name:
            raise ModelSchemaError(f"metadata {key} must be a{'n' if type_name[0] in 'ai' else ''} {type_name}, "
                                   f"is a {actual}")
        return value

    def int(self, key: str, low: int, high: int | None) -> int:
        value = self._get(key, "int")
        if value < low or (high is not None and value > high):
            allowed = f"{low}…{high}" if high is not None else f"at least {low}"
            raise ModelSchemaError(f"metadata {key} is {value}; {allowed} allowed")
        return value

    def bool(self, key: str) -> bool:
        return self._get(key, "bool")

    def choice(self, key: str, allowed: Sequence[str]) -> str:
        value = self._get(key, "string")
        if value not in allowed:
            raise ModelSchemaError(f"metadata {key} is {value!r}; expected one of {', '.join(allowed)}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, "array")
        if value.element_type != "string":
            raise ModelSchemaError(f"metadata {key} must be an array of strings, has {value.element_type} elements")
        return tuple(value)


# ----------------------------------------------------------------------------------------------------------------
# Tensors (§3–§5)

@dataclass(frozen=True)
class TensorSpec:
    """A tensor the schema names: its shape (None for Kronecker factors, whose shapes are free) and kind."""

    name: str
    shape: tuple[int, ...] | None
    complex: bool
    optional: bool = False


def tensor_shapes(description: Description, has_embedding: bool, has_biases: Sequence[bool] | None = None
                  ) -> Iterator[TensorSpec]:
    """Every tensor of §3–§5 for `description`, in the order a writer stores them. `has_biases[l]` says whether
    real-cell layer l has its optional bias pair (default: yes)."""
    if has_embedding:
        yield TensorSpec(names.embedding, (len(description.vocabulary), description.embedding_width), False)
    for l, layer in enumerate(description.layers):
        n, g, d = layer.hidden_size, layer.gates, description.layer_input_width(l)
        if layer.is_complex:
            yield TensorSpec(names.weight_ih(l), (n, d), True)
            yield TensorSpec(names.kru_bias(l), (n,), True)
            if layer.activation == "modrelu":
                yield TensorSpec(names.modrelu_bias(l), (n,), False)
        else:
            yield TensorSpec(names.weight_ih(l), (g * n, d), False)
            if has_biases is None or has_biases[l]:
                yield TensorSpec(names.bias_ih(l), (g * n,), False)
                yield TensorSpec(names.bias_hh(l), (g * n,), False)
        if layer.recurrent == "dense":
            yield TensorSpec(names.weight_hh(l), (g * n, n), layer.is_complex)
        else:
            for gate in range(g):
                for t in range(layer.rank):
                    for f in range(layer.factors):
                        yield TensorSpec(names.factor(l, gate, t, f), None, layer.is_complex)
    width = description.layers[-1].output_size
    if not description.tied:  # a tied readout's weight is input.embedding (§5)
        yield TensorSpec(names.readout_weight, (description.output_width, width), False)
    yield TensorSpec(names.readout_bias, (description.output_width,), False)


def check_tensors(description: Description, tensors: Mapping[str, tuple[str, tuple[int, ...]]]) -> None:
    """The §6 rules on a file's tensor directory ({name: (kind, shape)} with kind "real", "complex" or another
    word for integer types), before any tensor is read. Raises ModelSchemaError naming the tensor at fault."""
    has_embedding = names.embedding in tensors
    if has_embedding and description.input_kind != "tokens":
        raise ModelSchemaError("tensor input.embedding is only allowed for token models")
    if description.tied and not has_embedding:
        raise ModelSchemaError("kru.output.tied is true but tensor input.embedding, the readout weight, is missing")
    has_biases = []
    for l, layer in enumerate(description.layers):
        ih, hh = names.bias_ih(l) in tensors, names.bias_hh(l) in tensors
        if not layer.is_complex and ih != hh:
            raise ModelSchemaError(f"layer {l}: {names.bias_ih(l)} and {names.bias_hh(l)} go together (both or "
                                   "neither)")
        has_biases.append(ih)
    used = set()
    for spec in tensor_shapes(description, has_embedding, has_biases):
        if spec.name not in tensors:
            raise ModelSchemaError(f"tensor {spec.name} is missing")
        kind, shape = tensors[spec.name]
        wanted = "complex" if spec.complex else "real"
        if kind != wanted:
            raise ModelSchemaError(f"tensor {spec.name} is {kind}; a {wanted} floating-point type is required")
        if spec.shape is None:
            if len(shape) != 2 or 0 in shape:
                raise ModelSchemaError(f"tensor {spec.name} has shape {list(shape)}; a Kronecker factor is a "
                                       "non-empty matrix")
        elif tuple(shape) != spec.shape:
            raise ModelSchemaError(f"tensor {spec.name} has shape {list(shape)}, expected {list(spec.shape)}")
        used.add(spec.name)
    unused = sorted(set(tensors) - used)
    if unused:
        raise ModelSchemaError(f"tensors not part of the model schema: {', '.join(unused[:5])}"
                               + (f" and {len(unused) - 5} more" if len(unused) > 5 else ""))
    for l, layer in enumerate(description.layers):
        if layer.recurrent != "kronecker":
            continue
        for g in range(layer.gates):
            for t in range(layer.rank):
                shapes = [tensors[names.factor(l, g, t, f)][1] for f in range(layer.factors)]
                rows, cols = math.prod(s[0] for s in shapes), math.prod(s[1] for s in shapes)
                if rows != layer.hidden_size or cols != layer.hidden_size:
                    raise ModelSchemaError(f"layer {l} gate {g} term {t}: factors multiply to {rows}×{cols}, not "
                                           f"{layer.hidden_size}×{layer.hidden_size}")
