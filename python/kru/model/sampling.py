"""Sampling as spec/SAMPLING.md §5 defines it, and text generation as `kru sample` does it.

`sample_index` is a plain transcription of §5 (unnormalised binary64 weights, the portable exponential of
§5.1, sums in index order), so given the same binary32 logits, settings and uniform it picks the same index as
every conforming implementation. `generate` feeds a prime and samples one token per `next_double()`, exactly
like the Swift `TokenStream`: with the same model, seed and settings it writes the text `kru sample` writes,
as long as the two engines' logits round to the same decisions (they agree to about 1e-6).
"""

from __future__ import annotations

import math
import struct
from typing import Iterator, Sequence

import numpy as np

from .engine import Model
from .generator import Xoshiro256StarStar

__all__ = ["portable_exp", "sample_index", "generate", "generate_tokens"]


def _f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


# §5.1 constants
LN2_HI = _f64(0x3FE62E42FEE00000)
LN2_LO = _f64(0x3DEA39EF35793C76)
INV_LN2 = _f64(0x3FF71547652B82FE)
TAYLOR = [1.0 / math.factorial(n) for n in range(14)]      # n! is exact in binary64 for n ≤ 18


def portable_exp(x: float) -> float:
    """§5.1: e^x for x ≤ 0, within 1 ulp, the same bits on every platform."""
    if not x <= 0.0:
        raise ValueError(f"portable_exp is defined for x <= 0, not {x!r}")
    if x < -708.0:
        return 0.0
    k = round(x * INV_LN2)                  # Python rounds half to even, as the spec's roundToNearestEven
    r = (x - k * LN2_HI) - k * LN2_LO
    p = TAYLOR[13]
    for n in range(12, -1, -1):
        p = p * r + TAYLOR[n]
    return math.ldexp(p, k)                 # exact: the result is a normal number


def sample_index(logits: Sequence[float], temperature: float, top_k: int, top_p: float, u: float) -> int:
    """§5: the category chosen by the uniform u ∈ [0, 1) from binary32 `logits` (other floats are rounded to
    binary32 first) with the given temperature, top-k (0: off) and top-p (1: off)."""
    x = [float(np.float32(v)) for v in logits]
    x = [-math.inf if math.isnan(v) else v for v in x]
    n = len(x)
    if n == 0:
        raise ValueError("no logits")
    if temperature <= 0:                                                    # §5.2 greedy
        return max(range(n), key=lambda i: (x[i], -i))
    m = max(x)                                                              # §5.3 weights
    if m == math.inf:
        w = [1.0 if v == math.inf else 0.0 for v in x]
    elif m == -math.inf:
        w = [1.0] * n
    else:
        w = [0.0 if v == -math.inf else portable_exp((v - m) / temperature) for v in x]
    if 0 < top_k < n:                                                       # §5.4 top-k on the raw logits
        for i in sorted(range(n), key=lambda i: (-x[i], i))[top_k:]:
            w[i] = 0.0
    if top_p < 1:                                                           # §5.5 nucleus
        threshold = top_p * _ordered_sum(w)
        ranked = sorted((i for i in range(n) if w[i] > 0), key=lambda i: (-w[i], i))
        mass, kept = 0.0, len(ranked)
        for count, i in enumerate(ranked, start=1):
            mass += w[i]
            if mass >= threshold:
                kept = count
                break
        for i in ranked[kept:]:
            w[i] = 0.0
    target = u * _ordered_sum(w)                                            # §5.6 inverse CDF
    mass, last = 0.0, None
    for i, v in enumerate(w):
        mass += v
        if v > 0:
            last = i
        if target < mass:
            return i
    return last


def _ordered_sum(values: Sequence[float]) -> float:
    """Σ in index order, one rounding per addition (§1: the order is part of the definition)."""
    total = 0.0
    for v in values:
        total += v
    return total


def generate_tokens(model: Model, prime: Sequence[int], length: int, *, seed: int, temperature: float = 1.0,
                    top_k: int = 0, top_p: float = 1.0) -> Iterator[int]:
    """Token ids after the prime ids, one per step, as the Swift TokenStream: each sampled token consumes one
    `next_double()`; with an empty prime the first token is `next_index(V)` (the zero state has seen nothing)."""
    d = model.description
    if d.input_kind != "tokens" or d.output_kind != "categorical":
        raise ValueError("generation needs a categorical token model")
    if length < 0:
        raise ValueError("length must be 0 or more")
    if not 0 < top_p <= 1:
        raise ValueError("top_p must be in (0, 1]")
    if math.isnan(temperature):
        raise ValueError("temperature must not be NaN")
    random = Xoshiro256StarStar(seed)
    session = model.session()
    for token in prime:
        session.feed(token)
    for _ in range(length):
        if session.outputs is None:
            token = random.next_index(d.output_width)
        else:
            logits = session.outputs.astype(np.float32)     # an engine's logits are binary32 (§5)
            token = sample_index(logits, temperature, top_k, top_p, random.next_double())
        session.feed(token)
        yield token


def generate(model: Model, prime: str = "", length: int = 500, *, seed: int, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, unknown: str = "refuse") -> str:
    """The text `kru sample MODEL --prime PRIME --length LENGTH --seed SEED …` generates after the prime (the
    prime itself is not included). `unknown="skip"` drops prime tokens outside the vocabulary, as
    `--skip-unknown`."""
    tokenizer = model.tokenizer
    if tokenizer is None:
        raise ValueError("generation needs a token model")
    ids = tokenizer.encode(prime, unknown=unknown, close_last_line=False)   # generation continues the prime's line
    # The prime's last token is the context of the first generated one (a word after a word gets its space).
    return tokenizer.decode(generate_tokens(model, ids, length, seed=seed, temperature=temperature, top_k=top_k,
                                            top_p=top_p), previous=ids[-1] if ids else None)
