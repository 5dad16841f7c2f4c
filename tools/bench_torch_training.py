#!/usr/bin/env python3
"""Training throughput of PyTorch's own recurrent layers on kru-bench's character model (section 3's peer).

Never run in CI; run by hand with a venv holding torch (the CPU wheel; see tools/README.md):

    /work/torchenv/bin/python tools/bench_torch_training.py [--json] [--seconds 3] [--threads N]

The model is the one `kru-bench` section 3 and `kru train --task charlm --embedding 32` train: nn.Embedding(64, 32)
-> nn.LSTM(32, 512) (or nn.RNN with tanh) -> nn.Linear(512, 64); batch 16 streams, truncated BPTT over 100
characters with the state carried between chunks, cross-entropy, gradient-norm clipping at 1, Adam (lr 1e-4).
Random tokens (the speed does not depend on the text). PyTorch's default thread count unless --threads is given.
Prints characters per second: the median over timed rounds of updates, after warm-up.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

VOCABULARY, EMBEDDING, HIDDEN, STREAMS, BPTT = 64, 32, 512, 16, 100


class CharacterModel(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, EMBEDDING)
        recurrent = {"lstm": nn.LSTM, "rnn_tanh": nn.RNN}[cell]
        self.recurrent = recurrent(EMBEDDING, HIDDEN, batch_first=True)
        self.readout = nn.Linear(HIDDEN, VOCABULARY)

    def forward(self, tokens, state):
        outputs, state = self.recurrent(self.embedding(tokens), state)
        return self.readout(outputs), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def measure(cell, seconds, rounds):
    torch.manual_seed(0)
    model = CharacterModel(cell)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    tokens = torch.randint(0, VOCABULARY, (STREAMS, BPTT + 1))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    state = None

    def update():
        nonlocal state
        logits, state = model(inputs, state)
        state = detach(state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        update()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / rounds:  # calibrate one round
        update()
        calls += 1
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            update()
        rates.append(calls * STREAMS * BPTT / (time.perf_counter() - start))
    return {"cell": cell, "hidden_size": HIDDEN, "characters_per_second": statistics.median(rates),
            "updates_per_round": calls, "rounds": rounds,
            "parameters": sum(p.numel() for p in model.parameters())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per cell (after warm-up)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's own choice)")
    parser.add_argument("--cells", default="lstm", help="comma-separated: lstm, rnn_tanh")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = [measure(cell, args.seconds, args.rounds) for cell in args.cells.split(",")]
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}
    if args.json:
        print(json.dumps(report))
    else:
        for r in results:
            print(f"PyTorch {report['torch']} nn.{'LSTM' if r['cell'] == 'lstm' else 'RNN'}-{r['hidden_size']}: "
                  f"{r['characters_per_second']:.0f} chars/s ({report['threads']} threads)")


if __name__ == "__main__":
    main()
