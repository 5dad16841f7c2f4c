"""`kru.torch` — KRU layers for PyTorch that train at scale and export to `.kru` (install with `pip install
"./python[torch]"`).

    import kru.torch as kt

    lm = kt.LanguageModel.build(vocabulary, cell="kru", hidden_size=512, factors=[2] * 9, embedding_dim=32)
    loss, state = lm.loss(batch)                     # then loss + λ·lm.unitary_penalty(), backward, step
    kt.save(lm, "kjv.kru")                           # runs in the Swift engine: kru sample kjv.kru --prime …
    lm = kt.load("kjv.kru")                          # and back

Layers (batch first, each returning (outputs, state)): `KRU` (complex, Kronecker factors of any shapes or dense,
modReLU / split ReLU / split tanh; `KRUCell` for one step), `RNN`, `LSTM`, `GRU` (PyTorch's equations with dense
or rank-r Kronecker-factored gate blocks). `RecurrentModel` stacks them between an input and a head in the shape
of spec/MODEL.md. Everything is plain `torch.nn`: CPU or CUDA, DistributedDataParallel, any optimizer.
"""

try:
    import torch  # noqa: F401
except ImportError as e:                                    # pragma: no cover - depends on the environment
    raise ImportError('kru.torch needs PyTorch: pip install "./python[torch]" (or pip install torch)') from e

from .export import load, save, schema_tensors, to_numpy_model
from .gated import GRU, LSTM, RNN
from .kronecker import KroneckerProduct, RecurrentWeight, kron_apply
from .kru_layer import KRU, KRUCell, complex_activation, modrelu
from .model import LanguageModel, RecurrentModel, detach_state, next_token_loss

__all__ = [
    "KRU", "KRUCell", "RNN", "LSTM", "GRU", "RecurrentModel", "LanguageModel", "save", "load", "to_numpy_model",
    "schema_tensors", "KroneckerProduct", "RecurrentWeight", "kron_apply", "modrelu", "complex_activation",
    "detach_state", "next_token_loss",
]
