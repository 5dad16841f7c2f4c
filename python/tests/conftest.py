"""Shared set-up of the package's tests: the source tree's `kru` comes first on the path (so the tests check this
checkout, not an older installed copy), and the `kru` command-line binary is found or built for the tests that
compare with the Swift engine.

Environment:
- KRU_BINARY=/path/to/kru   use this binary instead of building one with `swift build --product kru`;
- KRU_REQUIRE_TORCH=1       fail, instead of skipping, the tests of kru.torch when PyTorch is missing (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
ROOT = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a Python subprocess that must import this checkout's `kru`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PYTHON_DIR), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def require_torch():
    """`torch`, or a skip (a failure when KRU_REQUIRE_TORCH=1) saying how to get it."""
    try:
        import torch
    except ImportError:
        message = ('needs PyTorch: pip install "torch==2.13.0+cpu" (or pip install "./python[torch]"); '
                   "scripts/setup installs it")
        if os.environ.get("KRU_REQUIRE_TORCH") == "1":
            pytest.fail(message + " (KRU_REQUIRE_TORCH=1)")
        pytest.skip(message, allow_module_level=True)
    # The tests' models are tiny: more threads only contend with each other (and with other jobs).
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def kru_binary() -> Path:
    """The `kru` executable of this checkout. `swift build --product kru` is run first (a no-op when `swift test`
    or `swift build` has just built it), so the Swift engine compared against is never a stale build."""
    if os.environ.get("KRU_BINARY"):
        path = Path(os.environ["KRU_BINARY"])
        if not os.access(path, os.X_OK):
            pytest.fail(f"KRU_BINARY={path} is not an executable")
        return path
    if shutil.which("swift") is None:
        pytest.fail("these tests run the Swift engine: they need `swift` on PATH (to run `swift build --product "
                    "kru` in the repository) or KRU_BINARY=/path/to/kru")
    build = subprocess.run(["swift", "build", "--product", "kru"], cwd=ROOT, capture_output=True, text=True,
                           timeout=3600)
    if build.returncode != 0:
        pytest.fail(f"`swift build --product kru` failed in {ROOT}:\n{build.stdout[-3000:]}{build.stderr[-3000:]}")
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    return Path(bin_dir) / "kru"
