"""`kru` never leaves a torn output file: a run killed with SIGKILL at any moment leaves the file it was replacing
either as it was or complete, and the next run removes the temporary files killed runs left behind (and only those:
a temporary file another writer holds locked is left alone).

Oracle: the bytes of an uninterrupted run of the same (deterministic) conversion, and the bytes of the file that was
there before. The conversion is made slow enough to be killed mid-write: a dense LSTM with N = 512 (a 4 MB
recurrent matrix of random values, which zlib cannot shrink much) copied with `--factors none`.
"""

from __future__ import annotations

import fcntl
import json
import random
import signal
import subprocess
import time

import numpy as np
import pytest

KILLS = 16


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("atomic")
    rng = np.random.default_rng(7)
    vocabulary, embedding, hidden = 16, 8, 512
    arrays = {
        "emb.weight": rng.standard_normal((vocabulary, embedding)),
        "rnn.weight_ih_l0": rng.standard_normal((4 * hidden, embedding)),
        "rnn.weight_hh_l0": rng.standard_normal((4 * hidden, hidden)) / hidden ** 0.5,
        "rnn.bias_ih_l0": rng.standard_normal(4 * hidden),
        "rnn.bias_hh_l0": rng.standard_normal(4 * hidden),
        "out.weight": rng.standard_normal((vocabulary, hidden)),
        "out.bias": rng.standard_normal(vocabulary),
    }
    np.savez(folder / "lstm512.npz", **{name: value.astype(np.float32) for name, value in arrays.items()})
    (folder / "vocab.json").write_text(json.dumps(list("abcdefghijklmnop")), encoding="utf-8")
    return folder


def convert_command(kru_binary, folder, output) -> list[str]:
    return [str(kru_binary), "convert", str(folder / "lstm512.npz"), "--factors", "none",
            "--vocab", str(folder / "vocab.json"), "-o", str(output)]


def temporaries(output) -> list:
    return sorted(output.parent.glob(f".{output.name}.tmp-*"))


def test_a_killed_conversion_leaves_the_old_file_or_the_whole_new_one(checkpoint, kru_binary):
    reference = checkpoint / "reference.kru"
    started = time.monotonic()
    subprocess.run(convert_command(kru_binary, checkpoint, reference), check=True, capture_output=True)
    duration = time.monotonic() - started
    subprocess.run(convert_command(kru_binary, checkpoint, checkpoint / "again.kru"), check=True, capture_output=True)
    new = reference.read_bytes()
    assert (checkpoint / "again.kru").read_bytes() == new, "the conversion is not deterministic: no oracle"

    output = checkpoint / "model.kru"
    old = b"the file that was here before\n"
    rng = random.Random(3)
    killed_while_running, outcomes = 0, {"old": 0, "new": 0}
    for _ in range(KILLS):
        output.write_bytes(old)
        run = subprocess.Popen(convert_command(kru_binary, checkpoint, output), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 0.8 * duration))
        run.send_signal(signal.SIGKILL)
        if run.wait(timeout=120) == -signal.SIGKILL:
            killed_while_running += 1
        found = output.read_bytes()
        assert found in (old, new), f"a torn file: {len(found)} bytes, neither the old file nor the whole new one"
        outcomes["old" if found == old else "new"] += 1
    print(f"{KILLS} kills over a {duration:.2f} s conversion: {killed_while_running} while running; "
          f"afterwards {outcomes['old']} old files, {outcomes['new']} complete new ones; "
          f"{len(temporaries(output))} temporary files left behind")
    assert killed_while_running >= KILLS // 3, "too few kills landed while kru ran for the test to mean anything"

    # What a killed run leaves (an unlocked temporary) must go; a live writer's (locked) temporary must stay.
    left_by_a_killed_run = checkpoint / f".{output.name}.tmp-Killed"
    left_by_a_killed_run.write_bytes(new[: len(new) // 2])
    held = checkpoint / f".{output.name}.tmp-Living"
    with open(held, "wb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)
        subprocess.run(convert_command(kru_binary, checkpoint, output), check=True, capture_output=True)
        assert output.read_bytes() == new
        assert temporaries(output) == [held], "the next run must remove exactly what killed runs left behind"
