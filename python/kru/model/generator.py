"""The seeded generator of spec/SAMPLING.md §2–§4: xoshiro256** seeded by SplitMix64, and the draws built on it.

Written with Python integers and explicit 64-bit masking, so every draw is bit for bit what the spec defines
(and what the Swift `KRURandom` produces) on every platform.
"""

from __future__ import annotations

import math
import struct
from typing import MutableSequence

__all__ = ["Xoshiro256StarStar", "splitmix64", "TWO_PI"]

MASK = (1 << 64) - 1


def _f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


TWO_PI = _f64(0x401921FB54442D18)       # §4.2


def splitmix64(state: int) -> tuple[int, int]:
    """One SplitMix64 step (§2.2): returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    """The generator of §2. `Xoshiro256StarStar(seed)` seeds from a 64-bit value (§2.2);
    `Xoshiro256StarStar(state=[s0, s1, s2, s3])` restores a saved state (§2.3). `rejected` counts the raw draws
    `next_index` has rejected so far."""

    def __init__(self, seed: int | None = None, state: list[int] | None = None):
        if (seed is None) == (state is None):
            raise ValueError("give a seed or a state")
        if state is None:
            sm, state = seed & MASK, []
            for _ in range(4):
                sm, out = splitmix64(sm)
                state.append(out)
        elif len(state) != 4 or not any(state) or any(not 0 <= s <= MASK for s in state):
            raise ValueError("a state is four 64-bit words, not all zero")
        self.s = list(state)
        self.rejected = 0

    def next(self) -> int:
        """§2.1: one 64-bit output."""
        s = self.s
        result = (_rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def next_double(self) -> float:
        """§3: a multiple of 2⁻⁵³ in [0, 1)."""
        return (self.next() >> 11) * 2.0 ** -53

    def next_float(self) -> float:
        """§3: a multiple of 2⁻²⁴ in [0, 1) (exact in binary32)."""
        return (self.next() >> 40) * 2.0 ** -24

    def next_index(self, bound: int) -> int:
        """§3: Lemire's multiply-shift with rejection; exactly uniform in [0, bound)."""
        if bound < 1:
            raise ValueError("bound must be at least 1")
        m = self.next() * bound
        if (m & MASK) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (m & MASK) < threshold:
                self.rejected += 1
                m = self.next() * bound
        return m >> 64

    def shuffle(self, items: MutableSequence) -> None:
        """§4.1: Fisher–Yates from the end, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.next_index(i + 1)
            items[i], items[j] = items[j], items[i]

    def normal_pair(self) -> tuple[float, float]:
        """§4.2: two standard normal values (Box–Muller in binary64)."""
        u1, u2 = self.next_double(), self.next_double()
        r = math.sqrt(-2.0 * math.log(1.0 - u1))
        theta = TWO_PI * u2
        return r * math.cos(theta), r * math.sin(theta)
