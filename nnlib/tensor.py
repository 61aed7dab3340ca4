"""Tensor: a numpy array that remembers how it was made, and reverse-mode autodiff.

Book: Backpropagation (chapter 6), "The algorithm as nnlib implements it".

How to read this file, top to bottom:

1. A :class:`Tensor` holds ``data`` (a numpy array) and, once ``backward()`` has reached it,
   ``grad``: dL/d(this tensor), an array of the same shape.
2. Every operation computes its result ``out`` from its inputs' ``data`` and hands it to
   ``Tensor._make(out, inputs, op_name, backward)``. ``backward`` is a small function written
   right under the forward computation: given ``g`` = dL/d(out), it adds dL/d(input) to each
   input's ``.grad`` with ``_accum``. That is the chain rule, one local derivative at a time:
   for ``out = a * b``, dL/da = dL/d(out) * d(out)/da = g * b.
3. ``backward()`` puts the graph in topological order (``topo_order``: inputs before the values
   made from them) and calls those small functions from the loss back to the inputs.

Everything else (shape checks with clear errors, ``no_grad``, broadcasting, dtypes) is plumbing,
collected at the end of the file so it stays out of the way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Tensor",
    "ShapeError",
    "NonFiniteError",
    "tensor",
    "no_grad",
    "is_grad_enabled",
    "concatenate",
    "stack",
    "unbroadcast",
]

Backward = Callable[[np.ndarray], None]


class ShapeError(ValueError):
    """Raised when an operation gets operands whose shapes do not fit; names the op and shapes."""


class NonFiniteError(FloatingPointError):
    """Raised when ``backward()`` starts from a loss that is NaN or infinite."""


class Tensor:
    """An n-dimensional array with an optional gradient (book: Backpropagation).

    ``data`` is the numpy array; ``grad`` is ``None`` until ``backward()`` reaches this tensor,
    then an array of the same shape holding dL/d(this). A leaf's gradients *accumulate*: calling
    ``backward()`` twice adds the second gradient to the first (like PyTorch), so call
    ``zero_grad()`` on a module or optimiser to start afresh. Unlike PyTorch, intermediate
    tensors keep the gradient of the latest ``backward()`` too, so a graph can be inspected.

    The graph: ``_prev`` holds the inputs a tensor was computed from, ``_op`` the operation's
    name ("+", "@", "relu"...), ``_backward`` its local backward; ``name`` is an optional label
    (the book's diagrams show it).
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_backward", "name")
    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators (array + tensor)

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        self.data: np.ndarray = data.data if isinstance(data, Tensor) else _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()
        self._op = ""
        self._backward: Backward | None = None
        self.name = name

    # ------------------------------------------------------------------ recording the graph
    @staticmethod
    def _make(data: np.ndarray, prev: tuple[Tensor, ...], op: str, backward: Backward) -> Tensor:
        """The result of an operation: a new Tensor that remembers its inputs and its backward.

        Only if some input needs a gradient (and we are not inside ``no_grad()``) does the
        result join the graph; otherwise it is a plain constant that keeps nothing alive.
        """
        out = _new_tensor(data)
        if _GradMode.enabled and _any_requires_grad(prev):
            out.requires_grad = True
            out._prev, out._op, out._backward = prev, op, backward
        return out

    def _accum(self, g: np.ndarray) -> None:
        """Add ``g`` to ``self.grad``: a value used several times gets the sum of its gradients."""
        if self.grad is None:
            self.grad = _first_grad(self, g)
        else:
            self.grad = self.grad + g  # a new array, never +=: see _first_grad

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _check_broadcast("add (+)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:  # d(a + b)/da = d(a + b)/db = 1
            if a.requires_grad:
                a._accum(unbroadcast(g, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(g, b.shape))

        return Tensor._make(a.data + b.data, (a, b), "+", backward)

    def __mul__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _check_broadcast("multiply (*)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:  # d(a b)/da = b, d(a b)/db = a
            if a.requires_grad:
                a._accum(unbroadcast(g * b.data, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(g * a.data, b.shape))

        return Tensor._make(a.data * b.data, (a, b), "*", backward)

    def __sub__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _check_broadcast("subtract (-)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:  # d(a - b)/da = 1, d(a - b)/db = -1
            if a.requires_grad:
                a._accum(unbroadcast(g, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(-g, b.shape))

        return Tensor._make(a.data - b.data, (a, b), "-", backward)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _check_broadcast("divide (/)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            if a.requires_grad:
                a._accum(unbroadcast(g / b.data, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(-g * a.data / (b.data * b.data), b.shape))

        return Tensor._make(a.data / b.data, (a, b), "/", backward)

    def __pow__(self, other: Any) -> Tensor:
        a, p = self, self._lift(other)
        _check_broadcast("power (**)", a.shape, p.shape)
        out = a.data**p.data

        def backward(g: np.ndarray) -> None:  # d(a^p)/da = p a^(p-1), d(a^p)/dp = a^p log a
            if a.requires_grad:
                a._accum(unbroadcast(g * p.data * a.data ** (p.data - 1), a.shape))
            if p.requires_grad:
                p._accum(unbroadcast(g * out * np.log(a.data), p.shape))

        return Tensor._make(out, (a, p), "**", backward)

    def __neg__(self) -> Tensor:
        return Tensor._make(-self.data, (self,), "neg", lambda g: self._accum(-g))

    def __radd__(self, other: Any) -> Tensor:
        return self._lift(other) + self

    def __rsub__(self, other: Any) -> Tensor:
        return self._lift(other) - self

    def __rmul__(self, other: Any) -> Tensor:
        return self._lift(other) * self

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._lift(other) / self

    def __rpow__(self, other: Any) -> Tensor:
        return self._lift(other) ** self

    # ------------------------------------------------------------------ matrix product
    def __matmul__(self, other: Any) -> Tensor:
        """Matrix product, numpy rules: 1-D operands are vectors, leading axes are batches."""
        a, b = self, self._lift(other)
        _check_matmul(a, b)

        def backward(g: np.ndarray) -> None:  # dL/dA = G B^T,  dL/dB = A^T G
            A, B, G = _as_matrices(a.data, b.data, g)
            if a.requires_grad:
                a._accum(unbroadcast(G @ np.swapaxes(B, -1, -2), A.shape).reshape(a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(np.swapaxes(A, -1, -2) @ G, B.shape).reshape(b.shape))

        return Tensor._make(a.data @ b.data, (a, b), "@", backward)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._lift(other) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        x = self

        def backward(g: np.ndarray) -> None:  # every entry that was summed gets g
            x._accum(np.broadcast_to(_expand(g, x.ndim, axis, keepdims), x.shape))

        return Tensor._make(x.data.sum(axis=axis, keepdims=keepdims), (x,), "sum", backward)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        x = self
        if x.data.size == 0:
            raise ShapeError(f"mean: cannot average an empty tensor of shape {x.shape}")
        out = x.data.mean(axis=axis, keepdims=keepdims)
        n = x.data.size // np.size(out)  # how many entries each mean averaged

        def backward(g: np.ndarray) -> None:  # every entry that was averaged gets g / n
            x._accum(np.broadcast_to(_expand(g / n, x.ndim, axis, keepdims), x.shape))

        return Tensor._make(out, (x,), "mean", backward)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; the gradient goes to the maximal entries (shared equally between ties)."""
        x = self
        out = x.data.max(axis=axis, keepdims=keepdims)

        def backward(g: np.ndarray) -> None:
            winners = (x.data == _expand(out, x.ndim, axis, keepdims)).astype(x.data.dtype)
            winners /= winners.sum(axis=axis, keepdims=True)
            x._accum(winners * _expand(g, x.ndim, axis, keepdims))

        return Tensor._make(out, (x,), "max", backward)

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return Tensor._make(out, (self,), "exp", lambda g: self._accum(g * out))  # (e^x)' = e^x

    def log(self) -> Tensor:
        x = self
        return Tensor._make(np.log(x.data), (x,), "log", lambda g: x._accum(g / x.data))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        x = self
        shape = _shape_arg(shape)
        try:
            out = x.data.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape {x.shape} into {shape}") from None
        return Tensor._make(out, (x,), "reshape", lambda g: x._accum(g.reshape(x.shape)))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (all reversed if none given), like ``numpy.transpose``."""
        x = self
        axes = _shape_arg(axes) or tuple(reversed(range(x.ndim)))
        undo = tuple(np.argsort([ax % x.ndim for ax in axes]))  # the inverse permutation
        return Tensor._make(
            x.data.transpose(axes), (x,), "transpose", lambda g: x._accum(g.transpose(undo))
        )

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, idx: Any) -> Tensor:
        """Indexing and slicing; integer arrays select rows (an embedding look-up)."""
        x = self
        if isinstance(idx, Tensor):
            idx = idx.data.astype(np.intp)
        try:
            out = x.data[idx]
        except IndexError as e:
            raise IndexError(f"index into tensor of shape {x.shape}: {e}") from None

        def backward(g: np.ndarray) -> None:  # each picked entry gets its g, the rest 0
            full = np.zeros_like(x.data)
            if _is_basic_index(idx):  # slices and integers pick each entry at most once
                full[idx] = g
            else:
                np.add.at(full, idx, g)  # repeated indices (the same word twice) add up
            x._accum(full)

        return Tensor._make(out, (x,), "index", backward)

    def astype(self, dtype: Any) -> Tensor:
        x = self
        return Tensor._make(
            x.data.astype(dtype), (x,), "astype", lambda g: x._accum(g.astype(x.data.dtype))
        )

    # ------------------------------------------------------------------ backpropagation
    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on, by reverse-mode autodiff.

        Without ``grad`` this tensor must hold a single number, a loss L, and the pass starts
        from dL/dL = 1; otherwise ``grad`` is dL/d(self), an array of this tensor's shape.
        Raises :class:`NonFiniteError` for a NaN or infinite loss (every gradient computed from
        it would be meaningless) before changing any gradient.
        """
        seed = self._seed_grad(grad)
        order = self.topo_order()  # every tensor after the tensors it was computed from
        for node in order:
            if node._prev:  # an intermediate's grad belongs to one call; leaves accumulate
                node.grad = None
        self._accum(seed)
        for node in reversed(order):  # from the loss back to the inputs
            if node._backward is not None and node.grad is not None:
                # node.grad is complete here: every tensor computed from node came later in
                # `order`, so each has already passed its share back to node.
                node._backward(node.grad)

    def backward_steps(self, grad: Any = None) -> Iterator[Tensor]:
        """``backward()`` one node at a time, for stepping through it (book: Backpropagation).

        The same loop as ``backward()``; yields each node of the graph, from this tensor back to
        the inputs, right after its local backward has passed its gradient on to its inputs.
        """
        seed = self._seed_grad(grad)
        order = self.topo_order()
        for node in order:
            if node._prev:
                node.grad = None
        self._accum(seed)
        for node in reversed(order):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)
            yield node

    def topo_order(self) -> list[Tensor]:
        """This tensor and all tensors it depends on, each after the tensors it was made from.

        Depth-first search: a node is appended once all of its inputs have been. Recursively,
        ``visit(node)`` = visit each input not yet seen, then append ``node``; here the recursion
        is unrolled into an explicit stack, so a graph thousands of operations deep does not hit
        Python's recursion limit. The stack holds each open node with its inputs still to visit.
        """
        order: list[Tensor] = []
        seen = {self}
        stack = [(self, iter(self._prev))]
        while stack:
            node, inputs = stack[-1]
            for p in inputs:
                if p not in seen:  # go down into p first
                    seen.add(p)
                    stack.append((p, iter(p._prev)))
                    break
            else:  # every input of node is in order already
                stack.pop()
                order.append(node)
        return order

    def _seed_grad(self, grad: Any) -> np.ndarray:
        """dL/d(self) to start from: 1 for a one-element loss, else the given array (checked)."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input had "
                "requires_grad=True, or it was computed inside no_grad()"
            )
        if grad is not None:
            grad = np.asarray(grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ShapeError(
                    f"backward(): grad has shape {grad.shape} but the tensor has shape {self.shape}"
                )
            return grad
        if self.data.size != 1:
            raise ValueError(
                f"backward() without a gradient argument needs a one-element tensor (a loss); "
                f"this one has shape {self.shape}. Reduce it first (e.g. .sum() or .mean()) or "
                f"pass grad=an array of shape {self.shape}."
            )
        if not math.isfinite(self.data.item()):
            raise NonFiniteError(
                f"backward() from a non-finite loss ({self.data.item()}): the forward pass "
                f"overflowed or took log(0). Lower the learning rate or use the stable losses "
                f"in nnlib.functional (e.g. cross_entropy on logits)."
            )
        return np.ones_like(self.data)

    # ------------------------------------------------------------------ conveniences
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        extra = ""
        if self.name is not None:
            extra += f", name={self.name!r}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self._op:
            extra += f", op={self._op!r}"
        return f"Tensor({np.array2string(self.data, precision=4)}{extra})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """The same values, cut off from the graph."""
        return Tensor(self.data)

    def _lift(self, other: Any) -> Tensor:
        """Wrap a number or array as a constant Tensor of this tensor's dtype (keeps float32)."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype))


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a Tensor from a number, list or array (``dtype`` defaults to float64)."""
    return Tensor(_as_array(data, dtype), requires_grad=requires_grad)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; the gradient is split back into the pieces."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    try:
        out = np.concatenate([t.data for t in ts], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ShapeError(f"concatenate(axis={axis}): shapes do not fit: {shapes}") from None
    bounds = np.cumsum([t.shape[axis] for t in ts])[:-1]

    def backward(g: np.ndarray) -> None:
        for t, piece in zip(ts, np.split(g, bounds, axis=axis)):
            if t.requires_grad:
                t._accum(piece)

    return Tensor._make(out, tuple(ts), "concatenate", backward)


def stack(tensors: Iterable[Tensor], axis: int = 0) -> Tensor:
    """Stack equally shaped tensors along a new axis; each gets its slice of the gradient."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    try:
        out = np.stack([t.data for t in ts], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ShapeError(f"stack(axis={axis}): all shapes must be equal, got {shapes}") from None

    def backward(g: np.ndarray) -> None:
        for i, t in enumerate(ts):
            if t.requires_grad:
                t._accum(np.take(g, i, axis=axis))

    return Tensor._make(out, tuple(ts), "stack", backward)


# ====================================================================== plumbing
# What follows keeps the code above short: grad mode, broadcasting, shape checks with clear
# errors, and the few places where a little care buys speed.


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True unless inside a ``with no_grad():`` block."""
    return _GradMode.enabled


class no_grad:
    """Context manager: operations inside record no graph (like ``torch.no_grad``).

    Use it for evaluation and for parameter updates, which must not become part of the graph.
    """

    def __enter__(self) -> no_grad:
        self._prev = _GradMode.enabled
        _GradMode.enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._prev


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that numpy broadcasting added or stretched, so it has ``shape``.

    If ``x`` of shape (3,) was broadcast to (4, 3) in the forward pass, each x_i was used 4
    times, so its gradient is the sum of the 4 upstream gradients (fan-out).
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def _new_tensor(data: np.ndarray) -> Tensor:
    """``Tensor(data)`` for an op's fresh result array, skipping ``__init__``'s input checks.

    Every operation makes one of these, so this is on the hot path of every training step.
    """
    t = Tensor.__new__(Tensor)
    t.data, t.grad, t.requires_grad, t.name = data, None, False, None
    t._prev, t._op, t._backward = (), "", None
    return t


def _any_requires_grad(tensors: tuple[Tensor, ...]) -> bool:
    for t in tensors:  # a plain loop: several times faster than any() on a generator
        if t.requires_grad:
            return True
    return False


def _first_grad(t: Tensor, g: np.ndarray) -> np.ndarray:
    """The array to store as ``t.grad`` when ``g`` is the first gradient to reach ``t``.

    Gradients are shared, not copied: ``a + b`` hands the same array to both inputs, and
    ``_accum`` later *replaces* ``grad`` (``grad + g``) instead of adding into it, so a shared
    array is never changed behind anyone's back. Treat ``.grad`` as read-only, as the
    optimisers do. The one exception is a leaf (a parameter), whose grad a user may well change
    in place (``p.grad *= 0.5``): it gets an array of its own, of its own dtype, unless ``g``
    already is one (a fresh array nobody else holds: then no copy is needed).
    """
    g = np.asarray(g)
    if t._prev:  # an intermediate result: sharing is fine
        return g
    if g.flags.owndata and g.flags.writeable and g.dtype == t.data.dtype:
        return g
    return np.array(g, dtype=t.data.dtype)


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "fc" and dtype is None:
        raise TypeError(f"Tensor data must be numeric, got dtype {arr.dtype}")
    return arr


def _shape_arg(args: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (or axes) (2, 3), as in numpy."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


def _check_broadcast(op: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    if sa == sb:  # the common case needs no work
        return
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ShapeError(f"{op}: shapes {sa} and {sb} cannot be broadcast together") from None


def _check_matmul(a: Tensor, b: Tensor) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul (@): scalars are not allowed, got {a.shape} @ {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(
            f"matmul (@): inner dimensions differ: {a.shape} @ {b.shape} ({k_a} != {k_b})"
        )
    _check_broadcast("matmul (@) batch axes", a.shape[:-2], b.shape[:-2])


def _as_matrices(a: np.ndarray, b: np.ndarray, g: np.ndarray):
    """``a``, ``b`` and ``g`` = dL/d(a @ b), with vectors written as 1-row / 1-column matrices.

    Then one pair of formulas, dL/dA = G B^T and dL/dB = A^T G, covers every case: vector .
    vector, matrix @ vector, batches. ``unbroadcast`` and ``reshape`` undo the rewriting.
    """
    A = a[None, :] if a.ndim == 1 else a
    B = b[:, None] if b.ndim == 1 else b
    if b.ndim == 1:  # first: for vector . vector, g is 0-d and needs this axis first
        g = g[..., None]
    if a.ndim == 1:
        g = g[..., None, :]
    return A, B, g


def _is_basic_index(idx: Any) -> bool:
    """True for numpy "basic" indexing (ints, slices, ..., None): no entry is picked twice."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(
        p is None
        or p is Ellipsis
        or isinstance(p, (slice, int, np.integer))
        and not isinstance(p, (bool, np.bool_))
        for p in parts
    )


def _expand(g: np.ndarray, ndim: int, axis: Any, keepdims: bool) -> np.ndarray:
    """Re-insert the axes a reduction removed, so ``g`` broadcasts against the input."""
    if keepdims or axis is None:
        return g
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % ndim for a in axes)
    return np.expand_dims(g, axes)
