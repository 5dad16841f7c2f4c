"""Recurrent weights as PyTorch modules: G blocks of N×N, each dense or a sum of r Kronecker products with factors
of any shapes (spec/MODEL.md §3), real or complex, applied without forming the N×N matrix.

Complex factors are kept as two real parameters (real and imaginary part), so optimizers, gradient clipping and
DistributedDataParallel's all-reduce only ever see real tensors; the arithmetic runs on complex tensors built
from them.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

__all__ = ["kron_apply", "KroneckerProduct", "RecurrentWeight", "FactorShapes", "isometry"]

# A term's factor shapes: [(P_0, Q_0), …, (P_{F−1}, Q_{F−1})].
FactorShapes = Sequence[tuple[int, int]]


def kron_apply(factors: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """M Kronecker products applied at once: factors[f] is [M, P_f, Q_f], x is [M, B, ∏Q_f]; returns
    (⊗_f factors[f][m]) x[m] for every m, [M, B, ∏P_f]. Axis f of x viewed as [B, Q_0, …, Q_{F−1}] (row-major,
    factor 0 the most significant, as numpy.kron) is multiplied by factor f."""
    m, batch = x.shape[0], x.shape[1]
    rows = [w.shape[-2] for w in factors]
    cols = [w.shape[-1] for w in factors]
    y = x
    for f, w in enumerate(factors):
        before, after = batch * math.prod(rows[:f]), math.prod(cols[f + 1:])
        y = torch.matmul(w.unsqueeze(1), y.reshape(m, before, cols[f], after))    # [M, before, P_f, after]
    return y.reshape(m, batch, math.prod(rows))


def isometry(rows: int, cols: int, complex: bool) -> torch.Tensor:
    """A Haar-random matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols): unitary when square.
    float64 or complex128, drawn from torch's global generator (so torch.manual_seed fixes it)."""
    n, k = max(rows, cols), min(rows, cols)
    if complex:
        g = torch.complex(torch.randn(n, k, dtype=torch.float64), torch.randn(n, k, dtype=torch.float64))
    else:
        g = torch.randn(n, k, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    d = torch.diagonal(r)
    q = q * (d / d.abs()).unsqueeze(0)            # fixes the phases so the distribution is Haar
    return q if rows >= cols else q.mT


class KroneckerProduct(nn.Module):
    """W_0 ⊗ … ⊗ W_{F−1} with factor shapes `shapes`: `real[f]`, plus `imag[f]` for complex factors."""

    def __init__(self, shapes: FactorShapes, complex: bool, scale: float = 1.0):
        super().__init__()
        self.shapes = [tuple(int(d) for d in s) for s in shapes]
        if not self.shapes or any(len(s) != 2 or min(s) < 1 for s in self.shapes):
            raise ValueError(f"factor shapes must be a non-empty list of (rows, columns), not {shapes!r}")
        self.complex = complex
        # The product's scale is spread evenly over the factors.
        per_factor = scale ** (1 / len(self.shapes))
        initial = [isometry(p, q, complex) * per_factor for p, q in self.shapes]
        self.real = nn.ParameterList([nn.Parameter(w.real.float().clone()) for w in initial])
        self.imag = nn.ParameterList([nn.Parameter(w.imag.float().clone()) for w in initial] if complex else [])

    @property
    def rows(self) -> int:
        return math.prod(p for p, _ in self.shapes)

    @property
    def cols(self) -> int:
        return math.prod(q for _, q in self.shapes)

    def factors(self) -> list[torch.Tensor]:
        if self.complex:
            return [torch.complex(re, im) for re, im in zip(self.real, self.imag)]
        return list(self.real)

    def matrix(self) -> torch.Tensor:
        """The explicit ∏P × ∏Q matrix (for checks on small sizes only)."""
        out = self.factors()[0]
        for w in self.factors()[1:]:            # (A ⊗ B)[i·P_B + k, j·Q_B + l] = A[i, j]·B[k, l]
            out = (out[:, None, :, None] * w[None, :, None, :]).reshape(out.shape[0] * w.shape[0], -1)
        return out

    def unitary_penalty(self) -> torch.Tensor:
        """Σ_f ‖W_fᴴW_f − I‖²_F (the KRU paper's soft constraint; for P < Q it cannot reach 0)."""
        total = 0
        for w in self.factors():
            gram = w.mH @ w
            eye = torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
            total = total + (gram - eye).abs().pow(2).sum()
        return total


def _term_shapes(factors, rank: int, gates: int, size: int) -> list[list[list[tuple[int, int]]]]:
    """shapes[g][t] for every block and term, from the user's `factors`: square sizes ([4, 4, 8]), shapes
    ([(2, 3), (3, 2)]), or everything explicit ([[shapes of term t] for each gate g])."""
    factors = list(factors)
    if all(isinstance(f, int) for f in factors):
        term = [(f, f) for f in factors]
        shapes = [[term] * rank for _ in range(gates)]
    elif all(isinstance(f, (tuple, list)) and len(f) == 2 and all(isinstance(d, int) for d in f) for f in factors):
        shapes = [[[tuple(f) for f in factors]] * rank for _ in range(gates)]
    else:
        shapes = [[[tuple(s) for s in term] for term in block] for block in factors]
        if len(shapes) != gates or any(len(block) != rank for block in shapes):
            raise ValueError(f"explicit factor shapes need {gates} blocks of {rank} terms")
    for g, block in enumerate(shapes):
        for t, term in enumerate(block):
            rows, cols = math.prod(p for p, _ in term), math.prod(q for _, q in term)
            if rows != size or cols != size:
                raise ValueError(f"block {g} term {t}: factors {term} multiply to {rows}×{cols}, not {size}×{size}")
    return shapes


class RecurrentWeight(nn.Module):
    """The recurrent matrix of one layer: `gates` blocks R_g of `size`×`size`, stacked in gate order.

    `factors=None`: dense, one [gates·size, size] matrix (`weight`, or `weight_real` and `weight_imag`), PyTorch's
    default uniform(−1/√N, 1/√N) initialisation. Otherwise each block is Σ_{t<rank} ⊗_f W_{g,t,f}, initialised with
    Haar-random isometries scaled by `scale`/√rank per term (unitary when square, rank 1 and scale 1)."""

    def __init__(self, size: int, gates: int, complex: bool, factors=None, rank: int = 1, scale: float = 1.0):
        super().__init__()
        self.size, self.gates, self.complex = size, gates, complex
        if factors is None:
            self.rank = None
            bound = 1 / math.sqrt(size)
            shape = (gates * size, size)
            if complex:
                self.weight_real = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
                self.weight_imag = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
            else:
                self.weight = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
            self.blocks = None
        else:
            if rank < 1:
                raise ValueError("rank must be at least 1")
            self.rank = rank
            shapes = _term_shapes(factors, rank, gates, size)
            self.blocks = nn.ModuleList(
                nn.ModuleList(KroneckerProduct(term, complex, scale / math.sqrt(rank)) for term in block)
                for block in shapes)

    @property
    def kronecker(self) -> bool:
        return self.blocks is not None

    @property
    def factor_count(self) -> int | None:
        """F, when every term has the same number of factors (the schema requires it)."""
        if not self.kronecker:
            return None
        counts = {len(term.shapes) for block in self.blocks for term in block}
        if len(counts) != 1:
            raise ValueError(f"terms with different numbers of factors {sorted(counts)} cannot be stored")
        return counts.pop()

    def dense(self) -> torch.Tensor:
        """The dense [gates·size, size] matrix (the parameter itself when dense; formed explicitly otherwise)."""
        if not self.kronecker:
            return torch.complex(self.weight_real, self.weight_imag) if self.complex else self.weight
        return torch.cat([sum(term.matrix() for term in block) for block in self.blocks], dim=0)

    def operator(self):
        """A function h [B, size] -> [B, gates·size] (every R_g h), with the factors stacked once, so that a
        sequence of steps reuses them: call it once per forward pass, not once per step."""
        if not self.kronecker:
            w = self.dense()
            return lambda h: h @ w.mT
        groups: dict[tuple, list[tuple[int, KroneckerProduct]]] = {}
        for g, block in enumerate(self.blocks):
            for term in block:
                groups.setdefault(tuple(term.shapes), []).append((g, term))
        stacked = []
        for members in groups.values():
            per_term = [term.factors() for _, term in members]
            factors = [torch.stack([fs[f] for fs in per_term]) for f in range(len(per_term[0]))]
            gate_index = torch.tensor([g for g, _ in members], device=factors[0].device)
            stacked.append((factors, gate_index))
        gates, size = self.gates, self.size

        def apply(h: torch.Tensor) -> torch.Tensor:
            out = None
            for factors, gate_index in stacked:
                y = kron_apply(factors, h.unsqueeze(0).expand(len(gate_index), -1, -1))
                part = y.new_zeros(gates, h.shape[0], size).index_add(0, gate_index, y)
                out = part if out is None else out + part
            return out.permute(1, 0, 2).reshape(h.shape[0], gates * size)

        return apply

    def unitary_penalty(self) -> torch.Tensor:
        """Σ over every factor of every term and block of ‖WᴴW − I‖²_F (0 for a dense recurrence)."""
        if not self.kronecker:
            return self.dense().real.new_zeros(())
        return sum(term.unitary_penalty() for block in self.blocks for term in block)
