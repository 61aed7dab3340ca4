"""Chapter 2's XOR experiments at full size: how many of 100 random starts learn XOR.

The chapter (book/02_xor.ipynb, section 2.5) trains 2-H-1 networks from 100 seeds for 1,000 and
5,000 steps to stay within its time budget; this script runs the same experiment (the same
vectorised trainer, nnlib.chapters.xor.train_mlps: full-batch gradient descent on the mean
binary cross-entropy, learning rate 0.5, PyTorch's default initialisation) for 20,000 steps, for
ReLU, tanh and sigmoid hidden units and 2, 4 and 8 of them, and prints how many seeds succeed
(label all four points correctly) after 1,000, 5,000 and 20,000 steps.

    .venv/bin/python scripts/xor_experiments.py            # about a minute on 2 cores
    .venv/bin/python scripts/xor_experiments.py --steps 5000 --widths 2
"""

from __future__ import annotations

import argparse
import math
import time

from nnlib.chapters import xor as P
from nnlib.data import truth_table

CHECKPOINTS = (1000, 5000, 20000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20000, help="training steps (default 20000)")
    parser.add_argument("--seeds", type=int, default=100, help="seeds 0..N-1 (default 100)")
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.seeds < 1:
        parser.error("--steps and --seeds must be positive")
    X, y = truth_table("XOR")
    marks = [c for c in CHECKPOINTS if c < args.steps] + [args.steps]
    header = " | ".join(f"by step {m:>6}" for m in marks)
    print(f"{args.seeds} seeds, learning rate {args.lr}: networks that learn XOR")
    print(f"{'network':>14} | {header} | seconds")
    for width in args.widths:
        for act in ("relu", "tanh", "sigmoid"):
            start = time.perf_counter()
            runs = P.train_mlps(
                X,
                y,
                range(args.seeds),
                hidden=width,
                activation=act,
                steps=args.steps,
                lr=args.lr,
                record_every=math.gcd(*marks),
            )
            counts = [int(runs.success(runs.snapshot(m)).sum()) for m in marks]
            cells = " | ".join(f"{c:>14}" for c in counts)
            seconds = time.perf_counter() - start
            print(f"{f'2-{width}-1 {act}':>14} | {cells} | {seconds:7.1f}", flush=True)


if __name__ == "__main__":
    main()
