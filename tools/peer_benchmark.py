#!/usr/bin/env python3
"""What a user would pick instead of kru for a dense character LSTM, measured beside kru in one run.

    /path/to/venv/bin/python tools/peer_benchmark.py [--model models/kjv-lstm512.kru] [--kru-bench PATH]

Needs torch, onnxruntime and onnx (a scratch venv: `python3 -m venv v && v/bin/pip install torch onnxruntime onnx`;
the CPU wheel of torch is enough). Never run in CI. The model's weights are read with the project's Python package
(python/kru, `kru.format`) into PyTorch's nn.Embedding, nn.LSTM and nn.Linear — the same model kru runs — and
the script checks that PyTorch's logits match `kru run` before it times anything. Then, interleaved in rounds:

- sampling one token at a time (batch 1): PyTorch eager (one nn.LSTM step per token, torch.multinomial) and ONNX
  Runtime (one `run` per token on the exported one-step graph, NumPy sampling), each with the library's default
  threads (all cores) and with one thread;
- scoring a text of --score-length characters of data/kjv/test.txt: nn.LSTM over the whole sequence at once, and
  ONNX Runtime on the exported whole-sequence graph (the log-softmax of the true next characters included).

Finally it runs `kru-bench --json --model <model>` (built with `swift build -c release --product kru-bench`) and
prints kru's sampling and scoring rates from that run beside the peers', with the ratios docs/BENCHMARKS.md
records. Every rate is the median of five timed rounds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from kru import format as kru_format  # noqa: E402  (the project's Python reader; no install needed)


class CharLSTM(torch.nn.Module):
    """embedding → one LSTM layer → linear readout: the kjv-lstm512 architecture (spec/MODEL.md)."""

    def __init__(self, weights):
        super().__init__()
        v, e = weights["input.embedding"].shape
        n = weights["layer.0.weight_hh"].shape[1]
        self.embedding = torch.nn.Embedding(v, e)
        self.lstm = torch.nn.LSTM(e, n, batch_first=True)
        self.readout = torch.nn.Linear(n, weights["readout.weight"].shape[0])
        with torch.no_grad():
            self.embedding.weight.copy_(torch.from_numpy(weights["input.embedding"]))
            self.lstm.weight_ih_l0.copy_(torch.from_numpy(weights["layer.0.weight_ih"]))
            self.lstm.weight_hh_l0.copy_(torch.from_numpy(weights["layer.0.weight_hh"]))
            self.lstm.bias_ih_l0.copy_(torch.from_numpy(weights["layer.0.bias_ih"]))
            self.lstm.bias_hh_l0.copy_(torch.from_numpy(weights["layer.0.bias_hh"]))
            self.readout.weight.copy_(torch.from_numpy(weights["readout.weight"]))
            self.readout.bias.copy_(torch.from_numpy(weights["readout.bias"]))

    def forward(self, tokens, h, c):
        out, (h, c) = self.lstm(self.embedding(tokens), (h, c))
        return self.readout(out), h, c


class Scorer(torch.nn.Module):
    """Mean negative log-likelihood of tokens[1:] given tokens[:-1], from the zero state."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        n = self.model.lstm.hidden_size
        zeros = torch.zeros(1, 1, n)
        logits, _, _ = self.model(tokens[:, :-1], zeros, zeros)
        logp = torch.log_softmax(logits, dim=-1)
        return -logp.gather(2, tokens[:, 1:].unsqueeze(-1)).mean()


def load(path):
    f = kru_format.open_kru(path)
    names = ["input.embedding", "layer.0.weight_ih", "layer.0.weight_hh", "layer.0.bias_ih", "layer.0.bias_hh",
             "readout.weight", "readout.bias"]
    weights = {name: f.read_tensor(name).astype(np.float32) for name in names}
    meta = {key: value for key, _, value in f.metadata}
    if meta.get("kru.layer.0.cell") != "lstm" or meta.get("kru.layer_count") != 1:
        sys.exit(f"{path}: this script runs one-layer LSTM character models")
    return weights, list(meta["kru.input.vocabulary"])


def check_against_kru(model, kru, path, vocabulary_size):
    """PyTorch's logits for a random sequence must match `kru run` on it (the two run the same model)."""
    tokens = np.random.default_rng(1).integers(0, vocabulary_size, size=200).astype(np.int64)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/in.npy", tokens)
        subprocess.run([kru, "run", path, "--input", f"{tmp}/in.npy", "--output", f"{tmp}/out.npy"], check=True)
        theirs = np.load(f"{tmp}/out.npy")
    n = model.lstm.hidden_size
    with torch.no_grad():
        ours, _, _ = model(torch.from_numpy(tokens)[None], torch.zeros(1, 1, n), torch.zeros(1, 1, n))
    difference = float(np.max(np.abs(ours[0].numpy() - theirs)))
    print(f"PyTorch vs kru run, max |Δlogit| over 200 steps: {difference:.2e}", file=sys.stderr)
    if difference > 1e-3:
        sys.exit("PyTorch and kru disagree on the model: not timing different computations")


def timed(function, rounds=5):
    """Median seconds of `function()` over `rounds` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def export_onnx(model, tmp):
    n = model.lstm.hidden_size
    step, sequence = f"{tmp}/step.onnx", f"{tmp}/sequence.onnx"
    zeros = torch.zeros(1, 1, n)
    token = torch.zeros(1, 1, dtype=torch.int64)
    torch.onnx.export(model, (token, zeros, zeros), step, input_names=["token", "h", "c"],
                      output_names=["logits", "h_out", "c_out"], dynamo=False)
    torch.onnx.export(Scorer(model), (torch.zeros(1, 16, dtype=torch.int64),), sequence, input_names=["tokens"],
                      output_names=["nll"], dynamic_axes={"tokens": {1: "length"}}, dynamo=False)
    return step, sequence


def ort_session(path, threads):
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/kjv-lstm512.kru")
    parser.add_argument("--text", default="data/kjv/test.txt")
    parser.add_argument("--sample-length", type=int, default=2000)
    parser.add_argument("--score-length", type=int, default=200_000)
    parser.add_argument("--kru", default=".build/release/kru")
    parser.add_argument("--kru-bench", default=".build/release/kru-bench")
    parser.add_argument("--extra-model", action="append", default=[],
                        help="more --model files for the same kru-bench run (e.g. models/kjv-kru512.kru)")
    args = parser.parse_args()

    weights, vocabulary = load(args.model)
    model = CharLSTM(weights).eval()
    v, n = len(vocabulary), model.lstm.hidden_size
    check_against_kru(model, args.kru, args.model, v)
    index = {ch: i for i, ch in enumerate(vocabulary)}
    with open(args.text, encoding="utf-8") as f:
        text = [index[ch] for ch in f.read() if ch in index][: args.score_length]
    score_tokens = torch.tensor([text], dtype=torch.int64)
    default_threads = torch.get_num_threads()

    def torch_sampling():
        h = c = torch.zeros(1, 1, n)
        token = torch.zeros(1, 1, dtype=torch.int64)
        generator = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for _ in range(args.sample_length):
                logits, h, c = model(token, h, c)
                token = torch.multinomial(torch.softmax(logits[0, 0], 0), 1, generator=generator).view(1, 1)

    scorer = Scorer(model).eval()

    def torch_scoring():
        with torch.no_grad():
            scorer(score_tokens)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        step_path, sequence_path = export_onnx(model, tmp)
        for threads in (None, 1):
            label = f"{default_threads} threads" if threads is None else "1 thread"
            torch.set_num_threads(threads or default_threads)
            step_session, sequence_session = ort_session(step_path, threads), ort_session(sequence_path, threads)
            rng = np.random.default_rng(1)

            def ort_sampling():
                h = c = np.zeros((1, 1, n), np.float32)
                token = np.zeros((1, 1), np.int64)
                for _ in range(args.sample_length):
                    logits, h, c = step_session.run(None, {"token": token, "h": h, "c": c})
                    p = np.exp(logits[0, 0] - logits[0, 0].max())
                    token[0, 0] = rng.choice(v, p=p / p.sum())

            def ort_scoring():
                sequence_session.run(None, {"tokens": score_tokens.numpy()})

            results[f"PyTorch eager, {label}"] = (args.sample_length / timed(torch_sampling),
                                                  score_tokens.shape[1] / timed(torch_scoring, rounds=3))
            results[f"ONNX Runtime {ort.__version__}, {label}"] = (args.sample_length / timed(ort_sampling),
                                                                  score_tokens.shape[1] / timed(ort_scoring, rounds=3))
            for name in list(results)[-2:]:
                print(f"measured {name}: sampling {results[name][0]:.0f} tok/s, scoring {results[name][1]:.0f} tok/s",
                      file=sys.stderr)
        torch.set_num_threads(default_threads)

    command = [args.kru_bench, "--json", "--model", args.model] + sum((["--model", m] for m in args.extra_model), [])
    bench = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)  # snake_case keys
    zoo = {m["path"]: m for m in bench["zoo_models"]}
    kru = zoo[args.model]
    print(f"peers: torch {torch.__version__}, onnxruntime {ort.__version__}; {os.cpu_count()} cores; load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"model {args.model}: V = {v}, N = {n}; sampling {args.sample_length} tokens one at a time; scoring "
          f"{score_tokens.shape[1]} characters of {args.text}")
    print(f"{'':34s} {'sampling tok/s':>15s} {'scoring tok/s':>15s}")
    kru_exact = [("kru (1 thread), exact single stream", kru["sampling_tokens_per_second"],
                  kru["scoring_tokens_per_second"])]
    if kru.get("shared_threads"):  # the exact single stream again, its large products shared between threads
        kru_exact.append((f"kru ({kru['shared_threads']} threads), exact stream",
                          kru["shared_sampling_tokens_per_second"], kru["shared_scoring_tokens_per_second"]))
    rows = kru_exact + [(f"kru, {16} parallel streams / samples", kru["batched_sampling_tokens_per_second"],
                         kru["parallel_scoring_tokens_per_second"])]
    rows += [(name, sampling, scoring) for name, (sampling, scoring) in results.items()]
    for name, sampling, scoring in rows:
        print(f"{name:34s} {sampling:15.0f} {scoring:15.0f}")
    for path in args.extra_model:  # the other files of the same kru-bench run, for comparisons under equal load
        other = zoo[path]
        print(f"kru, --extra-model {path}: sampling {other['sampling_tokens_per_second']:.0f}, scoring (exact) "
              f"{other['scoring_tokens_per_second']:.0f}, 16 streams {other['batched_sampling_tokens_per_second']:.0f}"
              f" / {other['parallel_scoring_tokens_per_second']:.0f} tok/s; {args.model} / it: sampling "
              f"{kru['sampling_tokens_per_second'] / other['sampling_tokens_per_second']:.2f}×")
    for name, (sampling, scoring) in results.items():
        print(f"kru / {name}: sampling {kru['sampling_tokens_per_second'] / sampling:.2f}×, scoring (exact) "
              f"{kru['scoring_tokens_per_second'] / scoring:.2f}×, scoring (16 streams) "
              f"{kru['parallel_scoring_tokens_per_second'] / scoring:.2f}×")
    # Each program at its fastest thread count: kru's exact single stream against each peer's.
    kru_sampling = max(kru_exact, key=lambda row: row[1])
    kru_scoring = max(kru_exact, key=lambda row: row[2])
    for peer in ("PyTorch eager", f"ONNX Runtime {ort.__version__}"):
        mine = [(name, rates) for name, rates in results.items() if name.startswith(peer)]
        sampling = max(mine, key=lambda item: item[1][0])
        scoring = max(mine, key=lambda item: item[1][1])
        print(f"fastest against fastest, {peer}: sampling {kru_sampling[1] / sampling[1][0]:.2f}× "
              f"({kru_sampling[0]} / {sampling[0]}), exact scoring {kru_scoring[2] / scoring[1][1]:.2f}× "
              f"({kru_scoring[0]} / {scoring[0]})")
    if kru.get("gate_matvec"):
        gate = kru["gate_matvec"]
        print(f"gate product {gate['rows']}×{gate['columns']}: kru {gate['kru_seconds'] * 1e6:.1f} µs, OpenBLAS sgemv "
              f"1 thread {gate['openblas_one_thread_seconds'] * 1e6:.1f} µs")
    for check in bench["checks"]:
        print(("PASS  " if check["passed"] else "FAIL  ") + check["name"] + ": " + check["detail"])


if __name__ == "__main__":
    main()
