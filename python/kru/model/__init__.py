"""`kru.model` — spec/MODEL.md in NumPy: load a `.kru` model, run it, sample from it, score it.

    import kru.model

    m = kru.model.load("models/kjv-lstm512.kru")     # container and schema checked before any weight is read
    logits = m.run([[5, 12, 7]])                    # what `kru run` computes: [B, T, K] (or [B, K])
    text = kru.model.generate(m, "And God said", length=200, seed=1)    # the text `kru sample --seed 1` writes
    print(kru.model.score_text(m, open("held-out.txt").read()).bits_per_token)

Every cell (kru with modReLU / split ReLU / split tanh, rnn_tanh, rnn_relu, lstm, gru), dense and Kronecker
(rank r) recurrences and every head are here, in double precision, written to be read beside the spec rather
than to be fast. Sampling follows spec/SAMPLING.md bit for bit.
"""

from .engine import Model, Session, load, read_model
from .generator import Xoshiro256StarStar
from .sampling import generate, generate_tokens, portable_exp, sample_index
from .schema import Description, Layer, ModelSchemaError
from .scoring import DataScore, ModelComparison, TextScore, compare, score_data, score_text
from .tokenizer import Tokenizer, UnknownCharactersError

__all__ = [
    "load", "read_model", "Model", "Session", "Description", "Layer", "ModelSchemaError",
    "Tokenizer", "UnknownCharactersError",
    "generate", "generate_tokens", "sample_index", "portable_exp", "Xoshiro256StarStar",
    "score_text", "score_data", "compare", "TextScore", "DataScore", "ModelComparison",
]
