"""Adam's lazy-row mode for embedding tables (PyTorch's SparseAdam rule), against the dense
update where the two must agree and against the lazy rule written out row by row here."""

from __future__ import annotations

import numpy as np
import pytest

from nnlib import Tensor, nn, optim
from nnlib.nn import Parameter

B1, B2, EPS, LR = 0.9, 0.999, 1e-8, 0.01


def _grads(shape, steps, seed, used_rows=None):
    """A gradient per step; with ``used_rows`` (a list of row sets) only those rows are non-zero."""
    g = np.random.default_rng(seed).normal(size=(steps, *shape))
    if used_rows is not None:
        for t, rows in enumerate(used_rows):
            keep = np.zeros(shape[0], dtype=bool)
            keep[list(rows)] = True
            g[t][~keep] = 0.0
    return g


def _run(grads, lazy, w0):
    p = Parameter(w0.copy())
    opt = optim.Adam([p], LR, betas=(B1, B2), eps=EPS, lazy_rows=[p] if lazy else ())
    for g in grads:
        p.grad = g.copy()
        opt.step()
    return p.data


def _lazy_by_hand(grads, w0):
    """SparseAdam written row by row: a row's m, s and w change only at steps that use it; the
    bias correction uses the global step t."""
    w = w0.copy()
    m = np.zeros_like(w)
    s = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        for r in range(len(w)):
            if not np.any(g[r] != 0):
                continue
            m[r] = B1 * m[r] + (1 - B1) * g[r]
            s[r] = B2 * s[r] + (1 - B2) * g[r] ** 2
            m_hat = m[r] / (1 - B1**t)
            s_hat = s[r] / (1 - B2**t)
            w[r] = w[r] - LR * m_hat / (np.sqrt(s_hat) + EPS)
    return w


def test_lazy_equals_dense_when_every_row_is_used():
    w0 = np.random.default_rng(0).normal(size=(6, 3))
    grads = _grads((6, 3), steps=5, seed=1)
    np.testing.assert_allclose(_run(grads, True, w0), _run(grads, False, w0), rtol=1e-12)


def test_lazy_equals_dense_on_the_first_step_even_with_unused_rows():
    w0 = np.random.default_rng(0).normal(size=(6, 3))
    grads = _grads((6, 3), steps=1, seed=2, used_rows=[{1, 4}])
    np.testing.assert_allclose(_run(grads, True, w0), _run(grads, False, w0), rtol=1e-12)


def test_lazy_follows_the_row_by_row_rule_and_leaves_unused_rows_alone():
    w0 = np.random.default_rng(0).normal(size=(8, 4))
    used = [{0, 1, 2}, {2, 3}, {0, 5}, {2}, {7, 1}]
    grads = _grads((8, 4), steps=len(used), seed=3, used_rows=used)
    lazy = _run(grads, True, w0)
    np.testing.assert_allclose(lazy, _lazy_by_hand(grads, w0), rtol=1e-12)
    np.testing.assert_array_equal(lazy[[4, 6]], w0[[4, 6]])  # never used: exactly unchanged
    dense = _run(grads, False, w0)
    assert not np.allclose(dense[3], lazy[3])  # row 3, last used at t=2: dense Adam keeps moving it


def test_lazy_and_dense_parameters_mix_in_one_optimizer():
    emb = nn.Embedding(20, 3, padding_idx=0, rng=0)
    lin = nn.Linear(3, 2, rng=1)
    params = [emb.E, lin.W, lin.b]
    E0, W0 = emb.E.data.copy(), lin.W.data.copy()
    opt = optim.Adam(params, 0.1, lazy_rows=[emb.E])
    dense_copy = [Parameter(p.data.copy()) for p in params[1:]]
    opt_dense = optim.Adam(dense_copy, 0.1)
    for step in range(3):
        ids = np.array([[1, 2, 0], [2, 5, 5]]) + step
        out = lin(emb(ids).mean(axis=1))
        opt.zero_grad()
        (out * out).sum().backward()
        for q, p in zip(dense_copy, params[1:]):
            q.grad = p.grad.copy()
        opt.step()
        opt_dense.step()
    for q, p in zip(dense_copy, params[1:]):  # the Linear layer is updated as by plain Adam
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12)
    assert not np.allclose(lin.W.data, W0)
    np.testing.assert_array_equal(emb.E.data[0], 0.0)  # the padding row never moves
    np.testing.assert_array_equal(emb.E.data[10:], E0[10:])  # rows no batch used


def test_lazy_rows_argument_errors():
    p, q = Parameter(np.zeros((3, 2))), Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="also be in params"):
        optim.Adam([p], lazy_rows=[Parameter(np.zeros((2, 2)))])
    with pytest.raises(ValueError, match="weight_decay"):
        optim.Adam([p], weight_decay=0.1, lazy_rows=[p])
    with pytest.raises(ValueError, match="rows"):
        optim.Adam([p, q], lazy_rows=[q])


def test_a_parameter_without_a_gradient_is_skipped_in_lazy_mode():
    p = Parameter(np.ones((3, 2)))
    opt = optim.Adam([p], lazy_rows=[p])
    opt.step()
    np.testing.assert_array_equal(p.data, 1.0)
    assert isinstance(p, Tensor)


def test_a_looked_up_row_with_a_zero_gradient_still_takes_a_lazy_step():
    """As in PyTorch's SparseAdam: the rows the minibatch used are updated, even if a row's
    gradient happens to be exactly zero (its running average m still moves it)."""
    from nnlib import functional as F

    E = Parameter(np.random.default_rng(0).normal(size=(10, 3)))
    opt = optim.Adam([E], LR, betas=(B1, B2), eps=EPS, lazy_rows=[E])
    ids = np.array([[4, 7]])
    F.embedding(ids, E).backward(np.ones((1, 2, 3)))  # step 1: rows 4 and 7, gradient 1
    opt.step()
    after_1 = E.data.copy()
    E.grad = None
    G = np.ones((1, 2, 3))
    G[0, 1] = 0.0  # step 2: row 7 is looked up but gets an exactly zero gradient
    F.embedding(ids, E).backward(G)
    opt.step()
    m7 = B1 * (1 - B1) * 1.0  # m after two steps: (1 - b1) g1, decayed once, plus (1 - b1) * 0
    s7 = B2 * (1 - B2) * 1.0
    step7 = LR * (m7 / (1 - B1**2)) / (np.sqrt(s7 / (1 - B2**2)) + EPS)
    np.testing.assert_allclose(E.data[7], after_1[7] - step7, rtol=1e-12)
    np.testing.assert_array_equal(
        E.data[[0, 1, 2, 3, 5, 6, 8, 9]], after_1[[0, 1, 2, 3, 5, 6, 8, 9]]
    )
