"""kru.torch.save / load: a saved module runs in the Swift engine (`kru run`) with PyTorch's outputs to 1e-5, loads
back to a module with the same outputs, and every model file (fixtures and zoo) loads to a module that
reproduces the file's oracle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT, require_torch
from swift_engine import kru_run, kru_sample
from test_torch_layers import MODELS, randomize

torch = require_torch()
import kru.format as kf  # noqa: E402
import kru.model as km  # noqa: E402
import kru.torch as kt  # noqa: E402

FIXTURES = ROOT / "Tests" / "Fixtures" / "models"
ZOO = sorted((ROOT / "models").glob("*.kru"))


@pytest.mark.parametrize("name,model,inputs", MODELS, ids=[m[0] for m in MODELS])
def test_kru_run_reproduces_pytorch(name, model, inputs, kru_binary, tmp_path):
    randomize(model, 21)
    model.eval()
    with torch.no_grad():
        expected = model(inputs)[0].numpy()
    path = tmp_path / "model.kru"
    kt.save(model, path)
    swift = kru_run(kru_binary, path, inputs.numpy())
    difference = float(np.abs(swift - expected).max())
    print(f"{name}: kru run vs PyTorch {difference:.2e} (outputs up to {np.abs(expected).max():.2f})")
    assert difference <= 1e-5


@pytest.mark.parametrize("name,model,inputs", MODELS, ids=[m[0] for m in MODELS])
def test_load_gives_back_the_same_module(name, model, inputs, tmp_path):
    randomize(model, 22)
    model.eval()
    path = tmp_path / "model.kru"
    kt.save(model, path)
    loaded = kt.load(path)
    loaded.eval()
    assert type(loaded).__name__ == ("LanguageModel" if isinstance(model, kt.LanguageModel) else "RecurrentModel")
    with torch.no_grad():
        assert torch.equal(loaded(inputs)[0], model(inputs)[0])
    original = {n: p for n, p in model.named_parameters()}
    assert {n: p.shape for n, p in loaded.named_parameters()} == {n: p.shape for n, p in original.items()}
    for n, p in loaded.named_parameters():
        assert torch.equal(p, original[n]), n


def test_saved_file_carries_the_schema_and_the_given_metadata(tmp_path):
    torch.manual_seed(23)
    lm = kt.LanguageModel.build(list("abc"), "kru", 8, factors=[2, 2, 2], embedding_dim=3)
    path = tmp_path / "tiny.kru"
    kt.save(lm, path, metadata={"kru.train.steps": 12, "general.license": "CC0-1.0"})
    with kf.full_check(path) as f:
        meta = {k: v for k, _, v in f.metadata}
        dtypes = {t.name: t.dtype for t in f.tensors}
    assert meta["general.name"] == "tiny" and meta["kru.train.steps"] == 12 and meta["general.license"] == "CC0-1.0"
    assert meta["kru.layer.0.recurrent_factors"] == 3 and list(meta["kru.input.vocabulary"]) == ["a", "b", "c"]
    assert dtypes["layer.0.weight_hh.0.0.2"] == "complex64" and dtypes["readout.weight"] == "f32"
    with pytest.raises(ValueError, match="written by save"):
        kt.save(lm, tmp_path / "x.kru", metadata={"kru.layer_count": 2})


def test_a_token_model_needs_its_vocabulary(tmp_path):
    model = kt.RecurrentModel([kt.GRU(4, 6)], 3, vocabulary_size=4, output_steps="last")
    with pytest.raises(ValueError, match="vocabulary"):
        kt.save(model, tmp_path / "x.kru")
    kt.save(model, tmp_path / "x.kru", vocabulary=list("wxyz"))
    assert km.load(tmp_path / "x.kru").description.vocabulary == tuple("wxyz")
    assert not (tmp_path / "y.kru").exists()


def test_save_unwraps_distributed_wrappers(tmp_path):
    lm = kt.LanguageModel.build(list("ab"), "lstm", 4)
    wrapped = torch.nn.DataParallel(lm)                     # the same `.module` attribute as DDP
    kt.save(wrapped, tmp_path / "x.kru")
    assert km.load(tmp_path / "x.kru").description.layers[0].cell == "lstm"


# Models of schema 2 that kru.torch's modules cannot hold: refused with what they have, never changed.
SCHEMA_2_ONLY = {"kru_words_tied_lstm": "this model has a words vocabulary and a tied readout",
                 "kru_bytes_gru_kron": "this model has a bytes vocabulary"}


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json") if p.stem != "manifest"))
def test_every_fixture_loads_into_a_module_with_its_expected_outputs(name):
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    if name in SCHEMA_2_ONLY:
        with pytest.raises(ValueError, match=SCHEMA_2_ONLY[name]):
            kt.load(FIXTURES / expected["model"])
        return
    model = kt.load(FIXTURES / expected["model"])
    model.eval()
    inputs = torch.tensor(expected["inputs"])
    with torch.no_grad():
        outputs = model(inputs if inputs.dtype == torch.int64 else inputs.float())[0]
    assert np.abs(outputs.numpy() - np.asarray(expected["outputs"])).max() < 1e-5, expected["oracle"]


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_every_zoo_model_loads_and_saves_back_unchanged(path, tmp_path):
    """load → save keeps every tensor (the zoo stores some in float64; they come back as float32, which is how
    the engine computes) and runs like kru.model on the file."""
    from zoo_inputs import zoo_inputs
    model = kt.load(path)
    model.eval()
    reference = km.load(path)
    inputs = zoo_inputs(path.stem, reference)
    inputs = inputs[:, :300]                    # long enough to exercise the recurrence, short enough for CI
    with torch.no_grad():
        ours = model(torch.from_numpy(inputs))[0].numpy()
    exact = reference.run(inputs)
    single = km.load(path, precision="single").run(inputs)
    scale = np.maximum(1, np.abs(exact))
    assert (np.abs(ours - exact) / scale).max() <= max(2e-5, 4 * (np.abs(single - exact) / scale).max())
    copy = tmp_path / path.name
    kt.save(model, copy, name=path.stem)
    _, original, _ = km.read_model(path)
    _, saved, _ = km.read_model(copy)
    assert sorted(original) == sorted(saved)
    for tensor_name, value in original.items():
        wanted = value.astype(np.complex64 if np.iscomplexobj(value) else np.float32)
        assert np.array_equal(saved[tensor_name], wanted), tensor_name


def test_a_trained_lm_samples_the_same_text_in_both_engines(kru_binary, tmp_path):
    """A few hundred updates on a tiny text, exported, then sampled by kru.model and `kru sample`."""
    torch.manual_seed(24)
    text = "the cat sat on the mat. the dog sat on the log. " * 20
    lm = kt.LanguageModel.build(sorted(set(text)), "kru", 16, factors=[(2, 2)] * 4, embedding_dim=8)
    ids = torch.tensor(lm.tokenizer.encode(text))
    optimizer = torch.optim.Adam(lm.parameters(), lr=1e-2)
    streams = ids[: (len(ids) // 8) * 8].view(8, -1)
    state, start = None, 0
    for _ in range(60):                                       # truncated BPTT over chunks of 24 characters
        if start + 25 > streams.shape[1]:
            state, start = None, 0
        loss, state = lm.loss(streams[:, start:start + 25], state)
        start += 24
        (loss + 1e-3 * lm.unitary_penalty()).backward()
        optimizer.step()
        optimizer.zero_grad()
    assert loss.item() < 1.5                                  # it learned something (uniform is ln 13 ≈ 2.6)
    path = tmp_path / "cat.kru"
    kt.save(lm, path)
    ours = km.generate(km.load(path), "the ", 80, seed=5, temperature=0.7)
    assert ours == kru_sample(kru_binary, path, "the ", 80, 5, temperature=0.7)
