"""Tensor: every operator's forward against numpy and its gradient against centred differences,
dtype preservation, backward semantics (accumulation, deep graphs, no_grad) and error messages.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    BROADCAST_EXAMPLES,
    MATMUL_EXAMPLES,
    array_and_axis,
    arrays,
    assert_gradcheck,
    away_from,
    broadcastable_shapes,
    indices,
    matmul_shapes,
    positive_arrays,
    shapes,
)

from nnlib import NonFiniteError, ShapeError, Tensor, concatenate, is_grad_enabled, no_grad, stack
from nnlib.gradcheck import gradcheck, numerical_grad

FAST = settings(max_examples=30, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- binary ops, tensor-tensor
# gradcheck's error is relative to the largest gradient, so it is ill-conditioned where every
# gradient vanishes: d(a^p)/da = p a^(p-1) is ~0 for p ~ 0, d(a^p)/dp = a^p log a is 0 at a = 1.
def _exponents(shape):
    return away_from(arrays(shape, -2.0, 2.0), (0.0,), 0.05)


def _bases(shape):
    return away_from(positive_arrays(shape), (1.0,), 0.05)


# name -> (nnlib op, numpy reference, strategy for a, strategy for b)
BINARY = {
    "add": (operator.add, np.add, arrays, arrays),
    "sub": (operator.sub, np.subtract, arrays, arrays),
    "mul": (operator.mul, np.multiply, arrays, arrays),
    "div": (operator.truediv, np.divide, arrays, positive_arrays),  # divisor away from 0
    "pow": (operator.pow, np.power, _bases, _exponents),  # base > 0 so log(a) exists
}


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(data=st.data())
def test_binary_op_matches_numpy_and_finite_differences(name, data):
    op, ref, first, second = BINARY[name]
    sa, sb = data.draw(broadcastable_shapes(), label="shapes")
    a, b = data.draw(first(sa), label="a"), data.draw(second(sb), label="b")
    out = op(Tensor(a), Tensor(b))
    assert out.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(out.data, ref(a, b), rtol=1e-12, atol=0)
    assert_gradcheck(op, [a, b])


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", BROADCAST_EXAMPLES)
def test_binary_op_broadcasting_examples(name, sa, sb):
    op, _, _, _ = BINARY[name]
    r = rng(1)
    a = r.uniform(0.5, 2.0, sa)
    b = r.uniform(0.5, 2.0, sb)
    assert_gradcheck(op, [a, b])
    # Broadcasting sums the gradient over the stretched axes: check that shape explicitly.
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    op(ta, tb).sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb


# ---------------------------------------------------------------------- with numbers and arrays
C = 1.7
# name -> (nnlib expression of t and constant c, numpy reference)
MIXED = {
    "t + c": (lambda t, c: t + c, lambda x, c: x + c),
    "c + t": (lambda t, c: c + t, lambda x, c: c + x),
    "t - c": (lambda t, c: t - c, lambda x, c: x - c),
    "c - t": (lambda t, c: c - t, lambda x, c: c - x),
    "t * c": (lambda t, c: t * c, lambda x, c: x * c),
    "c * t": (lambda t, c: c * t, lambda x, c: c * x),
    "t / c": (lambda t, c: t / c, lambda x, c: x / c),
    "c / t": (lambda t, c: c / t, lambda x, c: c / x),
    "t ** c": (lambda t, c: t**c, lambda x, c: x**c),
    "c ** t": (lambda t, c: c**t, lambda x, c: c**x),
    "t @ c": (lambda t, c: t @ c, lambda x, c: x @ c),
    "c @ t": (lambda t, c: c @ t, lambda x, c: c @ x),
}
CONSTANTS = {
    "python float": lambda shape: C,
    "python int": lambda shape: 2,
    "numpy scalar": lambda shape: np.float64(C),
    "numpy array": lambda shape: rng(2).uniform(0.5, 2.0, shape),
    "numpy row": lambda shape: rng(3).uniform(0.5, 2.0, shape[-1:]),
}


# matmul with a scalar is not defined (numpy refuses it too), so those pairs are left out.
MIXED_CASES = [
    (expr, kind)
    for expr in MIXED
    for kind in CONSTANTS
    if not ("@" in expr and kind in ("python float", "python int", "numpy scalar"))
]


@pytest.mark.parametrize("expr,kind", MIXED_CASES)
def test_tensor_with_number_or_array(expr, kind):
    f, ref = MIXED[expr]
    x = rng(4).uniform(0.5, 2.0, (3, 3))  # positive: c / t, t ** c are defined
    c = CONSTANTS[kind](x.shape)
    out = f(Tensor(x), c)
    assert isinstance(out, Tensor), f"{expr} with a {kind} returned {type(out).__name__}"
    np.testing.assert_allclose(out.data, ref(x, c), rtol=1e-12)
    assert_gradcheck(lambda t: f(t, c), [x])


@FAST
@given(x=arrays(shapes()))
def test_negation(x):
    np.testing.assert_array_equal((-Tensor(x)).data, -x)
    assert_gradcheck(operator.neg, [x])


@FAST
@given(x=away_from(arrays(shapes()), (0.0,), 0.05))  # 3 x^2 ~ 0 near 0: see _exponents
def test_integer_power_of_negative_values(x):
    """t ** 2 and t ** 3 need no log: negative bases are fine when the exponent is constant."""
    for p in (2, 3):
        np.testing.assert_allclose((Tensor(x) ** p).data, x**p)
        assert_gradcheck(lambda t, p=p: t**p, [x])


# ---------------------------------------------------------------------- matmul
@FAST
@given(data=st.data())
def test_matmul_matches_numpy_and_finite_differences(data):
    sa, sb = data.draw(matmul_shapes(), label="shapes")
    a, b = data.draw(arrays(sa), label="a"), data.draw(arrays(sb), label="b")
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12, atol=1e-12)
    assert_gradcheck(operator.matmul, [a, b])


@pytest.mark.parametrize("sa,sb", MATMUL_EXAMPLES, ids=[f"{a}@{b}" for a, b in MATMUL_EXAMPLES])
def test_matmul_cases(sa, sb):
    r = rng(5)
    a, b = r.normal(size=sa), r.normal(size=sb)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12)
    assert_gradcheck(operator.matmul, [a, b])


def test_vector_dot_vector_gradient():
    """a . b for two vectors is a scalar; d/da = b, d/db = a."""
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([4.0, 5.0, 6.0], requires_grad=True)
    out = a @ b
    assert out.item() == 32.0
    out.backward()
    np.testing.assert_array_equal(a.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------- reductions
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reduction(name, data):
    # max gets distinct values: at a tie the function has no derivative.
    x, axis, keepdims = data.draw(array_and_axis(distinct=name == "max"), label="x, axis, keepdims")

    def f(t):
        return getattr(t, name)(axis=axis, keepdims=keepdims)

    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    out = f(Tensor(x))
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert_gradcheck(f, [x])


@pytest.mark.parametrize(
    "axis,keepdims", [(None, False), (0, False), (-1, True), ((0, 2), False), ((-1, 0), True)]
)
def test_reduction_axis_examples(axis, keepdims):
    x = rng(6).permutation(24).reshape(2, 3, 4) / 10.0  # distinct values
    for name in ("sum", "mean", "max"):
        assert_gradcheck(lambda t, n=name: getattr(t, n)(axis=axis, keepdims=keepdims), [x])


def test_max_shares_gradient_between_ties():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


# ---------------------------------------------------------------------- elementwise
@FAST
@given(x=arrays(shapes()))
def test_exp(x):
    np.testing.assert_allclose(Tensor(x).exp().data, np.exp(x), rtol=1e-14)
    assert_gradcheck(lambda t: t.exp(), [x])


@FAST
@given(x=positive_arrays(shapes(), low=0.1))
def test_log(x):
    np.testing.assert_allclose(Tensor(x).log().data, np.log(x), rtol=1e-14)
    assert_gradcheck(lambda t: t.log(), [x])


# ---------------------------------------------------------------------- shape ops
@FAST
@given(data=st.data())
def test_reshape(data):
    shape = data.draw(shapes(), label="shape")
    x = data.draw(arrays(shape), label="x")
    size = int(np.prod(shape))
    target = data.draw(
        st.sampled_from([(-1,), (size,), (1, size), tuple(reversed(shape)), (size, 1, 1)]),
        label="target",
    )
    out = Tensor(x).reshape(target)
    np.testing.assert_array_equal(out.data, x.reshape(target))
    assert_gradcheck(lambda t: t.reshape(target), [x])
    assert_gradcheck(lambda t: t.reshape(*target), [x])  # reshape(2, 3) as well as reshape((2, 3))


@FAST
@given(data=st.data())
def test_transpose_with_axes(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    x = data.draw(arrays(shape), label="x")
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)), label="perm")
    negative = data.draw(st.lists(st.booleans(), min_size=nd, max_size=nd), label="negative")
    axes = tuple(a - nd if neg else a for a, neg in zip(perm, negative))  # e.g. (-1, 0, 1)
    np.testing.assert_array_equal(Tensor(x).transpose(*axes).data, x.transpose(axes))
    assert_gradcheck(lambda t: t.transpose(*axes), [x])
    assert_gradcheck(lambda t: t.transpose(axes), [x])  # tuple form, like numpy


def test_transpose_negative_axes_gradient_shape():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x.transpose(-1, 0, 1)
    assert y.shape == (4, 2, 3)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4)


@FAST
@given(x=arrays(shapes()))
def test_T_reverses_axes(x):
    np.testing.assert_array_equal(Tensor(x).T.data, x.T)
    assert_gradcheck(lambda t: t.T, [x])


# ---------------------------------------------------------------------- indexing
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_indexing(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    x = data.draw(arrays(shape), label="x")
    idx = data.draw(indices(shape), label="index")
    np.testing.assert_array_equal(Tensor(x)[idx].data, x[idx])
    assert_gradcheck(lambda t: t[idx], [x])


def test_embedding_lookup_with_a_repeated_word_adds_both_gradients():
    E = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    ids = np.array([2, 0, 2])  # word 2 appears twice in the sentence
    rows = E[ids]
    np.testing.assert_array_equal(rows.data, E.data[ids])
    g = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [100.0, 200.0, 300.0]])
    rows.backward(g)
    np.testing.assert_array_equal(E.grad[2], g[0] + g[2])
    np.testing.assert_array_equal(E.grad[0], g[1])
    np.testing.assert_array_equal(E.grad[[1, 3]], 0.0)
    assert_gradcheck(lambda t: t[ids], [E.data])


def test_index_with_a_tensor_of_ids():
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(Tensor(x)[Tensor([2, 2, 0])].data, x[[2, 2, 0]])


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"\(3, 2\)"):
        Tensor(np.zeros((3, 2)))[5]


# ---------------------------------------------------------------------- concatenate / stack
@FAST
@given(data=st.data())
def test_concatenate(data):
    base = data.draw(shapes(min_dims=1), label="base")
    nd = len(base)
    axis = data.draw(st.integers(-nd, nd - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    parts = []
    for n in sizes:
        shape = list(base)
        shape[axis] = n
        parts.append(data.draw(arrays(tuple(shape)), label="part"))
    np.testing.assert_array_equal(
        concatenate([Tensor(p) for p in parts], axis=axis).data, np.concatenate(parts, axis)
    )
    assert_gradcheck(lambda *ts: concatenate(ts, axis=axis), parts)


@FAST
@given(data=st.data())
def test_stack(data):
    shape = data.draw(shapes(), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    n = data.draw(st.integers(1, 3), label="n")
    parts = [data.draw(arrays(shape), label="part") for _ in range(n)]
    np.testing.assert_array_equal(
        stack([Tensor(p) for p in parts], axis=axis).data, np.stack(parts, axis)
    )
    assert_gradcheck(lambda *ts: stack(ts, axis=axis), parts)


def test_concatenate_with_a_constant_piece():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    out = concatenate([x, np.zeros((1, 2))], axis=0)
    assert out.shape == (3, 2)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))


# ---------------------------------------------------------------------- astype
@FAST
@given(x=arrays(shapes()))
def test_astype_roundtrip_gradient(x):
    assert_gradcheck(lambda t: t.astype(np.float64) * 2.0, [x])


def test_astype_gradient_comes_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])


# ---------------------------------------------------------------------- directly against numpy
def test_composite_against_numerical_grad_of_a_numpy_function():
    """The whole chain rule at once, against a hand-written numpy function (no Tensor in it)."""
    x = rng(7).normal(size=(3, 4))
    W = rng(8).normal(size=(4, 2))

    def f_numpy(x):
        h = np.exp(x) * x**2 / (1.0 + x**2)
        return float(np.log(1.0 + (h @ W) ** 2).mean() + h.max(axis=1).sum())

    t = Tensor(x, requires_grad=True)
    h = t.exp() * t**2 / (1.0 + t**2)
    L = (1.0 + (h @ Tensor(W)) ** 2).log().mean() + h.max(axis=1).sum()
    assert L.item() == pytest.approx(f_numpy(x), rel=1e-12)
    L.backward()
    numeric = numerical_grad(f_numpy, x)
    err = np.abs(t.grad - numeric).max() / np.abs(numeric).max()
    assert err < 1e-6, f"relative error {err}"


def test_gradcheck_detects_a_wrong_gradient():
    """The checker itself can fail: an op whose backward is off by a factor 2 is caught."""

    def wrong_square(t):
        return Tensor._make(t.data**2, (t,), "bad", lambda g: t._accum(g * t.data))  # not 2 t

    errors = gradcheck(wrong_square, [np.array([1.0, 2.0])])
    assert errors[0] > 0.4


# ---------------------------------------------------------------------- dtype
# name -> f(a, b) with a of shape (3, 4) and b of shape (3, 4), both positive
DTYPE_OPS = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / b": lambda a, b: a / b,
    "a ** b": lambda a, b: a**b,
    "a + 2.5": lambda a, b: a + 2.5,
    "2.5 + a": lambda a, b: 2.5 + a,
    "2 - a": lambda a, b: 2 - a,
    "a * 3": lambda a, b: a * 3,
    "0.5 * a": lambda a, b: 0.5 * a,
    "a / 3": lambda a, b: a / 3,
    "1.5 / a": lambda a, b: 1.5 / a,
    "a ** 2": lambda a, b: a**2,
    "a ** 0.5": lambda a, b: a**0.5,
    "2.0 ** a": lambda a, b: 2.0**a,
    "float64 array * a": lambda a, b: np.linspace(1, 2, 4) * a,
    "a + float64 array": lambda a, b: a + np.linspace(1, 2, 4),
    "-a": lambda a, b: -a,
    "a @ b.T": lambda a, b: a @ b.T,
    "a @ float64 array": lambda a, b: a @ np.ones(4),
    "sum": lambda a, b: a.sum(axis=0),
    "mean": lambda a, b: a.mean(axis=(0, 1)),
    "max": lambda a, b: a.max(axis=1, keepdims=True),
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "reshape": lambda a, b: a.reshape(2, 6),
    "transpose": lambda a, b: a.transpose(1, 0),
    "index": lambda a, b: a[1:, ::2],
    "index array": lambda a, b: a[[0, 0, 2]],
    "concatenate": lambda a, b: concatenate([a, b], axis=1),
    "stack": lambda a, b: stack([a, b]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DTYPE_OPS)
def test_dtype_is_preserved_forward_and_backward(name, dtype):
    r = rng(9)
    a = Tensor(r.uniform(0.5, 2.0, (3, 4)).astype(dtype), requires_grad=True)
    b = Tensor(r.uniform(0.5, 2.0, (3, 4)).astype(dtype), requires_grad=True)
    out = DTYPE_OPS[name](a, b)
    assert out.dtype == dtype, f"{name}: {np.dtype(dtype).name} in, {out.dtype} out"
    out.sum().backward()
    for t in (a, b):
        if t.grad is not None:
            assert t.grad.dtype == dtype, f"{name}: grad dtype {t.grad.dtype}"
    assert a.grad is not None


def test_integer_data_becomes_float64():
    assert Tensor([1, 2, 3]).dtype == np.float64


# ---------------------------------------------------------------------- backward semantics
def test_deep_chain_has_no_recursion_error():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    n = 6000
    for _ in range(n):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**n, rel=1e-9)


def test_backward_twice_doubles_the_gradient():
    x = Tensor([0.5, -1.0], requires_grad=True)
    L = ((x * 2.0).exp() + x).sum()  # several nodes between x and L
    L.backward()
    first = x.grad.copy()
    np.testing.assert_allclose(first, 2 * np.exp(2 * x.data) + 1)
    L.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-14)


def test_two_losses_sharing_a_subgraph_accumulate():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    (h * h).sum().backward()  # d/dx = 18 x
    h.sum().backward()  # d/dx = 3
    np.testing.assert_allclose(x.grad, 18 * x.data + 3)


@pytest.mark.parametrize(
    "f,grad",
    [
        (lambda x: x * x, lambda v: 2 * v),
        (lambda x: x + x, lambda v: 2 * np.ones_like(v)),
        (lambda x: x * x * x, lambda v: 3 * v**2),
        (lambda x: (x * 2.0) * (x * 3.0), lambda v: 12 * v),  # diamond
    ],
    ids=["x*x", "x+x", "x*x*x", "diamond"],
)
def test_node_used_twice_gets_the_summed_gradient(f, grad):
    v = np.array([1.5, -2.0, 0.5])
    x = Tensor(v, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_allclose(x.grad, grad(v), rtol=1e-14)


def test_no_grad_records_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2.0).exp().sum()
    assert is_grad_enabled()
    assert y.requires_grad is False
    assert y._prev == () and y._op == ""
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_restores_state_after_an_exception_and_when_nested():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0  # noqa: B018
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_graph_is_inspectable_and_topologically_ordered():
    a = Tensor(3.0, requires_grad=True)
    b = Tensor(1.0, requires_grad=True)
    c = Tensor(-2.0, requires_grad=True)
    e = b * 2.0
    d = a + e
    L = c * d
    assert L._op == "*" and L._prev == (c, d)
    assert d._op == "+" and d._prev == (a, e)
    order = L.topo_order()
    assert order[-1] is L
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order), "a node appears twice in topo_order()"
    for node in order:
        for p in node._prev:
            assert position[id(p)] < position[id(node)], "an input comes after its output"
    assert {id(t) for t in (a, b, c, d, e)} <= set(position)


def test_leaf_grad_is_a_private_copy():
    """Updating one parameter's grad in place must not change another's."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad *= 10
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "op,name",
    [
        (operator.add, "add"),
        (operator.sub, "subtract"),
        (operator.mul, "multiply"),
        (operator.truediv, "divide"),
        (operator.pow, "power"),
    ],
)
def test_broadcast_error_names_the_op_and_both_shapes(op, name):
    with pytest.raises(ShapeError) as info:
        op(Tensor(np.ones((2, 3))), Tensor(np.ones((4,))))
    msg = str(info.value)
    assert name in msg and "(2, 3)" in msg and "(4,)" in msg, msg


def test_matmul_error_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    msg = str(info.value)
    assert "matmul" in msg and "(2, 3)" in msg and "(4, 5)" in msg, msg


def test_matmul_batch_error_names_batch_shapes():
    with pytest.raises(ShapeError, match="matmul"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((5, 3, 4)))


def test_concatenate_error_names_all_shapes():
    with pytest.raises(ShapeError) as info:
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)
    msg = str(info.value)
    assert "concatenate" in msg and "(2, 3)" in msg and "(2, 4)" in msg, msg


def test_reshape_error_names_the_shapes():
    with pytest.raises(ShapeError, match=r"reshape.*\(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_backward_of_a_non_scalar_without_grad_says_so():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"one-element.*\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_with_a_wrong_grad_shape():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ShapeError, match="grad has shape"):
        (x * 2.0).backward(np.ones(3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_backward_from_a_non_finite_loss_raises(bad):
    x = Tensor([1.0, bad], requires_grad=True)
    L = (x * 2.0).sum()
    with pytest.raises(NonFiniteError, match="non-finite loss"):
        L.backward()
    assert x.grad is None, "no gradient may be written from a NaN/inf loss"


def test_backward_from_log_of_zero_raises_non_finite_error():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        L = x.log().sum()
    with pytest.raises(NonFiniteError, match="log"):
        L.backward()


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a", "b"])


# ---------------------------------------------------------------------- backward_steps
def _example_graph():
    a = Tensor(3.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    c = Tensor(-2.0, requires_grad=True, name="c")
    x = Tensor([0.5, -1.5], requires_grad=True, name="x")
    e = a + 2 * b
    L = c * e + (x * x * e).sum() + (x.exp() * c).sum()  # fan-out: e, c and x are used twice
    return (a, b, c, x), L


def test_backward_steps_gives_the_same_gradients_as_backward():
    leaves, L = _example_graph()
    L.backward()
    expected = [t.grad.copy() for t in leaves]
    leaves2, L2 = _example_graph()
    steps = list(L2.backward_steps())
    for t, g in zip(leaves2, expected):
        np.testing.assert_array_equal(t.grad, g)
    # one step per node, from the loss back: the reverse of topo_order
    assert [id(n) for n in steps] == [id(n) for n in reversed(L2.topo_order())]


def test_backward_steps_each_gradient_is_complete_when_its_node_is_yielded():
    """When a node is yielded, its grad is final: later steps never add to it again."""
    _, L = _example_graph()
    seen = {}
    for node in L.backward_steps():
        seen[id(node)] = (node, None if node.grad is None else node.grad.copy())
    for node, g in seen.values():
        if g is not None:
            np.testing.assert_array_equal(node.grad, g)


def test_backward_steps_is_lazy():
    """Nothing beyond the seed is computed before the first step is taken."""
    (a, b, c, x), L = _example_graph()
    steps = L.backward_steps()
    assert a.grad is None and L.grad is None
    first = next(steps)
    assert first is L and L.grad == 1.0
    assert a.grad is None  # a is several steps away


def test_a_non_finite_loss_changes_no_gradient():
    """backward() checks the loss before it resets any intermediate gradient."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    L = h.sum()
    L.backward()
    before = h.grad.copy()
    bad = (h * np.inf).sum()
    with pytest.raises(NonFiniteError):
        bad.backward()
    np.testing.assert_array_equal(h.grad, before)


def test_repr_shows_name_grad_and_op():
    a = Tensor(3.0, requires_grad=True, name="a")
    assert repr(a) == "Tensor(3., name='a', requires_grad=True)"
    assert "op='*'" in repr(a * 2.0)
