#!/usr/bin/env python3
"""Checkpoints written by the two best-known PyTorch recurrent-LM training scripts, with PyTorch's logits.

Run by hand, never in CI (it needs PyTorch); its outputs in Tests/Fixtures/scripts/ are committed and are the
oracle for `kru convert` on real users' checkpoints (Tests/ConvertTests/ScriptCheckpointTests.swift):

    /work/torchenv/bin/python -m pip install --target /tmp/kru-extra unidecode tqdm     # char-rnn's imports
    PYTHONPATH=/tmp/kru-extra /work/torchenv/bin/python tools/make_script_fixtures.py \\
        --examples GIT_DIR_OF_pytorch/examples --char-rnn GIT_DIR_OF_spro/char-rnn.pytorch

The script fetches nothing. It exports the two training scripts at the commits below from git repositories the
caller has (`git archive`, into a temporary folder that is deleted afterwards: their code never enters this
repository), runs them **unchanged except for the patches listed in PATCHES** on a tiny corpus with tiny sizes,
and keeps what they save. Then, for every saved model, it loads it with PyTorch (`weights_only=False`: these are
our own files), computes the logits on fixed inputs and writes the other layouts users have: the state dict, the
legacy (pre-1.6) whole-module format, a checkpoint dict that holds the module, a Lightning checkpoint whose
hyper-parameters hold the module, and TorchScript archives (`torch.jit.trace`, `torch.jit.script`).

Outputs (see tools/README.md for the table):
* `wlm_*.pt` — pytorch/examples word_language_model/main.py `torch.save(model, f)` (class `model.RNNModel`);
* `charrnn_*.pt` — spro/char-rnn.pytorch train.py `torch.save(decoder, f)` (class `model.CharRNN`);
* `NAME.*.pt`, `NAME.*.ckpt` — the other layouts of the same weights;
* `NAME.json` — the oracle: inputs, PyTorch's float32 logits, the vocabulary the script used, the structure;
* `wlm-corpus/{train,valid,test}.txt`, `charrnn-corpus.txt` — the corpora (made here, deterministic);
* `manifest.json` — commits, patches, commands, versions and every file.
"""
import argparse
import copy
import io
import json
import os
import platform
import random
import shutil
import string
import subprocess
import sys
import tarfile
import tempfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "Fixtures", "scripts")

EXAMPLES_COMMIT = "77f55b912142e11fcfdf5b530231fb9c52f181e8"  # pytorch/examples, word_language_model/
CHAR_RNN_COMMIT = "282bcb6b15ab3929d6a588b455cfc0f19f32add4"  # spro/char-rnn.pytorch

# The only changes made to the third-party code: (file, exact text, replacement, why). Each text must occur exactly
# once, so a different commit fails loudly instead of running something else.
PATCHES = {
    "char-rnn": [
        ("train.py", "return loss.data[0] / args.chunk_len", "return loss.item() / args.chunk_len",
         "indexing a 0-dim tensor (loss.data[0]) is an error since PyTorch 0.5; .item() is what it meant"),
    ],
    "word_language_model": [],
}

# word_language_model runs: (name, --model, --emsize, --nhid, --nlayers, --tied, --lr), each for EPOCHS epochs. With
# the script's defaults for this tiny corpus (lr 20, a few epochs) some networks end up ignoring their input — the
# LSTMs predict the unigram distribution, the ReLU networks die (the top layer stays at 0) — and logits that hardly
# change from step to step would check little of the recurrence; lr 5 (1 for ReLU) and 20 epochs train them all.
WORD_MODELS = [
    ("wlm_lstm", "LSTM", 10, 12, 2, False, 5),        # emsize ≠ nhid
    ("wlm_lstm_square", "LSTM", 12, 12, 2, False, 5),  # emsize = nhid: embedding and readout have the same shape
    ("wlm_lstm_tied", "LSTM", 12, 12, 2, True, 5),     # --tied: the readout is the embedding (one storage)
    ("wlm_gru", "GRU", 12, 12, 2, False, 5),
    ("wlm_rnn_tanh", "RNN_TANH", 10, 12, 2, False, 5),
    ("wlm_rnn_relu", "RNN_RELU", 12, 12, 2, False, 1),  # the state dict alone cannot say relu
    ("wlm_rnn_relu_tied", "RNN_RELU", 12, 12, 1, True, 1),
]
EPOCHS = 20
# char-rnn runs: (name, --model, --hidden_size, --n_layers).
CHAR_MODELS = [
    ("charrnn_gru", "gru", 16, 2),
    ("charrnn_lstm", "lstm", 16, 1),
]
# Models whose weights are also written in the other layouts.
VARIANT_MODELS = ["wlm_rnn_relu", "wlm_lstm_tied", "charrnn_lstm"]
SEED = 1111


def run(cmd, cwd, env=None):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def export(git_dir, commit, paths, into):
    """`git archive` of `paths` at `commit`, unpacked into `into`."""
    archive = subprocess.run(["git", "--git-dir", git_dir, "archive", "--format=tar", commit, *paths],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def apply_patches(folder, patches):
    for file, old, new, _ in patches:
        path = os.path.join(folder, file)
        text = open(path, encoding="utf-8").read()
        assert text.count(old) == 1, f"{file}: the patched text occurs {text.count(old)} times"
        open(path, "w", encoding="utf-8").write(text.replace(old, new))


# --------------------------------------------------------------------------------------------------------------
# Corpora: small, deterministic, with what real text has (punctuation, <unk> as wikitext writes it, a word that
# is not ASCII, an empty line, tabs and runs of spaces).

SUBJECTS = ["the king", "the people", "a man", "his son", "the lord", "they", "she", "the city", "our fathers"]
VERBS = ["said", "went", "came", "saw", "heard", "built", "kept", "gave", "called"]
OBJECTS = ["the house", "the land", "a word", "the gate", "bread", "the law", "all things", "the café", "<unk>"]
ENDS = [".", ",", ";", ":", "!"]


def sentence(rng):
    words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)]
    if rng.random() < 0.4:
        words += ["and", rng.choice(VERBS), rng.choice(OBJECTS)]
    return " ".join(words) + " " + rng.choice(ENDS)


def word_corpus(folder):
    rng = random.Random(7)
    os.makedirs(folder, exist_ok=True)
    for name, lines in [("train", 90), ("valid", 24), ("test", 24)]:
        with open(os.path.join(folder, name + ".txt"), "w", encoding="utf-8", newline="\n") as f:
            for i in range(lines):
                if i == 5:
                    f.write("\n")  # an empty line: word_language_model gives it one <eos>
                elif i == 9:
                    f.write("\tthe king\tsaid  ,   the  law .\n")
                else:
                    f.write(" " + sentence(rng) + " \n")  # wikitext style: a space at both ends


# Text that exercises every rule of word_language_model's tokenisation (spec/MODEL.md §4.2, `words`): CRLF, a lone
# CR, a last line without a line end, an empty line, runs of spaces and tabs, and the less common scalars Python's
# str.split() treats as whitespace (U+000B, U+001C, U+0085, U+00A0, U+2028, U+3000) or not (U+200B, U+FEFF).
WORDS_EDGE_TEXT = ("the king\r\nsaid  \t,\rthe\x0bland\x1cof\x85our\xa0fathers\u2028and\u3000the\n\n"
                   "zero\u200bwidth \ufeffbom\nlast line")


def words_tokenizer_oracle(data_module, work):
    """word_language_model's own Corpus.tokenize on WORDS_EDGE_TEXT (written as bytes, so no newline is
    translated on the way): its dictionary order and ids are the oracle for the `words` tokenizer."""
    path = os.path.join(work, "edge.txt")
    with open(path, "wb") as f:
        f.write(WORDS_EDGE_TEXT.encode("utf-8"))
    corpus = data_module.Corpus.__new__(data_module.Corpus)  # tokenize one file, not train/valid/test
    corpus.dictionary = data_module.Dictionary()
    ids = corpus.tokenize(path)
    return {"text": WORDS_EDGE_TEXT, "dictionary": corpus.dictionary.idx2word, "ids": ids.tolist(),
            "made_by": "word_language_model/data.py: Corpus.tokenize(file holding the text) with a new Dictionary"}


def char_corpus(path):
    rng = random.Random(11)
    text = "\n".join(sentence(rng).capitalize() for _ in range(120)) + "\n"
    open(path, "w", encoding="utf-8", newline="\n").write(text)


# --------------------------------------------------------------------------------------------------------------
# Running the scripts.

def train_word_models(code, corpus, work):
    files = {}
    for name, cell, emsize, nhid, layers, tied, lr in WORD_MODELS:
        path = os.path.join(work, name + ".pt")
        cmd = [sys.executable, "main.py", "--data", corpus, "--model", cell, "--emsize", str(emsize), "--nhid",
               str(nhid), "--nlayers", str(layers), "--epochs", str(EPOCHS), "--bptt", "6", "--batch_size", "4",
               "--seed", str(SEED), "--save", path] + (["--tied"] if tied else []) + ["--lr", str(lr)]
        run(cmd, cwd=code)
        files[name] = (path, cmd[1:])
    return files


def train_char_models(code, corpus, work):
    files = {}
    for name, cell, hidden, layers in CHAR_MODELS:
        folder = os.path.join(work, name)
        os.makedirs(folder)
        shutil.copy(corpus, os.path.join(folder, name + ".txt"))  # train.py saves <basename>.pt in its folder
        argv = ["train.py", name + ".txt", "--model", cell, "--n_epochs", "40", "--print_every", "20",
                "--hidden_size", str(hidden), "--n_layers", str(layers), "--chunk_len", "24", "--batch_size", "8"]
        # train.py seeds nothing; seeding Python's and torch's generators before it runs makes the run repeatable.
        seeded = ("import random, runpy, sys, torch; random.seed(%d); torch.manual_seed(%d); sys.argv = %r; "
                  "sys.path.insert(0, %r); runpy.run_path(%r, run_name='__main__')"
                  % (SEED, SEED, argv, code, os.path.join(code, "train.py")))
        run([sys.executable, "-c", seeded], cwd=folder)
        files[name] = (os.path.join(folder, name + ".pt"), argv)
    return files


# --------------------------------------------------------------------------------------------------------------
# Oracles.

def load(path, code):
    # Both scripts call their module `model`: forget the other one's before unpickling `model.X`.
    for module in ("model", "helpers", "generate", "data"):
        sys.modules.pop(module, None)
    sys.path.insert(0, code)
    try:
        return torch.load(path, weights_only=False).eval()
    finally:
        sys.path.remove(code)


def word_oracle(model, dictionary, test_ids):
    """Logits of RNNModel's own modules (decoder(rnn(encoder(x)))) on two rows of the test text, batch first, and
    the mean NLL of the whole test text as one stream from the zero state (what `kru score` computes)."""
    rows = [test_ids[0:9], test_ids[9:18]]
    x = torch.tensor(rows, dtype=torch.long).t()  # main.py's models are sequence-first
    with torch.no_grad():
        hidden = model.init_hidden(2)
        output, _ = model.rnn(model.encoder(x), hidden)
        logits = model.decoder(output).transpose(0, 1)  # batch, time, V
        stream = torch.tensor(test_ids, dtype=torch.long).unsqueeze(1)
        out, _ = model.rnn(model.encoder(stream), model.init_hidden(1))
        log_p = torch.log_softmax(model.decoder(out).squeeze(1).double(), dim=1)
        nll = -log_p[:-1].gather(1, stream[1:]).mean().item()
    return rows, logits, nll, len(test_ids) - 1


def char_oracle(model, text):
    """Logits of CharRNN.forward stepped one character at a time, as char-rnn's generate.py does."""
    chars = string.printable
    rows = [[chars.index(c) for c in text[0:10]], [chars.index(c) for c in text[10:20]]]
    x = torch.tensor(rows, dtype=torch.long)
    with torch.no_grad():
        hidden = model.init_hidden(2)
        steps = []
        for t in range(x.shape[1]):
            output, hidden = model(x[:, t], hidden)
            steps.append(output)
        logits = torch.stack(steps, dim=1)
        ids = [chars.index(c) for c in text]
        hidden = model.init_hidden(1)
        nll, count = 0.0, 0
        for t in range(len(ids) - 1):
            output, hidden = model(torch.tensor([ids[t]]), hidden)
            nll -= torch.log_softmax(output.double(), dim=1)[0, ids[t + 1]].item()
            count += 1
    return rows, logits, nll / count, count


def structure(model):
    rnn = model.rnn
    cell = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}[rnn.mode]
    return {"cell": cell, "layers": rnn.num_layers, "hidden_size": rnn.hidden_size,
            "embedding": list(model.encoder.weight.shape), "readout": list(model.decoder.weight.shape),
            "tied": model.decoder.weight is model.encoder.weight}


# --------------------------------------------------------------------------------------------------------------
# Other layouts of the same weights.

def variants(name, model, code, sample_input, hidden):
    """Files beside NAME.pt: (suffix, how it was written)."""
    written = []

    def save(suffix, obj, how, **kwargs):
        torch.save(obj, os.path.join(OUT, name + suffix), **kwargs)
        written.append((name + suffix, how))

    save(".state.pt", model.state_dict(), "torch.save(model.state_dict())")
    save(".legacy.pt", model, "torch.save(model, f, _use_new_zipfile_serialization=False)",
         _use_new_zipfile_serialization=False)
    trained = copy.deepcopy(model)
    optimizer = torch.optim.Adam(trained.parameters(), lr=1e-3)
    optimizer.step()  # a real optimizer state (exp_avg, exp_avg_sq, step) with no gradient: weights unchanged
    save(".bundle.pt", {"epoch": 3, "model": model, "optimizer": optimizer.state_dict(), "best_val_loss": 3.25},
         "torch.save({'epoch', 'model': model, 'optimizer': Adam state, 'best_val_loss'})")
    state = {"model." + k: v for k, v in model.state_dict().items()}
    save(".lightning.ckpt", {"epoch": 2, "global_step": 40, "pytorch-lightning_version": "2.4.0",
                             "state_dict": state, "hyper_parameters": {"model": model, "lr": 20.0},
                             "optimizer_states": [optimizer.state_dict()], "lr_schedulers": []},
         "a Lightning checkpoint of a LightningModule(model) that called save_hyperparameters(): "
         "state_dict keys prefixed 'model.', hyper_parameters['model'] holds the whole module")
    sys.path.insert(0, code)
    try:
        traced = torch.jit.trace(model, (sample_input, hidden), check_trace=False)
        torch.jit.save(traced, os.path.join(OUT, name + ".traced.pt"))
        written.append((name + ".traced.pt", "torch.jit.save(torch.jit.trace(model, (input, hidden)))"))
        try:
            scripted = torch.jit.script(model)
        except RuntimeError as error:
            # LSTM models: forward's `hidden` is untyped, so the compiler takes it for one Tensor, not a pair.
            print(f"{name}: torch.jit.script fails ({str(error).strip().splitlines()[0]}); traced only")
        else:
            torch.jit.save(scripted, os.path.join(OUT, name + ".scripted.pt"))
            written.append((name + ".scripted.pt", "torch.jit.save(torch.jit.script(model))"))
    finally:
        sys.path.remove(code)
    return written


def as_floats(tensor):
    return [[[float(v) for v in step] for step in row] for row in tensor.float().tolist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", required=True, help="a git directory of pytorch/examples")
    parser.add_argument("--char-rnn", required=True, help="a git directory of spro/char-rnn.pytorch")
    args = parser.parse_args()
    import tqdm  # noqa: F401  (char-rnn's imports, checked before anything runs)
    import unidecode  # noqa: F401

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    corpus = os.path.join(OUT, "wlm-corpus")
    word_corpus(corpus)
    char_text_path = os.path.join(OUT, "charrnn-corpus.txt")
    char_corpus(char_text_path)

    manifest = {"tool": "tools/make_script_fixtures.py", "torch": torch.__version__,
                "python": platform.python_version(), "seed": SEED,
                "sources": {"word_language_model": {"repository": "https://github.com/pytorch/examples",
                                                    "commit": EXAMPLES_COMMIT, "folder": "word_language_model",
                                                    "patches": [p[3] for p in PATCHES["word_language_model"]]},
                            "char-rnn": {"repository": "https://github.com/spro/char-rnn.pytorch",
                                         "commit": CHAR_RNN_COMMIT,
                                         "patches": [{"file": f, "from": a, "to": b, "why": w}
                                                     for f, a, b, w in PATCHES["char-rnn"]]}},
                "models": []}
    with tempfile.TemporaryDirectory(prefix="kru-script-fixtures-") as work:
        examples = os.path.join(work, "examples")
        export(args.examples, EXAMPLES_COMMIT, ["word_language_model/main.py", "word_language_model/model.py",
                                                "word_language_model/data.py"], examples)
        wlm_code = os.path.join(examples, "word_language_model")
        apply_patches(wlm_code, PATCHES["word_language_model"])
        char_code = os.path.join(work, "char-rnn")
        export(args.char_rnn, CHAR_RNN_COMMIT, ["train.py", "model.py", "helpers.py", "generate.py"], char_code)
        apply_patches(char_code, PATCHES["char-rnn"])

        sys.path.insert(0, wlm_code)
        import data as wlm_data  # the script's own Dictionary: the oracle for --vocab-corpus
        sys.path.remove(wlm_code)
        dictionary = wlm_data.Corpus(corpus).dictionary
        test_ids = []
        with open(os.path.join(corpus, "test.txt"), encoding="utf8") as f:
            for line in f:
                test_ids += [dictionary.word2idx[w] for w in line.split() + ["<eos>"]]
        char_text = unidecode.unidecode(open(char_text_path, encoding="utf-8").read())  # as helpers.read_file
        with open(os.path.join(OUT, "words_tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(words_tokenizer_oracle(wlm_data, work), f, indent=1, ensure_ascii=True)
            f.write("\n")

        def recorded(argv):  # the command as run, with the temporary and repository folders named
            return [a.replace(work, "$WORK").replace(REPO + os.sep, "") for a in argv]

        runs = [(n, p, a, "word_language_model", wlm_code) for n, (p, a) in
                train_word_models(wlm_code, corpus, work).items()]
        runs += [(n, p, a, "char-rnn", char_code) for n, (p, a) in
                 train_char_models(char_code, char_text_path, work).items()]
        for name, path, argv, script, code in runs:
            shutil.copy(path, os.path.join(OUT, name + ".pt"))
            model = load(path, code)
            if script == "word_language_model":
                rows, logits, nll, predicted = word_oracle(model, dictionary, test_ids)
                vocabulary, tokenizer, text = dictionary.idx2word, "words", "wlm-corpus/test.txt"
                sample = torch.tensor(rows, dtype=torch.long).t()
                hidden = model.init_hidden(2)
            else:
                rows, logits, nll, predicted = char_oracle(model, char_text)
                vocabulary, tokenizer, text = list(string.printable), "characters", "charrnn-corpus.txt"
                sample = torch.tensor([r[0] for r in rows], dtype=torch.long)
                hidden = model.init_hidden(2)
            # Logits that hardly change from step to step (a dead network, or one that learnt only the unigram
            # distribution) would check little of the recurrence; refuse to write such an oracle.
            change = (logits[:, 1:] - logits[:, :-1]).abs().max().item()
            if change < 0.5:
                sys.exit(f"{name}: the logits change by at most {change:.4f} from step to step: the network ignores "
                         "its input; train it differently")
            extra = variants(name, model, code, sample, hidden) if name in VARIANT_MODELS else []
            oracle = {"model": name + ".pt", "script": script, "command": recorded(argv), "structure": structure(model),
                      "tokenizer": tokenizer, "vocabulary": vocabulary, "inputs": rows,
                      "logits": as_floats(logits), "score_text": text, "score_mean_nll": nll,
                      "score_predicted_tokens": predicted,
                      "other_layouts": [{"file": f, "written_by": how} for f, how in extra]}
            with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(oracle, f, indent=1, ensure_ascii=False)
                f.write("\n")
            manifest["models"].append({"name": name, "script": script, "command": recorded(argv),
                                       "files": [name + ".pt"] + [f for f, _ in extra]})
            print(f"{name}: {structure(model)}, score NLL {nll:.4f} over {predicted} tokens")

    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
