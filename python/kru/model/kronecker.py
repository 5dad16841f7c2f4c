"""Recurrent matrices of spec/MODEL.md §3: dense, or each block a sum of Kronecker products — applied without
ever forming the N×N matrix.

For factors W_f of shape [P_f, Q_f], (W_0 ⊗ … ⊗ W_{F−1}) x treats x (length ∏Q_f) as a row-major tensor of
shape [Q_0, …, Q_{F−1}] (factor 0 the most significant digit, as numpy.kron) and multiplies each axis f by W_f:
F small matrix products, O(N·ΣP_f) work instead of O(N²).
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Sequence

import numpy as np

__all__ = ["kron_apply", "DenseRecurrence", "KroneckerRecurrence"]


def kron_apply(factors: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """(⊗_f factors[f]) applied to each row of x: x is [B, ∏Q_f], the result [B, ∏P_f]."""
    batch = x.shape[0]
    rows = [w.shape[0] for w in factors]
    cols = [w.shape[1] for w in factors]
    y = x
    for f, w in enumerate(factors):
        # Axes before f already hold output digits (P), axes after f still hold input digits (Q).
        before, after = batch * math.prod(rows[:f]), math.prod(cols[f + 1:])
        y = np.matmul(w, y.reshape(before, cols[f], after))        # [P_f, Q_f] @ [before, Q_f, after]
    return y.reshape(batch, math.prod(rows))


class DenseRecurrence:
    """`weight_hh` of shape [G·N, N], gate blocks stacked."""

    def __init__(self, matrix: np.ndarray):
        self.matrix = matrix

    def apply(self, h: np.ndarray) -> np.ndarray:
        """[B, N] -> [B, G·N]: every block R_g h, stacked in gate order."""
        return h @ self.matrix.T

    def blocks(self) -> list[np.ndarray]:
        n = self.matrix.shape[1]
        return [self.matrix[g * n:(g + 1) * n] for g in range(self.matrix.shape[0] // n)]


class KroneckerRecurrence:
    """`terms[g][t]` is the list of factors of term t of block g: R_g = Σ_t ⊗_f terms[g][t][f]."""

    def __init__(self, terms: Sequence[Sequence[Sequence[np.ndarray]]]):
        self.terms = [[list(term) for term in block] for block in terms]

    def apply(self, h: np.ndarray) -> np.ndarray:
        """[B, N] -> [B, G·N]: every block R_g h, stacked in gate order."""
        return np.concatenate([sum(kron_apply(term, h) for term in block) for block in self.terms], axis=-1)

    def blocks(self) -> list[np.ndarray]:
        """The explicit N×N blocks (for checks on small models only: N² memory)."""
        return [sum(reduce(np.kron, term) for term in block) for block in self.terms]
