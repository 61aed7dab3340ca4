"""nnlib.train: minibatches, fit (against the hand-written loop and closed-form gradients),
History, callbacks, schedules, divergence, evaluate/predict/accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib.functional as F
from nnlib import Tensor, nn, optim
from nnlib.train import (
    FitState,
    TrainingDiverged,
    accuracy,
    batches,
    evaluate,
    fit,
    predict,
    train_epoch,
)


def blobs(n=120, seed=0):
    """Two Gaussian blobs in 2-D, labels 0/1: a task a small network fits quickly."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return X, y


# ---------------------------------------------------------------------- batches
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 50), batch_size=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_batches_visit_every_row_once(n, batch_size, seed):
    X = np.arange(n) * 10
    y = np.arange(n)
    parts = list(batches(X, y, batch_size=batch_size, rng=seed))
    assert [len(b[0]) for b in parts[:-1]] == [batch_size] * (len(parts) - 1)
    assert 1 <= len(parts[-1][0]) <= batch_size
    seen = np.concatenate([b[1] for b in parts])
    assert sorted(seen) == list(range(n))  # each row exactly once
    for Xb, yb in parts:  # rows stay aligned across arrays
        np.testing.assert_array_equal(Xb, yb * 10)


def test_batches_order_depends_only_on_the_seed():
    X = np.arange(100)
    first = np.concatenate([b for (b,) in batches(X, batch_size=7, rng=3)])
    again = np.concatenate([b for (b,) in batches(X, batch_size=7, rng=3)])
    other = np.concatenate([b for (b,) in batches(X, batch_size=7, rng=4)])
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    plain = np.concatenate([b for (b,) in batches(X, batch_size=7, shuffle=False)])
    np.testing.assert_array_equal(plain, X)


def test_batches_drop_last_and_errors():
    X = np.arange(10)
    assert [len(b) for (b,) in batches(X, batch_size=4, drop_last=True, rng=0)] == [4, 4]
    with pytest.raises(ValueError, match="same number of rows"):
        list(batches(np.zeros(3), np.zeros(4), batch_size=2))
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(X, batch_size=0))


# ---------------------------------------------------------------------- fit
def test_fit_is_the_hand_written_loop():
    """fit with a seed takes exactly the steps of the five-line loop with the same batches."""
    X, y = blobs()
    by_fit = nn.MLP([2, 5, 2], "tanh", rng=1)
    fit(
        by_fit,
        F.cross_entropy,
        optim.SGD(by_fit.parameters(), lr=0.1),
        (X, y),
        epochs=3,
        batch_size=16,
        rng=7,
    )

    by_hand = nn.MLP([2, 5, 2], "tanh", rng=1)
    opt = optim.SGD(by_hand.parameters(), lr=0.1)
    rng = np.random.default_rng(7)
    for _ in range(3):
        for Xb, yb in batches(X, y, batch_size=16, rng=rng):
            loss = F.cross_entropy(by_hand(Xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, a), (_, b) in zip(by_fit.named_parameters(), by_hand.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_full_batch_fit_is_gradient_descent_on_least_squares():
    """Linear regression, full batch: each epoch is w <- w - lr * (2/N) X^T (X w + b - y),
    the closed-form gradient of the mean squared error, computed here with numpy alone."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=30)
    model = nn.Linear(3, 1, rng=0)
    w, b = model.W.data[0].copy(), model.b.data[0].copy()
    lr = 0.05
    fit(
        model,
        lambda out, t: F.mse_loss(out[:, 0], t),
        optim.SGD(model.parameters(), lr=lr),
        (X, y),
        epochs=5,
        batch_size=len(X),
        shuffle=False,
    )
    for _ in range(5):
        r = X @ w + b - y
        w = w - lr * 2 * X.T @ r / len(y)
        b = b - lr * 2 * r.mean()
    np.testing.assert_allclose(model.W.data[0], w, rtol=1e-12)
    np.testing.assert_allclose(model.b.data[0], b, rtol=1e-12)


def test_history_valid_loss_metrics_and_schedule():
    X, y = blobs(200)
    model = nn.MLP([2, 8, 2], "relu", rng=0)
    opt = optim.SGD(model.parameters(), lr=0.2)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    h = fit(
        model,
        F.cross_entropy,
        opt,
        (X[:150], y[:150]),
        (X[150:], y[150:]),
        epochs=5,
        batch_size=25,
        rng=0,
        metrics={"acc": accuracy},
        scheduler=sched,
    )
    assert h.epoch == [1, 2, 3, 4, 5] and len(h) == 5
    assert h.lr == [0.2, 0.2, 0.1, 0.1, 0.05]  # the rate used during each epoch
    assert len(h.step_loss) == 5 * 6  # 150 rows / 25 per batch
    # the recorded train loss is the mean of that epoch's batch losses (equal batch sizes)
    assert h.train_loss[0] == pytest.approx(np.mean(h.step_loss[:6]), rel=1e-12)
    # the last valid loss and accuracy are what evaluate() says for the final weights
    final = evaluate(model, F.cross_entropy, (X[150:], y[150:]), metrics={"acc": accuracy})
    assert h.valid_loss[-1] == pytest.approx(final["loss"], rel=1e-12)
    assert h.metrics["valid_acc"][-1] == final["acc"]
    assert h.metrics["valid_acc"][-1] > 0.9  # the blobs are easy
    assert set(h.metrics) == {"train_acc", "valid_acc"}
    assert all(t2 >= t1 for t1, t2 in zip(h.time, h.time[1:]))


def test_callbacks_see_every_step_and_can_stop():
    X, y = blobs(64)
    calls = []

    class Recorder:
        def on_fit_begin(self, s: FitState):
            calls.append(("begin", s.epochs, s.steps_per_epoch))

        def on_step_end(self, s: FitState):
            calls.append(("step", s.epoch, s.step))
            if s.step == 6:
                s.stop = True

        def on_epoch_end(self, s: FitState):
            calls.append(("epoch", s.epoch, len(s.history)))

        def on_fit_end(self, s: FitState):
            calls.append(("end", s.step))

    model = nn.MLP([2, 4, 2], rng=0)
    h = fit(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=10,
        batch_size=16,
        rng=0,
        callbacks=[Recorder(), object()],
    )  # object(): no hooks at all
    assert calls[0] == ("begin", 10, 4)
    assert [c for c in calls if c[0] == "epoch"] == [("epoch", 0, 1), ("epoch", 1, 2)]
    assert calls[-1] == ("end", 6)
    assert len(h) == 2  # stopped during the second epoch, which is still recorded


def test_divergence_is_reported_with_the_history():
    X, y = blobs(64)
    X = X * 1e3
    model = nn.MLP([2, 16, 1], "relu", rng=0)
    with pytest.raises(TrainingDiverged, match="learning rate 1e\\+06") as info:
        fit(
            model,
            lambda out, t: F.mse_loss(out[:, 0], t),
            optim.SGD(model.parameters(), lr=1e6),
            (X, y.astype(float)),
            epochs=50,
            batch_size=64,
            rng=0,
        )
    assert "epoch" in str(info.value)
    assert isinstance(info.value.history.train_loss, list)


def test_fit_switches_dropout_off_for_validation():
    """Validation runs in eval mode: with dropout in the model, two evaluations agree exactly."""
    X, y = blobs(100)
    model = nn.Sequential(
        nn.Linear(2, 16, rng=0), nn.ReLU(), nn.Dropout(0.5, rng=0), nn.Linear(16, 2, rng=1)
    )
    h = fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        (X, y),
        epochs=2,
        batch_size=20,
        rng=0,
    )
    assert not model.training and not model[2].training  # left in eval mode
    again = evaluate(model, F.cross_entropy, (X, y))["loss"]
    assert h.valid_loss[-1] == pytest.approx(again, rel=1e-12)


def test_fit_rejects_bad_data():
    model = nn.Linear(2, 2, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="tuple of arrays"):
        fit(model, F.cross_entropy, opt, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="same number of rows"):
        fit(model, F.cross_entropy, opt, (np.zeros((4, 2)), np.zeros(3, dtype=int)))
    with pytest.raises(ValueError, match="epochs"):
        fit(model, F.cross_entropy, opt, (np.zeros((4, 2)), np.zeros(4, dtype=int)), epochs=-1)


def test_fit_passes_integer_inputs_through_to_an_embedding_model():
    class Bag(nn.Module):
        def __init__(self):
            self.emb = nn.Embedding(10, 4, rng=0)
            self.out = nn.Linear(4, 2, rng=0)

        def forward(self, ids, mask):
            return self.out(F.mean_pool(self.emb(ids), mask))

    rng = np.random.default_rng(0)
    ids = rng.integers(1, 10, (40, 5))
    mask = (rng.random((40, 5)) > 0.3).astype(float)
    mask[:, 0] = 1
    y = (ids[:, 0] > 5).astype(int)
    model = Bag()
    h = fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), lr=0.05),
        (ids, mask, y),
        epochs=20,
        batch_size=8,
        rng=0,
    )
    assert h.train_loss[-1] < h.train_loss[0]


# ---------------------------------------------------------------------- predict / accuracy
def test_predict_matches_one_forward_pass_and_keeps_the_mode():
    X, _ = blobs(50)
    model = nn.MLP([2, 3, 2], rng=0)
    model.train()
    out = predict(model, X, batch_size=7)
    np.testing.assert_allclose(out, model(Tensor(X)).data, rtol=1e-12)
    assert model.training  # restored


def test_accuracy_by_hand():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, -1.0], [0.2, 0.1]])
    assert accuracy(logits, [0, 1, 1, 1]) == 0.5
    assert accuracy(np.array([0.3, -2.0, 0.0]), [1, 0, 1]) == pytest.approx(2 / 3)
    assert accuracy(Tensor(np.array([[0.3], [-2.0]])), np.array([1, 0])) == 1.0
    with pytest.raises(ValueError, match="predictions"):
        accuracy(logits, [0, 1])


def test_evaluate_loss_is_the_mean_over_examples():
    X, y = blobs(37)
    model = nn.MLP([2, 3, 2], rng=0)
    whole = F.cross_entropy(model(Tensor(X)), y).item()
    assert evaluate(model, F.cross_entropy, (X, y), batch_size=5)["loss"] == pytest.approx(
        whole, rel=1e-12
    )
    assert math.isfinite(evaluate(model, None, (X, y), metrics={"a": accuracy})["a"])


def test_fit_steps_a_per_step_schedule_after_every_step():
    """Full-batch linear regression under a 3-step warm-up: fit's updates equal the hand-written
    gradient descent with lr_t = base * min(1, (t + 1) / 3) at step t."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=16)
    model = nn.Linear(3, 1, rng=0)
    w, b = model.W.data[0].copy(), model.b.data[0].copy()
    opt = optim.SGD(model.parameters(), lr=0.3)
    sched = optim.LinearWarmup(opt, warmup=3)
    h = fit(
        model,
        lambda out, t: F.mse_loss(out[:, 0], t),
        opt,
        (X, y),
        epochs=5,
        batch_size=16,
        shuffle=False,
        scheduler=sched,
    )
    rates = [0.1, 0.2, 0.3, 0.3, 0.3]
    assert h.step_lr == pytest.approx(rates) and h.lr == pytest.approx(rates)
    for lr in rates:
        r = X @ w + b - y
        w, b = w - lr * 2 * X.T @ r / len(y), b - lr * 2 * r.mean()
    np.testing.assert_allclose(model.W.data[0], w, rtol=1e-12)
    np.testing.assert_allclose(model.b.data[0], b, rtol=1e-12)
    assert sched.t == 5


def test_fit_steps_an_epoch_schedule_once_per_epoch():
    X, y = blobs(60)
    model = nn.MLP([2, 4, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.4)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)  # interval "epoch"
    h = fit(model, F.cross_entropy, opt, (X, y), epochs=3, batch_size=20, rng=0, scheduler=sched)
    assert h.step_lr == pytest.approx([0.4] * 3 + [0.2] * 3 + [0.1] * 3)
    assert sched.t == 3


def test_batches_without_shuffle_are_views_in_order():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    parts = list(batches(X, y, batch_size=4, shuffle=False))
    assert [len(b[0]) for b in parts] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in parts]), y)
    assert all(np.shares_memory(b[0], X) for b in parts)  # no copies
    (full,) = list(batches(X, y, batch_size=10, shuffle=False))
    assert full[0].base is X or np.shares_memory(full[0], X)
    assert [len(b[0]) for b in batches(X, y, batch_size=4, shuffle=False, drop_last=True)] == [4, 4]


def test_callbacks_hear_about_divergence():
    X, y = blobs(32)
    seen = {}

    class Watcher:
        def on_fit_end(self, s):
            seen["error"] = s.error

    model = nn.MLP([2, 8, 1], rng=0)
    with pytest.raises(TrainingDiverged) as info:
        fit(
            model,
            lambda out, t: F.mse_loss(out[:, 0], t),
            optim.SGD(model.parameters(), lr=1e9),
            (X * 1e3, y.astype(float)),
            epochs=20,
            batch_size=32,
            rng=0,
            callbacks=[Watcher()],
        )
    assert seen["error"] is info.value
    assert not model.training  # left in evaluation mode, as after a normal run


def test_train_epoch_alone_returns_the_epoch_means():
    X, y = blobs(40)
    model = nn.MLP([2, 4, 2], rng=0)
    scores = train_epoch(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        batch_size=10,
        rng=0,
        metrics={"acc": accuracy},
    )
    assert set(scores) == {"train_loss", "train_acc"} and 0 <= scores["train_acc"] <= 1
