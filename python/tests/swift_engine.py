"""Running the Swift engine (the `kru` binary) from the tests: `kru run`, `kru sample` and `kru score`."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np


def _kru(binary: Path, *args: str, timeout: float = 600) -> str:
    result = subprocess.run([str(binary), *args], capture_output=True, text=True, encoding="utf-8",
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"kru {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def kru_run(binary: Path, model: Path, inputs: np.ndarray) -> np.ndarray:
    """The outputs `kru run MODEL --input X --output Y` writes for `inputs`."""
    with tempfile.TemporaryDirectory() as folder:
        given, written = Path(folder) / "inputs.npy", Path(folder) / "outputs.npy"
        np.save(given, inputs)
        _kru(binary, "run", str(model), "--input", str(given), "--output", str(written))
        return np.load(written)


def kru_sample(binary: Path, model: Path, prime: str, length: int, seed: int, temperature: float = 1.0,
               top_k: int = 0, top_p: float = 1.0) -> str:
    """The text `kru sample` generates after the prime (the prime is not echoed; the final newline is dropped)."""
    top = ["--top-k", str(top_k)] if top_k > 0 else []         # `kru sample` has no --top-k for "all"
    out = _kru(binary, "sample", str(model), "--prime", prime, "--length", str(length), "--seed", str(seed),
               "--temperature", repr(temperature), *top, "--top-p", repr(top_p), "--no-echo")
    assert out.endswith("\n")
    return out[:-1]


def kru_score_text(binary: Path, model: Path, text_file: Path, *options: str) -> dict:
    """`kru score MODEL TEXT --json [options]`."""
    return json.loads(_kru(binary, "score", str(model), str(text_file), "--json", *options))


def kru_score_data(binary: Path, model: Path, inputs: np.ndarray, targets: np.ndarray) -> dict:
    """`kru score MODEL --inputs X --targets Y --json`."""
    with tempfile.TemporaryDirectory() as folder:
        x, y = Path(folder) / "inputs.npy", Path(folder) / "targets.npy"
        np.save(x, inputs)
        np.save(y, targets)
        return json.loads(_kru(binary, "score", str(model), "--inputs", str(x), "--targets", str(y), "--json"))
