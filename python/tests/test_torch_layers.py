"""kru.torch's layers against independent oracles: explicit Kronecker products (numpy.kron), finite differences
(torch.autograd.gradcheck in float64), closed forms of the unitary penalty, and the NumPy engine (kru.model, a
separate implementation of spec/MODEL.md) on every cell, activation, recurrence and head."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

from conftest import require_torch

torch = require_torch()
import kru.torch as kt  # noqa: E402
from kru.torch.kronecker import KroneckerProduct, RecurrentWeight  # noqa: E402

RECT = [(2, 3), (3, 2), (2, 2)]             # rectangular, unequal: hides no transposition (N = 12)


def randomize(model: torch.nn.Module, seed: int, recurrent_scale: float = 0.9) -> None:
    """Every parameter drawn at random (biases and modReLU biases non-zero, some β negative), Kronecker factors
    rescaled so each recurrent block has a spectral radius near `recurrent_scale`."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        for module in model.modules():
            if isinstance(module, RecurrentWeight):
                blocks = module.dense().detach().reshape(module.gates, module.size, module.size)
                radius = max(torch.linalg.eigvals(b.to(torch.complex128)).abs().max().item() for b in blocks)
                factor = recurrent_scale / radius
                for p in module.parameters():
                    if module.kronecker:
                        count = len(next(iter(module.blocks[0])).shapes)
                        p.mul_(factor ** (1 / count))
                    else:
                        p.mul_(factor)


# ----------------------------------------------------------------------------------------------------------------
# The Kronecker chain

@pytest.mark.parametrize("complex_", [False, True])
def test_kron_apply_equals_explicit_numpy_kron(complex_):
    rng = np.random.default_rng(1)
    shapes = [(2, 3), (4, 1), (3, 5)]                        # 24 × 15: rectangular overall too
    terms = 3
    factors = []
    for p, q in shapes:
        w = rng.normal(size=(terms, p, q))
        if complex_:
            w = w + 1j * rng.normal(size=(terms, p, q))
        factors.append(w)
    x = rng.normal(size=(terms, 5, 15)) + (1j * rng.normal(size=(terms, 5, 15)) if complex_ else 0)
    y = kt.kron_apply([torch.from_numpy(w) for w in factors], torch.from_numpy(x)).numpy()
    for m in range(terms):
        explicit = reduce(np.kron, [w[m] for w in factors])
        assert np.abs(y[m] - x[m] @ explicit.T).max() < 1e-12


def test_recurrent_weight_operator_equals_its_explicit_blocks():
    """Several gates, rank 2, a different factor shape per gate and term (grouped by shape when applied)."""
    torch.manual_seed(2)
    shapes = [[[(2, 3), (3, 2), (2, 2)], [(3, 2), (2, 3), (2, 2)]],
              [[(4, 6), (3, 2)], [(6, 4), (2, 3)]],
              [[(6, 6), (2, 2)], [(2, 2), (6, 6)]]]
    rw = RecurrentWeight(12, 3, True, shapes, rank=2)
    randomize(rw, 3)
    h = torch.randn(4, 12, dtype=torch.complex64)
    explicit = rw.dense()
    assert explicit.shape == (36, 12)
    for g, block in enumerate(rw.blocks):
        from_numpy = sum(reduce(np.kron, [w.detach().numpy() for w in term.factors()]) for term in block)
        assert np.abs(explicit[12 * g:12 * (g + 1)].detach().numpy() - from_numpy).max() < 1e-6
    assert (rw.operator()(h) - h @ explicit.mT).abs().max() < 1e-5


def test_gradients_of_the_kronecker_chain_by_finite_differences():
    torch.manual_seed(4)
    shapes = [(2, 3), (3, 2), (2, 2)]
    re = [torch.randn(p, q, dtype=torch.float64, requires_grad=True) for p, q in shapes]
    im = [torch.randn(p, q, dtype=torch.float64, requires_grad=True) for p, q in shapes]
    x_re = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)
    x_im = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)

    def chain(x_re, x_im, *parts):
        factors = [torch.complex(a, b).unsqueeze(0) for a, b in zip(parts[:3], parts[3:])]
        y = kt.kron_apply(factors, torch.complex(x_re, x_im).unsqueeze(0))
        return torch.view_as_real(y)

    assert torch.autograd.gradcheck(chain, (x_re, x_im, *re, *im), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation", ["modrelu", "split_tanh", "split_relu"])
def test_gradients_of_a_kru_layer_by_finite_differences(activation):
    torch.manual_seed(5)
    layer = kt.KRU(3, 12, factors=RECT, rank=2, activation=activation).double()
    randomize(layer, 6)
    layer.double()
    if activation == "modrelu":
        with torch.no_grad():                      # |z| + β well away from 0, where modReLU is not smooth
            layer.cell.modrelu_bias.copy_(torch.linspace(-0.3, 0.3, 12, dtype=torch.float64))
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(*_as_function_of_parameters(layer, x), eps=1e-6, atol=1e-6, fast_mode=True)


@pytest.mark.parametrize("cls", [kt.LSTM, kt.GRU, kt.RNN])
def test_gradients_of_gated_kronecker_layers_by_finite_differences(cls):
    torch.manual_seed(7)
    layer = cls(3, 12, factors=RECT, rank=2)
    randomize(layer, 8)
    layer.double()
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(*_as_function_of_parameters(layer, x), eps=1e-6, atol=1e-6, fast_mode=True)


def _as_function_of_parameters(module: torch.nn.Module, *inputs):
    """(f, parameter values) with f(*values) = module(*inputs)[0] evaluated at those parameter values."""
    names = [n for n, _ in module.named_parameters()]
    values = tuple(p.detach().clone().requires_grad_(True) for p in module.parameters())
    return (lambda *v: torch.func.functional_call(module, dict(zip(names, v)), inputs)[0]), values


# ----------------------------------------------------------------------------------------------------------------
# The unitary penalty

def test_unitary_penalty_closed_forms():
    torch.manual_seed(9)
    square = KroneckerProduct([(2, 2), (4, 4)], complex=True)
    assert square.unitary_penalty().item() < 1e-10               # starts unitary
    assert (square.matrix().mH @ square.matrix() - torch.eye(8)).abs().max() < 1e-5
    with torch.no_grad():
        for p in list(square.real) + list(square.imag):
            p.zero_()
        square.real[0].copy_(2 * torch.eye(2))                    # W_0 = 2I: ‖4I − I‖² = 2·9; W_1 = 0: ‖−I‖² = 4
    assert abs(square.unitary_penalty().item() - (18 + 4)) < 1e-6
    wide = KroneckerProduct([(2, 3), (3, 2)], complex=True)       # P < Q: WᴴW has rank ≤ P, at best 1 away
    assert abs(wide.unitary_penalty().item() - 1.0) < 1e-5


class _Penalty(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self):
        return (self.module.unitary_penalty(),)


def test_unitary_penalty_gradient_by_finite_differences():
    torch.manual_seed(10)
    term = KroneckerProduct([(2, 3), (3, 2)], complex=True).double()
    with torch.no_grad():
        for p in term.parameters():
            p.add_(0.3 * torch.randn_like(p))           # away from the minimum, where the gradient is 0
    assert torch.autograd.gradcheck(*_as_function_of_parameters(_Penalty(term)), eps=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# Forward against the NumPy engine

def _models():
    """(name, model, inputs): every cell, activation, recurrence kind, input kind and head."""
    torch.manual_seed(11)
    vocab = list("abcdefg")
    ids = torch.randint(0, 7, (2, 9))
    vectors = torch.randn(2, 9, 4)
    yield "kru modrelu rect, embedding", kt.LanguageModel.build(vocab, "kru", 12, factors=RECT, rank=2,
                                                                 embedding_dim=5), ids
    yield "kru split_tanh dense, one-hot", kt.LanguageModel.build(vocab, "kru", 6, activation="split_tanh"), ids
    yield "kru split_relu → lstm kron, vectors, regression", kt.RecurrentModel(
        [kt.KRU(4, 8, factors=[2, 4], activation="split_relu"), kt.LSTM(16, 12, factors=RECT)], 3,
        input_size=4, output_kind="regression"), vectors
    yield "gru kron rank 2 → rnn_relu dense, bernoulli", kt.RecurrentModel(
        [kt.GRU(4, 12, factors=[(4, 6), (3, 2)], rank=2), kt.RNN(12, 6, nonlinearity="relu")], 5,
        input_size=4, output_kind="bernoulli"), vectors
    yield "rnn_tanh kron + lstm no bias, last-step classifier", kt.RecurrentModel(
        [kt.RNN(4, 12, factors=[3, 4]), kt.LSTM(12, 6, bias=False)], 3, input_size=4, output_steps="last"), vectors
    yield "two kru layers, tokens, last step", kt.RecurrentModel(
        [kt.KRU(7, 8, factors=[(2, 2)] * 3), kt.KRU(16, 6, factors=[(3, 2), (2, 3)], activation="split_tanh")], 4,
        vocabulary=vocab, output_steps="last"), ids


MODELS = list(_models())


@pytest.mark.parametrize("name,model,inputs", MODELS, ids=[m[0] for m in MODELS])
def test_forward_matches_the_numpy_engine(name, model, inputs):
    randomize(model, 12)
    model.eval()
    with torch.no_grad():
        y, state = model(inputs)
    reference = kt.to_numpy_model(model)
    expected, expected_state = reference.forward(inputs.numpy())
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(y.numpy() - expected).max() <= 1e-5 * scale
    for s, e in zip(state, expected_state):
        if isinstance(s, tuple):                            # lstm: (h, c)
            for a, b in zip(s, e):
                assert np.abs(a.numpy() - b).max() < 1e-5
        else:
            assert np.abs(s.numpy() - e).max() < 1e-5
    # the recurrence matters on these inputs (the comparison is not dominated by the input path)
    zeroed = kt.to_numpy_model(model)
    for w in zeroed.layers:
        w.recurrence = type(w.recurrence)(*_zeros_like(w.recurrence))
    assert np.abs(zeroed.forward(inputs.numpy())[0] - expected).max() > 0.05


def _zeros_like(recurrence):
    if hasattr(recurrence, "matrix"):
        return (np.zeros_like(recurrence.matrix),)
    return ([[[np.zeros_like(w) for w in term] for term in block] for block in recurrence.terms],)


def test_the_state_carries_over_between_chunks():
    torch.manual_seed(13)
    lm = kt.LanguageModel.build(list("abcdefg"), "kru", 12, factors=RECT, embedding_dim=4)
    randomize(lm, 14)
    ids = torch.randint(0, 7, (3, 20))
    with torch.no_grad():
        whole, _ = lm(ids)
        first, state = lm(ids[:, :8])
        second, _ = lm(ids[:, 8:], state)
    assert torch.allclose(torch.cat([first, second], dim=1), whole, atol=1e-6)


def test_language_model_loss_is_the_cross_entropy_of_the_next_token():
    torch.manual_seed(15)
    lm = kt.LanguageModel.build(list("abcd"), "lstm", 8, factors=[2, 4])
    ids = torch.randint(0, 4, (2, 6))
    loss, state = lm.loss(ids)
    logits, _ = lm(ids[:, :-1])
    manual = -torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).mean()
    assert torch.allclose(loss, manual) and not state[0][0].requires_grad


def test_invalid_structures_are_refused():
    with pytest.raises(ValueError, match="multiply to"):
        kt.KRU(3, 12, factors=[2, 2, 2])
    with pytest.raises(ValueError, match="takes inputs of width"):
        kt.RecurrentModel([kt.LSTM(5, 8)], 3, input_size=4)
    with pytest.raises(ValueError, match="activation"):
        kt.KRU(3, 4, activation="tanh")
    with pytest.raises(ValueError, match="Unicode scalar"):
        kt.LanguageModel.build(["ab", "c"], "gru", 4)
