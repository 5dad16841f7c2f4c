#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for kru's Swift tests (run once, by hand; never in CI).

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy safetensors
    /tmp/torchenv/bin/python tools/make_torch_fixtures.py

Writes into Tests/Fixtures/torch/ (relative to the repository root, found from this file's path):

* NAME.npz            per model: the state dict under PyTorch's own parameter names (float32) plus
                      input_ids (int64, batch x time), logits (float32, batch x time x V),
                      rnn_output (float32, batch x time x H: top-layer hidden state at every step),
                      h_n (float32, layers x batch x H) and, for LSTM, c_n.  Written with np.savez
                      (zip entries STORED, numpy's forced ZIP64 extras).
* NAME.pt             per model: torch.save(model.state_dict(), ...) in the default zip layout.
* NAME.lightning.ckpt, .module.pt, .legacy.pt, .f16.pt, .bf16.pt, .noncontig.pt, .params.pt,
  .safetensors, .weights.npz: extra checkpoint layouts for the models in EXTRA_LAYOUT_MODELS
  (see main() and tools/README.md).
* manifest.json       everything a test needs to know: models, sizes, parameter names and shapes,
                      gate-order conventions, files and their layouts, versions, NumPy check results.

Models: character-level  nn.Embedding(V, E) -> recurrent core (batch_first) -> nn.Linear(H, V)
applied to the top-layer output of every step, V=7, E=5, H=6 unless stated otherwise.

Initialisation: PyTorch defaults under torch.manual_seed(spec["seed"]) (modules are created in the
order emb, rnn, out), then every recurrent matrix weight_hh_l{k} is rescaled gate block by gate block
(the H x H blocks along dim 0: 1 for RNN, 4 for LSTM i|f|g|o, 3 for GRU r|z|n) so that each block has
spectral radius (largest |eigenvalue|) RECURRENT_SPECTRAL_RADIUS = 0.9.  PyTorch's default
U(-1/sqrt(H), 1/sqrt(H)) gives blocks with radius about 0.6, so the recurrence is strengthened while
staying contractive: the outputs depend clearly on earlier steps ("recurrence_sensitivity_*" in the
manifest = max change of logits / top-layer outputs when weight_hh is zeroed) and nothing saturates
("saturated_fraction" = fraction of |h| > 0.99).  Nothing else is changed.

At the end the script re-computes every model from its .npz alone with plain NumPy float64 equations
(those of the PyTorch docs) and asserts max |numpy - torch| < 1e-5 for logits, h_n and c_n; it also
loads every checkpoint back with torch.load(weights_only=True) / safetensors / numpy and checks the
values against the reference state dict.
"""

import copy
import io
import json
import os
import pickle
import pickletools
import platform
import re
import struct
import sys
import time
import zipfile
from collections import OrderedDict
from unittest import mock

import numpy as np
import safetensors
import safetensors.torch
import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "Tests", "Fixtures", "torch")

V, E = 7, 5            # vocabulary size, embedding size
BATCH, T = 2, 9        # fixed input batch
RECURRENT_SPECTRAL_RADIUS = 0.9
TOLERANCE = 1e-5       # NumPy-vs-PyTorch assertion; also the suggested tolerance for the Swift engine

MODELS = [
    dict(name="rnn_tanh_l1", cell="rnn", nonlinearity="tanh", layers=1, hidden=6, bias=True, seed=101),
    dict(name="rnn_tanh_l2", cell="rnn", nonlinearity="tanh", layers=2, hidden=6, bias=True, seed=102),
    dict(name="rnn_relu_l1", cell="rnn", nonlinearity="relu", layers=1, hidden=6, bias=True, seed=103),
    dict(name="rnn_relu_l2", cell="rnn", nonlinearity="relu", layers=2, hidden=6, bias=True, seed=104),
    dict(name="lstm_l1", cell="lstm", nonlinearity=None, layers=1, hidden=6, bias=True, seed=105),
    dict(name="lstm_l2", cell="lstm", nonlinearity=None, layers=2, hidden=6, bias=True, seed=106),
    dict(name="gru_l1", cell="gru", nonlinearity=None, layers=1, hidden=6, bias=True, seed=107),
    dict(name="gru_l2", cell="gru", nonlinearity=None, layers=2, hidden=6, bias=True, seed=108),
    dict(name="lstm_nobias_l2", cell="lstm", nonlinearity=None, layers=2, hidden=6, bias=False, seed=109),
    dict(name="gru_h8_l3", cell="gru", nonlinearity=None, layers=3, hidden=8, bias=True, seed=110),
]
EXTRA_LAYOUT_MODELS = ["lstm_l2", "gru_l2"]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}

CONVENTIONS = {
    "layout": "nn.Linear / nn.RNN weights are (out_features, in_features): y = x @ W.T + b",
    "embedding": "x_t = emb.weight[input_ids[b, t]]",
    "readout": "logits[b, t] = out.weight @ h_top[b, t] + out.bias (every step)",
    "initial_state": "zeros for every layer (and cell state)",
    "layers": "layer k>0 takes layer k-1's hidden state at the same step as its input x_t",
    "rnn": "h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu (nonlinearity is NOT in the state dict)",
    "lstm_gate_order": "i, f, g, o (blocks of H rows stacked along dim 0 of weight_ih/weight_hh/bias_ih/bias_hh)",
    "lstm": ("i = sigmoid(W_ii x + b_ii + W_hi h + b_hi); f = sigmoid(W_if x + b_if + W_hf h + b_hf); "
             "g = tanh(W_ig x + b_ig + W_hg h + b_hg); o = sigmoid(W_io x + b_io + W_ho h + b_ho); "
             "c' = f*c + i*g; h' = o*tanh(c')"),
    "gru_gate_order": "r, z, n (blocks of H rows stacked along dim 0)",
    "gru": ("r = sigmoid(W_ir x + b_ir + W_hr h + b_hr); z = sigmoid(W_iz x + b_iz + W_hz h + b_hz); "
            "n = tanh(W_in x + b_in + r*(W_hn h + b_hn)); h' = (1 - z)*n + z*h"),
    "bias_false": ("bias=False omits bias_ih_l*/bias_hh_l* from the state dict (treat as zero); "
                   "out.bias is still present"),
    "h_n": "h_n[k] = final hidden state of layer k (layers x batch x H); c_n likewise for LSTM",
}


# ----------------------------------------------------------------------------------------------------
# model

class CharModel(nn.Module):
    def __init__(self, spec):
        super().__init__()
        H, L = spec["hidden"], spec["layers"]
        self.emb = nn.Embedding(V, E)
        if spec["cell"] == "rnn":
            self.rnn = nn.RNN(E, H, L, nonlinearity=spec["nonlinearity"], bias=spec["bias"], batch_first=True)
        elif spec["cell"] == "lstm":
            self.rnn = nn.LSTM(E, H, L, bias=spec["bias"], batch_first=True)
        else:
            self.rnn = nn.GRU(E, H, L, bias=spec["bias"], batch_first=True)
        self.out = nn.Linear(H, V)

    def forward(self, ids):
        y, state = self.rnn(self.emb(ids))  # zero initial state
        return self.out(y), y, state


def build(spec):
    torch.manual_seed(spec["seed"])
    model = CharModel(spec)
    H, G = spec["hidden"], GATES[spec["cell"]]
    radii = []
    with torch.no_grad():
        for k in range(spec["layers"]):
            w = getattr(model.rnn, f"weight_hh_l{k}")
            for g in range(G):
                block = w[g * H:(g + 1) * H]
                rho = float(np.abs(np.linalg.eigvals(block.double().numpy())).max())
                radii.append(round(rho, 4))
                block.mul_(RECURRENT_SPECTRAL_RADIUS / rho)
    model.eval()
    gen = torch.Generator().manual_seed(spec["seed"])
    ids = torch.randint(0, V, (BATCH, T), generator=gen, dtype=torch.int64)
    return model, ids, radii


def run(model, ids):
    with torch.no_grad():
        logits, y, state = model(ids)
    if isinstance(state, tuple):
        h_n, c_n = state
    else:
        h_n, c_n = state, None
    return logits, y, h_n, c_n


# ----------------------------------------------------------------------------------------------------
# writing helpers

FIXED_ZIP_TIME = time.struct_time((2000, 1, 1, 0, 0, 0, 5, 1, 0))


def savez(path, arrays, compressed=False):
    """np.savez / np.savez_compressed with a fixed zip timestamp so re-running gives identical bytes."""
    with mock.patch.object(zipfile.time, "localtime", return_value=FIXED_ZIP_TIME):
        (np.savez_compressed if compressed else np.savez)(path, **arrays)


def np_state(sd):
    return OrderedDict((k, v.detach().cpu().numpy().astype(np.float32)) for k, v in sd.items())


def pickle_opcodes(data):
    return sorted({op.name for op, _, _ in pickletools.genops(data)})


def pickle_globals(data):
    """Module.name of every GLOBAL / STACK_GLOBAL in a pickle (static scan, nothing executed)."""
    found, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            name = arg.replace(" ", ".")
        elif op.name == "STACK_GLOBAL":
            name = ".".join(strings[-2:])
        else:
            if isinstance(arg, str):
                strings.append(arg)
            continue
        if name not in found:
            found.append(name)
    return found


def describe_zip(path):
    with open(path, "rb") as f:
        raw = f.read()
    z = zipfile.ZipFile(path)
    entries = []
    pkl = None
    for info in z.infolist():
        # data offset = local header offset + 30 + len(name) + len(local extra)
        n, m = struct.unpack_from("<HH", raw, info.header_offset + 26)
        data_offset = info.header_offset + 30 + n + m
        e = dict(name=info.filename, size=info.file_size, data_offset=data_offset,
                 method="stored" if info.compress_type == zipfile.ZIP_STORED else "deflated")
        if info.filename.endswith(("byteorder", "version", ".format_version", ".storage_alignment")):
            e["content"] = z.read(info.filename).decode().strip()
        entries.append(e)
        if info.filename.endswith("/data.pkl"):
            pkl = z.read(info.filename)
    top = sorted({e["name"].split("/")[0] for e in entries})
    return dict(kind="torch zip", top_level_folder=top, entries=entries,
                pickle_protocol=pkl[1] if pkl and pkl[0] == 0x80 else None,
                pickle_globals=pickle_globals(pkl) if pkl else None,
                pickle_opcodes=pickle_opcodes(pkl) if pkl else None)


def describe_legacy(path, itemsize):
    """Legacy (pre-1.6) torch.save layout: consecutive pickles, then raw storages (numel: int64 LE + bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    bio = io.BytesIO(raw)
    magic = pickle.load(bio)            # plain int
    protocol_version = pickle.load(bio)  # plain int
    sys_info = pickle.load(bio)          # plain dict
    obj_start = bio.tell()
    ops = list(pickletools.genops(bio))  # the object pickle, scanned statically (stops at STOP)
    obj_end = bio.tell()
    keys_start = obj_end
    keys = pickle.load(bio)              # plain list of storage keys (strings)
    storages = []
    for key in keys:
        numel, = struct.unpack("<q", bio.read(8))
        storages.append(dict(key=key, numel=numel, numel_offset=bio.tell() - 8, data_offset=bio.tell()))
        bio.seek(numel * itemsize, 1)
    assert bio.tell() == len(raw), "legacy file not fully accounted for"
    return dict(kind="torch legacy (non-zip)", magic_number=hex(magic), protocol_version=protocol_version,
                sys_info=sys_info, object_pickle=[obj_start, obj_end],
                pickle_protocol=raw[obj_start + 1] if raw[obj_start] == 0x80 else None,
                pickle_globals=pickle_globals(raw[obj_start:obj_end]),
                pickle_opcodes=pickle_opcodes(raw[obj_start:obj_end]),
                storage_keys_pickle_offset=keys_start, storages=storages,
                note="each storage: int64 little-endian numel, then numel*itemsize raw little-endian bytes; "
                     "storages in the order of the keys list")


def describe_npz(path):
    with open(path, "rb") as f:
        raw = f.read()
    entries = []
    for info in zipfile.ZipFile(path).infolist():
        n, m = struct.unpack_from("<HH", raw, info.header_offset + 26)
        extra = raw[info.header_offset + 30 + n: info.header_offset + 30 + n + m]
        entries.append(dict(name=info.filename, size=info.file_size, compressed_size=info.compress_size,
                            method="stored" if info.compress_type == zipfile.ZIP_STORED else "deflated",
                            local_zip64_extra=extra[:2] == b"\x01\x00"))
    return dict(kind="npz", entries=entries)


def dump_json(obj, level=0):
    """Indented JSON that keeps any value whose compact form fits in ~140 columns on one line."""
    flat = json.dumps(obj)
    if not isinstance(obj, (dict, list)) or not obj or len(flat) + level <= 140:
        return flat
    pad = " " * (level + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {dump_json(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    items = [pad + dump_json(v, level + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * level + "]"


def describe_safetensors(path):
    with open(path, "rb") as f:
        n, = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return dict(kind="safetensors", header_size=n, metadata=header.pop("__metadata__", None),
                tensors={k: v for k, v in header.items()})


def bf16_round(x32):
    """Round float32 to bfloat16 (round to nearest even), returned as float32. No NaNs expected here."""
    b = np.ascontiguousarray(x32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint32) << 16
    return r.view(np.float32)


# ----------------------------------------------------------------------------------------------------
# independent NumPy reference (only the .npz file and the spec are used)

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_forward(npz_path, spec):
    z = np.load(npz_path)
    f64 = lambda k: z[k].astype(np.float64)
    ids = z["input_ids"]
    x = f64("emb.weight")[ids]                       # B, T, E
    B, Tn = ids.shape
    H, L = spec["hidden"], spec["layers"]
    hs, cs = [], []
    for k in range(L):
        w_ih, w_hh = f64(f"rnn.weight_ih_l{k}"), f64(f"rnn.weight_hh_l{k}")
        n_rows = w_hh.shape[0]
        b_ih = f64(f"rnn.bias_ih_l{k}") if spec["bias"] else np.zeros(n_rows)
        b_hh = f64(f"rnn.bias_hh_l{k}") if spec["bias"] else np.zeros(n_rows)
        h = np.zeros((B, H))
        c = np.zeros((B, H))
        ys = []
        for t in range(Tn):
            gi = x[:, t] @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            if spec["cell"] == "rnn":
                a = gi + gh
                h = np.tanh(a) if spec["nonlinearity"] == "tanh" else np.maximum(a, 0.0)
            elif spec["cell"] == "lstm":
                a = gi + gh
                i, f, g, o = (a[:, j * H:(j + 1) * H] for j in range(4))
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            else:
                r = sigmoid(gi[:, :H] + gh[:, :H])
                zz = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                h = (1.0 - zz) * n + zz * h
            ys.append(h)
        x = np.stack(ys, axis=1)
        hs.append(h)
        cs.append(c)
    logits = x @ f64("out.weight").T + f64("out.bias")
    return logits, np.stack(hs), (np.stack(cs) if spec["cell"] == "lstm" else None)


# ----------------------------------------------------------------------------------------------------
# extra checkpoint layouts

def lightning_checkpoint(model, ids, spec):
    wrapper = nn.Module()
    wrapper.model = model                             # LightningModule attribute path -> "model." prefix
    sd = wrapper.state_dict()                         # OrderedDict with _metadata, keys model.emb.weight ...
    # a real optimizer state (Adam, one step on a copy so the fixture weights are unchanged)
    trained = copy.deepcopy(model)
    opt = torch.optim.Adam(trained.parameters(), lr=3e-3, betas=(0.9, 0.999))
    logits = trained(ids)[0]
    loss = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    return {
        "epoch": 3,
        "global_step": 27,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": sd,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 4, "completed": 3}}}},
        "callbacks": {},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": {
            "vocab_size": V, "embed_dim": E, "hidden_size": spec["hidden"], "num_layers": spec["layers"],
            "cell": spec["cell"], "bias": spec["bias"], "lr": 0.003, "betas": (0.9, 0.999),
            "dropout": 0.0, "tie_weights": False, "notes": None,
        },
    }


def prefixed_state_dict(model, prefix_attr):
    wrapper = nn.Module()
    setattr(wrapper, prefix_attr, model)              # same structure nn.DataParallel(model).state_dict() has
    return wrapper.state_dict()


def noncontiguous_state_dict(sd):
    """Same names and values as sd, but stored with non-default strides / offsets:
    - every 2-D weight except emb.weight: a transposed view of a transposed copy -> Fortran order,
      stride (1, rows);
    - emb.weight: the left V x E block of a V x (E+3) matrix -> stride (E+3, 1), neither C nor F order;
    - all 1-D biases: consecutive views into ONE shared storage (torch.cat of all biases), so they share a
      storage key and have non-zero storage_offset."""
    out = OrderedDict()
    biases = [k for k, v in sd.items() if v.dim() == 1]
    flat = torch.cat([sd[k] for k in biases]) if biases else None
    off = 0
    for k, v in sd.items():
        if k == "emb.weight":
            padded = torch.zeros(v.shape[0], v.shape[1] + 3)
            padded[:, :v.shape[1]] = v
            out[k] = padded[:, :v.shape[1]]
        elif v.dim() == 2:
            out[k] = v.t().contiguous().t()
        else:
            out[k] = flat[off:off + v.numel()]
            off += v.numel()
        assert torch.equal(out[k], v)
    assert not out["emb.weight"].is_contiguous()
    return out


# ----------------------------------------------------------------------------------------------------

def check_loaded(loaded, ref, kind, prefix="", ordered=True):
    """ref: OrderedDict name -> float32 numpy; loaded: dict name -> torch tensor."""
    names = list(loaded.keys())
    expected = [prefix + k for k in ref]
    assert (names == expected) if ordered else (sorted(names) == sorted(expected)), (names, expected)
    for k, r in ref.items():
        t = loaded[prefix + k].detach()
        if kind == "f32":
            assert t.dtype == torch.float32 and np.array_equal(t.numpy(), r), k
        elif kind == "f16":
            assert t.dtype == torch.float16
            assert np.array_equal(t.numpy().view(np.uint16), r.astype(np.float16).view(np.uint16)), k
        elif kind == "bf16":
            assert t.dtype == torch.bfloat16 and np.array_equal(t.float().numpy(), bf16_round(r)), k


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in os.listdir(OUT_DIR):   # start clean: only files this script writes live here
        os.remove(os.path.join(OUT_DIR, name))

    manifest = OrderedDict(
        description="Reference fixtures made with real PyTorch by tools/make_torch_fixtures.py "
                    "(character-level Embedding -> RNN/LSTM/GRU -> Linear models).",
        generator="tools/make_torch_fixtures.py",
        versions=dict(torch=torch.__version__, numpy=np.__version__, safetensors=safetensors.__version__,
                      python=platform.python_version()),
        vocab_size=V, embed_dim=E, batch=BATCH, time_steps=T,
        initialisation=("PyTorch defaults under torch.manual_seed(seed) (modules created in order emb, rnn, out); "
                        "then each H x H gate block of every weight_hh_l{k} is scaled to spectral radius "
                        f"{RECURRENT_SPECTRAL_RADIUS}; input_ids = torch.randint(0, V, (batch, T), "
                        "generator=torch.Generator().manual_seed(seed))"),
        tolerance=TOLERANCE,
        conventions=CONVENTIONS,
        npz_arrays=dict(
            state_dict="PyTorch parameter names, float32 (e.g. emb.weight, rnn.weight_ih_l0, out.bias)",
            input_ids="int64 [batch, time]",
            logits="float32 [batch, time, V], PyTorch float32 CPU forward",
            rnn_output="float32 [batch, time, H], top-layer hidden state at every step",
            h_n="float32 [layers, batch, H]",
            c_n="float32 [layers, batch, H] (LSTM only)",
        ),
        models=[],
        checkpoints=[],
    )

    results = []
    for spec in MODELS:
        name = spec["name"]
        model, ids, radii = build(spec)
        logits, y, h_n, c_n = run(model, ids)
        sd = model.state_dict()
        ref = np_state(sd)

        # statistics showing the fixture is not degenerate
        no_rec = copy.deepcopy(model)
        with torch.no_grad():
            for k in range(spec["layers"]):
                getattr(no_rec.rnn, f"weight_hh_l{k}").zero_()
        logits_no_rec, y_no_rec = run(no_rec, ids)[:2]
        sensitivity = float((logits - logits_no_rec).abs().max())
        sensitivity_hidden = float((y - y_no_rec).abs().max())
        ya = y.abs()
        stats = dict(
            recurrence_sensitivity_logits=round(sensitivity, 4),
            recurrence_sensitivity_hidden=round(sensitivity_hidden, 4),
            saturated_fraction=round(float((ya > 0.99).float().mean()), 4),
            zero_fraction=round(float((y == 0).float().mean()), 4),
            mean_abs_output=round(float(ya.mean()), 4),
            logits_std=round(float(logits.std()), 4),
            default_init_spectral_radii=radii,
        )
        assert sensitivity > 100 * TOLERANCE and sensitivity_hidden > 0.02, (name, sensitivity, sensitivity_hidden)
        assert stats["saturated_fraction"] < 0.1 and stats["zero_fraction"] < 0.6, (name, stats)

        arrays = OrderedDict(ref)
        arrays["input_ids"] = ids.numpy().astype(np.int64)
        arrays["logits"] = logits.numpy().astype(np.float32)
        arrays["rnn_output"] = y.numpy().astype(np.float32)
        arrays["h_n"] = h_n.numpy().astype(np.float32)
        if c_n is not None:
            arrays["c_n"] = c_n.numpy().astype(np.float32)
        savez(os.path.join(OUT_DIR, f"{name}.npz"), arrays)

        files = [f"{name}.npz", f"{name}.pt"]
        torch.save(sd, os.path.join(OUT_DIR, f"{name}.pt"))
        manifest["checkpoints"].append(dict(file=f"{name}.pt", model=name, layout="zip state_dict (default torch.save)",
                                            dtype="float32", key_prefix=""))

        if name in EXTRA_LAYOUT_MODELS:
            def ck(file, obj, layout, dtype="float32", key_prefix="", state_dict_key=None, legacy=False, **extra):
                path = os.path.join(OUT_DIR, file)
                if legacy:
                    torch.save(obj, path, _use_new_zipfile_serialization=False)
                else:
                    torch.save(obj, path)
                files.append(file)
                manifest["checkpoints"].append(dict(file=file, model=name, layout=layout, dtype=dtype,
                                                    key_prefix=key_prefix, state_dict_key=state_dict_key, **extra))

            ck(f"{name}.lightning.ckpt", lightning_checkpoint(model, ids, spec),
               "zip; Lightning-like dict: epoch, global_step, pytorch-lightning_version, state_dict, loops, callbacks, "
               "optimizer_states (one real Adam state with 0-dim 'step' tensors), lr_schedulers, hparams_name, "
               "hyper_parameters (ints, str, bool, float, tuple, None)",
               key_prefix="model.", state_dict_key="state_dict")
            ck(f"{name}.module.pt", prefixed_state_dict(model, "module"),
               "zip state_dict with 'module.' prefix, as nn.DataParallel / DistributedDataParallel produce",
               key_prefix="module.")
            ck(f"{name}.legacy.pt", sd, "legacy non-zip torch.save (_use_new_zipfile_serialization=False)",
               legacy=True)
            half = copy.deepcopy(model).to(torch.float16).state_dict()
            ck(f"{name}.f16.pt", half, "zip state_dict, model.to(torch.float16)", dtype="float16",
               expected="exactly the float32 values rounded to float16 (round to nearest even)")
            bf = copy.deepcopy(model).to(torch.bfloat16).state_dict()
            ck(f"{name}.bf16.pt", bf, "zip state_dict, model.to(torch.bfloat16)", dtype="bfloat16",
               expected="exactly the float32 values rounded to bfloat16 (round to nearest even)")
            nc = noncontiguous_state_dict(sd)
            ck(f"{name}.noncontig.pt", nc,
               "zip state_dict with the same values but non-default strides / storage offsets",
               tensors={k: dict(shape=list(v.shape), stride=list(v.stride()), storage_offset=v.storage_offset(),
                                storage_numel=v.untyped_storage().nbytes() // 4) for k, v in nc.items()},
               note="2-D weights Fortran order; emb.weight a V x E block of a V x (E+3) row-major matrix; "
                    "all biases views into one shared storage")
            ck(f"{name}.params.pt", model.state_dict(keep_vars=True),
               "zip state_dict(keep_vars=True): values are nn.Parameter (torch._utils._rebuild_parameter)")

            st_file = f"{name}.safetensors"
            safetensors.torch.save_file(OrderedDict((k, v.contiguous()) for k, v in sd.items()),
                                        os.path.join(OUT_DIR, st_file),
                                        # one key only: safetensors writes metadata from a Rust HashMap,
                                        # so several keys come out in a different order on every run
                                        metadata={"format": "pt"})
            os.chmod(os.path.join(OUT_DIR, st_file), 0o644)  # safetensors creates it 0600
            files.append(st_file)
            manifest["checkpoints"].append(dict(file=st_file, model=name, layout="safetensors.torch.save_file",
                                                dtype="float32", key_prefix=""))
            wz = f"{name}.weights.npz"
            savez(os.path.join(OUT_DIR, wz), ref, compressed=True)
            files.append(wz)
            manifest["checkpoints"].append(dict(file=wz, model=name,
                                                layout="np.savez_compressed of the state dict only (DEFLATE entries)",
                                                dtype="float32", key_prefix=""))

        manifest["models"].append(OrderedDict(
            name=name, file=f"{name}.npz", files=files, cell=spec["cell"], nonlinearity=spec["nonlinearity"],
            layers=spec["layers"], vocab_size=V, embed_dim=E, hidden_size=spec["hidden"], bias=spec["bias"],
            out_bias=True, batch_first=True, seed=spec["seed"],
            gate_order={"rnn": None, "lstm": "i,f,g,o", "gru": "r,z,n"}[spec["cell"]],
            parameters=OrderedDict((k, list(v.shape)) for k, v in ref.items()),
            stats=stats,
        ))
        results.append((spec, model, ref))

    # ---- verification -------------------------------------------------------------------------------
    print(f"torch {torch.__version__}, numpy {np.__version__}, safetensors {safetensors.__version__}")
    print("NumPy float64 re-implementation vs PyTorch float32 (max |diff|):")
    for spec, model, ref in results:
        name = spec["name"]
        path = os.path.join(OUT_DIR, f"{name}.npz")
        z = np.load(path)
        logits, h_n, c_n = numpy_forward(path, spec)
        d = dict(logits=float(np.abs(logits - z["logits"]).max()), h_n=float(np.abs(h_n - z["h_n"]).max()))
        if c_n is not None:
            d["c_n"] = float(np.abs(c_n - z["c_n"]).max())
        print(f"  {name:16s} " + "  ".join(f"{k} {v:.3e}" for k, v in d.items()))
        assert all(v < TOLERANCE for v in d.values()), (name, d)
        entry = next(m for m in manifest["models"] if m["name"] == name)
        entry["numpy_check_max_abs_diff"] = {k: float(f"{v:.3e}") for k, v in d.items()}

    by_name = {spec["name"]: ref for spec, _, ref in results}
    for c in manifest["checkpoints"]:
        path = os.path.join(OUT_DIR, c["file"])
        describe = c["model"] in EXTRA_LAYOUT_MODELS   # keep the manifest short
        ref = by_name[c["model"]]
        if c["file"].endswith(".safetensors"):
            check_loaded(safetensors.torch.load_file(path), ref, "f32", ordered=False)  # header is sorted by name
            c["describe"] = describe_safetensors(path) if describe else None
        elif c["file"].endswith(".npz"):
            z = np.load(path)
            assert list(z.keys()) == list(ref) and all(np.array_equal(z[k], ref[k]) for k in ref)
            c["describe"] = describe_npz(path) if describe else None
        else:
            obj = torch.load(path, weights_only=True)
            sd = obj[c["state_dict_key"]] if c.get("state_dict_key") else obj
            kind = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}[c["dtype"]]
            check_loaded(sd, ref, kind, c["key_prefix"])
            if "keep_vars" in c["layout"]:
                assert all(isinstance(v, nn.Parameter) for v in sd.values())
            if "tensors" in c:
                for k, info in c["tensors"].items():
                    assert list(sd[k].stride()) == info["stride"] and sd[k].storage_offset() == info["storage_offset"]
            with open(path, "rb") as f:
                head = f.read(4)
            if head == b"PK\x03\x04":
                c["describe"] = describe_zip(path) if describe else None
            else:
                c["describe"] = describe_legacy(path, itemsize=4)
        if c["describe"] is None:
            del c["describe"]
    print(f"checked {len(manifest['checkpoints'])} checkpoint files against the reference state dicts")

    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        f.write(dump_json(manifest) + "\n")
        f.write("\n")

    total = 0
    for fn in sorted(os.listdir(OUT_DIR)):
        size = os.path.getsize(os.path.join(OUT_DIR, fn))
        total += size
    print(f"wrote {len(os.listdir(OUT_DIR))} files, {total} bytes, to {os.path.relpath(OUT_DIR, REPO)}")
    assert total < 1_000_000


if __name__ == "__main__":
    sys.exit(main())
