"""`pip install ./python` builds and installs the package from pyproject.toml with its standard backend: every
module of the source tree is in the installed copy, NumPy is the only required dependency, and the installed
package works on its own (outside the source tree)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import pytest

from conftest import PYTHON_DIR

try:
    import tomllib
except ImportError:                                 # Python 3.10
    tomllib = None


def test_metadata_declares_numpy_as_the_only_requirement():
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    project = tomllib.loads((PYTHON_DIR / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["numpy>=1.24"]
    assert [r.split(">")[0] for r in project["optional-dependencies"]["torch"]] == ["torch"]


def can_build_wheels_offline() -> bool:
    """setuptools 70.1 or later builds wheels by itself; older ones need the `wheel` package."""
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(part) for part in setuptools.__version__.split(".")[:2] if part.isdigit())
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


def test_pip_installs_every_module(tmp_path):
    if not can_build_wheels_offline():
        pytest.skip("building without a network needs setuptools >= 70.1 (or the wheel package) installed")
    source_copy, target = tmp_path / "python", tmp_path / "site"      # the build writes next to its sources
    shutil.copytree(PYTHON_DIR, source_copy, ignore=shutil.ignore_patterns(
        "tests", "__pycache__", ".pytest_cache", "build", "*.egg-info", "test_*.py"))
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                             "--no-index", "--quiet", "--target", str(target), str(source_copy)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    source = sorted(p.relative_to(PYTHON_DIR).as_posix() for p in (PYTHON_DIR / "kru").rglob("*.py"))
    installed = sorted(p.relative_to(target).as_posix() for p in (target / "kru").rglob("*.py"))
    assert installed == source
    # The installed copy works on its own, without the source tree on the path.
    check = ("import kru, kru.format, kru.model, sys; assert kru.__file__.startswith(sys.argv[1]); "
             "print(kru.__version__)")
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, sys.argv[1]); {check}",
                          str(target)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.strip(), run.stderr
