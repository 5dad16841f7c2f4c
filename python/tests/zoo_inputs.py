"""Fixed, seeded inputs for every model of the zoo (models/*.kru), shaped like its task, for comparing engines.

Character models get a sentence in their vocabulary and a row of random ids; copy-memory models a copy-task
sequence at their delay (tools/data/synthetic.py); the adding model an adding-problem sequence of its length;
pixel classifiers a drawn 28×28 digit and a noisy one, scanned pixel by pixel; the chorales model a seeded
four-voice piano roll. Nothing here reads data/, so the comparisons run on a fresh clone.
"""

from __future__ import annotations

import re
import sys
import zlib

import numpy as np

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools" / "data"))
import synthetic  # noqa: E402  (the copy-memory and adding tasks, written from their definitions)

SENTENCE = "And God said, Let there be light: and there was light. Emma Woodhouse, handsome, clever, and rich"


def _delay_or_length(model_name: str) -> int:
    match = re.match(r"(copy|adding)(\d+)-", model_name)
    if match is None:
        raise ValueError(f"{model_name}: no task length in the name")
    return int(match.group(2))


def _digit_image(rng: np.random.Generator) -> np.ndarray:
    """A ring (a drawn 0) with a stroke, intensities in multiples of 1/255, plus a noisy copy: [2, 784, 1]."""
    y, x = np.mgrid[0:28, 0:28]
    ring = np.exp(-((np.hypot(y - 14, (x - 14) * 1.3) - 8) ** 2) / 3)
    stroke = np.exp(-((x - y) ** 2) / 4) * (y > 6) * (y < 22)
    clean = np.clip(ring + 0.6 * stroke, 0, 1)
    noisy = np.clip(clean + rng.normal(0, 0.2, clean.shape), 0, 1)
    images = np.round(np.stack([clean, noisy]) * 255) / 255
    return images.reshape(2, 784, 1).astype(np.float32)


def _piano_roll(rng: np.random.Generator, steps: int = 64, width: int = 88) -> np.ndarray:
    """Four voices taking small random steps around a chord: [2, steps, 88] of 0/1."""
    rolls = np.zeros((2, steps, width), np.float32)
    for b in range(2):
        voices = np.array([36, 48, 55, 64]) + rng.integers(-2, 3, 4)
        for t in range(steps):
            if t % 2 == 0:
                voices = np.clip(voices + rng.integers(-2, 3, 4), 21, 87)
            rolls[b, t, voices] = 1
    return rolls


def zoo_inputs(model_name: str, model) -> np.ndarray:
    """The batch of two sequences a zoo model is compared on (token ids [2, T] or vectors [2, T, D])."""
    rng = np.random.default_rng(zlib.crc32(model_name.encode()))
    d = model.description
    if model_name.startswith("copy"):
        inputs, _ = synthetic.copy_memory(_delay_or_length(model_name), 2, rng)
        return inputs
    if model_name.startswith("adding"):
        inputs, _ = synthetic.adding(_delay_or_length(model_name), 2, rng)
        return inputs
    if d.input_kind == "tokens":
        ids = model.tokenizer.encode(SENTENCE, unknown="skip")
        return np.stack([ids, rng.integers(0, len(d.vocabulary), len(ids))]).astype(np.int64)
    if d.input_width == 1:
        return _digit_image(rng)
    if d.input_width == 88:
        return _piano_roll(rng)
    raise ValueError(f"{model_name}: no inputs defined for a vector model of width {d.input_width}")
