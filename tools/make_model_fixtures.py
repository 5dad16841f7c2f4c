#!/usr/bin/env python3
"""Make oracle fixtures for the Swift inference engine: `.kru` models (spec/MODEL.md) with expected outputs.

    python3 tools/make_model_fixtures.py          # from anywhere; NumPy only, no PyTorch

Writes into Tests/Fixtures/models/ (everything there is deleted and written again):

* torch_NAME.kru / torch_NAME.json   for every model of Tests/Fixtures/torch/manifest.json: the PyTorch state
  dict in the model schema (dense recurrences), and PyTorch's own logits, h_n and c_n copied from NAME.npz.
  The oracle is real PyTorch.
* kru_NAME.kru / kru_NAME.json       complex KRU models and real cells with Kronecker-factored recurrences,
  random weights from a seeded numpy Generator, expected outputs from the NumPy reference below.
* manifest.json                      every fixture with what it covers, its statistics and the cross-checks.

The NumPy reference (`RefModel`) is written from the text of spec/MODEL.md alone. It reads the model back from
the written `.kru` file (with the reader of python/kru/format, after a full check of the file), checks it
against the schema (§6), builds every recurrent block explicitly as Σ_t ⊗_f W_{g,t,f} with np.kron, and runs
in float64 / complex128 on the stored (rounded) weights, so the only difference left for the Swift engine is its
own single-precision arithmetic.

Before any Kronecker real-cell fixture is trusted, the same reference runs every torch_NAME.kru and must match
PyTorch's logits, h_n and c_n to 1e-5 (this checks the real cells and the name mapping against PyTorch).
The JSON format is described in tools/README.md.
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import sys
import zlib

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))

from kru.format import full_check, write_kru  # noqa: E402

TORCH_DIR = os.path.join(REPO, "Tests", "Fixtures", "torch")
OUT_DIR = os.path.join(REPO, "Tests", "Fixtures", "models")
GENERATOR = "tools/make_model_fixtures.py"

VOCABULARY = list("abcdefg")        # the 7 symbols of the torch fixtures' token ids 0…6
BATCH, STEPS = 2, 12                # the kru_* fixtures
TARGET_RADIUS = 0.9                 # spectral radius of every recurrent block after scaling
TORCH_TOLERANCE = 1e-5


# ================================================================================================================
# The NumPy reference of spec/MODEL.md

class SchemaError(Exception):
    pass


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


GATES = {"kru": 1, "rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}      # §3: G per cell


class RefModel:
    """A model as spec/MODEL.md describes it, read from metadata {key: (type, value)} and tensors {name: array}.

    The constructor applies the consistency rules of §6 that concern the reference (types, required keys,
    tensor names and shapes, real/complex dtypes, Kronecker products, limits) and fails naming the key or
    tensor at fault."""

    def __init__(self, metadata: dict, tensors: dict):
        self.meta, self.t = metadata, tensors
        self.used = set()

        version = self._get("kru.schema_version", "int")
        if version not in (1, 2):
            raise SchemaError("kru.schema_version: only 1 and 2 are known")
        if version == 1 and ("kru.input.tokenizer" in metadata or "kru.output.tied" in metadata):
            raise SchemaError("kru.input.tokenizer and kru.output.tied need schema version 2 (§7)")
        self.input_kind = self._get("kru.input.kind", "string")
        if self.input_kind == "tokens":
            vocab = self._get("kru.input.vocabulary", "array")
            if vocab.element_type != "string" or not vocab:
                raise SchemaError("kru.input.vocabulary: must be a non-empty string array")
            tokenizer = self._get("kru.input.tokenizer", "string") if "kru.input.tokenizer" in metadata \
                else "characters"
            entry_ok = {"characters": lambda s: len(s) == 1, "bytes": lambda s: len(s) == 1 and ord(s) < 256,
                        "words": lambda s: s.split() == [s]}     # §4.2
            if tokenizer not in entry_ok:
                raise SchemaError("kru.input.tokenizer: must be characters, words or bytes")
            if not all(entry_ok[tokenizer](s) for s in vocab) or len(set(vocab)) != len(vocab):
                raise SchemaError(f"kru.input.vocabulary: entries that break the {tokenizer} rule or repeat")
            self.vocab = list(vocab)
            self._limit("kru.input.vocabulary", len(vocab), 1 << 24)
            if "input.embedding" in tensors:
                emb = self._tensor("input.embedding", "real", None)
                if emb.ndim != 2 or emb.shape[0] != len(vocab):
                    raise SchemaError(f"input.embedding: shape {emb.shape}, expected [{len(vocab)}, E]")
                self.embedding = emb
                width = emb.shape[1]
            else:
                self.embedding = None
                width = len(vocab)
        elif self.input_kind == "vectors":
            width = self._limit("kru.input.width", self._get("kru.input.width", "int"), 1 << 24)
        else:
            raise SchemaError("kru.input.kind: must be tokens or vectors")
        self.input_width = width

        L = self._limit("kru.layer_count", self._get("kru.layer_count", "int"), 64)
        self.layers = []
        for l in range(L):
            layer = self._layer(l, width)
            self.layers.append(layer)
            width = 2 * layer["N"] if layer["cell"] == "kru" else layer["N"]

        self.output_kind = self._get("kru.output.kind", "string")
        if self.output_kind not in ("categorical", "bernoulli", "regression"):
            raise SchemaError("kru.output.kind: must be categorical, bernoulli or regression")
        K = self._limit("kru.output.width", self._get("kru.output.width", "int"), 1 << 24)
        self.steps = self._get("kru.output.steps", "string")
        if self.steps not in ("every", "last"):
            raise SchemaError("kru.output.steps: must be every or last")
        if self.output_kind == "categorical" and self.input_kind == "tokens" and K != len(self.vocab):
            raise SchemaError("kru.output.width: a categorical token model has K = vocabulary size")
        tied = self._get("kru.output.tied", "bool") if "kru.output.tied" in metadata else False
        if tied:   # §5: the readout weight is the embedding
            if self.input_kind != "tokens" or self.embedding is None or self.embedding.shape != (K, width):
                raise SchemaError(f"kru.output.tied: input.embedding must exist with shape [{K}, {width}]")
            self.readout_w = self.embedding
        else:
            self.readout_w = self._tensor("readout.weight", "real", (K, width))
        self.readout_b = self._tensor("readout.bias", "real", (K,))
        self.K = K

        extra = sorted(set(tensors) - self.used)
        if extra:
            raise SchemaError(f"tensors not named by the schema: {extra}")

    # --- helpers
    def _get(self, key, typ):
        if key not in self.meta:
            raise SchemaError(f"{key}: missing")
        t, v = self.meta[key]
        if t != typ:
            raise SchemaError(f"{key}: type {t}, expected {typ}")
        return v

    @staticmethod
    def _limit(key, v, hi, lo=1):
        if not lo <= v <= hi:
            raise SchemaError(f"{key}: {v} is outside {lo} … {hi}")
        return v

    def _tensor(self, name, kind, shape):
        if name not in self.t:
            raise SchemaError(f"tensor {name}: missing")
        a = self.t[name]
        if kind == "real" and a.dtype.kind != "f":
            raise SchemaError(f"tensor {name}: dtype {a.dtype}, expected a real type")
        if kind == "complex" and a.dtype.kind != "c":
            raise SchemaError(f"tensor {name}: dtype {a.dtype}, expected a complex type")
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise SchemaError(f"tensor {name}: shape {list(a.shape)}, expected {list(shape)}")
        self.used.add(name)
        # everything from here on is exact widening: products and sums (np.kron included) run in double precision
        return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)

    def _layer(self, l, D):
        p = f"kru.layer.{l}."
        cell = self._get(p + "cell", "string")
        if cell not in GATES:
            raise SchemaError(f"{p}cell: unknown cell {cell!r}")
        G = GATES[cell]
        N = self._limit(p + "hidden_size", self._get(p + "hidden_size", "int"), 1 << 24)
        kind = "complex" if cell == "kru" else "real"
        layer = {"cell": cell, "N": N, "D": D}
        w = f"layer.{l}."
        # recurrent blocks R_g (explicit N x N matrices)
        recurrent = self._get(p + "recurrent", "string")
        layer["recurrent"] = recurrent
        if recurrent == "dense":
            whh = self._tensor(w + "weight_hh", kind, (G * N, N))
            layer["R"] = [whh[g * N:(g + 1) * N] for g in range(G)]
        elif recurrent == "kronecker":
            r = self._limit(p + "recurrent_rank", self._get(p + "recurrent_rank", "int"), 64)
            F = self._limit(p + "recurrent_factors", self._get(p + "recurrent_factors", "int"), 64)
            layer["rank"], layer["factors"] = r, F
            layer["R"], layer["factor_shapes"] = [], []
            for g in range(G):
                block = None
                shapes = []
                for t in range(r):
                    fs = [self._tensor(f"{w}weight_hh.{g}.{t}.{f}", kind, None) for f in range(F)]
                    for f, a in enumerate(fs):
                        if a.ndim != 2:
                            raise SchemaError(f"tensor {w}weight_hh.{g}.{t}.{f}: rank {a.ndim}, expected 2")
                    P = math.prod(a.shape[0] for a in fs)
                    Q = math.prod(a.shape[1] for a in fs)
                    if P != N or Q != N:
                        raise SchemaError(f"tensors {w}weight_hh.{g}.{t}.*: ∏P = {P}, ∏Q = {Q}, expected N = {N}")
                    term = functools.reduce(np.kron, fs)        # factor 0 most significant (numpy.kron)
                    block = term if block is None else block + term
                    shapes.append([list(a.shape) for a in fs])
                layer["R"].append(block)
                layer["factor_shapes"].append(shapes)
        else:
            raise SchemaError(f"{p}recurrent: must be dense or kronecker")
        if cell == "kru":
            act = self._get(p + "activation", "string")
            if act not in ("modrelu", "split_relu", "split_tanh"):
                raise SchemaError(f"{p}activation: unknown activation {act!r}")
            layer["activation"] = act
            layer["U"] = self._tensor(w + "weight_ih", "complex", (N, D))
            layer["b"] = self._tensor(w + "bias", "complex", (N,))
            if act == "modrelu":
                layer["beta"] = self._tensor(w + "modrelu_bias", "real", (N,))
        else:
            layer["W_ih"] = self._tensor(w + "weight_ih", "real", (G * N, D))
            has_ih, has_hh = (w + "bias_ih") in self.t, (w + "bias_hh") in self.t
            if has_ih != has_hh:
                raise SchemaError(f"{w}bias_ih / {w}bias_hh: both or neither")
            if has_ih:
                layer["b_ih"] = self._tensor(w + "bias_ih", "real", (G * N,))
                layer["b_hh"] = self._tensor(w + "bias_hh", "real", (G * N,))
            else:
                layer["b_ih"] = layer["b_hh"] = np.zeros(G * N)
        return layer

    # --- running
    def layer_inputs(self, inputs, real):
        if self.input_kind == "tokens":
            ids = np.asarray(inputs)
            if ids.min() < 0 or ids.max() >= len(self.vocab):
                raise ValueError("token id out of range")
            table = self.embedding if self.embedding is not None else np.eye(len(self.vocab))
            return table.astype(real)[ids]
        x = np.asarray(inputs, dtype=real)
        if x.shape[-1] != self.input_width:
            raise ValueError("input width")
        return x

    def run(self, inputs, precision="double", zero_recurrent=False):
        """inputs: token ids [B, T] or vectors [B, T, D].  Returns (outputs, final_states, cell_states, trace):
        outputs [B, T, K] (steps every) or [B, K] (last); final_states per layer [B, width] (kru: [Re h; Im h]);
        cell_states per layer [B, N] or None; trace per layer: pre-activations z and states h at every step."""
        real, cplx = (np.float64, np.complex128) if precision == "double" else (np.float32, np.complex64)
        x = self.layer_inputs(inputs, real)                       # [B, T, D]
        B, T = x.shape[:2]
        finals, cells, trace = [], [], []
        for layer in self.layers:
            N, cell = layer["N"], layer["cell"]
            R = [np.zeros_like(m) if zero_recurrent else m for m in layer["R"]]
            if cell == "kru":
                R0, U, b = R[0].astype(cplx), layer["U"].astype(cplx), layer["b"].astype(cplx)
                beta = layer["beta"].astype(real) if layer["activation"] == "modrelu" else None
                h = np.zeros((B, N), cplx)
                outs, zs, hs = [], [], []
                for t in range(T):
                    z = h @ R0.T + x[:, t].astype(cplx) @ U.T + b
                    h = kru_activation(layer["activation"], z, beta)
                    zs.append(z)
                    hs.append(h)
                    outs.append(np.concatenate([h.real, h.imag], axis=-1))
                finals.append(outs[-1])
                cells.append(None)
            else:
                W = layer["W_ih"].astype(real)
                b_ih, b_hh = layer["b_ih"].astype(real), layer["b_hh"].astype(real)
                Rg = [m.astype(real) for m in R]
                h = np.zeros((B, N), real)
                c = np.zeros((B, N), real)
                outs, zs, hs = [], [], []
                blk = lambda v, g: v[:, g * N:(g + 1) * N]      # noqa: E731  gate block g of [B, G·N]
                for t in range(T):
                    gi = x[:, t] @ W.T + b_ih                          # W_ih[g] x + b_ih[g], all gates
                    gh = np.concatenate([h @ Rg[g].T for g in range(len(Rg))], axis=-1) + b_hh
                    if cell in ("rnn_tanh", "rnn_relu"):
                        a = gi + gh
                        h = np.tanh(a) if cell == "rnn_tanh" else np.maximum(a, 0)
                    elif cell == "lstm":
                        a = gi + gh
                        i, f, g, o = sigmoid(blk(a, 0)), sigmoid(blk(a, 1)), np.tanh(blk(a, 2)), sigmoid(blk(a, 3))
                        c = f * c + i * g
                        h = o * np.tanh(c)
                    else:   # gru
                        r = sigmoid(blk(gi, 0) + blk(gh, 0))
                        zg = sigmoid(blk(gi, 1) + blk(gh, 1))
                        n = np.tanh(blk(gi, 2) + r * blk(gh, 2))
                        h = (1 - zg) * n + zg * h
                        a = np.concatenate([r, zg, n], axis=-1)
                    zs.append(a)
                    hs.append(h)
                    outs.append(h)
                finals.append(h)
                cells.append(c if cell == "lstm" else None)
            trace.append({"z": np.stack(zs, 1), "h": np.stack(hs, 1)})
            x = np.stack(outs, axis=1)                                  # the next layer's input
        y = x @ self.readout_w.astype(real).T + self.readout_b.astype(real)
        if self.steps == "last":
            y = y[:, -1]
        return y, finals, cells, trace


def kru_activation(name, z, beta):
    if name == "modrelu":
        m = np.abs(z)
        keep = (m + beta > 0) & (m > 0)                     # at z = 0 the value is 0
        scale = np.where(keep, (m + beta) / np.where(m > 0, m, 1), 0)
        return (scale * z).astype(z.dtype)
    if name == "split_relu":
        return (np.maximum(z.real, 0) + 1j * np.maximum(z.imag, 0)).astype(z.dtype)
    if name == "split_tanh":
        return (np.tanh(z.real) + 1j * np.tanh(z.imag)).astype(z.dtype)
    raise ValueError(name)


# ================================================================================================================
# Reading a written file back

def read_back(path, metadata, tensors):
    """(metadata {key: (type, value)}, tensors {name: array}, how): read from the written file after a full check;
    the file must hold exactly what was given to the writer."""
    with full_check(path) as f:
        meta = {k: (t, v) for k, t, v in f.metadata}
        arrays = {e.name: f.read_tensor(e.name) for e in f.tensors}
    assert [k for k, _ in metadata] == list(meta), path
    for name, a in tensors:
        assert arrays[name].dtype == a.dtype and np.array_equal(arrays[name], a), (path, name)
    return meta, arrays, "kru.format.full_check"


# ================================================================================================================
# JSON output

def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def dump_json(obj, level=0, width=120):
    """Indented JSON keeping any value whose compact form fits on one line; floats in shortest repr."""
    flat = json.dumps(obj, separators=(",", ":"))
    numbers = isinstance(obj, list) and all(isinstance(v, (int, float)) for v in obj)
    if not isinstance(obj, (dict, list)) or not obj or numbers or len(flat) + level <= width:
        return json.dumps(obj, separators=(", ", ": "))
    pad = " " * (level + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {dump_json(v, level + 1, width)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    items = [pad + dump_json(v, level + 1, width) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * level + "]"


def write_json(path, obj):
    text = dump_json(obj) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ================================================================================================================
# a. The PyTorch models in the schema

def torch_fixtures(manifest):
    results = []
    for spec in manifest["models"]:
        name = spec["name"]
        z = np.load(os.path.join(TORCH_DIR, spec["file"]))
        cell = {"rnn": "rnn_" + str(spec["nonlinearity"]), "lstm": "lstm", "gru": "gru"}[spec["cell"]]
        L, H, V = spec["layers"], spec["hidden_size"], spec["vocab_size"]
        assert V == len(VOCABULARY)
        metadata = [
            ("general.name", f"torch_{name}"),
            ("general.description", f"PyTorch fixture {name} ({spec['cell']}, {L} layer(s), H={H}) in the model "
                                    f"schema; expected outputs in torch_{name}.json are PyTorch's own"),
            ("general.creation_tool", GENERATOR),
            ("kru.convert.source", f"Tests/Fixtures/torch/{spec['file']}"),
            ("kru.schema_version", 1),
            ("kru.input.kind", "tokens"),
            ("kru.input.vocabulary", VOCABULARY),
            ("kru.layer_count", L),
        ]
        for l in range(L):
            metadata += [(f"kru.layer.{l}.cell", cell), (f"kru.layer.{l}.hidden_size", H),
                         (f"kru.layer.{l}.recurrent", "dense")]
        metadata += [("kru.output.kind", "categorical"), ("kru.output.width", V), ("kru.output.steps", "every")]
        f32 = lambda k: np.ascontiguousarray(z[k], dtype=np.float32)   # noqa: E731
        tensors = [("input.embedding", f32("emb.weight"))]
        for l in range(L):
            tensors += [(f"layer.{l}.weight_ih", f32(f"rnn.weight_ih_l{l}")),
                        (f"layer.{l}.weight_hh", f32(f"rnn.weight_hh_l{l}"))]
            if spec["bias"]:
                tensors += [(f"layer.{l}.bias_ih", f32(f"rnn.bias_ih_l{l}")),
                            (f"layer.{l}.bias_hh", f32(f"rnn.bias_hh_l{l}"))]
        tensors += [("readout.weight", f32("out.weight")), ("readout.bias", f32("out.bias"))]
        kru_path = os.path.join(OUT_DIR, f"torch_{name}.kru")
        size = write_kru(kru_path, metadata, tensors)

        # cross-check: our NumPy reference on the file as written vs PyTorch's outputs
        meta, arrays, how = read_back(kru_path, metadata, tensors)
        model = RefModel(meta, arrays)
        ids = z["input_ids"]
        y, finals, cells, _ = model.run(ids)
        diff = {"logits": float(np.max(np.abs(y - z["logits"]))),
                "h_n": float(np.max(np.abs(np.stack(finals) - z["h_n"])))}
        if cell == "lstm":
            diff["c_n"] = float(np.max(np.abs(np.stack(cells) - z["c_n"])))
        worst = max(diff.values())
        assert worst < TORCH_TOLERANCE, (name, diff)
        y32, f32s, c32s, _ = model.run(ids, precision="single")
        diff32 = float(np.max(np.abs(y32 - z["logits"])))

        doc = {
            "model": f"torch_{name}.kru",
            "oracle": (f"PyTorch {manifest['versions']['torch']} float32 CPU forward "
                       f"(Tests/Fixtures/torch/{spec['file']})"),
            "inputs": ids.tolist(),
            "outputs": tolist(z["logits"]),
            "final_states": tolist(z["h_n"]),
        }
        if cell == "lstm":
            doc["cell_states"] = tolist(z["c_n"])
        doc["notes"] = (f"{cell}, {L} layer(s), hidden {H}, dense recurrence, embedding 7x5, "
                        f"bias {'yes' if spec['bias'] else 'no (bias_ih/bias_hh absent)'}; token ids over the "
                        f"vocabulary {''.join(VOCABULARY)}; outputs are logits [batch][time][7]; final_states[l][b] "
                        f"= h_n, cell_states = c_n (LSTM). NumPy reference (float64) vs PyTorch: max |diff| "
                        f"logits {diff['logits']:.2e}, h_n {diff['h_n']:.2e}"
                        + (f", c_n {diff['c_n']:.2e}" if 'c_n' in diff else "") + ".")
        json_path = os.path.join(OUT_DIR, f"torch_{name}.json")
        write_json(json_path, doc)
        results.append({"name": f"torch_{name}", "files": [f"torch_{name}.kru", f"torch_{name}.json"],
                        "oracle": "pytorch", "covers": f"{cell}, {L} layer(s), H={H}, dense, embedding"
                        + ("" if spec["bias"] else ", no biases"),
                        "kru_bytes": size, "read_back": how,
                        "numpy_vs_pytorch_max_abs_diff": {k: float(f"{v:.3g}") for k, v in diff.items()},
                        "numpy_float32_vs_pytorch_logits_max_abs_diff": float(f"{diff32:.3g}")})
    return results


# ================================================================================================================
# b. Kronecker models from the NumPy reference

def cnormal(rng, shape, scale=1.0):
    """Complex normal with E|z|^2 = scale^2."""
    return scale * (rng.normal(size=shape) + 1j * rng.normal(size=shape)) / np.sqrt(2)


def spectral_radius(m):
    return float(np.max(np.abs(np.linalg.eigvals(m))))


# Each layer: cell, N, recurrent ("dense" or a list of terms; a term is a list of factor shapes (P, Q), the same
# for every gate block unless "gate_terms" gives one list of terms per gate), activation for kru cells; optional
# input_scale (U ~ CN(0, input_scale^2 / D), default 1) and beta (the modReLU bias range, default (-0.5, 0.1)).
KRU_MODELS = [
    dict(name="square3_modrelu", seed=2001,
         covers="square equal factors 2x2 ⊗ 2x2 ⊗ 2x2 (N=8), modReLU, token input with embedding, categorical",
         input=dict(kind="tokens", embedding=5),
         layers=[dict(cell="kru", N=8, activation="modrelu", terms=[[(2, 2), (2, 2), (2, 2)]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="unequal_4x4_2x2_onehot_split_tanh", seed=2002,
         covers="unequal square factors 4x4 ⊗ 2x2 (N=8), split tanh, token input without embedding (one-hot)",
         input=dict(kind="tokens", embedding=None),
         layers=[dict(cell="kru", N=8, activation="split_tanh", terms=[[(4, 4), (2, 2)]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="rect_2x3_3x2_2x2_vectors_regression", seed=2003,
         covers="rectangular unequal factors (2x3)(3x2)(2x2) (N=12), split ReLU, vector input (width 3), "
                "regression head (K=2)",
         input=dict(kind="vectors", width=3, values="gaussian"),
         layers=[dict(cell="kru", N=12, activation="split_relu", terms=[[(2, 3), (3, 2), (2, 2)]],
                      input_scale=0.7)],
         output=dict(kind="regression", width=2, steps="every")),
    dict(name="single_factor_bernoulli", seed=2004,
         covers="F=1 (one 6x6 factor), modReLU, binary vector input (width 4, piano-roll-like), Bernoulli head (K=4)",
         input=dict(kind="vectors", width=4, values="binary"),
         layers=[dict(cell="kru", N=6, activation="modrelu", terms=[[(6, 6)]])],
         output=dict(kind="bernoulli", width=4, steps="every")),
    dict(name="rank2_rect_split_tanh", seed=2005,
         covers="rank 2: (2x3 ⊗ 3x2) + (3x2 ⊗ 2x3) (N=6; the two terms have different factor shapes), "
                "split tanh, token input with embedding",
         input=dict(kind="tokens", embedding=5),
         layers=[dict(cell="kru", N=6, activation="split_tanh", terms=[[(2, 3), (3, 2)], [(3, 2), (2, 3)]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="two_layer_modrelu_split_relu", seed=2006,
         covers="2 layers kru → kru: layer 0 (2x4 ⊗ 4x2, N=8, modReLU), layer 1 (2x2 ⊗ 2x2, N=4, split ReLU) "
                "whose input is [Re h; Im h] of layer 0 (width 16); token input with embedding",
         input=dict(kind="tokens", embedding=5),
         layers=[dict(cell="kru", N=8, activation="modrelu", terms=[[(2, 4), (4, 2)]], beta=(-1.0, 0.0)),
                 dict(cell="kru", N=4, activation="split_relu", terms=[[(2, 2), (2, 2)]], input_scale=0.5)],
         output=dict(kind="categorical", steps="every")),
    dict(name="last_step_classifier", seed=2007,
         covers="kru.output.steps = last: sequence classification (categorical K=3) of vector sequences "
                "(width 3); factors 2x2 ⊗ 4x4 (N=8), modReLU",
         input=dict(kind="vectors", width=3, values="gaussian"),
         layers=[dict(cell="kru", N=8, activation="modrelu", terms=[[(2, 2), (4, 4)]])],
         output=dict(kind="categorical", width=3, steps="last")),
    dict(name="dense_kru_then_rnn_relu_kron", seed=2008,
         covers="mixed stack: layer 0 kru with a DENSE complex recurrence (N=4, split tanh, one-hot tokens), "
                "layer 1 rnn_relu with a real Kronecker recurrence 2x4 ⊗ 4x2 (N=8) taking [Re h; Im h] (width 8)",
         input=dict(kind="tokens", embedding=None),
         layers=[dict(cell="kru", N=4, activation="split_tanh", terms="dense"),
                 dict(cell="rnn_relu", N=8, terms=[[(2, 4), (4, 2)]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="lstm_kron_rank1", seed=2009,
         covers="lstm with a real Kronecker recurrence, rank 1, F=2, a different factor shape per gate "
                "(i: 2x3 ⊗ 3x2, f: 3x2 ⊗ 2x3, g: 3x3 ⊗ 2x2, o: 2x2 ⊗ 3x3; N=6), token input with embedding",
         input=dict(kind="tokens", embedding=5),
         layers=[dict(cell="lstm", N=6, gate_terms=[[[(2, 3), (3, 2)]], [[(3, 2), (2, 3)]],
                                                    [[(3, 3), (2, 2)]], [[(2, 2), (3, 3)]]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="words_tied_lstm", seed=2011,
         covers="schema 2: a words vocabulary (multi-character tokens, <eos>, a non-ASCII word) and a tied readout "
                "(kru.output.tied: the readout weight is input.embedding, E = N = 6); lstm with a dense recurrence",
         input=dict(kind="tokens", embedding=6, tokenizer="words",
                    vocabulary=["the", "king", "said", "<eos>", ",", "café", "land", "<unk>", "."]),
         layers=[dict(cell="lstm", N=6, terms="dense")],
         output=dict(kind="categorical", steps="every", tied=True)),
    dict(name="bytes_gru_kron", seed=2012,
         covers="schema 2: a bytes vocabulary (entries U+0000–U+00FF standing for bytes, in no particular order); "
                "gru with a Kronecker recurrence 2x2 ⊗ 2x2 (N=4), token input with embedding",
         input=dict(kind="tokens", embedding=5, tokenizer="bytes",
                    vocabulary=["\u00c3", "\u00a9", "a", " ", "\n", "\u0000", "\u00ff", "c", "f"]),
         layers=[dict(cell="gru", N=4, terms=[[(2, 2), (2, 2)]])],
         output=dict(kind="categorical", steps="every")),
    dict(name="gru_kron_rank2", seed=2010,
         covers="gru with a real Kronecker recurrence, rank 2, F=3 (N=8): term 0 2x2 ⊗ 2x2 ⊗ 2x2, term 1 "
                "2x1 ⊗ 2x4 ⊗ 2x2 (a column-vector and a wide factor: modes of size 1), token input with embedding",
         input=dict(kind="tokens", embedding=5),
         layers=[dict(cell="gru", N=8, terms=[[(2, 2), (2, 2), (2, 2)], [(2, 1), (2, 4), (2, 2)]])],
         output=dict(kind="categorical", steps="every")),
]


def make_kru_model(spec):
    """(metadata, tensors, inputs) for one entry of KRU_MODELS, from its own seeded Generator."""
    rng = np.random.default_rng(spec["seed"])
    inp, out = spec["input"], spec["output"]
    metadata = [
        ("general.name", f"kru_{spec['name']}"),
        ("general.description", spec["covers"]),
        ("general.creation_tool", GENERATOR),
        ("kru.schema_version", 2 if inp.get("tokenizer", "characters") != "characters" or out.get("tied") else 1),
        ("kru.input.kind", inp["kind"]),
    ]
    tensors = []
    if inp["kind"] == "tokens":
        vocabulary = inp.get("vocabulary", VOCABULARY)
        V = len(vocabulary)
        metadata.append(("kru.input.vocabulary", vocabulary))
        if "tokenizer" in inp:
            metadata.append(("kru.input.tokenizer", inp["tokenizer"]))
        if inp["embedding"]:
            tensors.append(("input.embedding", rng.normal(size=(V, inp["embedding"])).astype(np.float32)))
            D = inp["embedding"]
        else:
            D = V
        inputs = rng.integers(0, V, size=(BATCH, STEPS))
        K = V
    else:
        D = inp["width"]
        metadata.append(("kru.input.width", D))
        if inp["values"] == "binary":
            inputs = (rng.random((BATCH, STEPS, D)) < 0.4).astype(np.float64)
        else:   # multiples of 1/256: exact in float32 and short in JSON
            inputs = np.round(np.clip(rng.normal(size=(BATCH, STEPS, D)), -3, 3) * 256) / 256
        K = out["width"]
    metadata.append(("kru.layer_count", len(spec["layers"])))

    for l, layer in enumerate(spec["layers"]):
        cell, N = layer["cell"], layer["N"]
        G = GATES[cell]
        p, w = f"kru.layer.{l}.", f"layer.{l}."
        metadata += [(p + "cell", cell), (p + "hidden_size", N)]
        if cell == "kru":
            metadata.append((p + "activation", layer["activation"]))
        gate_terms = layer.get("gate_terms") or [layer["terms"]] * G
        dense = gate_terms[0] == "dense"
        if dense:
            metadata.append((p + "recurrent", "dense"))
        else:
            metadata += [(p + "recurrent", "kronecker"), (p + "recurrent_rank", len(gate_terms[0])),
                         (p + "recurrent_factors", len(gate_terms[0][0]))]

        # recurrent blocks, each scaled to spectral radius TARGET_RADIUS, then rounded to the stored dtype
        stored = np.complex64 if cell == "kru" else np.float32
        rec_tensors, blocks = [], []
        for g in range(G):
            if dense:
                m = cnormal(rng, (N, N)) if cell == "kru" else rng.normal(size=(N, N))
                blocks.append((m * (TARGET_RADIUS / spectral_radius(m))).astype(stored))
                continue
            terms = gate_terms[g]
            fac = [[cnormal(rng, s) if cell == "kru" else rng.normal(size=s) for s in term] for term in terms]
            full = sum(functools.reduce(np.kron, term) for term in fac)
            F = len(terms[0])
            s = (TARGET_RADIUS / spectral_radius(full)) ** (1.0 / F)     # every term scales by s^F
            for t, term in enumerate(fac):
                for f, a in enumerate(term):
                    rec_tensors.append((f"{w}weight_hh.{g}.{t}.{f}", (a * s).astype(stored)))
        if dense:
            rec_tensors = [(w + "weight_hh", np.concatenate(blocks, axis=0))]

        if cell == "kru":
            scale = layer.get("input_scale", 1.0) / np.sqrt(D)
            tensors.append((w + "weight_ih", cnormal(rng, (N, D), scale).astype(np.complex64)))
            tensors += rec_tensors
            tensors.append((w + "bias", cnormal(rng, (N,), 0.3).astype(np.complex64)))
            if layer["activation"] == "modrelu":
                lo, hi = layer.get("beta", (-0.5, 0.1))
                tensors.append((w + "modrelu_bias", rng.uniform(lo, hi, size=N).astype(np.float32)))
        else:
            k = 1.0 / np.sqrt(N)
            tensors.append((w + "weight_ih", rng.uniform(-2 * k, 2 * k, size=(G * N, D)).astype(np.float32)))
            tensors += rec_tensors
            tensors.append((w + "bias_ih", rng.uniform(-k, k, size=G * N).astype(np.float32)))
            tensors.append((w + "bias_hh", rng.uniform(-k, k, size=G * N).astype(np.float32)))
        D = 2 * N if cell == "kru" else N

    metadata += [("kru.output.kind", out["kind"]), ("kru.output.width", K), ("kru.output.steps", out["steps"])]
    if out.get("tied"):
        metadata.append(("kru.output.tied", True))
    else:
        tensors.append(("readout.weight", rng.normal(size=(K, D), scale=1.5 / np.sqrt(D)).astype(np.float32)))
    tensors.append(("readout.bias", rng.normal(size=K, scale=0.1).astype(np.float32)))
    return metadata, tensors, inputs


def layer_stats(model, trace):
    """|h| range, zero / saturated fractions per layer, and the spectral radius of each stored block."""
    stats = []
    for layer, tr in zip(model.layers, trace):
        h, z = tr["h"], tr["z"]
        mag = np.abs(h)
        s = {"cell": layer["cell"], "abs_h_min": float(f"{mag.min():.3g}"),
             "abs_h_median": float(f"{np.median(mag):.3g}"), "abs_h_max": float(f"{mag.max():.3g}"),
             "spectral_radius": [float(f"{spectral_radius(R):.4g}") for R in layer["R"]],
             "spectral_norm": [float(f"{np.linalg.norm(R, 2):.4g}") for R in layer["R"]]}
        if layer["cell"] == "kru":
            act = layer["activation"]
            if act == "modrelu":
                s["zero_fraction"] = float(f"{np.mean(mag == 0):.3g}")
                s["min_abs_preactivation"] = float(f"{np.abs(z).min():.3g}")   # phase z/|z| is ill-defined near 0
            elif act == "split_relu":
                parts = np.concatenate([h.real.ravel(), h.imag.ravel()])
                s["zero_fraction"] = float(f"{np.mean(parts == 0):.3g}")
            else:
                parts = np.concatenate([h.real.ravel(), h.imag.ravel()])
                s["saturated_fraction"] = float(f"{np.mean(np.abs(parts) > 0.99):.3g}")
        elif layer["cell"] == "rnn_relu":
            s["zero_fraction"] = float(f"{np.mean(h == 0):.3g}")
        else:
            s["saturated_fraction"] = float(f"{np.mean(np.abs(h) > 0.99):.3g}")
        stats.append(s)
    return stats


def kru_fixtures():
    results = []
    for spec in KRU_MODELS:
        name = f"kru_{spec['name']}"
        metadata, tensors, inputs = make_kru_model(spec)
        kru_path = os.path.join(OUT_DIR, f"{name}.kru")
        size = write_kru(kru_path, metadata, tensors)
        meta, arrays, how = read_back(kru_path, metadata, tensors)
        model = RefModel(meta, arrays)
        y, finals, cells, trace = model.run(inputs)
        y0, *_ = model.run(inputs, zero_recurrent=True)
        y32, f32s, *_ = model.run(inputs, precision="single")
        sens = float(np.max(np.abs(y - y0)))
        diff32 = float(np.max(np.abs(y - y32)))
        stats = layer_stats(model, trace)
        assert sens > 0.05, (name, "the recurrence barely matters", sens)
        for s in stats:
            assert s["abs_h_max"] < 10 and s.get("saturated_fraction", 0) < 0.2 and s.get("zero_fraction", 0) < 0.6, \
                (name, s)
            assert s.get("min_abs_preactivation", 1) > 1e-3, (name, s)

        doc = {
            "model": f"{name}.kru",
            "oracle": f"NumPy reference of spec/MODEL.md in {GENERATOR} (float64/complex128, explicit np.kron "
                      f"blocks, on the stored float32/complex64 weights)",
            "inputs": inputs.tolist() if inputs.dtype.kind == "i" else tolist(inputs),
            "outputs": tolist(y),
            "final_states": [tolist(f) for f in finals],
        }
        if any(c is not None for c in cells):
            doc["cell_states"] = [None if c is None else tolist(c) for c in cells]
        shape_out = "[batch][time][K]" if model.steps == "every" else "[batch][K] (last step only)"
        doc["notes"] = (f"{spec['covers']}. Outputs are the logits/predictions y_t {shape_out}, K={model.K} "
                        f"({model.output_kind}); final_states[l][b] is layer l's state after the last step "
                        f"([Re h; Im h] for kru layers, h for real cells). Recurrent blocks scaled to spectral "
                        f"radius {TARGET_RADIUS}; "
                        f"|h| in [{min(s['abs_h_min'] for s in stats):.3g}, {max(s['abs_h_max'] for s in stats):.3g}]"
                        f"; zeroing the recurrence changes the outputs by up to {sens:.3g}; the same reference in "
                        f"float32/complex64 differs by up to {diff32:.2e}.")
        write_json(os.path.join(OUT_DIR, f"{name}.json"), doc)
        results.append({"name": name, "files": [f"{name}.kru", f"{name}.json"], "oracle": "numpy",
                        "covers": spec["covers"], "seed": spec["seed"], "kru_bytes": size, "read_back": how,
                        "layers": stats, "recurrence_sensitivity": float(f"{sens:.3g}"),
                        "numpy_float32_vs_float64_max_abs_diff": float(f"{diff32:.3g}")})
    return results


# ================================================================================================================

def self_test():
    """Small checks of the reference's conventions before anything is trusted."""
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    K = np.kron(A, B)
    for i in range(6):
        for j in range(6):     # (A ⊗ B)[i·P_B + k, j·Q_B + l] = A[i, j] B[k, l]  (spec/MODEL.md §1)
            assert K[i, j] == A[i // 3, j // 2] * B[i % 3, j % 2]
    # the definition by mixed-radix digits, factor 0 most significant, rectangular unequal factors (§1)
    fs = [cnormal(rng, s) for s in [(2, 3), (3, 2), (2, 2)]]
    full = functools.reduce(np.kron, fs)
    P, Q = [f.shape[0] for f in fs], [f.shape[1] for f in fs]
    for i in range(12):
        for j in range(12):
            p = np.unravel_index(i, P)           # digits p_0 … p_{F-1} over P_0 … P_{F-1}
            q = np.unravel_index(j, Q)
            assert np.isclose(full[i, j], math.prod(f[pf, qf] for f, pf, qf in zip(fs, p, q)), rtol=1e-14, atol=0)
    z = np.array([0, 3 + 4j, -0.3 + 0.4j], np.complex128)
    m = kru_activation("modrelu", z, np.array([0.5, -1.0, -1.0]))
    assert np.allclose(m, [0, (4 / 5) * (3 + 4j), 0])


def main():
    self_test()
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):          # this script owns the folder: start from nothing
        if f.endswith((".kru", ".json")) or f.endswith(".tmp"):
            os.unlink(os.path.join(OUT_DIR, f))

    with open(os.path.join(TORCH_DIR, "manifest.json")) as f:
        manifest = json.load(f)
    torch_results = torch_fixtures(manifest)
    kru_results = kru_fixtures()

    index = {
        "description": "Oracle fixtures for the inference engine: .kru models (spec/MODEL.md) with expected "
                       "outputs. torch_* come from real PyTorch (Tests/Fixtures/torch), kru_* from the NumPy "
                       "reference in the generator. JSON format: tools/README.md.",
        "generator": GENERATOR,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "zlib": zlib.ZLIB_VERSION},
        "checked_with": "kru.format.full_check (python/kru/format)",
        "torch_tolerance": TORCH_TOLERANCE,
        "fixtures": torch_results + kru_results,
    }
    write_json(os.path.join(OUT_DIR, "manifest.json"), index)

    print(f"{'fixture':44} {'bytes':>6}  check")
    for r in torch_results:
        d = r["numpy_vs_pytorch_max_abs_diff"]
        print(f"{r['name']:44} {r['kru_bytes']:6}  numpy vs pytorch: " + ", ".join(f"{k} {v:.2e}" for k, v in d.items())
              + f"; numpy float32 vs pytorch logits {r['numpy_float32_vs_pytorch_logits_max_abs_diff']:.2e}")
    for r in kru_results:
        ranges = "; ".join(f"|h| {s['abs_h_min']:.3g}…{s['abs_h_median']:.3g}…{s['abs_h_max']:.3g} "
                           f"rho {','.join(f'{x:.3f}' for x in s['spectral_radius'])}" for s in r["layers"])
        print(f"{r['name']:44} {r['kru_bytes']:6}  {ranges}; sens {r['recurrence_sensitivity']:.3g}; "
              f"f32 {r['numpy_float32_vs_float64_max_abs_diff']:.1e}")
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"{len(os.listdir(OUT_DIR))} files, {total} bytes in {os.path.relpath(OUT_DIR, REPO)}")


if __name__ == "__main__":
    main()
