#!/usr/bin/env python3
"""Independent reference for spec/SAMPLING.md: prints the test vectors used by the spec and by
Tests/InferenceTests/SamplingTests.swift.  Run by hand (python3 + numpy); CI uses the pasted output.

    python3 tools/sampling_reference.py

Why a second implementation: the Swift generator and sampler must not be checked against themselves.
The generator, the portable exp and the plain transcription of the sampler are the Python package's
(python/kru/model: generator.py and sampling.py, written with Python integers and explicit 64-bit
masking); before printing anything the generator must reproduce two *published* vectors (SplitMix64
from seed 0, xoshiro256** from the state {1, 2, 3, 4}), so the transcription itself is anchored
outside this project.

The sampler cases are decided by a NumPy float64 implementation written differently from the spec's
algorithm (vectorised, normalised probabilities, np.exp, np.lexsort).  A plain-float transcription of
the spec's own arithmetic (unnormalised weights, the portable exp) must agree, and every case must
have u at least MARGIN away (relative to the total mass) from a CDF boundary and p away from a nucleus
boundary, so that last-bit differences between the two can never flip an expected index.
"""

import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from kru.model.generator import Xoshiro256StarStar, splitmix64  # noqa: E402
from kru.model.sampling import portable_exp, sample_index as spec_sample  # noqa: E402

MARGIN = 1e-9


def bits64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def ulps_apart(a, b):
    return abs(bits64(a) - bits64(b))


# --- sampler: NumPy decides, the spec transcription must agree ---------------------------------

def numpy_sample(logits, temperature, top_k, top_p, u):
    """Returns (index, margin): margin = how far u (or p) is from flipping the answer."""
    x = np.asarray(logits, dtype=np.float32).astype(np.float64)
    x[np.isnan(x)] = -np.inf
    n = x.size
    if temperature <= 0:
        return int(np.flatnonzero(x == x.max())[0]), 1.0
    top = x.max()
    if top == np.inf:
        prob = (x == np.inf).astype(np.float64)
    elif top == -np.inf:
        prob = np.ones(n)
    else:
        with np.errstate(invalid="ignore"):
            prob = np.where(x == -np.inf, 0.0, np.exp((x - top) / temperature))
    prob /= prob.sum()
    keep = np.ones(n, dtype=bool)
    margin = 1.0
    if 0 < top_k < n:
        order = np.lexsort((np.arange(n), -x))  # by logit descending, then index ascending
        keep[:] = False
        keep[order[:top_k]] = True
    if top_p < 1:
        q = np.where(keep, prob, 0.0)
        q /= q.sum()
        order = np.lexsort((np.arange(n), -q))
        cum = np.cumsum(q[order])
        count = int(np.searchsorted(cum, top_p, side="left")) + 1  # first prefix with mass >= p
        count = min(max(count, 1), int(np.count_nonzero(q)))
        margin = min(margin, float(np.min(np.abs(cum[:-1] - top_p))) if n > 1 else 1.0)
        keep[:] = False
        keep[order[:count]] = True
    q = np.where(keep, prob, 0.0)
    q /= q.sum()
    cdf = np.cumsum(q)
    hits = np.flatnonzero(u < cdf)
    index = int(hits[0]) if hits.size else int(np.flatnonzero(q)[-1])  # rounding: u past the total
    inner = cdf[q > 0][:-1]  # boundaries between kept categories; u past the last one stays in it
    if inner.size:
        margin = min(margin, float(np.min(np.abs(inner - u))))
    return index, margin


INF, NAN = math.inf, math.nan
# (name, logits, temperature, top_k, top_p, u).  Logits are exact binary32 values on purpose.
SAMPLER_CASES = [
    ("plain low u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.0),
    ("plain middle", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.5),
    ("plain high u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.97),
    ("largest u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 1.0 - 2.0 ** -53),
    ("cold", [1.0, 2.0, 3.0, 0.5], 0.25, 0, 1.0, 0.9),
    ("hot", [1.0, 2.0, 3.0, 0.5], 4.0, 0, 1.0, 0.3),
    ("greedy T=0 ties", [2.0, 5.0, 5.0, 1.0], 0.0, 0, 1.0, 0.999),
    ("greedy T<0", [2.0, 5.0, 7.5, 1.0], -1.0, 0, 1.0, 0.0),
    ("top-k 2", [1.0, 2.0, 3.0, 0.5], 1.0, 2, 1.0, 0.2),
    ("top-k 2 high u", [1.0, 2.0, 3.0, 0.5], 1.0, 2, 1.0, 0.8),
    ("top-k 1 ties", [0.0, 4.0, -1.0, 4.0], 1.0, 1, 1.0, 0.99),
    ("top-k ties cut", [3.0, 1.0, 3.0, 3.0, 2.0], 1.0, 2, 1.0, 0.75),
    ("top-k > V is off", [1.0, 2.0, 3.0, 0.5], 1.0, 9, 1.0, 0.1),
    ("top-p 0.5", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 0.5, 0.3),
    ("top-p 0.8", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 0.8, 0.4),
    ("top-p tiny", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1e-9, 0.99),
    ("top-p tiny ties", [1.5, 0.25, 1.5], 1.0, 0, 1e-9, 0.99),
    ("top-k then top-p", [0.5, 2.25, -1.0, 1.75, 2.0, 0.0], 0.75, 4, 0.7, 0.6),
    ("NaN and -inf", [NAN, -INF, 1.0, 1.0], 1.0, 0, 1.0, 0.6),
    ("+inf pair", [INF, 0.0, INF], 1.0, 0, 1.0, 0.75),
    ("all -inf", [-INF, -INF, NAN, -INF, -INF], 1.0, 0, 1.0, 0.7),
    ("infinite T", [9.0, -3.0, -INF, 1.0], INF, 0, 1.0, 0.5),
    ("wide", [0.5 * ((i * 7) % 11) - 2.0 for i in range(16)], 0.8, 0, 1.0, 0.42),
    ("wide k+p", [0.5 * ((i * 7) % 11) - 2.0 for i in range(16)], 1.3, 6, 0.9, 0.77),
    # On a boundary on purpose: equal logits give weights of exactly 1, so the arithmetic is exact in both
    # implementations and these pin the rules "u·S < cumulative mass" and "nucleus mass >= p".
    ("exact CDF boundary", [0.0, 0.0, 0.0, 0.0], 1.0, 0, 1.0, 0.5),
    ("exact nucleus boundary", [0.0, 0.0, 0.0, 0.0], 1.0, 0, 0.5, 0.9),
]
EXACT = {"exact CDF boundary", "exact nucleus boundary"}


def swift_float(v):
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def check_anchors():
    """The generator against vectors published outside this project (SplitMix64 from 0, xoshiro256** from the
    state {1, 2, 3, 4}); raises AssertionError if the transcription is wrong."""
    sm, first = 0, []
    for _ in range(4):
        sm, out = splitmix64(sm)
        first.append(out)
    assert first == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]
    published = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                 16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]
    g = Xoshiro256StarStar(state=[1, 2, 3, 4])
    assert [g.next() for _ in range(10)] == published


def main():
    check_anchors()
    print("# anchors: SplitMix64(0) and xoshiro256**{1,2,3,4} match the published vectors")

    for seed in (0, 42):
        g = Xoshiro256StarStar(seed)
        print(f"\n## seed {seed}: state after seeding")
        print(", ".join(f"0x{v:016X}" for v in g.s))
        print(f"## seed {seed}: next() x 10")
        for _ in range(10):
            v = g.next()
            print(f"0x{v:016X}  {v}")

    g = Xoshiro256StarStar(42)
    print("\n## seed 42: nextDouble() x 5 (repr, exact hex)")
    for _ in range(5):
        d = g.next_double()
        print(f"{d!r}  {d.hex()}")
    g = Xoshiro256StarStar(42)
    print("## seed 42: nextFloat() x 5")
    print(", ".join(repr(g.next_float()) for _ in range(5)))

    g = Xoshiro256StarStar(7)
    draws = [g.next_index(6) for _ in range(12)]
    print("\n## seed 7: nextIndex(below: 6) x 12")
    print(", ".join(str(d) for d in draws))
    bound = (1 << 62) + 1  # 2^64 mod bound = 2^62 - 3: about a quarter of raw draws are rejected
    g = Xoshiro256StarStar(7)
    draws = [g.next_index(bound) for _ in range(8)]
    assert g.rejected > 0, "the rejection path must be exercised"
    print(f"## seed 7: nextIndex(below: 2^62 + 1) x 8 (raw draws rejected: {g.rejected})")
    print(", ".join(str(d) for d in draws))
    print(f"## seed 7: state after those draws: {', '.join(f'0x{v:016X}' for v in g.s)}")

    for seed, n in ((42, 10), (2024, 52)):
        g = Xoshiro256StarStar(seed)
        items = list(range(n))
        g.shuffle(items)
        print(f"\n## seed {seed}: shuffle of 0..<{n}")
        print(", ".join(map(str, items)))

    g = Xoshiro256StarStar(42)
    print("\n## seed 42: standard normal pairs x 3 (Box-Muller, libm-dependent in the last bits)")
    for _ in range(3):
        a, b = g.normal_pair()
        print(f"({a!r}, {b!r})")

    print("\n## portable exp: x -> bit pattern of exp(x) (and ulps from math.exp)")
    for x in (0.0, -1e-300, -0.5, -1.0, -2.5, -0.34657359027997264, -10.0, -100.0, -700.0, -708.0,
              -708.0000001, -745.2, -INF):
        y = portable_exp(x)
        print(f"{x!r}: 0x{bits64(y):016X}  ({ulps_apart(y, math.exp(x)) if y else '-'})")
    sweep = np.random.default_rng(1).uniform(-708.0, 0.0, 200_000)
    sweep = np.concatenate([sweep, np.linspace(-1.0, 0.0, 100_001)])
    worst = max(ulps_apart(portable_exp(float(x)), math.exp(float(x))) for x in sweep)
    print(f"# largest difference from math.exp over {sweep.size} points: {worst} ulp")
    assert worst <= 2

    print("\n## sampler cases: name | logits | T | top-k | top-p | u -> index   (margin)")
    rows = []
    for name, logits, t, k, p, u in SAMPLER_CASES:
        expected, margin = numpy_sample(logits, t, k, p, u)
        assert spec_sample(logits, t, k, p, u) == expected, name
        assert margin > MARGIN or name in EXACT, (name, margin)
        rows.append((name, logits, t, k, p, u, expected))
        print(f"{name} | {logits} | {t} | {k} | {p} | {u!r} -> {expected}   ({margin:.3g})")
    print("\n## as Swift literals")
    for name, logits, t, k, p, u, expected in rows:
        ls = ", ".join(swift_float(v) for v in logits)
        print(f'.init("{name}", [{ls}], {swift_float(t)}, {k}, {swift_float(p)}, {u!r}, {expected}),')


if __name__ == "__main__":
    main()
