"""Whole models in the shape of spec/MODEL.md: an input (token ids through an embedding or one-hot, or vectors),
a stack of recurrent layers (KRU, RNN, LSTM, GRU — mixed freely), a linear readout and a head. `kru.torch.save`
writes exactly this structure to a `.kru` file."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..model.schema import Description, ModelSchemaError
from ..model.tokenizer import Tokenizer
from .gated import GRU, LSTM, RNN
from .kru_layer import KRU

__all__ = ["RecurrentModel", "LanguageModel", "next_token_loss", "detach_state"]


class RecurrentModel(nn.Module):
    """`layers` (each taking the previous one's output: `layers[l].input_size == layers[l-1].output_size`) between an
    input and a readout to `output_size` outputs.

    Input: token ids [B, T] when `vocabulary` (the token strings, one character each) or `vocabulary_size` is
    given — through an `embedding_dim`-wide nn.Embedding, or one-hot without it — else vectors [B, T, input_size].
    Head: `output_kind` "categorical" (logits of a softmax), "bernoulli" (logits of independent sigmoids) or
    "regression"; `output_steps` "every" or "last" (only after the last step, e.g. sequence classification).
    `dropout` applies between layers and before the readout during training only (it is not part of the schema:
    an exported model runs without it, as in eval mode)."""

    def __init__(self, layers: Sequence[nn.Module], output_size: int, *, vocabulary: Sequence[str] | None = None,
                 vocabulary_size: int | None = None, embedding_dim: int | None = None, input_size: int | None = None,
                 output_kind: str = "categorical", output_steps: str = "every", dropout: float = 0.0):
        super().__init__()
        if vocabulary is not None:
            vocabulary = list(Tokenizer(vocabulary).vocabulary)
            if vocabulary_size not in (None, len(vocabulary)):
                raise ValueError(f"vocabulary_size {vocabulary_size} but {len(vocabulary)} tokens given")
            vocabulary_size = len(vocabulary)
        self.vocabulary = vocabulary
        self.vocabulary_size = vocabulary_size
        if (vocabulary_size is None) == (input_size is None):
            raise ValueError("give a vocabulary (token models) or an input_size (vector models), not both")
        if embedding_dim is not None and vocabulary_size is None:
            raise ValueError("an embedding needs a token model")
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim) if embedding_dim is not None else None
        width = embedding_dim or vocabulary_size or input_size
        self.input_size = width
        if not layers:
            raise ValueError("a model has at least one layer")
        for l, layer in enumerate(layers):
            if layer.input_size != width:
                raise ValueError(f"layer {l} takes inputs of width {layer.input_size}, but gets {width}")
            width = layer.output_size
        self.layers = nn.ModuleList(layers)
        self.readout = nn.Linear(width, output_size)
        self.output_kind, self.output_steps = output_kind, output_steps
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.description()                      # checks the kinds and sizes against the schema now, not at export

    def description(self, vocabulary: Sequence[str] | None = None) -> Description:
        """The model's structure as spec/MODEL.md describes it. Token models need their vocabulary (the model's
        own, or `vocabulary`); without one, placeholder tokens stand in for the check."""
        vocabulary = list(vocabulary) if vocabulary is not None else self.vocabulary
        if self.vocabulary_size is not None:
            if vocabulary is None:
                vocabulary = [chr(0xE000 + i) for i in range(self.vocabulary_size)]     # private-use placeholders
            if len(vocabulary) != self.vocabulary_size:
                raise ModelSchemaError(f"{len(vocabulary)} tokens for a model of {self.vocabulary_size}")
        return Description(
            input_kind="tokens" if self.vocabulary_size is not None else "vectors",
            layers=tuple(layer.schema_layer() for layer in self.layers),
            output_kind=self.output_kind, output_width=self.readout.out_features, output_steps=self.output_steps,
            vocabulary=tuple(vocabulary) if vocabulary is not None else None,
            input_width=None if self.vocabulary_size is not None else self.input_size,
            embedding_width=self.embedding.embedding_dim if self.embedding is not None else None)

    def initial_state(self):
        """The zero state (None per layer: each layer starts from zero)."""
        return [None] * len(self.layers)

    def forward(self, x: torch.Tensor, state: list | None = None) -> tuple[torch.Tensor, list]:
        """x: token ids [B, T] or vectors [B, T, D]. Returns (y, state): y the head's logits / predictions,
        [B, T, K] or [B, K] for last-step models; state per layer, to continue the sequences (detach it for
        truncated backpropagation through time)."""
        if self.vocabulary_size is not None:
            h = self.embedding(x) if self.embedding is not None else \
                F.one_hot(x, self.vocabulary_size).to(self.readout.weight.dtype)
        else:
            h = x
        state = self.initial_state() if state is None else state
        new_state = []
        for layer, layer_state in zip(self.layers, state):
            if self.dropout is not None and layer is not self.layers[0]:
                h = self.dropout(h)
            h, layer_state = layer(h, layer_state)
            new_state.append(layer_state)
        if self.output_steps == "last":
            h = h[:, -1]
        if self.dropout is not None:
            h = self.dropout(h)
        return self.readout(h), new_state

    def unitary_penalty(self) -> torch.Tensor:
        """Σ ‖WᴴW − I‖²_F over every Kronecker factor of every layer (the soft unitary constraint of the KRU paper,
        applied as `kru train` does); add λ times it to the loss."""
        return sum(layer.unitary_penalty() for layer in self.layers)


def detach_state(state):
    """The state with the graph cut (for truncated backpropagation through time)."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


class LanguageModel(RecurrentModel):
    """A next-token model over `vocabulary` (single characters today): token ids in, a categorical distribution
    over the vocabulary out at every step.

        lm = LanguageModel.build(sorted(set(text)), cell="kru", hidden_size=512, factors=[2] * 9, embedding_dim=32)
        loss, state = lm.loss(ids, state)           # ids [B, T+1]: predicts ids[:, 1:] from ids[:, :-1]
    """

    def __init__(self, vocabulary: Sequence[str], layers: Sequence[nn.Module], embedding_dim: int | None = None,
                 dropout: float = 0.0):
        super().__init__(layers, len(vocabulary), vocabulary=vocabulary, embedding_dim=embedding_dim,
                         dropout=dropout)

    @classmethod
    def build(cls, vocabulary: Sequence[str], cell: str = "kru", hidden_size: int = 128, num_layers: int = 1,
              factors=None, rank: int = 1, embedding_dim: int | None = None, activation: str = "modrelu",
              dropout: float = 0.0) -> "LanguageModel":
        """`num_layers` layers of one `cell` ("kru", "lstm", "gru", "rnn_tanh", "rnn_relu"), each N = `hidden_size`
        with the same `factors` (None: dense) and `rank`."""
        width = embedding_dim or len(vocabulary)
        layers = []
        for _ in range(num_layers):
            if cell == "kru":
                layer = KRU(width, hidden_size, factors, rank, activation)
            elif cell in ("lstm", "gru"):
                layer = (LSTM if cell == "lstm" else GRU)(width, hidden_size, factors, rank)
            elif cell in ("rnn_tanh", "rnn_relu"):
                layer = RNN(width, hidden_size, factors, rank, nonlinearity=cell.removeprefix("rnn_"))
            else:
                raise ValueError(f"cell must be kru, lstm, gru, rnn_tanh or rnn_relu, not {cell!r}")
            layers.append(layer)
            width = layer.output_size
        return cls(vocabulary, layers, embedding_dim, dropout)

    @property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self.vocabulary)

    def loss(self, ids: torch.Tensor, state: list | None = None) -> tuple[torch.Tensor, list]:
        """next_token_loss(self, ids, state)."""
        return next_token_loss(self, ids, state)


def next_token_loss(model: nn.Module, ids: torch.Tensor, state: list | None = None) -> tuple[torch.Tensor, list]:
    """Mean cross-entropy (nats per token) of predicting ids[:, 1:] from ids[:, :-1], and the state after
    ids[:, :-1] (detached: the next chunk continues from it without backpropagating into this one). `model` is a
    LanguageModel or a wrapper of one (DistributedDataParallel: call it through the wrapper so that the
    gradients are averaged across processes)."""
    logits, state = model(ids[:, :-1], state)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    return loss, detach_state(state)
