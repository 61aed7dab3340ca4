"""Sequence operations of chapter 4 (embeddings): masked mean and max pooling, windows and
conv1d, window masks, and the embedding's padding row. Expected values come from plain loops
over positions and windows written out here, and gradients from centred differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, assert_gradcheck, distinct_arrays

import nnlib.functional as F
from nnlib import ShapeError, Tensor, nn

FAST = settings(max_examples=30, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


@st.composite
def padded_batch(draw, max_n=3, max_len=5, max_d=3, distinct=False):
    """(x, mask): a batch of right-padded sequences, each with at least one real token unless
    an all-padding row is drawn on purpose."""
    N = draw(st.integers(1, max_n))
    L = draw(st.integers(1, max_len))
    d = draw(st.integers(1, max_d))
    lengths = draw(st.lists(st.integers(0, L), min_size=N, max_size=N))
    mask = (np.arange(L)[None, :] < np.array(lengths)[:, None]).astype(np.float64)
    x = draw(distinct_arrays((N, L, d)) if distinct else arrays((N, L, d)))
    return x, mask


# ---------------------------------------------------------------------- mean pooling
def _mean_loop(x, mask):
    N, L, d = x.shape
    out = np.zeros((N, d))
    for n in range(N):
        real = [x[n, i] for i in range(L) if mask[n, i]]
        if real:
            out[n] = sum(real) / len(real)
    return out


@FAST
@given(batch=padded_batch())
def test_masked_mean_pool_is_the_mean_of_the_real_tokens(batch):
    x, mask = batch
    np.testing.assert_allclose(F.mean_pool(Tensor(x), mask).data, _mean_loop(x, mask), atol=1e-12)
    assert_gradcheck(lambda t: F.mean_pool(t, mask), [x])


def test_mean_pool_with_a_full_mask_is_the_plain_mean_and_bool_masks_work():
    x = rng(1).normal(size=(2, 4, 3))
    full = F.mean_pool(Tensor(x), np.ones((2, 4), dtype=bool)).data
    np.testing.assert_allclose(full, x.mean(axis=1), atol=1e-14)


# ---------------------------------------------------------------------- max pooling
def _max_loop(x, mask):
    N, L, d = x.shape
    out = np.zeros((N, d))
    for n in range(N):
        for k in range(d):
            real = [x[n, i, k] for i in range(L) if mask[n, i]]
            out[n, k] = max(real) if real else 0.0
    return out


@FAST
@given(batch=padded_batch(distinct=True))
def test_masked_max_pool_never_picks_padding(batch):
    x, mask = batch
    x = x.copy()
    x[mask == 0] = 100.0  # padding holds the largest values: it must still never win
    np.testing.assert_allclose(F.max_pool(Tensor(x), mask).data, _max_loop(x, mask))
    assert_gradcheck(lambda t: F.max_pool(t, mask), [x])


def test_max_pool_gradient_goes_to_the_first_maximum_only():
    x = np.array([[[1.0, 5.0], [3.0, 5.0], [3.0, -1.0]]])  # ties in both features
    t = Tensor(x, requires_grad=True)
    F.max_pool(t).backward(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(t.grad, [[[0.0, 20.0], [10.0, 0.0], [0.0, 0.0]]])


def test_max_pool_without_mask_along_another_axis():
    x = rng(2).permutation(24).reshape(2, 3, 4).astype(float)
    np.testing.assert_array_equal(F.max_pool(Tensor(x), axis=0).data, x.max(axis=0))
    assert_gradcheck(lambda t: F.max_pool(t, axis=0), [x])
    assert_gradcheck(lambda t: F.max_pool(t, axis=-1), [x])


def test_pooling_a_row_of_padding_gives_zeros_and_no_gradient():
    x = rng(3).normal(size=(2, 3, 2))
    mask = np.array([[1, 1, 0], [0, 0, 0]])
    for pool in (F.mean_pool, F.max_pool):
        t = Tensor(x, requires_grad=True)
        out = pool(t, mask)
        np.testing.assert_array_equal(out.data[1], [0.0, 0.0])
        out.sum().backward()
        np.testing.assert_array_equal(t.grad[1], 0.0)
        np.testing.assert_array_equal(t.grad[0, 2], 0.0)  # the padded position of row 0


@pytest.mark.parametrize("pool", [F.mean_pool, F.max_pool])
def test_pooling_mask_errors_name_the_shapes(pool):
    with pytest.raises(ShapeError, match=r"mask has shape \(2, 4\), expected \(2, 3\)"):
        pool(Tensor(np.zeros((2, 3, 5))), np.ones((2, 4)))
    with pytest.raises(ValueError, match="axis"):
        pool(Tensor(np.zeros((2, 3, 5))), np.ones((2, 3)), axis=0)


def test_pool_modules_take_masks():
    x = rng(4).normal(size=(2, 3, 2))
    mask = np.array([[1, 0, 0], [1, 1, 1]])
    np.testing.assert_allclose(nn.MeanPool()(Tensor(x), mask).data, _mean_loop(x, mask))
    np.testing.assert_allclose(nn.MaxPool()(Tensor(x), mask).data, _max_loop(x, mask))


# ---------------------------------------------------------------------- windows and conv1d
def _windows_loop(x, width, padding):
    N, L, d = x.shape
    xp = np.concatenate([np.zeros((N, padding, d)), x, np.zeros((N, padding, d))], axis=1)
    n = L + 2 * padding - width + 1
    return np.stack(
        [np.stack([np.concatenate(list(xp[b, j : j + width])) for j in range(n)]) for b in range(N)]
    )


@FAST
@given(
    x=st.integers(1, 3).flatmap(lambda N: st.integers(1, 5).map(lambda L: (N, L))),
    width=st.integers(1, 4),
    padding=st.integers(0, 3),
    data=st.data(),
)
def test_windows_equal_a_loop_and_have_the_right_gradient(x, width, padding, data):
    N, L = x
    if L + 2 * padding < width:
        with pytest.raises(ShapeError, match="shorter than the window"):
            F.windows(Tensor(np.zeros((N, L, 2))), width, padding=padding)
        return
    arr = data.draw(arrays((N, L, 2)), label="x")
    np.testing.assert_array_equal(
        F.windows(Tensor(arr), width, padding=padding).data, _windows_loop(arr, width, padding)
    )
    assert_gradcheck(lambda t: F.windows(t, width, padding=padding), [arr])


def test_each_token_is_in_width_windows_with_full_padding():
    """With padding = width - 1, the gradient of sum(windows) counts each position's windows."""
    for width in (1, 2, 3, 5):
        t = Tensor(np.ones((1, 4, 1)), requires_grad=True)
        F.windows(t, width, padding=width - 1).sum().backward()
        np.testing.assert_array_equal(t.grad[0, :, 0], [width] * 4)
        t.grad = None
        F.windows(t, 2).sum().backward()  # no padding: the ends are in one window only
        np.testing.assert_array_equal(t.grad[0, :, 0], [1, 2, 2, 1])


def test_conv1d_function_equals_the_module_and_a_loop():
    conv = nn.Conv1d(3, 4, 2, padding=1, rng=0)
    x = rng(5).normal(size=(2, 3, 3))
    W, b = conv.linear.W.data, conv.linear.b.data
    loop = _windows_loop(x, 2, 1) @ W.T + b
    np.testing.assert_allclose(conv(Tensor(x)).data, loop, atol=1e-13)
    np.testing.assert_allclose(
        F.conv1d(Tensor(x), conv.linear.W, conv.linear.b, padding=1).data, loop, atol=1e-13
    )
    assert_gradcheck(lambda t, w, c: F.conv1d(t, w, c, padding=1), [x, W, b])
    with pytest.raises(ShapeError, match="width \\* d"):
        F.conv1d(Tensor(x), Tensor(np.zeros((4, 7))))


def test_window_mask_marks_windows_with_a_real_token():
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    # width 2, no padding: windows (0,1) (1,2) (2,3) (3,4)
    np.testing.assert_array_equal(F.window_mask(mask, 2), [[1, 1, 1, 0], [1, 0, 0, 0]])
    # width 3, padding 2: 7 windows; a 1-token sentence is in the first 3
    np.testing.assert_array_equal(
        F.window_mask(mask, 3, padding=2), [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0]]
    )
    with pytest.raises(ShapeError, match="shorter than the width"):
        F.window_mask(mask, 6)


def test_window_and_conv_argument_errors():
    x = Tensor(np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="width"):
        F.windows(x, 0)
    with pytest.raises(ValueError, match="padding"):
        F.windows(x, 2, padding=-1)
    with pytest.raises(ShapeError, match=r"\(N, L, d\)"):
        F.windows(Tensor(np.zeros((3, 2))), 2)


# ---------------------------------------------------------------------- embedding padding row
def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(5, 3, padding_idx=0, rng=0)
    np.testing.assert_array_equal(emb.E.data[0], 0.0)
    assert np.all(emb.E.data[1:] != 0)
    ids = np.array([[2, 3, 0, 0], [0, 2, 2, 0]])
    out = emb(ids)
    np.testing.assert_array_equal(out.data[ids == 0], 0.0)
    G = rng(6).normal(size=(2, 4, 3))
    out.backward(G)
    np.testing.assert_array_equal(emb.E.grad[0], 0.0)
    np.testing.assert_allclose(emb.E.grad[2], G[0, 0] + G[1, 1] + G[1, 2])
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 3, padding_idx=5)


def test_padding_makes_a_sentence_independent_of_its_batch():
    """With a zero padding row and masks, how much padding a batch has changes nothing."""
    emb = nn.Embedding(10, 4, padding_idx=0, rng=1)
    conv = nn.Conv1d(4, 3, 3, padding=2, rng=2)
    sentence = np.array([[4, 7]])
    longer = np.array([[4, 7, 0, 0, 0], [1, 2, 3, 4, 5]])
    for ids in (sentence, longer):
        mask = (ids != 0).astype(float)
        h = conv(emb(ids))
        pooled = F.max_pool(h, F.window_mask(mask, 3, padding=2))
        if ids is sentence:
            alone = pooled.data[0]
        else:
            np.testing.assert_allclose(pooled.data[0], alone, atol=1e-14)


# ---------------------------------------------------------------------- segment sums, used rows
@FAST
@given(
    ids=st.lists(st.integers(0, 6), min_size=0, max_size=25),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_segment_sums_equal_np_add_at(ids, d, seed):
    ids = np.array(ids, dtype=np.int64)
    values = rng(seed).normal(size=(len(ids), d))
    rows, sums = F.segment_sums(ids, values)
    expected = np.zeros((7, d))
    np.add.at(expected, ids, values)
    np.testing.assert_array_equal(rows, np.unique(ids))
    np.testing.assert_allclose(sums, expected[rows], rtol=1e-12, atol=1e-12)
    # ``at``: every other row of a larger array, without copying them first
    spread = np.zeros((2 * len(ids), d))
    spread[::2] = values
    rows_at, sums_at = F.segment_sums(ids, spread, at=np.arange(0, 2 * len(ids), 2))
    np.testing.assert_array_equal(rows_at, rows)
    np.testing.assert_array_equal(sums_at, sums)


def test_used_rows_are_the_looked_up_rows_and_a_scan_finds_the_non_zero_ones():
    E = Tensor(rng(7).normal(size=(50, 4)), requires_grad=True)
    ids = np.array([[3, 9, 3, 0], [41, 9, 0, 0]])
    G = rng(8).normal(size=(2, 4, 4))
    G[1, 0] = 0.0  # word 41 is looked up, but its gradient is exactly zero
    F.embedding(ids, E, padding_idx=0).backward(G)
    # the embedding's record: every word the minibatch used, padding (0) excluded
    np.testing.assert_array_equal(F.used_rows(E.grad), [3, 9, 41])
    # any other array is scanned: the rows that are not all zero
    copy = E.grad.copy()
    np.testing.assert_array_equal(F.used_rows(copy), np.flatnonzero(np.any(copy != 0, axis=1)))
    np.testing.assert_array_equal(F.used_rows(copy), [3, 9])
    copy[20] = 1.0
    np.testing.assert_array_equal(F.used_rows(copy), [3, 9, 20])
    # scaling the gradient in place keeps the record valid (zero rows stay zero)
    E.grad *= 0.5
    np.testing.assert_array_equal(F.used_rows(E.grad), [3, 9, 41])
