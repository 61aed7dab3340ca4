"""The training-progress callback (nnlib.widgets.progress): driven through fit's callback
protocol with a fake run (controlled clock and numbers) and with the real nnlib.train.fit."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import functional as F
from nnlib import nn, optim
from nnlib.train import FitState, History, accuracy, fit
from nnlib.widgets import progress
from nnlib.widgets.progress import ENV_VAR, TrainingProgress, plot_history, resolve_mode


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fake_run(callback, epochs=6, steps=5, clock=None, valid=True, dt=0.1, metric=True):
    """Drive ``callback`` through fit's protocol: a loss falling as 1 / (1 + step)."""
    h = History()
    state = FitState(model=None, optimizer=None, epochs=epochs, steps_per_epoch=steps, history=h)
    callback.on_fit_begin(state)
    for epoch in range(epochs):
        state.epoch = epoch
        for _ in range(steps):
            if clock is not None:
                clock.now += dt
            state.step += 1
            state.loss = 1.0 / (1 + state.step)
            h.step_loss.append(state.loss)
            callback.on_step_end(state)
        h.epoch.append(epoch + 1)
        h.train_loss.append(float(np.mean(h.step_loss[-steps:])))
        h.valid_loss.append(1.1 / (1 + state.step) if valid else math.nan)
        h.lr.append(0.1)
        h.time.append(clock.now if clock else 0.0)
        if metric:
            h.metrics.setdefault("train_accuracy", []).append(0.5 + 0.05 * epoch)
            if valid:
                h.metrics.setdefault("valid_accuracy", []).append(0.45 + 0.05 * epoch)
        callback.on_epoch_end(state)
    callback.on_fit_end(state)
    return state


# ---------------------------------------------------------------------- modes
def test_modes_are_checked_and_auto_follows_the_environment(monkeypatch):
    for mode in ("live", "text", "summary", "off"):
        assert resolve_mode(mode) == mode
    with pytest.raises(ValueError, match="one of auto, live, text, summary, off"):
        resolve_mode("verbose")
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_mode("auto") == "text"  # pytest runs outside a Jupyter kernel
    monkeypatch.setenv(ENV_VAR, "summary")
    assert resolve_mode("auto") == "summary" and TrainingProgress().mode == "summary"
    assert resolve_mode("text") == "text"  # an explicit mode wins over the environment
    monkeypatch.setenv(ENV_VAR, "loud")
    with pytest.raises(ValueError, match="NNBOOK_PROGRESS='loud'"):
        resolve_mode("auto")
    with pytest.raises(ValueError, match="every"):
        TrainingProgress("text", every=0)


# ---------------------------------------------------------------------- text
def test_text_mode_prints_a_compact_line_per_epoch():
    out, clock = io.StringIO(), Clock()
    p = TrainingProgress("text", file=out, clock=clock)
    state = fake_run(p, epochs=6, steps=5, clock=clock)
    lines = out.getvalue().splitlines()
    assert lines == p.lines and len(lines) == 6 + 1  # 6 epochs (few: every one), then "done"
    h = state.history
    first = lines[0]
    assert first.startswith("epoch 1/6  ")
    assert f"train loss {h.train_loss[0]:.4f}" in first
    assert f"valid loss {h.valid_loss[0]:.4f}" in first
    assert "train accuracy 0.5000" in first and "valid accuracy 0.4500" in first
    assert "lr 0.1" in first and first.endswith("0.5 s")  # 5 steps of 0.1 s
    assert lines[-1] == "done: 6 epochs (30 steps) in 3.0 s"


def test_text_mode_thins_out_long_runs():
    out = io.StringIO()
    p = TrainingProgress("text", file=out, clock=Clock())
    fake_run(p, epochs=100, steps=1)
    epochs = [int(line.split()[1].split("/")[0]) for line in p.lines[:-1]]
    assert epochs == [1, *range(5, 101, 5)]  # about 20 lines: every 5th epoch, the first, last
    p = TrainingProgress("text", file=io.StringIO(), every=30, clock=Clock())
    fake_run(p, epochs=100, steps=1)
    assert [int(line.split()[1].split("/")[0]) for line in p.lines[:-1]] == [1, 30, 60, 90, 100]


def test_off_and_summary_modes(capsys):
    p = TrainingProgress("off")
    fake_run(p)
    assert capsys.readouterr().out == "" and p.lines == [] and p.widget is None
    shown = []
    runs = []
    for _ in range(2):
        p = TrainingProgress("summary", display=shown.append, clock=Clock())
        state = fake_run(p, epochs=4, steps=3)
        runs.append(p.lines)
    assert runs[0] == runs[1]  # no times: the same output on every run
    (line,) = runs[0]
    h = state.history
    assert line.startswith("trained 4 epochs (12 steps): ")
    assert f"valid loss {h.valid_loss[-1]:.4f}" in line and "valid accuracy 0.6000" in line
    assert len(shown) == 2 and all(isinstance(f, Figure) for f in shown)
    assert len(shown[0].axes) == 2  # loss and accuracy


# ---------------------------------------------------------------------- live
def lines_of(p) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for curves in [p._view.loss, *p._view.panels.values()]:
        for name, line in curves.lines.items():
            key = name if curves is p._view.loss else f"{curves.ax.get_ylabel()} {name}"
            out[key] = tuple(np.asarray(a, dtype=float) for a in line.get_data())
    return out


def test_live_mode_shows_a_bar_and_a_throttled_blitted_plot():
    shown, clock = [], Clock()
    p = TrainingProgress("live", display=shown.append, clock=clock, min_interval=0.5)
    state = fake_run(p, epochs=8, steps=10, clock=clock, dt=0.1)  # 80 steps over 8 s
    assert shown == [p.widget] and repr(p.widget) == "TrainingProgress()"
    # at most one redraw per 0.5 s of the run (16), plus the first and the final one
    assert 8 <= p.renders <= 8.0 / 0.5 + 2
    assert p.bar.max == 80 and p.bar.value == 80 and p.bar.bar_style == "success"
    assert "done: 8 epochs (80 steps)" in p.label.value
    h = state.history
    data = lines_of(p)
    np.testing.assert_allclose(data["train"][1], h.train_loss)
    np.testing.assert_allclose(data["train"][0], np.arange(1, 9) - 0.5)  # epoch middles
    np.testing.assert_allclose(data["valid"], (np.arange(1, 9), h.valid_loss))
    np.testing.assert_allclose(data["accuracy valid"][1], h.metrics["valid_accuracy"])
    steps_x, steps_y = data["train (per step)"]
    np.testing.assert_allclose(steps_y, h.step_loss)  # 80 steps: every one drawn
    np.testing.assert_allclose(steps_x, (np.arange(80) + 0.5) / 10)
    # the fast path: full redraws only when the panels or their limits change, blits otherwise
    assert p.canvas.full_draws + p.canvas.blits == p.renders
    assert p.canvas.full_draws < p.renders / 2
    assert bytes(p.canvas.image.value).startswith(b"\x89PNG")
    assert "after 8 epochs (80 steps)" in p.canvas.image.alt


def test_live_mode_without_validation_or_metrics():
    p = TrainingProgress("live", display=lambda w: None, clock=Clock(), min_interval=0)
    fake_run(p, epochs=3, steps=4, valid=False, metric=False)
    assert set(lines_of(p)) == {"train (per step)", "train"}  # no empty "valid" line
    assert len(p.canvas.fig.axes) == 1


def test_long_step_curves_are_averaged_down():
    x, y = progress._binned(np.arange(1000.0), 400)
    assert len(y) <= 400 + 1
    k = 3  # ceil(1000 / 400): bins of three steps
    np.testing.assert_allclose(y[:5], [1, 4, 7, 10, 13])  # means of 0-2, 3-5, ...
    np.testing.assert_allclose(x[:2], [k / 2, k + k / 2])
    assert y[-1] == 999.0 and x[-1] == 999.5  # the partial last bin
    x, y = progress._binned([2.0, 4.0], 400)
    np.testing.assert_allclose(y, [2, 4])


# ---------------------------------------------------------------------- with the real fit
@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like quadrants
    return (X[:200], y[:200]), (X[200:], y[200:])


def train(callbacks, problem, epochs=12):
    model = nn.MLP([2, 8, 2], "relu", rng=0)
    opt = optim.SGD(model.parameters(), lr=0.2)
    train_data, valid_data = problem
    return fit(
        model,
        F.cross_entropy,
        opt,
        train_data,
        valid_data,
        epochs=epochs,
        batch_size=25,
        rng=0,
        metrics={"accuracy": accuracy},
        callbacks=callbacks,
    )


def test_text_progress_with_the_real_fit(problem):
    out = io.StringIO()
    p = TrainingProgress("text", file=out)
    h = train([p], problem)
    lines = out.getvalue().splitlines()
    assert len(lines) == 13 and lines[-1].startswith("done: 12 epochs (96 steps) in ")
    last = lines[-2]
    assert last.startswith("epoch 12/12")
    assert f"train loss {h.train_loss[-1]:.4f}" in last
    assert f"valid accuracy {h.metrics['valid_accuracy'][-1]:.4f}" in last


def test_live_progress_with_the_real_fit_and_an_early_stop(problem):
    class StopAfter:
        def on_epoch_end(self, state):
            state.stop = len(state.history.epoch) == 5

    p = TrainingProgress("live", display=lambda w: None, min_interval=0)
    h = train([p, StopAfter()], problem)
    assert len(h.epoch) == 5
    assert "done: 5 epochs (40 steps)" in p.label.value
    data = lines_of(p)
    np.testing.assert_allclose(data["valid"][1], h.valid_loss)
    np.testing.assert_allclose(data["train (per step)"][1], h.step_loss)
    np.testing.assert_allclose(data["accuracy train"][1], h.metrics["train_accuracy"])


def test_plot_history_of_a_real_run(problem):
    h = train([], problem, epochs=4)
    fig = plot_history(h)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig = plot_history(h, metrics=[], log=True)
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"
