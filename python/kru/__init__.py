"""kru — Kronecker Recurrent Units in Python: the `.kru` model format (`kru.format`), a NumPy reference engine
(`kru.model`) and PyTorch layers that export to `.kru` (`kru.torch`, with the `torch` extra).

The Swift command-line tool `kru` runs, samples and scores the same files; see docs/PYTHON.md.
"""

__version__ = "0.1.0"

from . import format, model  # noqa: E402,F401  (kru.torch is imported on demand: it needs PyTorch)

__all__ = ["format", "model", "__version__"]
