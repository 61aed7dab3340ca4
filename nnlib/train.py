"""The training loop every chapter uses (book: Backprop, "Training"; Optimisation).

A chapter first writes the loop by hand: for each minibatch, a forward pass, the loss, a backward
pass, and an update::

    for X_batch, y_batch in batches(X, y, batch_size=32, rng=0):
        loss = loss_fn(model(X_batch), y_batch)   # forward pass and loss
        optimizer.zero_grad()                      # forget the last step's gradients
        loss.backward()                            # dL/dw for every parameter w
        optimizer.step()                           # w <- w - lr * dL/dw (or momentum, Adam...)

:func:`fit` is that loop with the book-keeping around it: epochs, a validation set, metrics, a
learning-rate schedule, a :class:`History`, and callbacks (which is how the widgets show progress;
this module itself displays nothing).

Data is a tuple of numpy arrays with one row per example; the last array holds the targets and the
others are the model's inputs, so ``(X, y)`` calls ``model(X)`` and ``(ids, mask, y)`` calls
``model(ids, mask)``. Inputs reach the model as numpy arrays (``Linear`` and ``Embedding`` accept
them), which keeps integer word ids integers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .init import as_rng
from .tensor import NonFiniteError, Tensor, no_grad

__all__ = [
    "batches",
    "History",
    "FitState",
    "TrainingDiverged",
    "fit",
    "train_epoch",
    "predict",
    "evaluate",
    "accuracy",
]

Metric = Callable[[Any, np.ndarray], float]


class TrainingDiverged(NonFiniteError):
    """The loss became NaN or infinite during :func:`fit`; ``.history`` holds the epochs so far."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def _check_data(data: Sequence[Any], what: str) -> tuple[np.ndarray, ...]:
    if not isinstance(data, (tuple, list)) or len(data) < 2:
        raise TypeError(
            f"{what} must be a tuple of arrays (inputs..., targets) such as (X, y), "
            f"got {type(data).__name__}"
        )
    arrays = tuple(np.asarray(a) for a in data)
    lengths = {len(a) if a.ndim else -1 for a in arrays}
    if len(lengths) != 1 or -1 in lengths:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{what}: every array needs the same number of rows, got shapes {shapes}")
    if len(arrays[0]) == 0:
        raise ValueError(f"{what} is empty")
    return arrays


def batches(
    *arrays: Any,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Minibatches of aligned rows: ``for X_b, y_b in batches(X, y, batch_size=32, rng=0)``.

    With ``shuffle`` the rows are visited in a random order drawn from ``rng`` (a seed or a numpy
    Generator: pass the same Generator every epoch for a new order each time, reproducibly). The
    last batch is smaller when the batch size does not divide the data, unless ``drop_last``.
    Without ``shuffle`` the batches are consecutive rows, handed out as views of the arrays (no
    copy: full-batch training on a large array costs no copying per step).
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    data = _check_data(arrays, "batches()") if len(arrays) > 1 else _single(arrays)
    n = len(data[0])
    stop = n - n % batch_size if drop_last else n
    if not shuffle:  # consecutive rows: slices are views, so a full batch copies nothing
        for start in range(0, stop, batch_size):
            yield tuple(a[start : start + batch_size] for a in data)
        return
    order = as_rng(rng).permutation(n)
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield tuple(a[idx] for a in data)


def _single(arrays: Sequence[Any]) -> tuple[np.ndarray, ...]:
    if len(arrays) != 1:
        raise TypeError("batches() needs at least one array")
    a = np.asarray(arrays[0])
    if a.ndim == 0 or len(a) == 0:
        raise ValueError(f"batches(): need a non-empty array with rows, got shape {a.shape}")
    return (a,)


@dataclass
class History:
    """What :func:`fit` measured after each epoch (lists, one entry per epoch).

    ``train_loss`` is the mean loss over the epoch's minibatches (measured while the weights were
    changing, as Keras and most progress bars report it); ``valid_loss`` is measured at the end of
    the epoch on the validation data (NaN without one). ``metrics`` holds ``train_<name>`` (mean
    over the epoch's batches) and ``valid_<name>`` lists; ``lr`` is the rate at the epoch's first
    step (the rate of the whole epoch unless a schedule steps per step: see ``step_lr``); ``time``
    the seconds since the start of training. ``step_loss`` and ``step_lr`` hold every training
    step's minibatch loss and learning rate.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)  # every training step's loss
    step_lr: list[float] = field(default_factory=list)  # the rate each training step used

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass
class FitState:
    """The state of a :func:`fit` run, handed to every callback method.

    Callbacks are any objects with some of ``on_fit_begin(state)``, ``on_step_end(state)``,
    ``on_epoch_end(state)`` and ``on_fit_end(state)``; setting ``state.stop = True`` ends training
    after the current step. ``on_fit_end`` is called however training ends; after a divergence
    ``state.error`` holds the :class:`TrainingDiverged` that :func:`fit` then raises.
    """

    model: Any
    optimizer: Any
    epochs: int
    steps_per_epoch: int
    history: History
    epoch: int = 0  # the current epoch, from 0
    step: int = 0  # training steps taken so far
    loss: float = math.nan  # the last minibatch's loss
    stop: bool = False
    error: BaseException | None = None  # set when training stops on an error (divergence)


def _call(callbacks: Sequence[Any], hook: str, state: FitState) -> None:
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(state)


def fit(
    model: Any,
    loss_fn: Callable[[Any, np.ndarray], Tensor],
    optimizer: Any,
    train_data: Sequence[Any],
    valid_data: Sequence[Any] | None = None,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    metrics: Mapping[str, Metric] | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Any] = (),
) -> History:
    """Train ``model`` with minibatch gradient descent; returns the :class:`History`.

    Each epoch visits every training example once (:func:`train_epoch`), in minibatches of
    ``batch_size`` in an order drawn from ``rng`` (the same seed gives the same run). After each
    epoch: the validation loss and ``metrics`` (name -> ``f(outputs, y)`` on numpy outputs, e.g.
    :func:`accuracy`) on ``valid_data``. A learning-rate ``scheduler`` (:mod:`nnlib.optim`) is
    stepped after every epoch, or after every optimiser step if its ``interval`` is ``"step"``
    (e.g. a warm-up). A NaN or infinite loss stops training with :class:`TrainingDiverged`, which
    says when and keeps the history.
    """
    train = _check_data(train_data, "train_data")
    valid = None if valid_data is None else _check_data(valid_data, "valid_data")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    metrics = dict(metrics or {})
    per_step = scheduler is not None and getattr(scheduler, "interval", "epoch") == "step"
    rng = as_rng(rng)
    history = History()
    state = FitState(model, optimizer, int(epochs), math.ceil(len(train[0]) / batch_size), history)
    start = time.perf_counter()
    _call(callbacks, "on_fit_begin", state)
    try:
        for epoch in range(epochs):
            state.epoch = epoch
            lr = getattr(optimizer, "lr", math.nan)
            scores = train_epoch(
                model, loss_fn, optimizer, train, batch_size=batch_size, rng=rng,
                shuffle=shuffle, metrics=metrics, state=state, callbacks=callbacks,
                scheduler=scheduler if per_step else None,
            )  # fmt: skip
            if valid is not None:
                for name, value in evaluate(model, loss_fn, valid, metrics=metrics).items():
                    scores[f"valid_{name}"] = value
            _record(history, epoch + 1, lr, time.perf_counter() - start, scores)
            if scheduler is not None and not per_step:
                scheduler.step()
            _call(callbacks, "on_epoch_end", state)
            if state.stop:
                break
    except TrainingDiverged as exc:
        state.error = exc
        raise
    finally:
        _set_mode(model, training=False)
        _call(callbacks, "on_fit_end", state)
    return history


def train_epoch(
    model: Any,
    loss_fn: Callable[[Any, np.ndarray], Tensor],
    optimizer: Any,
    data: Sequence[np.ndarray],
    *,
    batch_size: int,
    rng: np.random.Generator | int | None = None,
    shuffle: bool = True,
    metrics: Mapping[str, Metric] | None = None,
    state: FitState | None = None,
    callbacks: Sequence[Any] = (),
    scheduler: Any = None,
) -> dict[str, float]:
    """One pass over ``data`` in minibatches: the five-line loop of the module docstring.

    ``scheduler``, if given, is stepped after every optimiser step (``fit`` passes the schedules
    whose ``interval`` is ``"step"``). Returns ``{"train_loss": ..., "train_<metric>": ...}``,
    means over the epoch's examples.
    """
    state = state or FitState(model, optimizer, 1, 0, History())
    _set_mode(model, training=True)
    seen, sums = 0, dict.fromkeys(["loss", *(metrics or {})], 0.0)
    # A diverging run overflows on its way to a NaN loss: that is reported once, as
    # TrainingDiverged, instead of as a stream of numpy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for *inputs, y in batches(*data, batch_size=batch_size, rng=rng, shuffle=shuffle):
            out = model(*inputs)
            loss = loss_fn(out, y)
            _check_finite(loss, state, optimizer)
            optimizer.zero_grad()
            loss.backward()
            state.history.step_lr.append(getattr(optimizer, "lr", math.nan))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()

            state.step += 1
            state.loss = loss.item()
            state.history.step_loss.append(state.loss)
            seen += len(y)
            sums["loss"] += state.loss * len(y)
            for name, f in (metrics or {}).items():
                sums[name] += f(_numpy(out), y) * len(y)
            _call(callbacks, "on_step_end", state)
            if state.stop:
                break
    return {f"train_{name}": total / max(seen, 1) for name, total in sums.items()}


def _check_finite(loss: Tensor, state: FitState, optimizer: Any) -> None:
    value = loss.item()
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"training diverged at epoch {state.epoch + 1}, step {state.step + 1}: the loss is "
            f"{value} (learning rate {getattr(optimizer, 'lr', math.nan):g}). Lower the learning "
            f"rate, or check the data and the loss.",
            state.history,
        )


def _record(history: History, epoch: int, lr: float, seconds: float, scores: dict) -> None:
    """Append one epoch's numbers to the history (NaN validation loss without validation data)."""
    history.epoch.append(epoch)
    history.lr.append(lr)
    history.time.append(seconds)
    history.train_loss.append(scores.pop("train_loss"))
    history.valid_loss.append(scores.pop("valid_loss", math.nan))
    for name, value in scores.items():
        history.metrics.setdefault(name, []).append(value)


def _set_mode(model: Any, training: bool) -> None:
    setter = getattr(model, "train", None)
    if callable(setter):
        setter(training)


def predict(model: Any, *inputs: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for every row of ``inputs``, in evaluation mode, without a graph.

    Runs in batches of ``batch_size`` and returns one numpy array (rows in the original order).
    """
    if not inputs:
        raise TypeError("predict() needs the model's inputs, e.g. predict(model, X)")
    arrays = tuple(np.asarray(a) for a in inputs)
    n = len(arrays[0]) if arrays[0].ndim else 0
    if n == 0 or any(a.ndim == 0 or len(a) != n for a in arrays):
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"predict(): inputs need the same, non-zero number of rows: {shapes}")
    was_training = getattr(model, "training", False)
    _set_mode(model, training=False)
    try:
        with no_grad():
            outs = [
                _numpy(model(*(a[i : i + batch_size] for a in arrays)))
                for i in range(0, n, batch_size)
            ]
    finally:
        _set_mode(model, training=was_training)
    return np.concatenate(outs, axis=0)


def _numpy(out: Any) -> np.ndarray:
    return out.data if isinstance(out, Tensor) else np.asarray(out)


def evaluate(
    model: Any,
    loss_fn: Callable[[Any, np.ndarray], Tensor] | None,
    data: Sequence[Any],
    *,
    metrics: Mapping[str, Metric] | None = None,
    batch_size: int = 1024,
) -> dict[str, float]:
    """``{"loss": mean loss, **metrics}`` over ``data`` (inputs..., targets), in evaluation mode.

    The loss is the mean over examples (batch means weighted by batch size); each metric is
    computed once on all outputs. Pass ``loss_fn=None`` for metrics only.
    """
    *inputs, y = _check_data(data, "data")
    out = predict(model, *inputs, batch_size=batch_size)
    scores: dict[str, float] = {}
    if loss_fn is not None:
        total = 0.0
        with no_grad():
            for start in range(0, len(y), batch_size):
                part = slice(start, start + batch_size)
                total += loss_fn(Tensor(out[part]), y[part]).item() * len(y[part])
        scores["loss"] = total / len(y)
    for name, f in (metrics or {}).items():
        scores[name] = float(f(out, y))
    return scores


def accuracy(outputs: Any, y: Any) -> float:
    """The fraction of examples classified correctly.

    ``outputs`` are logits or probabilities: (N, C) -> the class with the largest score; (N,) or
    (N, 1) -> one binary logit per example, class 1 where it is > 0 (ŷ = σ(z) > 0.5).
    """
    z = _numpy(outputs)
    y = np.asarray(y)
    if z.ndim == 2 and z.shape[1] > 1:
        pred = z.argmax(axis=1)
    elif z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1):
        pred = (z.reshape(-1) > 0).astype(np.int64)
    else:
        raise ValueError(f"accuracy: outputs must be (N,), (N, 1) or (N, C), got {z.shape}")
    if pred.shape != y.reshape(-1).shape:
        raise ValueError(f"accuracy: {pred.shape[0]} predictions but targets of shape {y.shape}")
    return float((pred == y.reshape(-1)).mean())
