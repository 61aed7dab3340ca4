"""Training and backpropagation: the chapter's examples, hand derivations and experiments.

Book: chapter 6, "Training and backpropagation" (book/06_backprop.ipynb). Its equations, in the
names used here (one training example; column vectors, as in the book):

- gradient descent (6.1):        w <- w - eta * dL/dw
- cross-entropy loss (6.2):      L = -[y log y_hat + (1 - y) log(1 - y_hat)],  y_hat = sigma(z)
                                 dL/dz = y_hat - y,  dL/dw_j = (sigma(w . x + b) - y) x_j
- the example graph (6.3):       d = 2b,  e = a + d,  L = c e
- the two-layer network (6.5):   z1 = W1 x + b1,  a1 = ReLU(z1),  z2 = W2 a1 + b2,  a2 = sigma(z2)
                                 delta2 = a2 - y,  dW2 = delta2 a1^T,  db2 = delta2
                                 delta1 = (W2^T delta2) * ReLU'(z1),
                                 dW1 = delta1 x^T,  db1 = delta1
- centred differences (6.8):     f'(x) ~ (f(x + h) - f(x - h)) / 2h,
                                 error ~ |f'''(x)| h^2 / 6 + eps |f(x)| / h

Everything is numpy or nnlib; the chapter's widgets (``nnlib.widgets.backprop``) only draw what
these functions return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import functional as F
from ..gradcheck import gradcheck, numerical_grad
from ..init import as_rng
from ..tensor import Tensor

__all__ = [
    # 6.2 cross-entropy and its gradient
    "bce_loss",
    "dL_da",
    "da_dz",
    "logistic_regression_grad",
    # 6.3-6.4 computation graphs
    "Graph",
    "example_graph",
    "fan_out_graph",
    "unit_graph",
    "two_layer_graph",
    "GRAPHS",
    "Step",
    "trace",
    "node_labels",
    "format_value",
    # 6.5 the two-layer network, three ways
    "TwoLayerNet",
    "init_two_layer",
    "find_seed",
    "forward_by_hand",
    "backward_by_hand",
    "backward_autodiff",
    "backward_numeric",
    "max_relative_difference",
    "agreement",
    "Agreement",
    "relu_prime_at_zero",
    "train_two_layer",
    "TrainingRun",
    "XOR_X",
    "XOR_Y",
    # 6.6 Jacobians
    "jacobian_autodiff",
    "jacobian_numeric",
    "jacobian_bytes",
    # 6.7 the algorithm in nnlib
    "graph_memory",
    # 6.8 gradient checking
    "FD_FUNCTIONS",
    "FDFunction",
    "centred_difference",
    "fd_errors",
    "ErrorCurve",
    "error_curve",
    "sigmoid_wrong_derivative",
    "sigmoid_overwrites_grad",
    "gradcheck_two_layer",
]

Array = np.ndarray


# ====================================================================== 6.2 cross-entropy
def bce_loss(y_hat: Any, y: Any) -> Array:
    """L_CE(y_hat, y) = -[y log y_hat + (1 - y) log(1 - y_hat)], elementwise (book: 6.2).

    The negative *log* probability that the model gives the correct label: -log y_hat when
    y = 1, -log(1 - y_hat) when y = 0.
    """
    y_hat = np.asarray(y_hat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return -(y * np.log(y_hat) + (1 - y) * np.log1p(-y_hat))


def dL_da(a: Any, y: Any) -> Array:
    """dL/da = -(y/a + (y - 1)/(1 - a)) for the cross-entropy loss at the output a = y_hat (6.2)."""
    a = np.asarray(a, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return -(y / a + (y - 1) / (1 - a))


def da_dz(a: Any) -> Array:
    """da/dz = sigma'(z) = a (1 - a) for a = sigma(z) (book: 6.2; chapter 1 derives it)."""
    a = np.asarray(a, dtype=np.float64)
    return a * (1 - a)


def logistic_regression_grad(w: Any, b: float, x: Any, y: float) -> tuple[Array, float]:
    """(dL/dw, dL/db) for one example: ((sigma(w . x + b) - y) x, sigma(w . x + b) - y) (6.2).

    The slides' formula, computed by hand with numpy (the chapter checks it against nnlib's
    autodiff and against finite differences).
    """
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if w.shape != x.shape or w.ndim != 1:
        raise ValueError(f"w and x must be vectors of one length, got {w.shape} and {x.shape}")
    delta = float(F.sigmoid(w @ x + b)) - float(y)  # dL/dz = y_hat - y
    return delta * x, delta


# ====================================================================== 6.3 computation graphs
@dataclass
class Graph:
    """A computation graph recorded by nnlib, with the book's names on its nodes.

    ``output`` is the final Tensor (the loss); ``inputs`` maps the names of the leaves a reader
    may change (the widget's sliders) to their values; ``build`` rebuilds the graph from new
    input values, e.g. ``graph.build(a=2.0)``.
    """

    title: str
    output: Tensor
    inputs: dict[str, float]
    build: Callable[..., Graph] = field(repr=False)

    @property
    def nodes(self) -> list[Tensor]:
        """Every node, each after the nodes it is computed from (``Tensor.topo_order``)."""
        return self.output.topo_order()

    @property
    def labels(self) -> list[str]:
        """One label per node (same order as ``nodes``): its name, or a constant's value."""
        return node_labels(self.nodes)

    def node(self, label: str) -> Tensor:
        """The node labelled ``label``; a clear error listing the labels otherwise."""
        for n, lab in zip(self.nodes, self.labels):
            if lab == label:
                return n
        raise KeyError(f"no node {label!r} in {self.title!r}; nodes: {', '.join(self.labels)}")

    def values(self) -> dict[str, Array]:
        return {lab: n.data for n, lab in zip(self.nodes, self.labels)}

    def grads(self) -> dict[str, Array | None]:
        return {lab: n.grad for n, lab in zip(self.nodes, self.labels)}


def node_labels(nodes: Sequence[Tensor]) -> list[str]:
    """Unique labels: a node's name, or for an unnamed constant its value (``2`` in ``2 * b``);
    a repeated label gets primes (``2``, ``2′``)."""
    labels: list[str] = []
    for n in nodes:
        label = n.name if n.name is not None else format_value(n.data)
        while label in labels:
            label += "′"
        labels.append(label)
    return labels


def _leaf(value: Any, name: str) -> Tensor:
    return Tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def _named(t: Tensor, name: str) -> Tensor:
    t.name = name
    return t


def example_graph(a: float = 3.0, b: float = 1.0, c: float = -2.0) -> Graph:
    """L(a, b, c) = c (a + 2b) as d = 2b, e = a + d, L = c e (book: 6.3; the J&M slides).

    At a = 3, b = 1, c = -2: d = 2, e = 5, L = -10, and after ``L.backward()``
    dL/da = -2, dL/db = -4, dL/dc = 5.
    """
    ta, tb, tc = _leaf(a, "a"), _leaf(b, "b"), _leaf(c, "c")
    d = _named(2 * tb, "d")
    e = _named(ta + d, "e")
    L = _named(tc * e, "L")
    return Graph("L = c(a + 2b)", L, {"a": a, "b": b, "c": c}, example_graph)


def fan_out_graph(a: float = 3.0, b: float = -2.0) -> Graph:
    """f = a b + a: the input a is used twice (book: 6.4, fan-out).

    df/da = b + 1 (the sum of the gradients along both paths), df/db = a.
    """
    ta, tb = _leaf(a, "a"), _leaf(b, "b")
    p = _named(ta * tb, "p")
    f = _named(p + ta, "f")
    return Graph("f = ab + a", f, {"a": a, "b": b}, fan_out_graph)


def unit_graph(
    w1: float = 0.2,
    w2: float = 0.3,
    b: float = 0.5,
    x1: float = 0.5,
    x2: float = 0.6,
    y: float = 1.0,
) -> Graph:
    """One sigmoid unit with two inputs and its cross-entropy loss (book: 6.3, the stepper).

    p1 = w1 x1, p2 = w2 x2, s = p1 + p2, z = s + b, y_hat = sigma(z), L = L_CE(y_hat, y).
    The defaults are the first two inputs of chapter 1's worked example.
    """
    tw1, tw2, tb = _leaf(w1, "w1"), _leaf(w2, "w2"), _leaf(b, "b")
    tx1 = Tensor(float(x1), name="x1")
    tx2 = Tensor(float(x2), name="x2")
    p1 = _named(tw1 * tx1, "p1")
    p2 = _named(tw2 * tx2, "p2")
    s = _named(p1 + p2, "s")
    z = _named(s + tb, "z")
    y_hat = _named(F.sigmoid(z), "y_hat")
    L = _named(F.binary_cross_entropy(y_hat, float(y), reduction="sum"), "L")
    inputs = {"w1": w1, "w2": w2, "b": b, "x1": x1, "x2": x2, "y": y}
    return Graph("a sigmoid unit and its loss", L, inputs, unit_graph)


# The stepper's two-layer network: 2 inputs, 2 ReLU hidden units, 1 sigmoid output. Fixed
# weights with one hidden unit on each side of 0 at the default input, so ReLU's two regimes show.
STEPPER_NET = {
    "W1": [[0.5, -1.0], [1.5, 0.5]],
    "b1": [-0.3, -0.4],
    "W2": [[1.0, -2.0]],
    "b2": [0.3],
}


def two_layer_graph(x1: float = 1.0, x2: float = 0.5, y: float = 1.0, net: Any = None) -> Graph:
    """The two-layer network of 6.5 on one example, as nnlib records it (book: 6.3, stepper).

    z1 = W1 x + b1, a1 = ReLU(z1), z2 = W2 a1 + b2, a2 = sigma(z2), L = L_CE(a2, y); each
    line is one node (``F.linear`` computes W x + b in one step). ``net`` is a
    :class:`TwoLayerNet` or a dict of arrays (default: :data:`STEPPER_NET`, 2-2-1).
    """
    params = _as_net(STEPPER_NET if net is None else net)
    x = Tensor(np.array([x1, x2], dtype=np.float64), name="x")
    W1, b1 = _leaf(params.W1, "W1"), _leaf(params.b1, "b1")
    W2, b2 = _leaf(params.W2, "W2"), _leaf(params.b2, "b2")
    z1 = _named(F.linear(x, W1, b1), "z1")
    a1 = _named(F.relu(z1), "a1")
    z2 = _named(F.linear(a1, W2, b2), "z2")
    a2 = _named(F.sigmoid(z2), "a2")
    L = _named(F.binary_cross_entropy(a2, [float(y)], reduction="sum"), "L")

    def rebuild(x1: float = x1, x2: float = x2, y: float = y) -> Graph:
        return two_layer_graph(x1, x2, y, params)

    return Graph("a two-layer network on one input", L, {"x1": x1, "x2": x2, "y": y}, rebuild)


GRAPHS: dict[str, Callable[..., Graph]] = {
    "L = c(a + 2b)": example_graph,
    "a sigmoid unit": unit_graph,
    "a two-layer network": two_layer_graph,
}


# ---------------------------------------------------------------------- stepping through
@dataclass(frozen=True)
class Step:
    """One step of the forward or the backward pass through a :class:`Graph`.

    ``node`` is the name of the node computed (forward) or whose gradient is passed back
    (backward) at this step; ``values`` and ``grads`` hold what is known after the step (by node
    name; a node absent from ``grads`` has no gradient yet); ``text`` says what happened.
    """

    phase: str  # "forward" or "backward"
    node: str
    values: dict[str, Array]
    grads: dict[str, Array]
    text: str


_INFIX = {"+": "+", "-": "-", "*": "·", "/": "/", "@": "@", "**": "^"}


def format_value(v: Any, digits: int = 4) -> str:
    """A node's value as the diagrams and the stepper show it: ``-10``, ``0.7047``, ``[1 -2]``."""
    v = np.asarray(v) + 0.0  # + 0.0 turns -0.0 into 0.0
    if v.size == 1:
        x = float(v.reshape(()))
        return f"{x:.{digits}g}" if x != 0 else "0"
    text = np.array2string(
        v, precision=digits - 1, suppress_small=True, separator=" ", max_line_width=10_000
    )
    return " ".join(text.split())  # one line: "[[0.5 -1] [1.5 0.5]]"


def _forward_text(n: Tensor, label: dict[int, str]) -> str:
    value = format_value(n.data)
    if not n._prev:
        if n.name is None:  # labelled by its value already
            return f"{value} (a constant)"
        kind = "an input" if n.requires_grad else "a constant"
        return f"{label[id(n)]} = {value} ({kind})"
    args = [label[id(p)] for p in n._prev]
    if n._op in _INFIX and len(args) == 2:
        return f"{label[id(n)]} = {args[0]} {_INFIX[n._op]} {args[1]} = {value}"
    return f"{label[id(n)]} = {n._op}({', '.join(args)}) = {value}"


def _backward_text(n: Tensor, out: str, label: dict[int, str], before: dict[int, Any]) -> str:
    """``dL/de = -2; to a: -2 × 1 = -2; to d: -2 × 1 = -2``: the node's gradient, then what each
    input receives, as the gradient times the local derivative (for scalars)."""
    me = label[id(n)]
    if n.grad is None:
        return f"{me} is a constant: it needs no gradient"
    head = f"d{out}/d{me} = {format_value(n.grad)}"
    if n._backward is None:
        return head + ("" if n._prev else f" (complete: every path from {out} is in)")
    parts = []
    for p in n._prev:
        if not p.requires_grad:
            continue
        old = before.get(id(p))
        added = p.grad if old is None else p.grad - old
        g = float(np.ravel(n.grad)[0]) if np.size(n.grad) == 1 else None
        if g and np.size(added) == 1:
            local = float(np.ravel(added)[0]) / g
            share = f"{format_value(g)} × {format_value(local)} = {format_value(added)}"
        else:
            share = format_value(added)
        parts.append(f"to {label[id(p)]}: {share}")
    return "; ".join([head, *parts])


def trace(graph: Graph) -> list[Step]:
    """The forward pass node by node, then ``backward_steps()`` node by node (book: 6.3).

    nnlib computed every value when the graph was built, in the same topological order that the
    forward steps replay; the backward steps run the real backward pass (the leaves' gradients
    are reset first, so tracing twice gives the same steps). Steps name nodes by their labels
    (``graph.labels``).
    """
    nodes = graph.nodes
    label = {id(n): lab for n, lab in zip(nodes, node_labels(nodes))}
    out = label[id(graph.output)]
    for n in nodes:
        n.grad = None
    steps: list[Step] = []
    values: dict[str, Array] = {}
    for n in nodes:
        values[label[id(n)]] = n.data
        steps.append(Step("forward", label[id(n)], dict(values), {}, _forward_text(n, label)))
    before: dict[int, Any] = {id(n): None for n in nodes}
    for n in graph.output.backward_steps():
        grads = {label[id(m)]: m.grad.copy() for m in nodes if m.grad is not None}
        text = _backward_text(n, out, label, before)
        steps.append(Step("backward", label[id(n)], dict(values), grads, text))
        before = {id(m): None if m.grad is None else m.grad.copy() for m in nodes}
    return steps


# ====================================================================== 6.5 the two-layer network
@dataclass
class TwoLayerNet:
    """Weights of z1 = W1 x + b1, a1 = ReLU(z1), z2 = W2 a1 + b2, a2 = sigma(z2) (book: 6.5).

    W1 is (d_h, d_in), b1 (d_h,), W2 (1, d_h), b2 (1,): one row per unit, as in nn.Linear.
    """

    W1: Array
    b1: Array
    W2: Array
    b2: Array

    NAMES = ("W1", "b1", "W2", "b2")

    def arrays(self) -> list[Array]:
        return [self.W1, self.b1, self.W2, self.b2]

    def copy(self) -> TwoLayerNet:
        return TwoLayerNet(*(p.copy() for p in self.arrays()))


def _as_net(net: Any) -> TwoLayerNet:
    if isinstance(net, TwoLayerNet):
        return net
    try:
        arrays = [np.asarray(net[k], dtype=np.float64) for k in TwoLayerNet.NAMES]
    except (KeyError, TypeError):
        raise TypeError(
            f"expected a TwoLayerNet or a dict with keys {TwoLayerNet.NAMES}, got {net!r}"
        ) from None
    W1, b1, W2, b2 = arrays
    d_h, d_in = W1.shape if W1.ndim == 2 else (None, None)
    if d_h is None or b1.shape != (d_h,) or W2.shape != (1, d_h) or b2.shape != (1,):
        raise ValueError(
            f"two-layer weights must be W1 (d_h, d_in), b1 (d_h,), W2 (1, d_h), b2 (1,); got "
            f"{W1.shape}, {b1.shape}, {W2.shape}, {b2.shape}"
        )
    return TwoLayerNet(W1, b1, W2, b2)


def init_two_layer(d_in: int, d_h: int, *, rng: Any = None) -> TwoLayerNet:
    """Random weights drawn like nn.Linear's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (chapter 2)."""
    r = as_rng(rng)
    a1, a2 = 1 / np.sqrt(d_in), 1 / np.sqrt(d_h)
    return TwoLayerNet(
        r.uniform(-a1, a1, (d_h, d_in)),
        r.uniform(-a1, a1, d_h),
        r.uniform(-a2, a2, (1, d_h)),
        r.uniform(-a2, a2, 1),
    )


def find_seed(condition: Callable[[int], bool], start: int = 0, tries: int = 1000) -> int:
    """The first seed >= ``start`` for which ``condition(seed)`` holds (seeds by property)."""
    for seed in range(start, start + tries):
        if condition(seed):
            return seed
    raise ValueError(f"no seed in [{start}, {start + tries}) satisfies the condition")


def _check_example(net: TwoLayerNet, x: Any, y: Any) -> tuple[Array, float]:
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (net.W1.shape[1],):
        raise ValueError(f"x must have shape ({net.W1.shape[1]},) for W1 {net.W1.shape}")
    y = float(y)
    if y not in (0.0, 1.0):
        raise ValueError(f"y must be 0 or 1, got {y}")
    return x, y


def forward_by_hand(net: Any, x: Any) -> dict[str, Array]:
    """z1, a1, z2, a2 for one input x, in numpy (book: 6.5, the forward pass)."""
    net = _as_net(net)
    x = np.asarray(x, dtype=np.float64)
    z1 = net.W1 @ x + net.b1
    a1 = np.maximum(z1, 0.0)
    z2 = net.W2 @ a1 + net.b2
    a2 = F.sigmoid(z2)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2}


def backward_by_hand(net: Any, x: Any, y: float) -> dict[str, Array]:
    """dL/dW1, dL/db1, dL/dW2, dL/db2 derived by hand in matrix form (book: 6.5).

    delta2 = dL/dz2 = a2 - y; dW2 = delta2 a1^T; db2 = delta2; dL/da1 = W2^T delta2;
    delta1 = dL/dz1 = dL/da1 * ReLU'(z1) (ReLU'(0) = 0, as in nnlib); dW1 = delta1 x^T;
    db1 = delta1. Each gradient has the shape of its parameter.
    """
    net = _as_net(net)
    x, y = _check_example(net, x, y)
    f = forward_by_hand(net, x)
    delta2 = f["a2"] - y  # (1,)
    dW2 = np.outer(delta2, f["a1"])  # (1, d_h)
    db2 = delta2
    da1 = net.W2.T @ delta2  # (d_h,)
    delta1 = da1 * (f["z1"] > 0)
    dW1 = np.outer(delta1, x)  # (d_h, d_in)
    db1 = delta1
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _loss_tensor(params: Sequence[Tensor], x: Any, y: float, act: Callable = F.relu) -> Tensor:
    W1, b1, W2, b2 = params
    a1 = act(F.linear(Tensor(x), W1, b1))
    a2 = F.sigmoid(F.linear(a1, W2, b2))
    return F.binary_cross_entropy(a2, np.array([y]), reduction="sum")


def backward_autodiff(net: Any, x: Any, y: float) -> dict[str, Array]:
    """The same four gradients from nnlib's reverse-mode autodiff (``loss.backward()``)."""
    net = _as_net(net)
    x, y = _check_example(net, x, y)
    params = [Tensor(p, requires_grad=True) for p in net.arrays()]
    _loss_tensor(params, x, y).backward()
    return {k: t.grad for k, t in zip(TwoLayerNet.NAMES, params)}


def _loss_numpy(net: TwoLayerNet, x: Array, y: float) -> float:
    a2 = forward_by_hand(net, x)["a2"]
    return float(bce_loss(a2, y)[0])


def backward_numeric(net: Any, x: Any, y: float, h: float = 1e-6) -> dict[str, Array]:
    """The same four gradients by centred finite differences of the numpy loss (book: 6.8)."""
    net = _as_net(net)
    x, y = _check_example(net, x, y)
    grads = {}
    for k in TwoLayerNet.NAMES:

        def loss_of(p: Array, k: str = k) -> float:
            trial = net.copy()
            setattr(trial, k, p)
            return _loss_numpy(trial, x, y)

        grads[k] = numerical_grad(loss_of, getattr(net, k), h)
    return grads


def max_relative_difference(g1: dict[str, Array], g2: dict[str, Array]) -> float:
    """max over parameters of max|g1 - g2| / max(max|g1|, max|g2|) (the gradcheck measure).

    Relative to each parameter's largest gradient, so entries that happen to be ~0 do not blow
    it up; 0 when both are exactly 0.
    """
    if set(g1) != set(g2):
        raise ValueError(f"different parameters: {sorted(g1)} vs {sorted(g2)}")
    worst = 0.0
    for k in g1:
        a, b = np.asarray(g1[k], dtype=np.float64), np.asarray(g2[k], dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"{k}: shapes differ, {a.shape} vs {b.shape}")
        scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0))
        if scale > 0:
            worst = max(worst, float(np.abs(a - b).max() / scale))
    return worst


@dataclass(frozen=True)
class Agreement:
    """The three pairwise max relative differences of :func:`agreement`."""

    hand_vs_autodiff: float
    hand_vs_numeric: float
    autodiff_vs_numeric: float

    def items(self) -> list[tuple[str, float]]:
        return [
            ("by hand vs autodiff", self.hand_vs_autodiff),
            ("by hand vs finite differences", self.hand_vs_numeric),
            ("autodiff vs finite differences", self.autodiff_vs_numeric),
        ]


def agreement(net: Any, x: Any, y: float, h: float = 1e-6) -> Agreement:
    """Compare the gradients by hand, by autodiff and by finite differences (book: 6.5)."""
    hand = backward_by_hand(net, x, y)
    auto = backward_autodiff(net, x, y)
    num = backward_numeric(net, x, y, h)
    return Agreement(
        max_relative_difference(hand, auto),
        max_relative_difference(hand, num),
        max_relative_difference(auto, num),
    )


def relu_prime_at_zero(h: float = 1e-6) -> dict[str, float]:
    """ReLU'(0) three ways: the slides' convention, nnlib's autodiff, a centred difference.

    The slides take 1, nnlib (like PyTorch) takes 0, and the centred difference
    (ReLU(h) - ReLU(-h)) / 2h = 1/2 averages the two one-sided slopes.
    """
    z = Tensor(0.0, requires_grad=True)
    F.relu(z).backward()
    centred = (F.relu(h) - F.relu(-h)) / (2 * h)
    return {"slides": 1.0, "nnlib": float(z.grad), "centred difference": float(centred)}


# ---------------------------------------------------------------------- training
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


@dataclass
class TrainingRun:
    """What :func:`train_two_layer` returns: the trained weights and the mean loss per epoch."""

    net: TwoLayerNet
    losses: Array  # (epochs + 1,): before training, then after each epoch

    def predict_proba(self, X: Any) -> Array:
        return np.array([forward_by_hand(self.net, x)["a2"][0] for x in np.asarray(X)])


def _mean_loss(net: TwoLayerNet, X: Array, Y: Array) -> float:
    return float(np.mean([_loss_numpy(net, x, y) for x, y in zip(X, Y)]))


def train_two_layer(
    X: Any,
    Y: Any,
    *,
    d_h: int = 4,
    seed: int = 0,
    lr: float = 0.1,
    epochs: int = 200,
    grads: str = "autodiff",
) -> TrainingRun:
    """Stochastic gradient descent, one training example at a time (book: 6.1).

    For every epoch, for every (x, y) in order: forward pass, loss, backward pass, and the
    update w <- w - lr * dL/dw for each of W1, b1, W2, b2. ``grads`` chooses the backward pass:
    "autodiff" (nnlib's ``loss.backward()``) or "hand" (:func:`backward_by_hand`).
    """
    if grads not in ("autodiff", "hand"):
        raise ValueError(f"grads must be 'autodiff' or 'hand', got {grads!r}")
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.shape != (X.shape[0],):
        raise ValueError(f"X must be (N, d) and Y (N,), got {X.shape} and {Y.shape}")
    net = init_two_layer(X.shape[1], d_h, rng=seed)
    backward = backward_autodiff if grads == "autodiff" else backward_by_hand
    losses = [_mean_loss(net, X, Y)]
    for _ in range(epochs):
        for x, y in zip(X, Y):
            g = backward(net, x, y)
            for k in TwoLayerNet.NAMES:
                setattr(net, k, getattr(net, k) - lr * g[k])
        losses.append(_mean_loss(net, X, Y))
    return TrainingRun(net, np.array(losses))


# ====================================================================== 6.6 Jacobians
def jacobian_autodiff(f: Callable[[Tensor], Tensor], x: Any) -> Array:
    """The Jacobian J[i, j] = d f_i / d x_j of f: R^n -> R^m, one backward pass per row.

    Row i is the gradient of the output f_i: ``out.backward(grad=e_i)`` with e_i the i-th unit
    vector. (Reverse mode gives one row per pass; that is why it suits a scalar loss.)
    """
    x = np.asarray(x, dtype=np.float64)
    xt = Tensor(x, requires_grad=True)
    out = f(xt)
    J = np.zeros((out.size, x.size))
    for i in range(out.size):
        xt.grad = None
        e_i = np.zeros(out.size)
        e_i[i] = 1.0
        out.backward(e_i.reshape(out.shape))
        J[i] = xt.grad.reshape(-1)
    return J


def jacobian_numeric(f: Callable[[Array], Array], x: Any, h: float = 1e-6) -> Array:
    """The Jacobian by centred differences, column j = (f(x + h e_j) - f(x - h e_j)) / 2h."""
    x = np.asarray(x, dtype=np.float64)
    cols = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = h
        plus = np.asarray(f((x.reshape(-1) + step).reshape(x.shape)), dtype=np.float64)
        minus = np.asarray(f((x.reshape(-1) - step).reshape(x.shape)), dtype=np.float64)
        cols.append(((plus - minus) / (2 * h)).reshape(-1))
    return np.stack(cols, axis=1)


def jacobian_bytes(batch: int, d: int, itemsize: int = 8) -> dict[str, int]:
    """Memory for the Jacobian of an elementwise activation over a (batch, d) layer.

    The full Jacobian has (batch d)^2 entries, almost all 0; its diagonal, f'(z) with the
    shape of z, has batch d. (book: 6.6, why libraries never build it.)
    """
    n = batch * d
    return {"full": n * n * itemsize, "diagonal": n * itemsize}


# ====================================================================== 6.7 nnlib's algorithm
def graph_memory(output: Tensor) -> dict[str, int]:
    """How much the recorded graph keeps alive: bytes of leaves vs of intermediate values.

    Every intermediate value stays in memory until the graph is dropped, because the backward
    functions need them (ReLU' needs z, a matrix product's backward needs its inputs).
    """
    leaves = inter = n_inter = 0
    for n in output.topo_order():
        if n._prev:
            inter += n.data.nbytes
            n_inter += 1
        else:
            leaves += n.data.nbytes
    return {"leaf_bytes": leaves, "intermediate_bytes": inter, "intermediate_nodes": n_inter}


# ====================================================================== 6.8 gradient checking
@dataclass(frozen=True)
class FDFunction:
    """A test function for finite differences with its exact first and third derivatives."""

    label: str
    f: Callable[[Array], Array]
    f1: Callable[[Array], Array]
    f3: Callable[[Array], Array]


def _sig(x: Array) -> Array:
    return F.sigmoid(x)


def _sig3(x: Array) -> Array:
    # sigma''' = sigma' (1 - 6 sigma + 6 sigma^2), from sigma' = sigma (1 - sigma) twice more
    s = F.sigmoid(np.asarray(x, dtype=np.float64))
    return s * (1 - s) * (1 - 6 * s + 6 * s * s)


def _tanh3(x: Array) -> Array:
    # tanh' = 1 - t^2, tanh'' = -2 t tanh', tanh''' = tanh' (6 t^2 - 2)
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return (1 - t * t) * (6 * t * t - 2)


FD_FUNCTIONS: dict[str, FDFunction] = {
    "sin": FDFunction("sin(x)", np.sin, np.cos, lambda x: -np.cos(x)),
    "exp": FDFunction("exp(x)", np.exp, np.exp, np.exp),
    "sigmoid": FDFunction("σ(x)", _sig, F.sigmoid_prime, _sig3),
    "tanh": FDFunction("tanh(x)", np.tanh, F.tanh_prime, _tanh3),
    "cube": FDFunction("x³", lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 + 0 * x),
}


def centred_difference(f: Callable[[Array], Array], x: Any, h: float, dtype: Any = None) -> Array:
    """(f(x + h) - f(x - h)) / 2h, every step in ``dtype`` (default: the dtype of x)."""
    x = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    h = x.dtype.type(h)
    return (f(x + h) - f(x - h)) / (x.dtype.type(2) * h)


def fd_errors(name: str, x: Any, hs: Any, dtype: Any = np.float64) -> Array:
    """|centred difference - f'(x)| for each step h, computed in ``dtype``, at one or more x.

    With several points x the error is the root mean square over them (a smoother curve).
    """
    fn = _fd_function(name)
    xs = np.atleast_1d(np.asarray(x, dtype=dtype))
    exact = fn.f1(xs.astype(np.float64))
    out = []
    for h in np.asarray(hs, dtype=np.float64):
        with np.errstate(all="ignore"):
            est = centred_difference(fn.f, xs, h).astype(np.float64)
        out.append(np.sqrt(np.mean((est - exact) ** 2)))
    return np.array(out)


def _fd_function(name: str) -> FDFunction:
    if name not in FD_FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {', '.join(FD_FUNCTIONS)}")
    return FD_FUNCTIONS[name]


@dataclass(frozen=True)
class ErrorCurve:
    """The error of the centred difference as a function of h, and what it tells (book: 6.8).

    ``truncation`` and ``roundoff`` are the model's two terms, |f'''| h^2 / 6 and
    eps |f| / h; ``h_best_model`` = (3 eps |f| / |f'''|)^(1/3) minimises their sum. The
    measurements alone give the rest: the slopes of log(error) against log(h) on the right
    (truncation) and left (round-off) arms, and ``h_best_fit`` = (B / 2A)^(1/3), the minimum of
    A h^2 + B / h with A and B fitted to the two arms.
    """

    name: str
    dtype: str
    x: float
    hs: Array
    errors: Array
    eps: float
    truncation: Array
    roundoff: Array
    h_best_measured: float
    h_best_model: float
    h_best_fit: float
    slope_right: float
    slope_left: float


def error_curve(
    name: str = "sin",
    x: float = 1.0,
    dtype: Any = np.float64,
    hs: Any = None,
    spread: float = 0.0,
    points: int = 1,
) -> ErrorCurve:
    """Measure the centred difference's error against h for ``FD_FUNCTIONS[name]`` at x.

    ``spread`` > 0 averages (root mean square) over ``points`` values of x in
    [x - spread, x + spread], which smooths the round-off arm without moving it.
    """
    fn = _fd_function(name)
    dtype = np.dtype(dtype)
    eps = float(np.finfo(dtype).eps)
    if hs is None:
        hs = np.logspace(-13, 0, 131) if dtype == np.float64 else np.logspace(-7, 0, 71)
    hs = np.asarray(hs, dtype=np.float64)
    xs = x + np.linspace(-spread, spread, points) if spread > 0 else np.array([x])
    errors = fd_errors(name, xs, hs, dtype)
    f_abs = float(np.sqrt(np.mean(fn.f(xs) ** 2)))
    f3_abs = float(np.sqrt(np.mean(fn.f3(xs) ** 2)))
    truncation = f3_abs * hs**2 / 6
    roundoff = eps * f_abs / hs
    h_model = (3 * eps * f_abs / f3_abs) ** (1 / 3) if f3_abs > 0 else np.inf
    # The arms: where one term of the model is at least 10 times the other.
    right = (truncation > 10 * roundoff) & (errors > 0) & (hs <= 0.1)
    left = (roundoff > 10 * truncation) & (errors > 0)
    slope_right = _slope(hs[right], errors[right])
    slope_left = _slope(hs[left], errors[left])
    # error ~ A h^2 + B / h: A from the right arm, B from the left (geometric means), and the
    # h where the sum is smallest, (B / 2A)^(1/3).
    A = float(np.exp(np.mean(np.log(errors[right] / hs[right] ** 2)))) if right.any() else np.nan
    B = float(np.exp(np.mean(np.log(errors[left] * hs[left])))) if left.any() else np.nan
    h_fit = (B / (2 * A)) ** (1 / 3)
    return ErrorCurve(
        name,
        dtype.name,
        float(x),
        hs,
        errors,
        eps,
        truncation,
        roundoff,
        float(hs[np.argmin(np.where(errors > 0, errors, np.inf))]),
        float(h_model),
        h_fit,
        slope_right,
        slope_left,
    )


def _slope(hs: Array, errors: Array) -> float:
    if hs.size < 2:
        return float("nan")
    return float(np.polyfit(np.log10(hs), np.log10(errors), 1)[0])


# ---------------------------------------------------------------------- bugs a check catches
def sigmoid_wrong_derivative(z: Tensor) -> Tensor:
    """A sigmoid op with a bug in its backward: g * s instead of g * s (1 - s) (book: 6.8)."""
    s = F.sigmoid(z.data)
    return Tensor._make(s, (z,), "sigmoid", lambda g: z._accum(g * s))


def sigmoid_overwrites_grad(z: Tensor) -> Tensor:
    """A sigmoid op whose backward *assigns* z.grad instead of adding to it (book: 6.8).

    Right as long as z feeds only this op; wrong as soon as z is used twice (fan-out), because
    the gradient from the other use is thrown away (or throws this one away).
    """
    s = F.sigmoid(z.data)

    def backward(g: Array) -> None:
        z.grad = g * s * (1 - s)  # the bug: should be z._accum(...)

    return Tensor._make(s, (z,), "sigmoid", backward)


def gradcheck_two_layer(
    net: Any,
    X: Any,
    Y: Any,
    *,
    act: Callable[[Tensor], Tensor] = F.relu,
    out_act: Callable[[Tensor], Tensor] = F.sigmoid,
    skip: bool = False,
    h: float = 1e-6,
) -> dict[str, float]:
    """nnlib.gradcheck on the whole two-layer network, summed loss over the rows of X.

    ``act`` and ``out_act`` swap in other (or deliberately broken) activations; ``skip=True``
    adds a skip connection a2 = out_act(z2 + z1.sum()), so the hidden pre-activations are used
    twice (fan-out). Returns the relative error for each parameter.
    """
    net = _as_net(net)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(-1, 1)

    def loss(W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
        z1 = F.linear(Tensor(X), W1, b1)
        z2 = F.linear(act(z1), W2, b2)
        if skip:
            z2 = z2 + z1.sum(axis=1, keepdims=True)
        return F.binary_cross_entropy(out_act(z2), Y, reduction="sum")

    errors = gradcheck(loss, net.arrays(), h=h)
    return dict(zip(TwoLayerNet.NAMES, errors))
