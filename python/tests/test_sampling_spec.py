"""kru.model's generator and sampler against spec/SAMPLING.md: the published anchors, the spec's own §7 test
vectors (parsed from the spec text), and an independent NumPy sampler (tools/sampling_reference.py's
`numpy_sample`: normalised probabilities, np.exp, np.lexsort) on the spec's cases and on random ones."""

from __future__ import annotations

import math
import re
import struct
import sys

import numpy as np
import pytest

from kru.model import Xoshiro256StarStar, portable_exp, sample_index
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import sampling_reference as reference  # noqa: E402

SPEC = (ROOT / "spec" / "SAMPLING.md").read_text(encoding="utf-8")


def spec_blocks() -> dict[str, list[str]]:
    """§7's code blocks as {label line: the data lines under it}."""
    section = SPEC[SPEC.index("## 7. Test vectors"):]
    blocks: dict[str, list[str]] = {}
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        label = None
        for line in block.splitlines():
            if re.match(r"seed \d+: ", line) or line.endswith("→ index  (margin)") or line.startswith("name "):
                label = line
                blocks[label] = []
            elif label is not None and line.strip():
                blocks[label].append(line)
    return blocks


BLOCKS = spec_blocks()


def numbers(label: str) -> list[int]:
    return [int(v, 0) for line in BLOCKS[label] for v in re.findall(r"\b(?:0x[0-9A-F]+|\d+)\b", line)]


def test_published_anchors():
    reference.check_anchors()


@pytest.mark.parametrize("seed", [0, 42])
def test_spec_generator_vectors(seed):
    g = Xoshiro256StarStar(seed)
    assert g.s == numbers(f"seed {seed}: state after seeding")
    expected = numbers(f"seed {seed}: next() x 10")          # hex then decimal on each line
    assert [g.next() for _ in range(10)] == expected[0::2] == expected[1::2]


def test_spec_uniform_and_index_vectors():
    g = Xoshiro256StarStar(42)
    hexes = [line.split()[1] for line in BLOCKS["seed 42: nextDouble() x 5 (repr, exact hex)"]]
    assert [g.next_double() for _ in range(5)] == [float.fromhex(h) for h in hexes]
    g = Xoshiro256StarStar(42)
    floats = [float(v) for v in BLOCKS["seed 42: nextFloat() x 5"][0].split(", ")]
    assert [g.next_float() for _ in range(5)] == floats
    g = Xoshiro256StarStar(7)
    assert [g.next_index(6) for _ in range(12)] == numbers("seed 7: nextIndex(below: 6) x 12")
    g = Xoshiro256StarStar(7)
    label = next(k for k in BLOCKS if k.startswith("seed 7: nextIndex(below: 2^62 + 1)"))
    assert [g.next_index((1 << 62) + 1) for _ in range(8)] == numbers(label)
    assert g.rejected == int(re.search(r"rejected: (\d+)", label).group(1)) > 0
    state_line = next(k for k in BLOCKS if k.startswith("seed 7: state after those draws"))
    assert g.s == [int(v, 16) for v in re.findall(r"0x([0-9A-F]+)", state_line)]


@pytest.mark.parametrize("seed,n", [(42, 10), (2024, 52)])
def test_spec_shuffle_vectors(seed, n):
    g = Xoshiro256StarStar(seed)
    items = list(range(n))
    g.shuffle(items)
    assert items == numbers(f"seed {seed}: shuffle of 0..<{n}")


def test_spec_normal_vectors():
    g = Xoshiro256StarStar(42)
    label = next(k for k in BLOCKS if k.startswith("seed 42: pairs x 3"))
    for line in BLOCKS[label]:
        a, b = (float(v) for v in line.strip("()").split(", "))
        x, y = g.normal_pair()
        assert abs(x - a) < 1e-14 and abs(y - b) < 1e-14      # libm-dependent in the last bits (§4.2)


def test_spec_exp_vectors():
    section = SPEC[SPEC.index("### 7.5"):SPEC.index("### 7.6")]
    rows = re.findall(r"^(-?[\d.e-]+|-inf): 0x([0-9A-F]{16})", section, re.M)
    assert len(rows) >= 12
    for x, bits in rows:
        assert struct.pack("<d", portable_exp(float(x))) == struct.pack("<Q", int(bits, 16)), x


def test_exp_is_within_one_ulp_of_libm():
    xs = np.concatenate([np.random.default_rng(3).uniform(-708, 0, 20_000), np.linspace(-1, 0, 10_001)])
    worst = max(reference.ulps_apart(portable_exp(float(x)), math.exp(float(x))) for x in xs)
    assert worst <= 1


def test_spec_sampler_cases():
    """Every row of the §7.6 table (the spec's own cases, also used by the Swift tests)."""
    table = BLOCKS[next(k for k in BLOCKS if k.startswith("name "))]
    wide = [float(v) for v in re.search(r"W = \[(.*)\]", "\n".join(table)).group(1).split(", ")]
    cases = 0
    for line in table:
        if "->" not in line:
            continue
        name, logits, t, k, p, rest = (field.strip() for field in line.split("|"))
        u, index = re.match(r"(\S+)\s+->\s+(\d+)", rest).groups()
        values = wide if logits == "W" else [float(v) for v in logits.strip("[]").split(", ")]
        assert sample_index(values, float(t), int(k), float(p), float(u)) == int(index), name
        cases += 1
    assert cases == len(reference.SAMPLER_CASES)


def test_random_cases_against_the_independent_numpy_sampler():
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(3000):
        n = int(rng.integers(1, 40))
        logits = (rng.normal(0, 3, n)).astype(np.float32)
        if rng.random() < 0.2:
            logits[rng.integers(0, n, 2)] = logits[0]                     # ties
        t = float(rng.choice([0.0, 0.5, 1.0, 1.7, math.inf]))
        k = int(rng.choice([0, 1, 3, n, n + 2]))
        p = float(rng.choice([1.0, 0.9, 0.5, 0.1]))
        u = float(rng.random())
        expected, margin = reference.numpy_sample(logits.tolist(), t, k, p, u)
        if margin <= 1e-9:
            continue                    # too close to a boundary for an implementation with other roundings
        assert sample_index(logits, t, k, p, u) == expected, (logits, t, k, p, u)
        checked += 1
    assert checked > 2500


def test_generator_refuses_bad_states_and_bounds():
    with pytest.raises(ValueError):
        Xoshiro256StarStar(state=[0, 0, 0, 0])
    with pytest.raises(ValueError):
        Xoshiro256StarStar()
    with pytest.raises(ValueError):
        Xoshiro256StarStar(1).next_index(0)
