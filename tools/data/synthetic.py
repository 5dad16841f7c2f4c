#!/usr/bin/env python3
"""Test sets for the synthetic tasks, so `kru score` can score copy-memory and adding models.

Written from the task definitions (Arjovsky, Shah & Bengio 2016, as docs/TRAINING.md and reference/data-sources.md
§9.5 state them) with NumPy's generator — independently of the Swift trainer, which draws its own batches from
KRURandom; only the definitions are shared, not the random streams.

Copy memory, delay T: tokens 0 = blank, 1..8 = data symbols, 9 = delimiter (the model's vocabulary "_12345678:").
A sequence has T + 20 steps: input x_0..x_9, blank x (T - 1), delimiter, blank x 10; target blank x (T + 10), x_0..x_9.
Writes OUT/copy-T/{inputs,targets}.npy: int64, count x (T + 20).

Adding, length T: input (value, marker) pairs, values uniform in [0, 1), markers 0 except one 1 uniformly placed in
the first floor(T/2) steps and one in the rest; target the sum of the two marked values. Writes
OUT/adding-T/inputs.npy (float32, count x T x 2) and targets.npy (float32, count x 1).

Usage: python3 tools/data/synthetic.py --copy 500 --adding 400 [--count 1000] [--seed 20260101] [--out data/synthetic]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from datautil import main_wrapper, write_sums

RECALL = 10
BLANK, DELIMITER = 0, 9


def copy_memory(delay: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets (count x (delay + 20) token ids) of the copy-memory task."""
    if delay < 1 or count < 1:
        raise ValueError("the delay and the count must be at least 1")
    length = delay + 2 * RECALL
    symbols = rng.integers(1, 9, size=(count, RECALL))
    inputs = np.full((count, length), BLANK, dtype=np.int64)
    targets = np.full((count, length), BLANK, dtype=np.int64)
    inputs[:, :RECALL] = symbols
    inputs[:, delay + RECALL - 1] = DELIMITER
    targets[:, delay + RECALL:] = symbols
    return inputs, targets


def adding(length: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (count x length x 2) and targets (count x 1) of the adding problem."""
    if length < 2 or count < 1:
        raise ValueError("the adding problem needs at least 2 steps and 1 sequence")
    half = length // 2
    values = rng.random((count, length))
    first = rng.integers(0, half, size=count)
    second = rng.integers(half, length, size=count)
    markers = np.zeros((count, length))
    rows = np.arange(count)
    markers[rows, first] = 1
    markers[rows, second] = 1
    inputs = np.stack([values, markers], axis=2).astype(np.float32)
    targets = (inputs[rows, first, 0].astype(np.float64) + inputs[rows, second, 0]).astype(np.float32)[:, None]
    return inputs, targets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--copy", type=int, action="append", default=[], help="a copy-memory delay T (repeatable)")
    ap.add_argument("--adding", type=int, action="append", default=[], help="an adding-problem length T (repeatable)")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--out", type=Path, default=Path("data/synthetic"))
    args = ap.parse_args()
    jobs = [("copy", t, copy_memory) for t in args.copy] + [("adding", t, adding) for t in args.adding]
    for name, t, make in jobs:
        out = args.out / f"{name}-{t}"
        out.mkdir(parents=True, exist_ok=True)
        # One generator per task and T, seeded from (seed, T): adding another T never changes an existing set.
        inputs, targets = make(t, args.count, np.random.default_rng([args.seed, t, 0 if name == "copy" else 1]))
        np.save(out / "inputs.npy", inputs)
        np.save(out / "targets.npy", targets)
        write_sums(out, ["inputs.npy", "targets.npy"])
        print(f"  {out}: inputs {inputs.shape} {inputs.dtype}, targets {targets.shape} {targets.dtype}")


if __name__ == "__main__":
    main_wrapper(main)
