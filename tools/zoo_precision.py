#!/usr/bin/env python3
"""What storing the zoo's embeddings and readouts at 16-bit precision costs: test score and file size per model.

For every model of models/zoo.json the script writes two copies with `kru quantize` — input.embedding and
readout.weight (those the model has) stored as f16, then as bf16 — scores the original and both copies with the
model's own `kru score` arguments from the manifest, and prints a Markdown table: the headline metric at full
precision, its change in each copy, the file sizes, and whether the change is negligible by this rule:

    bits/char (text models)         |change| < 0.005 bits/char
    accuracy (classifiers)          unchanged: as many test examples classified correctly
    mean loss, NLL per frame        the relative change is < 1%

`--resave` then replaces each model by the smaller of its copies that pass (written atomically); regenerate the
cards afterwards (tools/zoo_cards.py, tools/zoo_plots.py).
Once the zoo is narrowed the originals are gone from the working tree: `--originals REV` reads them from that git
revision instead, so the table can be made again after the re-save.

`--int8 NAME` estimates, for one model, what int8 storage with one scale per row would add: the rows of the
embedding and readout are rounded to int8 (scale = max |row| / 127), the file is scored with the dequantized
values, and its size is that of a file holding the int8 tensors and their f32 scales (the format has no such
model type; the size is what one would take).

Usage (from anywhere; needs a release build and the test data, see tools/zoo_cards.py --fetch-commands):

    python3 tools/zoo_precision.py [--kru .build/release/kru] [--only NAME] [--originals REV] [--resave]
    python3 tools/zoo_precision.py --int8 kjv-kru512 [--originals REV]

NumPy and the repository's Python package (python/kru) are needed for --int8 and to read tensor names.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "python"))
import zoo_cards as zc  # noqa: E402

NARROWED = {"input.embedding": "embedding", "readout.weight": "readout"}
TARGETS = ["f16", "bf16"]
BITS_PER_CHAR_TOLERANCE = 0.005
RELATIVE_LOSS_TOLERANCE = 0.01


@dataclass
class Measurement:
    """One file's test score (the headline metric, unrounded) and size."""
    value: float
    bytes: int


def headline_value(score: dict[str, Any], headline: str) -> float:
    """The unrounded headline metric from `kru score --json`, which names it as the manifest does."""
    if headline not in score:
        raise zc.ZooError(f"`kru score --json` reports no {headline!r} (it reports {', '.join(sorted(score))})")
    return float(score[headline])


def negligible(headline: str, full: float, narrowed: float, count: int) -> bool:
    """Whether narrowing moved the headline metric by a negligible amount (the rule in the module docstring).
    `count` is the number of test examples scored (for accuracy: a changed class moves it by 1/count)."""
    if headline == "bits_per_char":
        return abs(narrowed - full) < BITS_PER_CHAR_TOLERANCE
    if headline in ("accuracy", "top1_accuracy"):
        if count <= 0:  # with no examples every accuracy would "round" to the same count and pass
            raise zc.ZooError(f"{headline}: no test examples were counted, so no change can be judged")
        return round(narrowed * count) == round(full * count)
    return abs(narrowed - full) < RELATIVE_LOSS_TOLERANCE * abs(full)


def rule(headline: str) -> str:
    """The threshold as the table's legend states it."""
    if headline == "bits_per_char":
        return f"< {BITS_PER_CHAR_TOLERANCE} bits/char"
    if headline in ("accuracy", "top1_accuracy"):
        return "same accuracy"
    return f"< {RELATIVE_LOSS_TOLERANCE:.0%} relative"


def choose(headline: str, full: Measurement, copies: dict[str, Measurement], count: int) -> str | None:
    """The type to re-save with: of the copies whose change is negligible, the smaller file (bf16's shorter
    mantissa often compresses better than f16's); None when neither passes."""
    passing = [t for t in TARGETS if negligible(headline, full.value, copies[t].value, count)]
    return min(passing, key=lambda t: (copies[t].bytes, TARGETS.index(t)), default=None)


def fmt_value(headline: str, value: float) -> str:
    if headline in ("accuracy", "top1_accuracy"):
        return f"{100 * value:.2f}%"
    return f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.3e}"


def signed(x: float, digits: int) -> str:
    """`x` with a sign and `digits` decimals; what rounds to zero is shown as 0 (no '-0.0000')."""
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def fmt_change(headline: str, full: float, value: float) -> str:
    if headline == "bits_per_char":
        return signed(value - full, 4)
    if headline in ("accuracy", "top1_accuracy"):
        return f"{signed(100 * (value - full), 2)} pt"
    return f"{signed(100 * (value - full) / full, 2)}%" if full else f"{value - full:+.3e}"


# ---------------------------------------------------------------------------------------------------------------


def original_file(model: dict[str, Any], revision: str | None, scratch: Path) -> Path:
    """The model's file as committed at `revision`, or in the working tree."""
    path = Path("models") / model["file"]
    if revision is None:
        return REPO / path
    copy = scratch / f"original-{model['file']}"
    with open(copy, "wb") as out:
        done = subprocess.run(["git", "show", f"{revision}:{path.as_posix()}"], cwd=REPO, stdout=out,
                              stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise zc.ZooError(f"git show {revision}:{path.as_posix()}: {done.stderr.decode().strip()}")
    return copy


def narrowable(path: Path) -> list[str]:
    """The tensors this script narrows that the model has, as `kru quantize --tensors` words."""
    from kru import format as kf
    with kf.open_kru(path) as f:
        names = {t.name for t in f.tensors}
    return [word for name, word in NARROWED.items() if name in names]


def score(kru: str, path: Path, model: dict[str, Any]) -> tuple[Measurement, int]:
    """The headline metric of the file on the model's test set, its size, and the number of examples scored."""
    result = zc.run_kru_json(kru, ["score", "--json", str(path), *model["score"]], REPO)
    count = int(result.get("count", result.get("tokens", 0)))
    return Measurement(headline_value(result, model["headline"]), path.stat().st_size), count


def quantize(kru: str, source: Path, words: list[str], target: str, output: Path) -> None:
    zc.run_kru(kru, ["quantize", str(source), "--tensors", ",".join(words), "--to", target, "-o", str(output)], REPO)


def measure_model(kru: str, model: dict[str, Any], revision: str | None, scratch: Path, resave: bool) -> str:
    """One table row; with `resave`, the model file is replaced by the chosen copy."""
    source = original_file(model, revision, scratch)
    words = narrowable(source)
    if not words:
        raise zc.ZooError(f"{model['name']} has neither input.embedding nor readout.weight")
    full, count = score(kru, source, model)
    copies: dict[str, Measurement] = {}
    for target in TARGETS:
        copy = scratch / f"{model['name']}-{target}.kru"
        quantize(kru, source, words, target, copy)
        copies[target] = score(kru, copy, model)[0]
    chosen = choose(model["headline"], full, copies, count)
    if resave and chosen is not None:
        replace_atomically(scratch / f"{model['name']}-{chosen}.kru", REPO / "models" / model["file"])
    headline = model["headline"]
    cells = [model["name"], "+".join(words), headline.replace("_", " "), fmt_value(headline, full.value)]
    cells += [fmt_change(headline, full.value, copies[t].value) for t in TARGETS]
    cells += [zc.fmt_int(full.bytes)] + [zc.fmt_int(copies[t].bytes) for t in TARGETS]
    cells.append(f"{chosen} ({rule(headline)})" if chosen else f"kept f32 ({rule(headline)} fails)")
    return "| " + " | ".join(cells) + " |"


def replace_atomically(source: Path, target: Path) -> None:
    """`target` becomes a copy of `source`: copied beside it, then renamed over it."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def table(rows: list[str]) -> str:
    head = ("| model | narrowed | metric | full precision | Δ f16 | Δ bf16 | bytes | bytes f16 | bytes bf16 "
            "| stored as |")
    return "\n".join([head, "|---|---|---|---|---|---|---|---|---|---|", *rows])


# ---------------------------------------------------------------------------------------------------------------


def int8_rows(matrix):
    """Each row rounded to int8 with its own scale max|row| / 127 (an all-zero row gets scale 1)."""
    import numpy as np
    largest = np.abs(matrix).max(axis=1)
    scales = np.where(largest > 0, largest / 127, 1).astype(np.float32)
    q = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)
    return q, scales


def dequantize(q, scales):
    import numpy as np
    return (q.astype(np.float32) * scales[:, None]).astype(np.float32)


def int8_estimate(kru: str, model: dict[str, Any], revision: str | None, scratch: Path) -> str:
    from kru import format as kf
    from zoo_metadata import tensor_value
    source = original_file(model, revision, scratch)
    with kf.open_kru(source) as f:
        metadata = [(key, value) for key, _, value in f.metadata]
        tensors = [(t.name, f.read_tensor(t.name) if t.name in NARROWED else tensor_value(f, t)) for t in f.tensors]
    dequantized, stored = [], []
    for name, array in tensors:
        if name in NARROWED:
            q, scales = int8_rows(array.astype("float32"))
            dequantized.append((name, dequantize(q, scales)))
            stored += [(name, q), (name + ".scale", scales)]
        else:
            dequantized.append((name, array))
            stored.append((name, array))
    simulated, layout = scratch / "int8-dequantized.kru", scratch / "int8-layout.kru"
    kf.write_kru(simulated, metadata, dequantized)
    kf.write_kru(layout, metadata, stored)
    headline = model["headline"]
    full = score(kru, source, model)[0]
    lines = [f"{model['name']}: embedding and readout, {headline.replace('_', ' ')} on the test set",
             f"  f32   {fmt_value(headline, full.value)}  {zc.fmt_int(full.bytes)} bytes"]
    sixteen = {}
    for target in TARGETS:
        copy = scratch / f"{target}.kru"
        quantize(kru, source, narrowable(source), target, copy)
        sixteen[target] = score(kru, copy, model)[0]
        lines.append(f"  {target:<5} {fmt_value(headline, sixteen[target].value)} "
                     f"({fmt_change(headline, full.value, sixteen[target].value)})  "
                     f"{zc.fmt_int(sixteen[target].bytes)} bytes")
    eight, size = score(kru, simulated, model)[0], layout.stat().st_size
    against = ", ".join(f"{100 * (size - sixteen[t].bytes) / sixteen[t].bytes:+.1f}% against {t}" for t in TARGETS)
    lines.append(f"  int8  {fmt_value(headline, eight.value)} ({fmt_change(headline, full.value, eight.value)})  "
                 f"{zc.fmt_int(size)} bytes (int8 rows + f32 scales; {against})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kru", help="the kru binary (default: .build/release/kru in the repository)")
    parser.add_argument("--only", metavar="NAME", help="measure only this model")
    parser.add_argument("--originals", metavar="REV", help="read the models from this git revision")
    parser.add_argument("--resave", action="store_true", help="replace the models whose narrowed copy passes")
    parser.add_argument("--int8", metavar="NAME", help="estimate int8 storage with per-row scales for this model")
    options = parser.parse_args(argv)
    kru = str(REPO / ".build/release/kru") if options.kru is None else str(Path(options.kru).resolve())
    try:
        models = zc.load_manifest(REPO / zc.MANIFEST)["models"]
        wanted = options.int8 or options.only
        selected = [m for m in models if wanted in (None, m["name"])]
        if not selected:
            raise zc.ZooError(f"no model named {wanted!r} in {zc.MANIFEST}")
        with tempfile.TemporaryDirectory(prefix="zoo_precision.") as folder:
            if options.int8:
                print(int8_estimate(kru, selected[0], options.originals, Path(folder)))
                return 0
            rows = []
            for model in selected:
                rows.append(measure_model(kru, model, options.originals, Path(folder), options.resave))
                print(rows[-1], file=sys.stderr, flush=True)
        print(table(rows))
        return 0
    except zc.ZooError as error:
        print(f"zoo_precision: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
