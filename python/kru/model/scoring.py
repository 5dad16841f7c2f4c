"""Scoring, with the statistics `kru score` reports: a text under a token model (NLL, bits per token, perplexity,
top-1 accuracy, KL against a reference model), or any model's outputs against labelled data.

Standard errors are s/√n with s the sample standard deviation of the per-item values (per-token values are
correlated, so read them as lower bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .engine import Model

__all__ = ["TextScore", "ModelComparison", "DataScore", "score_text", "compare", "score_data", "log_softmax"]


def log_softmax(y: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, with the maximum subtracted."""
    top = y.max(axis=-1, keepdims=True)
    shifted = y - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _mean_and_error(values: np.ndarray) -> tuple[float, float]:
    n = values.size
    if n == 0:
        return 0.0, 0.0
    mean = float(values.mean())
    return mean, float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


@dataclass(frozen=True)
class TextScore:
    """How well a token model predicts a text; every token after the first is predicted."""

    token_count: int
    mean_nll: float            # nats per token
    standard_error: float
    accuracy: float            # top-1

    @property
    def bits_per_token(self) -> float:
        return self.mean_nll / math.log(2)

    @property
    def perplexity(self) -> float:
        return math.exp(self.mean_nll)

    @property
    def perplexity_error(self) -> float:
        return self.perplexity * self.standard_error


@dataclass(frozen=True)
class ModelComparison:
    """KL(reference ‖ model) per token (nats) and how often the two agree on the most probable next token."""

    token_count: int
    mean_kl: float
    kl_standard_error: float
    top1_agreement: float


@dataclass(frozen=True)
class DataScore:
    """The head's loss on labelled data: cross-entropy (categorical, nats), binary cross-entropy per output
    (Bernoulli, nats) or squared error per output (regression), with accuracy where it means something, and for
    Bernoulli heads the NLL of a whole step (Σ over the K outputs)."""

    count: int
    mean_loss: float
    loss_standard_error: float
    accuracy: float | None
    mean_step_loss: float | None = None
    step_loss_standard_error: float | None = None


CHUNK = 4096      # steps run at once: bounds the memory of the input projections on long texts


def _token_ids(model: Model, text: str | Sequence[int], unknown: str) -> np.ndarray:
    d = model.description
    if d.input_kind != "tokens" or d.output_kind != "categorical" or d.output_steps != "every":
        raise ValueError("scoring text needs a categorical token model that predicts every step")
    tokens = model.tokenizer.encode(text, unknown=unknown) if isinstance(text, str) else list(text)
    return np.asarray(tokens, dtype=np.int64)


def _log_probabilities(model: Model, ids: np.ndarray):
    """(log p(· | ids[:t+1]) for t in a chunk, the ids of that chunk), chunk by chunk from the zero state."""
    state = None
    for start in range(0, ids.size, CHUNK):
        chunk = ids[start:start + CHUNK]
        outputs, state = model.forward(chunk[None], state)
        yield log_softmax(outputs[0]), chunk


def score_text(model: Model, text: str | Sequence[int], unknown: str = "refuse") -> TextScore:
    """Scores `text` (a string, or token ids) from the zero state, as `kru score MODEL TEXT`: every token after
    the first is predicted from those before it."""
    ids = _token_ids(model, text, unknown)
    nll, correct, done = [], 0, 0
    for log_p, chunk in _log_probabilities(model, ids[:-1]):
        targets = ids[1 + done:1 + done + chunk.size]
        nll.append(-log_p[np.arange(targets.size), targets])
        correct += int((log_p.argmax(axis=-1) == targets).sum())
        done += chunk.size
    values = np.concatenate(nll) if nll else np.zeros(0)
    mean, error = _mean_and_error(values)
    return TextScore(int(values.size), mean, error, correct / values.size if values.size else 0.0)


def compare(model: Model, reference: Model, text: str | Sequence[int], unknown: str = "refuse") -> ModelComparison:
    """KL(reference ‖ model) and top-1 agreement after every token of `text`, as `kru score --compare`."""
    if model.description.vocabulary != reference.description.vocabulary:
        raise ValueError("the models have different vocabularies")
    ids = _token_ids(model, text, unknown)
    kl, agree = [], 0
    for (q, _), (p, _) in zip(_log_probabilities(model, ids), _log_probabilities(reference, ids)):
        kl.append(np.maximum((np.exp(p) * (p - q)).sum(axis=-1), 0))
        agree += int((p.argmax(axis=-1) == q.argmax(axis=-1)).sum())
    values = np.concatenate(kl) if kl else np.zeros(0)
    mean, error = _mean_and_error(values)
    return ModelComparison(int(values.size), mean, error, agree / values.size if values.size else 0.0)


def score_data(model: Model, inputs: np.ndarray, targets: np.ndarray, lengths: Sequence[int] | None = None
               ) -> DataScore:
    """Scores the model's outputs on `inputs` (as `Model.run` takes them) against `targets`, as
    `kru score MODEL --inputs X --targets Y [--lengths L]`: class ids per prediction (categorical), 0/1 per output
    (Bernoulli) or values per output (regression). With `lengths` (per-step models) sequence b is scored at its
    first lengths[b] steps only."""
    d = model.description
    outputs = np.asarray(model.run(inputs), dtype=np.float64)
    k = d.output_width
    rows = outputs.reshape(-1, k)
    targets = np.asarray(targets, dtype=np.float64)
    scored = np.ones(rows.shape[0], bool)
    if lengths is not None:
        if d.output_steps != "every":
            raise ValueError("lengths apply to models with an output at every step")
        lengths = np.asarray(lengths)
        if lengths.size == 0 or rows.shape[0] % lengths.size:
            raise ValueError(f"{lengths.size} lengths for {rows.shape[0]} predictions")
        steps = rows.shape[0] // lengths.size
        if lengths.min() < 0 or lengths.max() > steps:
            raise ValueError(f"a length is outside 0…{steps}")
        scored = (np.arange(steps)[None, :] < lengths[:, None]).reshape(-1)
    if d.output_kind == "categorical":
        classes = targets.reshape(-1)
        if classes.size != rows.shape[0]:
            raise ValueError(f"{classes.size} class ids for {rows.shape[0]} predictions")
        if np.any((classes < 0) | (classes >= k) | (classes != np.round(classes))):
            raise ValueError(f"targets must be class ids in 0 ..< {k}")
        rows, classes = rows[scored], classes[scored].astype(np.int64)
        loss = -log_softmax(rows)[np.arange(classes.size), classes]
        mean, error = _mean_and_error(loss)
        accuracy = float((rows.argmax(axis=-1) == classes).mean()) if classes.size else None
        return DataScore(int(loss.size), mean, error, accuracy)
    values = targets.reshape(-1, k) if targets.size == rows.size else None
    if values is None:
        raise ValueError(f"{targets.size} targets for {rows.size} outputs")
    rows, values = rows[scored], values[scored]
    if d.output_kind == "bernoulli":
        if np.any((values != 0) & (values != 1)):
            raise ValueError("Bernoulli targets must be 0 or 1")
        # −log σ(y) = softplus(−y), −log(1 − σ(y)) = softplus(y): stable for any logit.
        loss = np.logaddexp(0, np.where(values == 1, -rows, rows))
        mean, error = _mean_and_error(loss.reshape(-1))
        step_mean, step_error = _mean_and_error(loss.sum(axis=-1))
        accuracy = float(((rows > 0) == (values == 1)).mean()) if values.size else None
        return DataScore(int(loss.size), mean, error, accuracy, step_mean, step_error)
    loss = (rows - values) ** 2
    mean, error = _mean_and_error(loss.reshape(-1))
    return DataScore(int(loss.size), mean, error, None)
