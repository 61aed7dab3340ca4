"""nnlib.nn: parameter discovery, Linear / Embedding / Conv1d against manual numpy, MLP
structure, pooling modules, and the PyTorch-style training loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, assert_gradcheck

import nnlib.functional as F
from nnlib import ShapeError, Tensor, concatenate, nn, optim


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- parameters
class Twin(nn.Module):
    """Two paths sharing one Linear (weight tying): its parameters must be listed once."""

    def __init__(self):
        self.shared = nn.Linear(3, 3, rng=0)
        self.head = nn.Sequential(nn.Linear(3, 2, rng=1), nn.ReLU(), nn.Linear(2, 1, rng=2))
        self.alias = self.shared  # the same module under a second name
        self.scale = nn.Parameter(np.ones(1))
        self.not_a_param = Tensor(np.ones(2), requires_grad=True)  # plain Tensors are not learned


def test_named_parameters_of_sequential_and_mlp():
    mlp = nn.MLP([4, 3, 2], rng=0)
    names = [n for n, _ in mlp.named_parameters()]
    assert names == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    shapes = [p.shape for p in mlp.parameters()]
    assert shapes == [(3, 4), (3,), (2, 3), (2,)]
    assert mlp.num_parameters() == 3 * 4 + 3 + 2 * 3 + 2


def test_nested_and_shared_parameters_are_found_once():
    m = Twin()
    named = dict(m.named_parameters())
    assert list(named) == [
        "shared.W",
        "shared.b",
        "head.layers.0.W",
        "head.layers.0.b",
        "head.layers.2.W",
        "head.layers.2.b",
        "scale",
    ]
    assert named["shared.W"] is m.shared.W
    assert len({id(p) for p in m.parameters()}) == len(m.parameters())


def test_conv1d_parameters_have_dotted_names():
    conv = nn.Conv1d(3, 5, width=2, rng=0)
    assert [(n, p.shape) for n, p in conv.named_parameters()] == [
        ("linear.W", (5, 6)),
        ("linear.b", (5,)),
    ]


def test_parameters_require_grad():
    assert all(p.requires_grad for p in nn.MLP([2, 3, 1], rng=0).parameters())
    assert isinstance(nn.Linear(2, 2).W, Tensor)


def test_zero_grad_clears_every_parameter():
    m = Twin()
    x = Tensor(rng(1).normal(size=(4, 3)))
    (m.head(m.shared(x)) * m.scale).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


# ---------------------------------------------------------------------- Linear
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_linear_is_x_W_transpose_plus_b(data):
    d_in, d_out, N = (data.draw(st.integers(1, 5), label=s) for s in ("d_in", "d_out", "N"))
    layer = nn.Linear(d_in, d_out, rng=data.draw(st.integers(0, 99), label="seed"))
    x = data.draw(arrays((N, d_in)), label="x")
    W, b = layer.W.data, layer.b.data
    manual = np.array(
        [
            [sum(x[n, i] * W[j, i] for i in range(d_in)) + b[j] for j in range(d_out)]
            for n in range(N)
        ]
    )
    np.testing.assert_allclose(layer(Tensor(x)).data, manual, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer(x).data, manual, rtol=1e-12, atol=1e-14)  # numpy input too


def test_linear_gradients_are_the_backprop_formulas():
    layer = nn.Linear(3, 2, rng=0)
    x = Tensor(rng(1).normal(size=(4, 3)), requires_grad=True)
    G = rng(2).normal(size=(4, 2))
    layer(x).backward(G)
    np.testing.assert_allclose(layer.W.grad, G.T @ x.data)  # dL/dW = G^T x
    np.testing.assert_allclose(layer.b.grad, G.sum(axis=0))  # dL/db = sum over rows of G
    np.testing.assert_allclose(x.grad, G @ layer.W.data)  # dL/dx = G W


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert layer.b is None and [n for n, _ in layer.named_parameters()] == ["W"]
    x = rng(1).normal(size=(2, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.W.data.T)


def test_linear_shape_error_names_the_layer_and_the_shape():
    with pytest.raises(ShapeError) as info:
        nn.Linear(3, 2)(Tensor(np.ones((5, 4))))
    msg = str(info.value)
    assert "Linear(3, 2)" in msg and "(5, 4)" in msg, msg


def test_linear_float32():
    layer = nn.Linear(3, 2, rng=0, dtype=np.float32)
    out = layer(np.ones((4, 3)))
    assert layer.W.dtype == np.float32 and out.dtype == np.float32
    out.sum().backward()
    assert layer.W.grad.dtype == np.float32 and layer.b.grad.dtype == np.float32


# ---------------------------------------------------------------------- Embedding
def test_embedding_equals_one_hot_times_E():
    emb = nn.Embedding(6, 4, rng=0)
    ids = np.array([[1, 5, 1], [0, 2, 3]])  # word 1 twice in the first sentence
    one_hot = np.eye(6)[ids]  # (2, 3, 6)
    np.testing.assert_allclose(emb(ids).data, one_hot @ emb.E.data)

    G = rng(1).normal(size=(2, 3, 4))
    emb(ids).backward(G)
    E_ref = Tensor(emb.E.data, requires_grad=True)
    (Tensor(one_hot) @ E_ref).backward(G)
    np.testing.assert_allclose(emb.E.grad, E_ref.grad, atol=1e-14)
    np.testing.assert_allclose(emb.E.grad[1], G[0, 0] + G[0, 2])


def test_embedding_accepts_lists_and_is_seeded():
    a, b = nn.Embedding(5, 3, rng=7), nn.Embedding(5, 3, rng=7)
    np.testing.assert_array_equal(a.E.data, b.E.data)
    assert a([4, 0]).shape == (2, 3)


@pytest.mark.parametrize("ids", [[0, 5], [-1, 2]])
def test_embedding_rejects_out_of_range_ids(ids):
    with pytest.raises(IndexError, match=r"\[0, 4\]"):
        nn.Embedding(5, 3, rng=0)(ids)


def test_embedding_rejects_float_ids():
    with pytest.raises(TypeError, match="integers"):
        nn.Embedding(5, 3, rng=0)(np.array([0.0, 1.0]))


# ---------------------------------------------------------------------- Conv1d
@pytest.mark.parametrize("width", [1, 2, 3])
def test_conv1d_equals_a_loop_over_windows(width):
    N, L, d_in, d_out = 2, 5, 3, 4
    conv = nn.Conv1d(d_in, d_out, width, rng=0)
    x = rng(1).normal(size=(N, L, d_in))
    W, b = conv.linear.W.data, conv.linear.b.data
    manual = np.zeros((N, L - width + 1, d_out))
    for n in range(N):
        for j in range(L - width + 1):
            window = np.concatenate([x[n, j + k] for k in range(width)])  # w_j, w_j+1, ...
            manual[n, j] = W @ window + b
    np.testing.assert_allclose(conv(Tensor(x)).data, manual, atol=1e-14)


def test_conv1d_gradient():
    conv = nn.Conv1d(2, 3, 2, rng=0)
    x = rng(1).normal(size=(2, 4, 2))
    assert_gradcheck(lambda t: conv(t), [x])

    def windows_then_linear(t, W, b):  # Conv1d spelled out, so W and b get checked too
        return F.linear(concatenate([t[:, i : i + 3, :] for i in range(2)], axis=-1), W, b)

    assert_gradcheck(windows_then_linear, [x, conv.linear.W.data, conv.linear.b.data])


def test_conv1d_errors():
    conv = nn.Conv1d(2, 3, width=3)
    with pytest.raises(ShapeError, match=r"\(N, L, 2\)"):
        conv(Tensor(np.zeros((4, 2))))
    with pytest.raises(ShapeError, match=r"\(N, L, 2\), got \(1, 4, 3\)"):
        conv(Tensor(np.zeros((1, 4, 3))))
    with pytest.raises(ShapeError, match="shorter than the window"):
        conv(Tensor(np.zeros((1, 2, 2))))


# ---------------------------------------------------------------------- MLP and activations
def test_mlp_structure():
    mlp = nn.MLP([2, 8, 4, 1], activation="tanh", rng=0)
    kinds = [type(layer).__name__ for layer in mlp.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(layer.d_in, layer.d_out) for layer in mlp.layers[::2]] == [(2, 8), (8, 4), (4, 1)]
    assert len(mlp) == 5 and mlp[0] is mlp.layers[0]
    assert mlp(np.zeros((7, 2))).shape == (7, 1)


def test_mlp_forward_is_the_composition_of_its_layers():
    mlp = nn.MLP([3, 4, 2], rng=0)
    x = rng(1).normal(size=(5, 3))
    L1, L2 = mlp.layers[0], mlp.layers[2]
    manual = np.maximum(x @ L1.W.data.T + L1.b.data, 0) @ L2.W.data.T + L2.b.data
    np.testing.assert_allclose(mlp(Tensor(x)).data, manual, atol=1e-14)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 2], activation="softsign")
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([2])


@pytest.mark.parametrize(
    "module,fn",
    [
        (nn.ReLU(), F.relu),
        (nn.Sigmoid(), F.sigmoid),
        (nn.Tanh(), F.tanh),
        (nn.HardTanh(), F.hardtanh),
        (nn.Swish(), F.swish),
        (nn.LeakyReLU(0.1), lambda z: F.leaky_relu(z, 0.1)),
    ],
)
def test_activation_modules_call_functional(module, fn):
    z = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(module(Tensor(z)).data, fn(z))
    assert module.parameters() == []


def test_pool_modules():
    x = Tensor(rng(0).normal(size=(2, 3, 4)))
    np.testing.assert_allclose(nn.MeanPool()(x).data, x.data.mean(axis=1))
    np.testing.assert_allclose(nn.MaxPool()(x).data, x.data.max(axis=1))
    mask = np.array([[1, 0, 0], [1, 1, 1]])
    np.testing.assert_allclose(nn.MeanPool()(x, mask).data[0], x.data[0, 0])


def test_module_without_forward_says_so():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty"):
        Empty()(1)


# ---------------------------------------------------------------------- the training loop
def test_pytorch_style_training_loop_reduces_the_loss():
    r = rng(0)
    X = r.normal(size=(64, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 8, rng=1), nn.ReLU(), nn.Linear(8, 2, rng=2))
    opt = optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = F.cross_entropy(model(Tensor(X)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    accuracy = (model(Tensor(X)).data.argmax(axis=1) == y).mean()
    assert accuracy > 0.9


# ---------------------------------------------------------------------- traps and state
class Heads(nn.Module):
    """Modules kept in a dict and a nested list: found, with names from the keys."""

    def __init__(self):
        self.heads = {"pos": nn.Linear(2, 1, rng=0), "neg": nn.Linear(2, 1, rng=1)}
        self.blocks = [[nn.Linear(2, 2, rng=2)], (nn.Dropout(0.1, rng=0),)]

    def forward(self, x):
        return x


def test_modules_in_dicts_and_nested_lists_are_found():
    m = Heads()
    names = [n for n, _ in m.named_parameters()]
    assert names == [
        "heads.pos.W",
        "heads.pos.b",
        "heads.neg.W",
        "heads.neg.b",
        "blocks.0.0.W",
        "blocks.0.0.b",
    ]
    m.eval()
    assert not m.blocks[1][0].training  # eval() reaches modules inside containers
    m.train()
    assert m.blocks[1][0].training


def test_a_set_of_modules_is_refused():
    class Bad(nn.Module):
        def __init__(self):
            self.layers = {nn.Linear(2, 2, rng=0)}

    with pytest.raises(TypeError, match="set"):
        Bad().parameters()


def test_activation_layer_needs_a_known_name():
    with pytest.raises(TypeError, match="activation name"):
        nn.Activation()

    class Mystery(nn.Activation):  # forgot to say which activation
        pass

    with pytest.raises(TypeError, match="activation name"):
        Mystery()
    with pytest.raises(ValueError, match="choose one of"):
        nn.Activation("relux")
    x = rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(nn.Activation("tanh")(Tensor(x)).data, np.tanh(x))
    assert repr(nn.MLP([2, 3, 1], "tanh")[1]) == "Tanh()"


def test_rng_and_optimiser_options_are_keyword_only():
    with pytest.raises(TypeError):
        nn.Linear(2, 3, True, 0)  # rng must be named
    with pytest.raises(TypeError):
        nn.MLP([2, 2], "relu", 0)
    w = nn.Parameter(np.zeros(2))
    with pytest.raises(TypeError):
        optim.SGD([w], 0.1, 0.9)  # PyTorch's 3rd/4th positions differ: name them
    with pytest.raises(TypeError):
        optim.Adam([w], 0.1, (0.9, 0.99))


def test_state_dict_round_trip_and_mismatches():
    a, b = nn.MLP([3, 4, 2], rng=0), nn.MLP([3, 4, 2], rng=1)
    b.load_state_dict(a.state_dict())
    x = rng(1).normal(size=(5, 3))
    np.testing.assert_array_equal(a(Tensor(x)).data, b(Tensor(x)).data)
    state = a.state_dict()
    state["layers.0.W"][...] = 0  # a copy: the model is untouched
    assert np.any(a[0].W.data != 0)
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"layers.0.W": state["layers.0.W"]})
    with pytest.raises(ShapeError, match="layers.0.W"):
        nn.MLP([3, 5, 2], rng=0).load_state_dict(a.state_dict())


def test_dropout_layer_follows_the_mode():
    d = nn.Dropout(0.5, rng=0)
    x = Tensor(np.ones((4, 50)))
    assert np.any(d(x).data == 0)
    d.eval()
    assert d(x) is x


def test_embedding_std():
    e = nn.Embedding(2000, 10, std=0.1, rng=0)
    assert abs(e.E.data.std() - 0.1) < 0.005  # 20,000 draws
