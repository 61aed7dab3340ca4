"""Tensor: a numpy array that remembers how it was made, and reverse-mode autodiff.

Book: Backprop, "Computation graphs and backward differentiation".

Every operation below builds its result with :func:`Tensor._make`, which records the inputs
(``_prev``) and the operation's name (``_op``), and attaches a small closure ``_backward(g)``
written right next to the forward computation. Given ``g = dL/d(out)``, the closure adds
``dL/d(input)`` to each input's ``.grad`` (the chain rule, one local derivative at a time).

``backward()`` is a topological sort of the graph (iterative, so deep graphs do not hit
Python's recursion limit) followed by one loop over the nodes in reverse order.
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


class ShapeError(ValueError):
    """Raised when an operation gets operands whose shapes do not fit; names the op and shapes."""


class NonFiniteError(FloatingPointError):
    """Raised when ``backward()`` starts from a loss that is NaN or infinite."""


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
    times, so its gradient is the sum of the 4 upstream gradients.
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


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "fc" and dtype is None:
        raise TypeError(f"Tensor data must be numeric, got dtype {arr.dtype}")
    return arr


def _broadcast_shape(op: str, *shapes: tuple[int, ...]) -> None:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        joined = " and ".join(str(s) for s in shapes)
        raise ShapeError(f"{op}: shapes {joined} cannot be broadcast together") from None


class Tensor:
    """An n-dimensional array with an optional gradient (book: Backprop).

    ``data`` is the numpy array; ``grad`` is ``None`` until ``backward()`` reaches this tensor,
    then a numpy array of the same shape holding dL/d(this). Gradients *accumulate*: calling
    ``backward()`` twice adds the second gradient to the first (as in PyTorch with
    ``retain_graph=True``); call ``zero_grad()`` on a module or optimiser to start afresh.
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_backward", "name")
    __array_priority__ = 1000  # make numpy defer to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        self.data = data.data if isinstance(data, Tensor) else _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()
        self._op = ""
        self._backward: Callable[[np.ndarray], None] | None = None
        self.name = name

    # ------------------------------------------------------------------ plumbing
    @classmethod
    def _make(
        cls,
        data: np.ndarray,
        prev: tuple[Tensor, ...],
        op: str,
        backward: Callable[[np.ndarray], None],
    ) -> Tensor:
        """The result of an operation: records inputs and the local backward if grad is needed."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.name = None
        needs_grad = False
        if _GradMode.enabled:
            for p in prev:  # a plain loop: this runs for every op, so it is kept cheap
                if p.requires_grad:
                    needs_grad = True
                    break
        if needs_grad:
            out.requires_grad = True
            out._prev = prev
            out._op = op
            out._backward = backward
        else:
            out.requires_grad = False
            out._prev = ()
            out._op = ""
            out._backward = None
        return out

    def _accum(self, g: np.ndarray) -> None:
        """Add ``g`` to ``self.grad``.

        Out-of-place (``grad = grad + g``), never ``+=``: one array may be handed to several
        tensors (``a + b`` gives both the same gradient), and must stay intact for all of them.
        So treat ``.grad`` as read-only, as the optimisers do. A leaf whose first gradient is a
        view (of a broadcast, a reshape...) or of another dtype gets its own array.
        """
        if self.grad is None:
            g = np.asarray(g)
            if not self._prev and not (
                g.flags.owndata and g.flags.writeable and g.dtype == self.data.dtype
            ):
                g = np.array(g, dtype=self.data.dtype)
            self.grad = g
        else:
            self.grad = self.grad + g

    def _lift(self, other: Any) -> Tensor:
        """Wrap a number or array as a constant Tensor of this tensor's dtype (keeps float32)."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype))

    # ------------------------------------------------------------------ properties
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
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op!r}" if self._op else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{grad}{op})"

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

    def astype(self, dtype: Any) -> Tensor:
        data = self.data.astype(dtype)
        return Tensor._make(
            data, (self,), "astype", lambda g: self._accum(g.astype(self.data.dtype))
        )

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _broadcast_shape("add (+)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:
            if a.requires_grad:
                a._accum(unbroadcast(g, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(g, b.shape))

        return Tensor._make(a.data + b.data, (a, b), "+", backward)

    def __mul__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _broadcast_shape("multiply (*)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:
            if a.requires_grad:
                a._accum(unbroadcast(g * b.data, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(g * a.data, b.shape))

        return Tensor._make(a.data * b.data, (a, b), "*", backward)

    def __neg__(self) -> Tensor:
        return Tensor._make(-self.data, (self,), "neg", lambda g: self._accum(-g))

    def __sub__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _broadcast_shape("subtract (-)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:
            if a.requires_grad:
                a._accum(unbroadcast(g, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(-g, b.shape))

        return Tensor._make(a.data - b.data, (a, b), "-", backward)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self, self._lift(other)
        _broadcast_shape("divide (/)", a.shape, b.shape)

        def backward(g: np.ndarray) -> None:
            if a.requires_grad:
                a._accum(unbroadcast(g / b.data, a.shape))
            if b.requires_grad:
                b._accum(unbroadcast(-g * a.data / (b.data * b.data), b.shape))

        return Tensor._make(a.data / b.data, (a, b), "/", backward)

    def __pow__(self, other: Any) -> Tensor:
        a, p = self, self._lift(other)
        _broadcast_shape("power (**)", a.shape, p.shape)
        out = a.data**p.data

        def backward(g: np.ndarray) -> None:
            if a.requires_grad:  # d(a^p)/da = p a^(p-1)
                a._accum(unbroadcast(g * p.data * a.data ** (p.data - 1), a.shape))
            if p.requires_grad:  # d(a^p)/dp = a^p log a
                p._accum(unbroadcast(g * out * np.log(a.data), p.shape))

        return Tensor._make(out, (a, p), "**", backward)

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
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul (@): scalars are not allowed, got {a.shape} @ {b.shape}")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ShapeError(
                f"matmul (@): inner dimensions differ: {a.shape} @ {b.shape} ({k_a} != {k_b})"
            )
        _broadcast_shape("matmul (@) batch axes", a.shape[:-2], b.shape[:-2])

        def backward(g: np.ndarray) -> None:
            # Treat vectors as 1-row / 1-column matrices so one formula covers every case:
            # dA = G @ B^T,  dB = A^T @ G.
            A = a.data[None, :] if a.ndim == 1 else a.data
            B = b.data[:, None] if b.ndim == 1 else b.data
            G = g
            if b.ndim == 1:  # first: for vector . vector, g is 0-d and needs this axis first
                G = G[..., None]
            if a.ndim == 1:
                G = G[..., None, :]
            if a.requires_grad:
                gA = G @ np.swapaxes(B, -1, -2)
                gA = unbroadcast(gA, A.shape)
                a._accum(gA.reshape(a.shape))
            if b.requires_grad:
                gB = np.swapaxes(A, -1, -2) @ G
                gB = unbroadcast(gB, B.shape)
                b._accum(gB.reshape(b.shape))

        return Tensor._make(a.data @ b.data, (a, b), "@", backward)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._lift(other) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        x = self

        def backward(g: np.ndarray) -> None:
            x._accum(np.broadcast_to(_expand(g, x.ndim, axis, keepdims), x.shape))

        return Tensor._make(x.data.sum(axis=axis, keepdims=keepdims), (x,), "sum", backward)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        x = self
        if x.data.size == 0:
            raise ShapeError(f"mean: cannot average an empty tensor of shape {x.shape}")
        out = x.data.mean(axis=axis, keepdims=keepdims)
        n = x.data.size // np.size(out)  # how many entries each mean averaged

        def backward(g: np.ndarray) -> None:
            x._accum(np.broadcast_to(_expand(g / n, x.ndim, axis, keepdims), x.shape))

        return Tensor._make(out, (x,), "mean", backward)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; the gradient goes to the maximal entries (shared equally between ties)."""
        x = self
        out = x.data.max(axis=axis, keepdims=keepdims)

        def backward(g: np.ndarray) -> None:
            m = _expand(out, x.ndim, axis, keepdims)
            mask = (x.data == m).astype(x.data.dtype)
            mask /= mask.sum(axis=axis, keepdims=True)
            x._accum(mask * _expand(g, x.ndim, axis, keepdims))

        return Tensor._make(out, (x,), "max", backward)

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return Tensor._make(out, (self,), "exp", lambda g: self._accum(g * out))

    def log(self) -> Tensor:
        x = self
        return Tensor._make(np.log(x.data), (x,), "log", lambda g: x._accum(g / x.data))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        x = self
        try:
            out = x.data.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape {x.shape} into {shape}") from None
        return Tensor._make(out, (x,), "reshape", lambda g: x._accum(g.reshape(x.shape)))

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes (all reversed if none given), like ``numpy.transpose``."""
        x = self
        axes_ = axes if axes else tuple(reversed(range(x.ndim)))
        if len(axes_) == 1 and isinstance(axes_[0], (tuple, list)):
            axes_ = tuple(axes_[0])
        inverse = tuple(np.argsort([ax % x.ndim for ax in axes_]))  # -1 means the last axis
        return Tensor._make(
            x.data.transpose(axes_), (x,), "transpose", lambda g: x._accum(g.transpose(inverse))
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

        def backward(g: np.ndarray) -> None:
            full = np.zeros_like(x.data)
            if _is_basic_index(idx):  # slices and integers pick each entry at most once
                full[idx] = g
            else:
                np.add.at(full, idx, g)  # repeated indices (the same word twice) add up
            x._accum(full)

        return Tensor._make(out, (x,), "index", backward)

    # ------------------------------------------------------------------ autodiff
    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on, by reverse-mode autodiff.

        Without ``grad`` this tensor must hold a single value (a loss); ``grad`` is the
        upstream gradient dL/d(self) otherwise. Raises :class:`NonFiniteError` if the loss is
        NaN or infinite, since every gradient computed from it would be meaningless.
        """
        order = self._prepare_backward(self._seed_grad(grad))
        for node in reversed(order):  # outputs before inputs: each grad is complete when used
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)

    def backward_steps(self, grad: Any = None) -> Iterator[Tensor]:
        """``backward()`` one node at a time, for stepping through it (book: Backprop).

        Yields each node, from this tensor back to the inputs, right after its local backward
        has passed its (now complete) gradient on to its inputs.
        """
        order = self._prepare_backward(self._seed_grad(grad))
        for node in reversed(order):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)
            yield node

    def _prepare_backward(self, seed: np.ndarray) -> list[Tensor]:
        """The graph in topological order, with this call's intermediate grads reset and seeded."""
        order = self.topo_order()
        for node in order:  # intermediate grads belong to this call; only leaves accumulate
            if node._prev:
                node.grad = None
        self._accum(seed)
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

    def topo_order(self) -> list[Tensor]:
        """All tensors this one depends on, inputs before the results made from them.

        Iterative depth-first search (no recursion limit): the stack holds each open node with
        an iterator over its inputs; a node is appended once all of its inputs are.
        """
        order: list[Tensor] = []
        seen = {id(self)}
        stack = [(self, iter(self._prev))]
        while stack:
            node, inputs = stack[-1]
            for p in inputs:
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, iter(p._prev)))
                    break
            else:  # every input of node is in order already
                stack.pop()
                order.append(node)
        return order


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
    """Stack equally shaped tensors along a new axis."""
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
