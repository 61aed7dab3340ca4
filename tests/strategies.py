"""Shared hypothesis strategies for nnlib's tests (minitorch's idiom: one place that knows how
to make shapes and arrays, every operator test draws from it).

Values are kept moderate (|x| <= 3 by default) so centred differences with h = 1e-6 are
accurate to ~1e-9 and no op overflows; sides are small (<= 4) so a gradient check costs a few
hundred forward passes at most.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4
MAX_DIMS = 3

# A few hand-picked shape pairs that must always be tried (hypothesis may or may not find them):
# size-1 axes stretched on both sides, missing leading axes, a scalar against an array.
BROADCAST_EXAMPLES = [
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((4,), (2, 1, 4)),
    ((), (2, 3)),
    ((2, 1, 3), (4, 1)),
]

# matmul cases by name: vector, matrix, batched, broadcast batch axes.
MATMUL_EXAMPLES = [
    ((3,), (3,)),  # vector . vector -> scalar
    ((3,), (3, 2)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((2, 3), (3, 4)),  # matrix @ matrix
    ((5, 2, 3), (5, 3, 4)),  # batched
    ((5, 2, 3), (3, 4)),  # batch against a single matrix
    ((2, 1, 2, 3), (4, 3, 2)),  # broadcast batch axes (2, 1) x (4,)
    ((3,), (2, 3, 4)),  # vector against a batch
    ((2, 4, 3), (3,)),  # batch against a vector
]


def shapes(
    min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE
):
    """Array shapes, e.g. (), (3,), (2, 1, 4)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(num_shapes: int = 2, max_dims: int = MAX_DIMS, max_side: int = MAX_SIDE):
    """Tuples of shapes that broadcast together: size-1 axes and missing leading axes included."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda b: b.input_shapes)


def matmul_shapes(max_batch_dims: int = 2, max_side: int = MAX_SIDE):
    """(shape_a, shape_b) valid for ``a @ b``: 1-D vectors, matrices, and batched operands whose
    batch axes broadcast (numpy's gufunc signature ``(n?,k),(k,m?)->(n?,m?)``)."""
    return hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=max_batch_dims, min_side=1, max_side=max_side
    ).map(lambda b: b.input_shapes)


def floats(low: float = -3.0, high: float = 3.0, width: int = 64):
    return st.floats(
        low, high, width=width, allow_nan=False, allow_infinity=False, allow_subnormal=False
    )


def arrays(shape, low: float = -3.0, high: float = 3.0, dtype=np.float64):
    """Arrays of ``shape`` (a shape or a strategy for one) with values in [low, high]."""
    width = 8 * np.dtype(dtype).itemsize
    return hnp.arrays(dtype, shape, elements=floats(low, high, width))


def positive_arrays(shape, low: float = 0.5, high: float = 3.0, dtype=np.float64):
    """Arrays bounded away from 0, for log, division and the base of ``**``."""
    return arrays(shape, low, high, dtype)


@st.composite
def distinct_arrays(draw, shape, spacing: float = 0.1, dtype=np.float64):
    """Arrays whose entries differ pairwise by more than ``spacing / 2``: no ties for ``max``,
    even after a finite-difference nudge of 1e-6."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    n = int(np.prod(shape, dtype=np.int64))
    order = draw(st.permutations(range(n))) if n else []
    jitter = draw(arrays((n,), 0.0, spacing / 4))
    centred = (np.asarray(order, dtype=np.float64) - (n - 1) / 2) * spacing + jitter
    return centred.reshape(shape).astype(dtype)


def push_away(x: np.ndarray, kinks=(0.0,), margin: float = 1e-3) -> np.ndarray:
    """Move entries within ``margin`` of a kink (relu at 0, hardtanh at +-1) to 2 * margin
    from it, so centred differences never straddle a point where the derivative jumps."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, 2 * margin, -2 * margin)
    return x


def away_from(strategy, kinks=(0.0,), margin: float = 1e-3):
    """``strategy``'s arrays with entries pushed ``2 * margin`` away from each kink."""
    return strategy.map(lambda x: push_away(x, kinks, margin))


@st.composite
def axes(draw, ndim: int):
    """An ``axis`` argument for a reduction over ``ndim`` axes: None, an int (possibly negative),
    or a tuple of distinct axes (some possibly negative)."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    negative = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
    return tuple(a - ndim if neg else a for a, neg in zip(chosen, negative))


@st.composite
def array_and_axis(draw, min_dims: int = 0, distinct: bool = False):
    """(array, axis, keepdims) for sum/mean/max tests."""
    shape = draw(shapes(min_dims=min_dims))
    x = draw(distinct_arrays(shape) if distinct else arrays(shape))
    return x, draw(axes(len(shape))), draw(st.booleans())


@st.composite
def broadcast_pair(draw, second=arrays, first=arrays):
    """Two arrays of mutually broadcastable shapes; ``first``/``second`` choose the value range."""
    sa, sb = draw(broadcastable_shapes())
    return draw(first(sa)), draw(second(sb))


@st.composite
def indices(draw, shape):
    """An index for an array of ``shape``: basic (ints, slices, Ellipsis) or integer arrays
    (which may repeat an index, like a sentence using the same word twice)."""
    if draw(st.booleans()):
        return draw(hnp.basic_indices(shape, min_dims=0, allow_ellipsis=True))
    return draw(hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2)))


# ---------------------------------------------------------------------- gradient assertion
GRAD_TOL = 1e-6


def assert_gradcheck(f, inputs, tol: float = GRAD_TOL, h: float = 1e-6) -> None:
    """nnlib's gradient of ``f`` at ``inputs`` agrees with centred differences to ``tol``
    (relative to each input's largest gradient; see :func:`nnlib.gradcheck.gradcheck`)."""
    from nnlib.gradcheck import gradcheck

    errors = gradcheck(f, inputs, h=h)
    shapes_ = [np.shape(x) for x in inputs]
    assert max(errors, default=0.0) < tol, f"gradcheck errors {errors} for input shapes {shapes_}"
