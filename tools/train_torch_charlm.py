#!/usr/bin/env python3
"""Train a small dense character LSTM with real PyTorch, to have a genuinely trained checkpoint for `kru convert`.

Run once by hand (never in CI), with the venv described in tools/README.md:
    tools/data/kjv.sh data/kjv
    /tmp/torchenv/bin/python tools/train_torch_charlm.py data/kjv out/kjv_lstm128.pt --minutes 6

Model: nn.Embedding(V, 32) -> nn.LSTM(32, 128, batch_first=True) -> nn.Linear(128, V), V = the sorted distinct
characters of train.txt (the `--vocab-text data/kjv/train.txt` convention of `kru convert`). Adam 2e-3,
truncated BPTT of 100 characters, batch 32, seed 0, gradient-norm clip 1. Saves torch.save(state_dict) and
prints the validation bits per character measured by PyTorch itself (a number to compare with `kru score`).
"""
import argparse, math, pathlib, time

import torch
import torch.nn as nn


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed=32, hidden=128):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.rnn(self.emb(x), state)
        return self.out(h), state


def bits_per_char(model, ids, chunk=2000):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, len(ids) - 1, chunk):
            x = ids[start:start + chunk].unsqueeze(0)
            y = ids[start + 1:start + chunk + 1].unsqueeze(0)
            x = x[:, : y.shape[1]]
            logits, state = model(x, state)
            total += nn.functional.cross_entropy(logits[0], y[0], reduction="sum").item()
            count += y.shape[1]
    model.train()
    return total / count / math.log(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=6)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    data = pathlib.Path(args.data)
    train_text = (data / "train.txt").read_text()
    valid_text = (data / "valid.txt").read_text()[:50000]
    vocab = sorted(set(train_text))
    index = {c: i for i, c in enumerate(vocab)}
    train = torch.tensor([index[c] for c in train_text])
    valid = torch.tensor([index[c] for c in valid_text if c in index])
    model = CharLSTM(len(vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    batch, bptt = 32, 100
    stride = len(train) // batch
    streams = train[: stride * batch].view(batch, stride)
    state, position, step, start = None, 0, 0, time.time()
    while time.time() - start < args.minutes * 60:
        if position + bptt + 1 >= stride:
            position, state = 0, None
        x = streams[:, position:position + bptt]
        y = streams[:, position + 1:position + bptt + 1]
        position += bptt
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % 200 == 0:
            print(f"step {step}  train {loss.item() / math.log(2):.3f} bits/char  "
                  f"{time.time() - start:.0f} s", flush=True)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out)
    print(f"saved {out}: {step} steps, {sum(p.numel() for p in model.parameters())} parameters, "
          f"vocabulary {len(vocab)}, validation (first 50,000 chars) "
          f"{bits_per_char(model, valid):.4f} bits/char (PyTorch)")


if __name__ == "__main__":
    main()
