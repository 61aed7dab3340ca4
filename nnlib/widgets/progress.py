"""Progress of long training runs: a callback for :func:`nnlib.train.fit`.

    from nnlib.train import fit
    from nnlib.widgets.progress import TrainingProgress

    history = fit(model, loss_fn, opt, (X, y), (X_val, y_val), epochs=20,
                  metrics={"accuracy": accuracy}, callbacks=[TrainingProgress()])

What it shows depends on ``mode``:

- ``"live"``: in Jupyter, a progress bar (steps done, epoch, elapsed time, time left, the last
  epoch's numbers) and a live plot: the training loss of every step (pale; averaged over short
  stretches when there are many), each epoch's mean training loss (at the epoch's middle) and
  the validation loss (at its end), plus one panel per metric. Redrawn
  at most every ``min_interval`` seconds (0.5 by default, blitted: a few ms of a long run), and
  once more at the end, so the saved page shows the finished run;
- ``"text"``: a compact line per epoch (every ``every``-th epoch and the last; by default about
  20 lines however many epochs), for terminals and scripts;
- ``"summary"``: nothing while training; at the end one line with the final numbers (no times,
  so the output is the same on every run) and, in Jupyter, the final plot;
- ``"off"``: nothing;
- ``"auto"`` (the default): the environment variable ``NNBOOK_PROGRESS`` if set (one of the
  modes above), else ``"live"`` inside a Jupyter kernel and ``"text"`` elsewhere.

In the book's build and under nbval (both run the notebooks in a kernel) ``auto`` is ``live``:
the cell's output is one widget whose text form is a fixed string, so nbval has nothing that
changes between runs, and the static page shows the final bar and plot from the saved widget
state. Do not put a ``fit`` with progress in a ``# NBVAL_CHECK_OUTPUT`` cell anyway: print the
numbers the text quotes from ``history`` in the next cell.

The callback protocol (nnlib.train): ``on_fit_begin``, ``on_step_end``, ``on_epoch_end`` and
``on_fit_end``, each given the run's state (``epoch``, ``epochs``, ``step``, ``steps_per_epoch``,
``loss``, ``history``). This module only displays; tqdm would add a dependency for the bar
alone and still need the plot, so it is not used.
"""

from __future__ import annotations

import html
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import ipywidgets as widgets
import numpy as np

from .canvas import LINE_COLORS, FigureImage, LossCurves, figure, style, styled

__all__ = ["TrainingProgress", "MODES", "ENV_VAR", "resolve_mode", "plot_history"]

MODES = ("auto", "live", "text", "summary", "off")
ENV_VAR = "NNBOOK_PROGRESS"
MAX_POINTS = 400  # the step-loss curve is averaged down to at most this many points


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can be shown)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def resolve_mode(mode: str = "auto") -> str:
    """The mode ``auto`` stands for here (see the module docstring); checks the name."""
    if mode not in MODES:
        raise ValueError(f"progress mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode != "auto":
        return mode
    env = os.environ.get(ENV_VAR, "").strip().lower()
    if env:
        if env not in MODES or env == "auto":
            raise ValueError(
                f"{ENV_VAR}={env!r}: use one of {', '.join(m for m in MODES if m != 'auto')}"
            )
        return env
    return "live" if _in_kernel() else "text"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def _number(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.4f}"


def _epoch_numbers(history, metrics: Sequence[str] | None) -> list[tuple[str, float]]:
    """(label, value) pairs of the last epoch: losses, then metrics (train_ and valid_)."""
    out = [("train loss", history.train_loss[-1])]
    if history.valid_loss and math.isfinite(history.valid_loss[-1]):
        out.append(("valid loss", history.valid_loss[-1]))
    for key, values in history.metrics.items():
        name = key.split("_", 1)[1] if "_" in key else key
        if values and (metrics is None or name in metrics):
            out.append((key.replace("_", " ", 1), values[-1]))
    return out


def _binned(values: Sequence[float], max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres, means) of the values in at most ``max_points`` consecutive bins, x from 0
    (centres in units of steps: bin [a, b) sits at (a + b) / 2). Only what a curve shows."""
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return np.empty(0), np.empty(0)
    k = max(1, math.ceil(n / max_points))
    m = n // k
    centres = (np.arange(m) * k + k / 2).astype(float)
    means = v[: m * k].reshape(m, k).mean(axis=1)
    if n > m * k:  # the partial last bin
        centres = np.append(centres, (m * k + n) / 2)
        means = np.append(means, v[m * k :].mean())
    return centres, means


class _ProgressBox(widgets.VBox):
    """The live display; its text form is fixed, so nbval sees the same output every run."""

    def __repr__(self) -> str:
        return "TrainingProgress()"


@styled
def plot_history(
    history, metrics: Sequence[str] | None = None, log: bool = False, epochs: int | None = None
):
    """A static figure of a finished run: the losses (per step and per epoch) and each metric.

    ``history`` is what :func:`nnlib.train.fit` returned; ``metrics`` picks metric names
    (default: all); ``epochs`` fixes the x range (default: the epochs run).
    """
    view = _HistoryView(figure((7.0, 2.8), dpi=100), history, metrics, log, epochs)
    view.update(history)
    return view.fig


class _HistoryView:
    """Loss and metric panels of a History; ``update(history)`` returns True if limits moved."""

    def __init__(self, fig, history, metrics, log, epochs, steps_per_epoch=None, valid=None):
        if valid is None:
            valid = any(math.isfinite(v) for v in history.valid_loss)
        names = sorted(
            {k.split("_", 1)[1] for k in history.metrics if "_" in k}
            if metrics is None
            else set(metrics)
        )
        self.fig = fig
        self.metric_names = names
        self.steps_per_epoch = steps_per_epoch
        axes = fig.subplots(1, 1 + len(names), squeeze=False)[0]
        xlim = (0, epochs) if epochs else None
        self.valid = valid
        parts = ("train", "valid") if valid else ("train",)
        styles = {
            "train (per step)": {"color": LINE_COLORS[0], "lw": 1, "alpha": 0.35},
            "train": {"color": LINE_COLORS[0], "lw": 2, "marker": "o", "ms": 3},
            "valid": {"color": LINE_COLORS[1], "lw": 2, "marker": "o", "ms": 3},
        }
        self.loss = LossCurves(
            axes[0], names=("train (per step)", *parts), log=log, xlim=xlim, styles=styles
        )
        self.panels = {
            name: LossCurves(ax, names=parts, xlim=xlim, ylabel=name, styles=styles)
            for name, ax in zip(names, axes[1:])
        }
        self.artists = [*self.loss.artists]
        for panel in self.panels.values():
            self.artists += panel.artists

    def update(self, history) -> bool:
        per_epoch = self.steps_per_epoch
        if per_epoch is None and len(history.epoch):
            per_epoch = max(1, len(history.step_loss) / history.epoch[-1])
        if history.step_loss and per_epoch:
            x, y = _binned(history.step_loss, MAX_POINTS)
            self.loss.set("train (per step)", x / per_epoch, y)
        # an epoch's training loss is the mean over its steps: drawn at the epoch's middle, on
        # the per-step curve; validation is measured at the epoch's end
        middle = np.asarray(history.epoch, dtype=float) - 0.5
        self.loss.set("train", middle, history.train_loss)
        if self.valid:
            self.loss.set("valid", history.epoch, history.valid_loss)
        moved = self.loss.rescale()
        for name, panel in self.panels.items():
            for part in ("train", "valid") if self.valid else ("train",):
                values = history.metrics.get(f"{part}_{name}", [])
                x = middle if part == "train" else np.asarray(history.epoch, dtype=float)
                panel.set(part, x[: len(values)], values)
            moved = panel.rescale() or moved
        return moved


class TrainingProgress:
    """Show how a :func:`nnlib.train.fit` run goes: a callback (see the module docstring).

    ``mode``: auto, live, text, summary or off. ``metrics``: the metric names to show (default:
    all that fit records). ``log``: a log-scale loss axis. ``every``: print every n-th epoch in
    text mode (default: about 20 lines in all). ``min_interval``: seconds between live redraws.
    ``file``: where text goes (default: standard output). ``clock`` and ``display`` are for tests.

    After the run, ``lines`` holds what text/summary mode printed, ``renders`` counts live
    redraws, and ``widget`` is the live display (None in other modes).
    """

    def __init__(
        self,
        mode: str = "auto",
        *,
        metrics: Sequence[str] | None = None,
        log: bool = False,
        every: int | None = None,
        min_interval: float = 0.5,
        file: TextIO | None = None,
        clock: Callable[[], float] = time.perf_counter,
        display: Callable[[Any], None] | None = None,
    ):
        self.mode = resolve_mode(mode)
        if every is not None and (not isinstance(every, int) or every < 1):
            raise ValueError(f"every must be a positive integer, got {every!r}")
        if min_interval < 0:
            raise ValueError(f"min_interval must be >= 0 seconds, got {min_interval}")
        self.metrics = None if metrics is None else list(metrics)
        self.log = log
        self.every = every
        self.min_interval = min_interval
        self.file = file
        self.clock = clock
        self._display = display
        self.lines: list[str] = []
        self.renders = 0
        self.widget: widgets.VBox | None = None
        self._view: _HistoryView | None = None
        self._start = self._last = 0.0

    # ------------------------------------------------------------------ the callback protocol
    def on_fit_begin(self, state) -> None:
        self._start = self.clock()
        self._last = -math.inf
        self.lines = []
        self.renders = 0
        if self.mode == "live":
            self._build_live(state)
            self._show(self.widget)
            self._refresh(state, force=True)

    def on_step_end(self, state) -> None:
        if self.mode == "live" and self.clock() - self._last >= self.min_interval:
            self._refresh(state)

    def on_epoch_end(self, state) -> None:
        if self.mode == "text":
            n, total = len(state.history.epoch), state.epochs
            every = self.every or max(1, math.ceil(total / 20))
            if n % every == 0 or n == total or n == 1:
                self._print(self._epoch_line(state))
        elif self.mode == "live" and self.clock() - self._last >= self.min_interval:
            self._refresh(state)

    def on_fit_end(self, state) -> None:
        if self.mode == "live":
            self._refresh(state, force=True, done=True)
        elif self.mode == "text":
            self._print(f"done: {self._totals(state)} in {_duration(self.clock() - self._start)}")
        elif self.mode == "summary":
            self._print(f"trained {self._totals(state)}: " + self._numbers(state.history))
            if _in_kernel() or self._display is not None:
                fig = plot_history(state.history, self.metrics, self.log, state.epochs)
                self._show(fig)

    # ------------------------------------------------------------------ text
    def _print(self, line: str) -> None:
        self.lines.append(line)
        print(line, file=self.file or sys.stdout, flush=True)

    def _numbers(self, history) -> str:
        if not history.epoch:
            return "no epoch finished"
        return ", ".join(f"{k} {_number(v)}" for k, v in _epoch_numbers(history, self.metrics))

    @staticmethod
    def _totals(state) -> str:
        n = len(state.history.epoch)
        return f"{n} epoch{'s' if n != 1 else ''} ({state.step} steps)"

    def _epoch_line(self, state) -> str:
        h = state.history
        width = len(str(state.epochs))
        parts = [f"epoch {len(h.epoch):>{width}}/{state.epochs}", self._numbers(h)]
        if h.lr and math.isfinite(h.lr[-1]):
            parts.append(f"lr {h.lr[-1]:.3g}")
        parts.append(_duration(self.clock() - self._start))
        return "  ".join(parts)

    # ------------------------------------------------------------------ live
    def _show(self, obj) -> None:
        if self._display is not None:
            self._display(obj)
        else:
            from IPython.display import display

            display(obj)

    def _build_live(self, state) -> None:
        total = max(1, state.epochs * state.steps_per_epoch)
        self.bar = widgets.IntProgress(
            value=0, min=0, max=total, bar_style="info", layout=widgets.Layout(width="40%")
        )
        self.label = widgets.HTML()
        self.canvas = FigureImage(
            figsize=self._figsize(1 + len(self.metrics or ())),
            dpi=90,
            alt="Training progress: the training loss of each step (pale), the training and "
            "validation loss after each epoch.",
        )
        self._view = None  # metric panels are made once the first epoch has recorded them
        self._metric_keys: tuple[str, ...] = ()
        self.widget = _ProgressBox([widgets.HBox([self.bar, self.label]), self.canvas.image])

    @staticmethod
    def _figsize(panels: int) -> tuple[float, float]:
        return (min(10.0, 3.4 + 3.2 * (panels - 1)) if panels > 1 else 5.0, 2.8)

    def _ensure_view(self, state) -> None:
        h = state.history
        keys = (*sorted(h.metrics), any(math.isfinite(v) for v in h.valid_loss))
        if self._view is not None and keys == self._metric_keys:
            return
        fig = self.canvas.fig
        fig.clear()
        fig.set_layout_engine("constrained")
        with style():
            self._view = _HistoryView(
                fig, state.history, self.metrics, self.log, state.epochs, state.steps_per_epoch
            )
        size = self._figsize(1 + len(self._view.metric_names))
        fig.set_size_inches(*size)
        self.canvas.image.layout.width = f"{round(size[0] * fig.dpi)}px"
        self._metric_keys = keys
        self.canvas.animate(self._view.artists)

    def _refresh(self, state, force: bool = False, done: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        elapsed = now - self._start
        total = max(1, state.epochs * state.steps_per_epoch)
        self.bar.value = min(state.step, total) if not done else total
        if done:
            self.bar.bar_style = "success"
        left = elapsed / state.step * (total - state.step) if state.step else math.nan
        h = state.history
        epoch_info = f"epoch {min(state.epoch + 1, state.epochs)}/{state.epochs}"
        timing = f"{_duration(elapsed)}" + ("" if done else f", about {_duration(left)} left")
        numbers = self._numbers(h) if h.epoch else f"loss {_number(state.loss)}"
        head = f"done: {self._totals(state)}" if done else epoch_info
        self.label.value = (
            f"<span style='font-family: monospace'>{html.escape(head)} · {timing} · "
            f"{html.escape(numbers)}</span>"
        )
        self._ensure_view(state)
        if self._view.update(h):
            self.canvas.invalidate()
        if h.epoch:
            self.canvas.alt = (
                "Training progress: the loss per step (pale) and after each epoch; "
                f"after {self._totals(state)}: {self._numbers(h)}."
            )
        self.canvas.render()
        self.renders += 1
