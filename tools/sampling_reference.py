#!/usr/bin/env python3
"""Independent reference for spec/SAMPLING.md: prints the test vectors used by the spec and by
Tests/InferenceTests/SamplingTests.swift.  Run by hand (python3 + numpy); CI uses the pasted output.

    python3 tools/sampling_reference.py

Why a second implementation: the Swift generator and sampler must not be checked against themselves.
Here the generator is written with Python integers and explicit 64-bit masking; before printing
anything it must reproduce two *published* vectors (SplitMix64 from seed 0, xoshiro256** from the
state {1, 2, 3, 4}), so the transcription itself is anchored outside this project.

The sampler cases are decided by a NumPy float64 implementation written differently from the spec's
algorithm (vectorised, normalised probabilities, np.exp, np.lexsort).  A plain-float transcription of
the spec's own arithmetic (unnormalised weights, the portable exp) must agree, and every case must
have u at least MARGIN away (relative to the total mass) from a CDF boundary and p away from a nucleus
boundary, so that last-bit differences between the two can never flip an expected index.
"""

import math
import struct

import numpy as np

MASK = (1 << 64) - 1
MARGIN = 1e-9


# --- generator ---------------------------------------------------------------------------------

def splitmix64(state):
    """One SplitMix64 step: returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    def __init__(self, seed=None, state=None):
        if state is None:
            sm, state = seed & MASK, []
            for _ in range(4):
                sm, out = splitmix64(sm)
                state.append(out)
        self.s = list(state)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_double(self):
        return (self.next() >> 11) * 2.0 ** -53

    def next_float(self):
        return (self.next() >> 40) * 2.0 ** -24  # exact in binary32 too

    def next_index(self, bound):
        """Lemire's multiply-shift with rejection; also returns how many draws were rejected."""
        rejected = 0
        m = self.next() * bound
        if (m & MASK) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (m & MASK) < threshold:
                rejected += 1
                m = self.next() * bound
        return m >> 64, rejected

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j, _ = self.next_index(i + 1)
            items[i], items[j] = items[j], items[i]

    def normal_pair(self):
        u1, u2 = self.next_double(), self.next_double()
        r = math.sqrt(-2.0 * math.log(1.0 - u1))
        theta = TWO_PI * u2
        return r * math.cos(theta), r * math.sin(theta)


def f64(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def bits64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


TWO_PI = f64(0x401921FB54442D18)

# --- portable exp (spec §5.1) ------------------------------------------------------------------

LN2_HI = f64(0x3FE62E42FEE00000)
LN2_LO = f64(0x3DEA39EF35793C76)
INV_LN2 = f64(0x3FF71547652B82FE)
TAYLOR = [1.0 / math.factorial(n) for n in range(14)]  # n! is exact in binary64 for n <= 18


def portable_exp(x):
    assert x <= 0.0
    if x < -708.0:
        return 0.0
    k = round(x * INV_LN2)  # Python rounds half to even, like Swift's .toNearestOrEven
    r = (x - k * LN2_HI) - k * LN2_LO
    p = TAYLOR[13]
    for n in range(12, -1, -1):
        p = p * r + TAYLOR[n]
    return math.ldexp(p, k)  # exact: the result is a normal number


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


def spec_sample(logits, temperature, top_k, top_p, u):
    """Plain transcription of spec §5 (unnormalised weights, portable exp, explicit loops)."""
    x = [float(np.float32(v)) for v in logits]
    x = [-math.inf if math.isnan(v) else v for v in x]
    n = len(x)
    if temperature <= 0:
        return max(range(n), key=lambda i: (x[i], -i))
    m = max(x)
    if m == math.inf:
        w = [1.0 if v == math.inf else 0.0 for v in x]
    elif m == -math.inf:
        w = [1.0] * n
    else:
        w = [0.0 if v == -math.inf else portable_exp((v - m) / temperature) for v in x]
    if 0 < top_k < n:
        ranked = sorted(range(n), key=lambda i: (-x[i], i))
        for i in ranked[top_k:]:
            w[i] = 0.0
    if top_p < 1:
        total = 0.0
        for v in w:
            total += v
        threshold = top_p * total
        ranked = sorted((i for i in range(n) if w[i] > 0), key=lambda i: (-w[i], i))
        mass, kept = 0.0, len(ranked)
        for count, i in enumerate(ranked, start=1):
            mass += w[i]
            if mass >= threshold:
                kept = count
                break
        for i in ranked[kept:]:
            w[i] = 0.0
    total = 0.0
    for v in w:
        total += v
    target = u * total
    mass, last = 0.0, None
    for i, v in enumerate(w):
        mass += v
        if v > 0:
            last = i
        if target < mass:
            return i
    return last


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


def main():
    # Anchors published outside this project.
    sm, first = 0, []
    for _ in range(4):
        sm, out = splitmix64(sm)
        first.append(out)
    assert first == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]
    published = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                 16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]
    g = Xoshiro256StarStar(state=[1, 2, 3, 4])
    assert [g.next() for _ in range(10)] == published
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
    print(", ".join(str(d) for d, _ in draws))
    bound = (1 << 62) + 1  # 2^64 mod bound = 2^62 - 3: about a quarter of raw draws are rejected
    g = Xoshiro256StarStar(7)
    draws = [g.next_index(bound) for _ in range(8)]
    assert sum(r for _, r in draws) > 0, "the rejection path must be exercised"
    print(f"## seed 7: nextIndex(below: 2^62 + 1) x 8 (raw draws rejected: {sum(r for _, r in draws)})")
    print(", ".join(str(d) for d, _ in draws))
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
