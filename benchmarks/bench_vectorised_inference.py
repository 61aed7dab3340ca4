"""Classify m examples with a two-layer network: a Python loop over the examples against one
batched computation (book: chapter 3, section 3.6, "Vectorised inference").

The network is the chapter's shape, 6 features -> 16 sigmoid units -> 2 softmax outputs:

    loop:     for each row x:  h = sigma(W x + b),  z = U h + c,  y_hat = softmax(z)
    batched:  H = sigma(X W^T + b),  Z = H U^T + c,  Y_hat = softmax(Z)   (one call)

both from ``nnlib.chapters.feedforward`` (``two_layer_loop`` and ``two_layer``), plus the same
network as an ``nn.MLP`` run by ``nnlib.train.predict`` (autodiff Tensors, no graph). The three are
timed side by side, interleaved over rounds, for several m; the report gives medians and ratios
to the batched numpy version, and checks that all three agree.

    python benchmarks/bench_vectorised_inference.py [--rounds 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from nnlib import functional as F
from nnlib import nn
from nnlib.chapters import feedforward as FF
from nnlib.train import predict

SIZES = (100, 1275, 10_000)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    net = nn.MLP([6, 16, 2], "sigmoid", rng=0)
    W, b, U, c = net[0].W.data, net[0].b.data, net[2].W.data, net[2].b.data
    results = {}
    for m in SIZES:
        X = np.random.default_rng(m).normal(size=(m, 6))
        ways = {
            "loop": lambda X=X: FF.two_layer_loop(X, W, b, U, c),
            "batched": lambda X=X: FF.two_layer(X, W, b, U, c),
            "nn.MLP + predict": lambda X=X: F.softmax(predict(net, X)),
        }
        outs = {k: f() for k, f in ways.items()}
        same = np.allclose(outs["loop"][2], outs["batched"][2], rtol=0, atol=1e-12) and np.allclose(
            outs["nn.MLP + predict"], outs["batched"][2], rtol=0, atol=1e-12
        )
        times: dict[str, list[float]] = {k: [] for k in ways}
        for _ in range(args.rounds):  # interleaved: every way sees the same machine
            for k, f in ways.items():
                times[k].append(timed(f))
        med = {k: float(np.median(v)) for k, v in times.items()}
        results[m] = {"median_s": med, "same_outputs": bool(same)}
        print(f"m = {m:>6,}: " + "   ".join(
            f"{k} {1000 * t:8.2f} ms ({t / med['batched']:6.1f}x)" for k, t in med.items()
        ) + f"   same outputs: {same}")  # fmt: skip
    print(
        f"(medians of {args.rounds} rounds, wall-clock; ratios to the batched version; "
        f"{os.cpu_count()} CPUs, {platform.python_version()}, numpy {np.__version__})"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
