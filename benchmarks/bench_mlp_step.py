"""Time one training step of an MLP in nnlib, in hand-written numpy, and in PyTorch (if installed).

One step = forward, cross-entropy loss, backward, SGD update, in float32. Two sizes:
  small: batch 64,  100-256-10 ReLU
  large: batch 512, 784-512-10 ReLU
The three implementations are timed side by side in one run (interleaved rounds, median of
rounds), and the report gives ratios to the hand-written numpy step. Targets: nnlib within
1.25x of hand-written numpy at both sizes; faster than PyTorch CPU at the small size.

    python benchmarks/bench_mlp_step.py [--rounds 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable

import numpy as np

import nnlib
from nnlib import functional as F
from nnlib import nn, optim

SIZES = {"small": (64, 100, 256, 10), "large": (512, 784, 512, 10)}
LR = 0.01


def make_data(batch: int, d_in: int, n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, d_in)).astype(np.float32)
    y = rng.integers(0, n_classes, size=batch)
    return X, y


def nnlib_step(batch, d_in, d_h, d_out) -> Callable[[], float]:
    X, y = make_data(batch, d_in, d_out)
    model = nn.MLP([d_in, d_h, d_out], "relu", rng=0, dtype=np.float32)
    opt = optim.SGD(model.parameters(), lr=LR)
    x = nnlib.Tensor(X)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def numpy_step(batch, d_in, d_h, d_out) -> Callable[[], float]:
    """The same network with forward and backward derived by hand (book: Backprop)."""
    X, y = make_data(batch, d_in, d_out)
    model = nn.MLP([d_in, d_h, d_out], "relu", rng=0, dtype=np.float32)  # same initial weights
    W1, b1 = model[0].W.data.copy(), model[0].b.data.copy()
    W2, b2 = model[2].W.data.copy(), model[2].b.data.copy()
    rows = np.arange(batch)

    def step() -> float:
        z1 = X @ W1.T + b1
        h = np.maximum(z1, 0)
        z2 = h @ W2.T + b2
        m = z2.max(axis=1, keepdims=True)
        e = np.exp(z2 - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z2[rows, y]))
        dz2 = e / s
        dz2[rows, y] -= 1
        dz2 /= batch
        dW2 = dz2.T @ h
        db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ W2) * (z1 > 0)
        dW1 = dz1.T @ X
        db1 = dz1.sum(axis=0)
        for p, g in zip((W1, b1, W2, b2), (dW1, db1, dW2, db2)):
            p -= LR * g  # in place
        return loss

    return step


def torch_step(batch, d_in, d_h, d_out) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    X, y = make_data(batch, d_in, d_out)
    model = torch.nn.Sequential(
        torch.nn.Linear(d_in, d_h), torch.nn.ReLU(), torch.nn.Linear(d_h, d_out)
    )
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, t = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.functional.cross_entropy

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def time_per_call(fn: Callable[[], float], min_time: float = 0.2) -> float:
    """Seconds per call: repeat until ``min_time`` has passed (after a warm-up)."""
    for _ in range(3):
        fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n


def bench(size: str, rounds: int) -> dict:
    dims = SIZES[size]
    steps = {"numpy": numpy_step(*dims), "nnlib": nnlib_step(*dims)}
    t = torch_step(*dims)
    if t is not None:
        steps["torch"] = t
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):  # interleave so that machine noise hits all alike
        for name, fn in steps.items():
            samples[name].append(time_per_call(fn))
    median = {name: float(np.median(v)) for name, v in samples.items()}
    return {
        "size": size,
        "dims": dims,
        "seconds_per_step": median,
        "ratio_to_numpy": {name: median[name] / median["numpy"] for name in median},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results = [bench(size, args.rounds) for size in SIZES]
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores")
    for r in results:
        batch, d_in, d_h, d_out = r["dims"]
        print(f"\n{r['size']}: batch {batch}, {d_in}-{d_h}-{d_out} ReLU, float32")
        for name, sec in r["seconds_per_step"].items():
            ratio = r["ratio_to_numpy"][name]
            print(f"  {name:6s} {sec * 1e6:9.1f} µs/step   {ratio:5.2f}x hand-written numpy")
        if "torch" in r["seconds_per_step"]:
            vs = r["seconds_per_step"]["nnlib"] / r["seconds_per_step"]["torch"]
            print(f"  nnlib / torch = {vs:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
