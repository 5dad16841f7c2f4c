"""Train a character language model with kru.torch — on a CPU, a GPU, or many GPUs and machines with PyTorch's
DistributedDataParallel — and write it as a `.kru` file the Swift engine runs (`kru sample`, `kru score`).

    python3 -m kru.torch.train --text train.txt --valid valid.txt --cell kru --hidden 512 \\
        --factors 2x2x2x2x2x2x2x2x2 --embedding 32 --steps 2000 --out kjv-kru512.kru
    torchrun --nproc_per_node 4 -m kru.torch.train …                       # 4 processes (GPUs) on one machine
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 -m kru.torch.train …

Every process reads the whole text and takes its own share of the --batch streams, so N processes compute the
gradient one process computes on the whole batch (DDP averages the N per-process means of equal shares). The
vocabulary is the sorted distinct characters of the training text (as `kru train`). Run under torchrun, it
uses NCCL on GPUs and gloo on CPUs; collectives give up after --timeout seconds instead of waiting forever on a
process that died.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from ..model.tokenizer import Tokenizer
from .export import save
from .model import LanguageModel, next_token_loss


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m kru.torch.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--text", required=True, help="training text (UTF-8)")
    p.add_argument("--valid", help="held-out text (UTF-8) scored at the end, as `kru score` scores it")
    p.add_argument("--out", required=True, help="the .kru file to write (atomically, by process 0)")
    p.add_argument("--cell", default="kru", choices=["kru", "lstm", "gru", "rnn_tanh", "rnn_relu"])
    p.add_argument("--hidden", type=int, default=128, help="N, the state size of each layer")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--factors", help="square Kronecker factor sizes, e.g. 2x2x2x2x2x2x2 (product N); "
                                     "omit for a dense recurrence")
    p.add_argument("--rank", type=int, default=1, help="Kronecker terms per recurrent block")
    p.add_argument("--embedding", type=int, help="embedding width (default: one-hot input)")
    p.add_argument("--activation", default="modrelu", choices=["modrelu", "split_relu", "split_tanh"])
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=32, help="sequences per update, over all processes")
    p.add_argument("--bptt", type=int, default=100, help="steps per truncated-backpropagation chunk")
    p.add_argument("--steps", type=int, default=1000, help="updates")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--penalty", type=float, default=0.01, help="λ of the soft unitary penalty (KRU paper)")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip (0: off)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--device", default="auto", help="auto (the local GPU if there is one), cpu, cuda, cuda:1 …")
    p.add_argument("--timeout", type=float, default=300, help="seconds before a collective gives up")
    args = p.parse_args(argv)
    if args.factors is not None:
        try:
            args.factors = [int(f) for f in args.factors.lower().split("x")]
        except ValueError:
            p.error(f"--factors {args.factors!r}: expected sizes like 4x4x8")
    return args


class Process:
    """Where this process sits: rank and world size under torchrun (1 process otherwise), and its device."""

    def __init__(self, device: str, timeout: float):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device == "auto":
            device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo",
                                    timeout=timedelta(seconds=timeout))

    def log(self, message: str) -> None:
        if self.rank == 0:
            print(message, flush=True)

    def close(self) -> None:
        # The barrier keeps the other ranks from tearing the group down while rank 0 still validates and writes:
        # a gloo peer that left first made rank 1 abort ("terminate called without an active exception").
        if self.world > 1:
            dist.barrier()
            dist.destroy_process_group()


def streams(ids: torch.Tensor, batch: int, process: Process) -> torch.Tensor:
    """This process's rows of the [batch, L] matrix of contiguous streams the text is cut into."""
    if batch % process.world:
        raise SystemExit(f"--batch {batch} must be a multiple of the number of processes ({process.world})")
    length = ids.numel() // batch
    share = batch // process.world
    return ids[: length * batch].view(batch, length)[process.rank * share:(process.rank + 1) * share]


@torch.no_grad()
def bits_per_char(model: LanguageModel, ids: torch.Tensor, chunk: int = 2048) -> float:
    """Every character after the first predicted from the zero state, as `kru score` does."""
    model.eval()
    total, state = 0.0, None
    for start in range(0, ids.numel() - 1, chunk):
        x = ids[start:start + chunk + 1].unsqueeze(0)
        logits, state = model(x[:, :-1], state)
        total += F.cross_entropy(logits[0], x[0, 1:], reduction="sum").item()
    model.train()
    return total / (ids.numel() - 1) / math.log(2)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    process = Process(args.device, args.timeout)
    print(f"rank {process.rank}/{process.world} pid {os.getpid()} on {process.device}", file=sys.stderr, flush=True)
    text = open(args.text, encoding="utf-8", newline="").read()
    tokenizer = Tokenizer.from_text(text)
    data = streams(torch.tensor(tokenizer.encode(text)), args.batch, process).to(process.device)
    if data.shape[1] < args.bptt + 1:
        raise SystemExit(f"{args.text} is too short for {args.batch} streams of {args.bptt + 1} characters")

    torch.manual_seed(args.seed)                    # the same initial weights in every process
    model = LanguageModel.build(tokenizer.vocabulary, args.cell, args.hidden, args.layers, args.factors, args.rank,
                                args.embedding, args.activation, args.dropout).to(process.device)
    if process.world == 1:
        wrapped = model
    elif process.device.type == "cuda":
        wrapped = DistributedDataParallel(model, device_ids=[process.device.index])
    else:
        wrapped = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    process.log(f"{sum(p.numel() for p in model.parameters()):,} parameters, vocabulary {len(tokenizer)}, "
                f"{process.world} process(es), {data.shape[0]} streams of {data.shape[1]} characters each")

    state, position, started = None, 0, time.time()
    for step in range(1, args.steps + 1):
        if position + args.bptt + 1 > data.shape[1]:
            state, position = None, 0                   # back to the start of the streams, from the zero state
        loss, state = next_token_loss(wrapped, data[:, position:position + args.bptt + 1], state)
        position += args.bptt
        penalty = model.unitary_penalty() if args.penalty > 0 else loss.new_zeros(())
        optimizer.zero_grad()
        (loss + args.penalty * penalty).backward()      # DDP averages the gradients over the processes here
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        if step % args.log_every == 0 or step == args.steps:
            rate = step * args.bptt * args.batch / (time.time() - started)
            process.log(f"step {step}/{args.steps}  loss {loss.item():.4f} nats ({loss.item() / math.log(2):.4f} "
                        f"bits/char, this process's share)  penalty {penalty.item():.3g}  {rate:,.0f} chars/s")

    metadata = {"kru.train.tool": "kru.torch.train", "kru.train.steps": args.steps, "kru.train.batch": args.batch,
                "kru.train.bptt": args.bptt, "kru.train.lr": args.lr, "kru.train.unitary_penalty": args.penalty,
                "kru.train.processes": process.world, "kru.train.seed": args.seed}
    if process.rank == 0:
        if args.valid:
            valid_text = open(args.valid, encoding="utf-8", newline="").read()
            valid = torch.tensor(tokenizer.encode(valid_text, unknown="skip"))     # as kru score --skip-unknown
            score = bits_per_char(model, valid.to(process.device))
            metadata["kru.train.valid_bits_per_char"] = score
            process.log(f"valid bits/char {score:.6f}")
        size = save(model, args.out, metadata=metadata)
        process.log(f"wrote {args.out} ({size:,} bytes)")
    process.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
