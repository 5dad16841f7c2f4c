"""Tests of tools/zoo_cards.py: its pure functions on tiny synthetic inputs, and the whole script against a fake
`kru` (a Python script printing canned JSON) in a temporary zoo. No network and no built binary needed.

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import zoo_cards as zc  # noqa: E402

SCORE = {"tokens": 206887, "mean_nll": 1.3946, "mean_nll_stderr": 0.0034, "bits_per_char": 2.01201,
         "perplexity": 4.03334, "perplexity_stderr": 0.01381, "top1_accuracy": 0.590834, "seconds": 1.7,
         "chars_per_second": 121000.5}


# --- formatting ------------------------------------------------------------------------------------------------

def test_numbers_are_formatted_as_the_cards_show_them():
    assert zc.fmt_int(206887) == "206,887"
    assert zc.fmt_int(72) == "72"
    assert zc.fmt_pm(2.01201, 0.00491, 4) == "2.0120 ± 0.0049"
    assert zc.fmt_fixed(-0.00001, 4) == "0.0000"
    assert zc.fmt_percent(0.590834) == "59.08%"
    assert zc.fmt_bytes(348924) == "348.9 KB"
    assert zc.fmt_bytes(12_345_678) == "12.35 MB"


def test_text_metrics_keep_only_deterministic_numbers_rounded_to_the_shown_digits():
    metrics = zc.text_metrics(SCORE)
    assert metrics == {"kind": "text", "characters": 206887, "bits_per_char": 2.012,
                       "bits_per_char_stderr": 0.0049, "perplexity": 4.0333, "perplexity_stderr": 0.0138,
                       "top1_accuracy": 0.5908}
    assert "seconds" not in json.dumps(metrics) and "per_second" not in json.dumps(metrics)
    assert zc.headline(metrics, "bits_per_char") == "2.0120 ± 0.0049 bits/char"
    assert zc.headline(metrics, "perplexity") == "perplexity 4.0333 ± 0.0138"
    assert zc.headline(metrics, "top1_accuracy") == "59.08% top-1"
    assert ("bits per character", "2.0120 ± 0.0049") in zc.metric_rows(metrics)


def test_data_metrics_and_their_headlines():
    metrics = zc.data_metrics({"count": 500, "loss": "cross-entropy (nats)", "mean_loss": 0.1234567,
                               "mean_loss_stderr": 0.0098765, "accuracy": 0.9712})
    assert metrics["mean_loss"] == 0.12346 and metrics["accuracy"] == 0.9712
    assert zc.headline(metrics, "mean_loss") == "0.12346 ± 0.00988 cross-entropy (nats)"
    assert zc.headline(metrics, "accuracy") == "97.12% accuracy"
    no_accuracy = zc.data_metrics({"count": 5, "loss": "squared error (per output)", "mean_loss": 1.0,
                                   "mean_loss_stderr": 0.1})
    with pytest.raises(zc.ZooError):
        zc.headline(no_accuracy, "accuracy")


def test_losses_below_a_thousandth_keep_three_significant_digits():
    small = zc.data_metrics({"count": 1000, "loss": "squared error (per output)", "mean_loss": 5.5842667e-05,
                             "mean_loss_stderr": 2.468e-06})
    assert small["mean_loss"] == 5.58e-05 and small["mean_loss_stderr"] == 2.5e-06
    assert zc.headline(small, "mean_loss") == "5.58e-5 ± 2.5e-6 squared error (per output)"
    zero = zc.data_metrics({"count": 10, "loss": "cross-entropy (nats)", "mean_loss": 0.0, "mean_loss_stderr": 0.0})
    assert zc.headline(zero, "mean_loss") == "0.00000 ± 0.00000 cross-entropy (nats)"
    at_the_bound = zc.data_metrics({"count": 10, "loss": "cross-entropy (nats)", "mean_loss": 0.001,
                                    "mean_loss_stderr": 0.0000123})
    assert zc.headline(at_the_bound, "mean_loss") == "0.00100 ± 0.00001 cross-entropy (nats)"


def test_architecture_names_the_factor_shapes():
    inspect = {
        "metadata": [{"key": k, "value": v} for k, v in [
            ("kru.input.kind", "tokens"), ("kru.input.vocabulary", list("abc")), ("kru.layer_count", 2),
            ("kru.layer.0.cell", "kru"), ("kru.layer.0.hidden_size", 8), ("kru.layer.0.recurrent", "kronecker"),
            ("kru.layer.0.recurrent_rank", 1), ("kru.layer.0.recurrent_factors", 3),
            ("kru.layer.0.activation", "modrelu"),
            ("kru.layer.1.cell", "gru"), ("kru.layer.1.hidden_size", 8), ("kru.layer.1.recurrent", "kronecker"),
            ("kru.layer.1.recurrent_rank", 2), ("kru.layer.1.recurrent_factors", 2),
            ("kru.output.kind", "categorical"), ("kru.output.width", 3)]],
        "tensors": [{"name": "input.embedding", "dtype": "f32", "shape": [3, 4]}]
        + [{"name": f"layer.0.weight_hh.0.0.{f}", "dtype": "complex64", "shape": [2, 2]} for f in range(3)]
        + [{"name": "layer.1.weight_hh.0.0.0", "dtype": "f32", "shape": [2, 2]},
           {"name": "layer.1.weight_hh.0.0.1", "dtype": "f32", "shape": [4, 4]}],
    }
    assert zc.architecture(inspect) == (
        "embedding 3 × 4 → `kru` layer, N = 8, W = ⊗ of three 2×2 complex factors, modrelu → `gru` layer, N = 8, "
        "W = ⊗ of factors 2×2 ⊗ 4×4, rank 2 per gate block (3 blocks) → categorical output, width 3")
    assert zc.embedding_parameters(inspect) == 12


def test_data_paths_are_the_files_among_the_score_arguments():
    assert zc.data_paths(["data/kjv/test.txt"]) == ["data/kjv/test.txt"]
    assert zc.data_paths(["--inputs", "x.npy", "--targets", "y.npy"]) == ["x.npy", "y.npy"]
    assert zc.data_paths(["t.txt", "--skip-unknown"]) == ["t.txt"]


# --- blocks and drift ------------------------------------------------------------------------------------------

def test_replace_block_keeps_the_text_around_the_markers():
    text = f"# card\n\nprose 1\n\n{zc.BEGIN}\nold | 1\n{zc.END}\n\nprose 2\n"
    new = zc.replace_block(text, "new | 2\n", "card.md")
    assert new == f"# card\n\nprose 1\n\n{zc.BEGIN}\nnew | 2\n{zc.END}\n\nprose 2\n"
    assert zc.replace_block(new, "new | 2", "card.md") == new
    assert zc.generated_block(new) == "new | 2"


@pytest.mark.parametrize("text", ["no markers", f"{zc.BEGIN}\n{zc.BEGIN}\n{zc.END}", f"{zc.END}\nx\n{zc.BEGIN}\n"])
def test_replace_block_refuses_missing_duplicated_or_reversed_markers(text):
    with pytest.raises(zc.ZooError):
        zc.replace_block(text, "x", "card.md")


def test_field_drift_names_every_changed_leaf():
    old = {"bytes": 3, "test": {"bits_per_char": 2.012, "characters": 10}, "test_data": [{"sha256": "a"}]}
    new = {"bytes": 4, "test": {"bits_per_char": 2.013, "characters": 10}, "test_data": [{"sha256": "b"}]}
    assert zc.field_drift(old, new, "m") == [
        "m.bytes: recorded 3, measured 4",
        "m.test.bits_per_char: recorded 2.012, measured 2.013",
        "m.test_data[0].sha256: recorded \"a\", measured \"b\"",
    ]
    assert zc.field_drift(old, old, "m") == []
    assert zc.field_drift(None, {"bytes": 1}, "m") == ["m: recorded null, measured {\"bytes\": 1}"]


def test_text_drift_is_a_unified_diff():
    assert zc.text_drift("a\nb\n", "a\nb\n", "x.md") == []
    lines = zc.text_drift("a\n| top-1 | 58.15% |\n", "a\n| top-1 | 58.14% |\n", "x.md")
    assert "-| top-1 | 58.15% |" in lines and "+| top-1 | 58.14% |" in lines
    assert lines[0].startswith("--- x.md")


# --- the manifest ----------------------------------------------------------------------------------------------

def model_entry(**changes):
    entry = {"name": "tiny", "file": "tiny.kru", "card": "tiny.md", "task": "t", "summary": "s `x`",
             "license": "MIT", "source": "somewhere", "fetch": "make-data", "score": ["data/test.txt"],
             "headline": "bits_per_char"}
    entry.update(changes)
    return entry


@pytest.mark.parametrize("entry, message", [
    (model_entry(name="Tiny Model"), "bad name"),
    (model_entry(file="../x.kru"), "plain file name"),
    (model_entry(card="/etc/passwd"), "plain file name"),
    (model_entry(score=[]), "'score'"),
    (model_entry(headline="mean_loss"), "unknown headline"),
    (model_entry(compare=["nobody"]), "cannot compare"),
    (model_entry(colour="red"), "unknown key"),
    (model_entry(fetch=""), "'fetch'"),
    (model_entry(license=""), "'license'"),
    (model_entry(source=None), "'source'"),
])
def test_validate_manifest_rejects_bad_entries(entry, message):
    with pytest.raises(zc.ZooError, match=message):
        zc.validate_manifest({"models": [entry]}, "zoo.json")


def ranked_entry(name, task, headline, value, **changes):
    return model_entry(name=name, file=f"{name}.kru", card=f"{name}.md", task=task, headline=headline,
                       measured={"test": {headline: value}}, **changes)


def test_the_index_ranks_by_task_then_headline_and_recommends_the_best_real_model():
    models = [ranked_entry("text-b", "text", "bits_per_char", 2.0),
              ranked_entry("digits-a", "digits", "accuracy", 0.80),
              ranked_entry("text-demo", "text", "bits_per_char", 1.5, demonstration=True),
              ranked_entry("text-a", "text", "bits_per_char", 1.9),
              ranked_entry("digits-b", "digits", "accuracy", 0.95)]
    assert [m["name"] for m in zc.ranked(models)] == ["text-demo", "text-a", "text-b", "digits-b", "digits-a"]
    assert zc.recommended(models) == {"text-a", "digits-b"}


def test_the_models_of_one_task_must_share_a_headline():
    models = [model_entry(), model_entry(name="other", headline="perplexity")]
    with pytest.raises(zc.ZooError, match="must share one headline"):
        zc.validate_manifest({"models": models}, "zoo.json")
    with pytest.raises(zc.ZooError, match="'demonstration' must be true or false"):
        zc.validate_manifest({"models": [model_entry(demonstration="yes")]}, "zoo.json")


def test_load_manifest_refuses_duplicate_keys_and_oversized_files(tmp_path):
    path = tmp_path / "zoo.json"
    path.write_text('{"models": [], "models": []}')
    with pytest.raises(zc.ZooError, match="duplicate key"):
        zc.load_manifest(path)
    path.write_text('{"models": []}' + " " * zc.MANIFEST_LIMIT)
    with pytest.raises(zc.ZooError, match="larger than"):
        zc.load_manifest(path)
    path.write_text('{"models": [')
    with pytest.raises(zc.ZooError, match="not valid JSON"):
        zc.load_manifest(path)


def test_manifest_text_puts_hand_written_keys_first():
    manifest = {"about": "x", "models": [{"measured": {"bytes": 1}, **model_entry()}]}
    text = zc.manifest_text(manifest)
    assert text.index('"name"') < text.index('"headline"') < text.index('"measured"')
    assert json.loads(text) == manifest


# --- the whole script against a fake kru ---------------------------------------------------------------------

FAKE_KRU = '''#!{python}
import json, sys
args = sys.argv[1:]
if args[0] == "inspect":
    print(json.dumps({{"size": 3, "metadata": [{{"key": "kru.input.kind", "value": "tokens"}},
        {{"key": "kru.layer_count", "value": 1}}, {{"key": "kru.layer.0.cell", "value": "rnn"}},
        {{"key": "kru.layer.0.hidden_size", "value": 4}}, {{"key": "kru.layer.0.recurrent", "value": "dense"}},
        {{"key": "kru.output.kind", "value": "categorical"}}, {{"key": "kru.output.width", "value": 3}}]
        + [{{"key": key, "value": value}} for key, value in {general}.items()],
        "tensors": [{{"name": "layer.0.weight_hh", "dtype": "f32", "shape": [4, 4]}}]}}))
elif args[0] == "params":
    print(json.dumps({{"model_file": {{"recurrent": 16, "total": 51}}, "layers": [], "comparison": "none"}}))
elif args[0] == "score":
    print(json.dumps({score}))
'''


@pytest.fixture
def zoo(tmp_path):
    """A repository root with a one-model zoo, its test data, and a fake kru."""
    (tmp_path / "models").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "models" / "tiny.kru").write_bytes(b"abc")
    (tmp_path / "data" / "test.txt").write_text("hello\n")
    (tmp_path / "models" / "tiny.md").write_text(f"# tiny\n\nhand-written\n\n{zc.BEGIN}\n{zc.END}\n\nmore prose\n")
    (tmp_path / "models" / "README.md").write_text(f"# zoo\n\n{zc.BEGIN}\n{zc.END}\n")
    (tmp_path / "models" / "zoo.json").write_text(json.dumps({"models": [model_entry()]}))
    kru = tmp_path / "fake-kru"
    general = zc.file_metadata(model_entry())
    kru.write_text(FAKE_KRU.format(python=sys.executable, score=repr(SCORE), general=repr(general)))
    kru.chmod(0o755)
    return tmp_path, str(kru)


def run(zoo, *args):
    root, kru = zoo
    return zc.main(["--root", str(root), "--kru", kru, *args])


def test_generate_then_check_then_detect_drift(zoo, capsys):
    root, _ = zoo
    assert run(zoo, "--check") == 1  # never measured: the empty blocks and missing `measured` drift
    assert run(zoo) == 0
    card = (root / "models" / "tiny.md").read_text()
    assert ("| file | `models/tiny.kru`: 3 bytes, sha256 "
            "`ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad` |") in card
    assert "| parameters | 16 recurrent, 51 in all — `kru params models/tiny.kru` |" in card
    assert "Test-set metrics from `kru score models/tiny.kru data/test.txt`" in card
    assert "| bits per character | 2.0120 ± 0.0049 |" in card
    assert "| licence | MIT (`general.license`; see [the zoo's licences](README.md#licences)) |" in card
    assert card.startswith("# tiny\n\nhand-written\n\n") and card.endswith(f"{zc.END}\n\nmore prose\n")
    row = ("| **`tiny.kru`** (recommended) | t | s `x` | 16 / 51 | 2.0120 ± 0.0049 bits/char | — | 0.0 KB "
           "| [tiny.md](tiny.md) |")
    assert row in (root / "models" / "README.md").read_text()
    measured = json.loads((root / "models" / "zoo.json").read_text())["models"][0]["measured"]
    assert measured["parameters"] == {"recurrent": 16, "total": 51, "embedding": 0}
    assert measured["headline"] == "2.0120 ± 0.0049 bits/char"
    capsys.readouterr()

    assert run(zoo, "--check") == 0
    assert "agree" in capsys.readouterr().out

    (root / "models" / "tiny.md").write_text(card.replace("59.08%", "59.09%"))
    assert run(zoo, "--check") == 1
    out = capsys.readouterr().out
    assert "-| top-1 accuracy | 59.09% |" in out and "+| top-1 accuracy | 59.08% |" in out
    (root / "models" / "tiny.md").write_text(card)

    (root / "models" / "tiny.kru").write_bytes(b"abd")
    assert run(zoo, "--check") == 1
    assert "tiny.measured.sha256: recorded" in capsys.readouterr().out
    assert (root / "models" / "tiny.md").read_text() == card  # --check changed nothing


def test_recorded_kru_bench_runs_give_each_card_and_the_index_the_median_sampling_speed(zoo, capsys):
    root, _ = zoo
    runs = [{"sampling_tokens_per_second": {"tiny": 30, "other": 7}}, {"sampling_tokens_per_second": {"tiny": 10}},
            {"sampling_tokens_per_second": {"tiny": 1200}}, {"sampling_tokens_per_second": {"tiny": 20}}]
    assert zc.sampling_speeds({"runs": runs}) == {"tiny": {"median": 25, "min": 10, "max": 1200, "runs": 4},
                                                  "other": {"median": 7, "min": 7, "max": 7, "runs": 1}}
    (root / zc.SPEED_RUNS).parent.mkdir(parents=True)
    (root / zc.SPEED_RUNS).write_text(json.dumps({"about": "test", "runs": runs}))
    assert run(zoo) == 0
    assert ("| sampling speed | 25 tokens/s, median of 4 whole `kru-bench --model …` runs (10–1,200; one token "
            "at a time, release build)") in (root / "models" / "tiny.md").read_text()
    assert "| 2.0120 ± 0.0049 bits/char | 25 tokens/s | 0.0 KB |" in (root / "models" / "README.md").read_text()
    assert run(zoo, "--check") == 0
    (root / zc.SPEED_RUNS).write_text(json.dumps({"about": "test", "runs": runs[:3]}))   # the record changed
    assert run(zoo, "--check") == 1
    assert "+| sampling speed | 30 tokens/s" in capsys.readouterr().out
    (root / zc.SPEED_RUNS).write_text('{"runs": [{"sampling_tokens_per_second": 5}]}')
    assert run(zoo, "--check") == 1
    assert "not a kru-bench record" in capsys.readouterr().err


def test_the_file_must_carry_the_manifests_general_metadata(zoo, capsys):
    assert zc.file_metadata(model_entry()) == {
        "general.name": "tiny", "general.description": "t: s x. Card: tiny.md in the kru model zoo.",
        "general.license": "MIT", "general.source": "somewhere"}
    root, _ = zoo
    (root / "models" / "zoo.json").write_text(json.dumps({"models": [model_entry(license="Apache-2.0")]}))
    assert run(zoo) == 1
    error = capsys.readouterr().err
    assert 'has general.license "MIT", the manifest asks for "Apache-2.0"' in error
    assert "tools/zoo_metadata.py" in error


def test_missing_test_data_fails_with_the_fetch_command(zoo, capsys):
    root, _ = zoo
    (root / "data" / "test.txt").unlink()
    assert run(zoo, "--check") == 1
    assert "tiny: test data data/test.txt is missing; run make-data" in capsys.readouterr().err


def test_fetch_commands_are_printed_once_each_for_missing_data_only(zoo, capsys):
    root, _ = zoo
    manifest = {"models": [model_entry(), model_entry(name="tiny2", file="tiny2.kru", card="tiny2.md"),
                           model_entry(name="other", fetch="make-other", score=["data/other.txt"])]}
    (root / "models" / "zoo.json").write_text(json.dumps(manifest))
    assert run(zoo, "--fetch-commands") == 0
    assert capsys.readouterr().out == "make-other\n"
    (root / "data" / "test.txt").unlink()
    assert run(zoo, "--fetch-commands") == 0
    assert capsys.readouterr().out == "make-data\nmake-other\n"


def test_the_committed_cards_agree_with_the_manifest_and_the_model_files():
    """Without a built kru: each card's block and the index are what the manifest's records render to, and each
    model file still has the recorded size and sha256 (CI's `zoo_cards.py --check` re-measures the rest)."""
    manifest = zc.load_manifest(ROOT / "models" / "zoo.json")
    assert zc.manifest_text(manifest) == (ROOT / "models" / "zoo.json").read_text()
    by_name = {model["name"]: model for model in manifest["models"]}
    speeds = zc.load_sampling_speeds(ROOT)
    for model in manifest["models"]:
        card = (ROOT / "models" / model["card"]).read_text()
        assert zc.generated_block(card) == zc.card_block("models", model, by_name, speeds), model["card"]
        path = ROOT / "models" / model["file"]
        assert path.stat().st_size == model["measured"]["bytes"]
        assert zc.sha256_file(path) == model["measured"]["sha256"]
    index = (ROOT / "models" / "README.md").read_text()
    assert zc.generated_block(index) == zc.index_block(manifest["models"], speeds)


def test_bernoulli_scores_give_the_per_frame_nll_headline():
    score = {"count": 10, "loss": "binary cross-entropy (nats/output)", "mean_loss": 0.1234567,
             "mean_loss_stderr": 0.01,
             "accuracy": 0.9, "nll_per_step": 8.123456, "nll_per_step_stderr": 0.04321}
    metrics = zc.data_metrics(score)
    assert metrics["nll_per_step"] == 8.1235 and metrics["nll_per_step_stderr"] == 0.0432
    assert zc.headline(metrics, "nll_per_step") == "8.1235 ± 0.0432 nats/frame"
    assert ("negative log-likelihood per frame (nats)", "8.1235 ± 0.0432") in zc.metric_rows(metrics)
