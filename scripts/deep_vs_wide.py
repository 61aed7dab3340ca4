"""Deeper or wider at an equal parameter budget: the full-size run behind chapter 3, section 3.7.

The chapter runs a reduced version (a few seeds, a few thousand steps) within its time budget and
quotes this script's result. Protocol (all of it in ``nnlib.chapters.feedforward.deep_vs_wide``):

- task: the rings data (4 rings, points uniform in [-1, 1]^2), 8,000 training points, 2,000
  validation points (used only to pick each architecture's learning rate), 4,000 test points;
- architectures: 1, 2, 3 and 4 equal ReLU hidden layers whose widths give about 500 parameters
  each, plus one hidden layer at 4x that budget (how much width buys what depth buys);
- training: Adam, minibatches of 128, ``--steps`` steps, one network per seed;
- for each architecture the learning rate in ``--lrs`` with the best mean validation accuracy is
  kept, and its test accuracy (mean and standard deviation over seeds) reported, with the
  seed-by-seed difference from the one-hidden-layer network (mean, standard error, wins).

``--lrs 0.03`` alone shows what a too-large learning rate does to each architecture (runs that
end below 60% have collapsed to predicting almost one class everywhere).

    python scripts/deep_vs_wide.py                    # the chapter's full run (~10 min CPU)
    python scripts/deep_vs_wide.py --seeds 3 --steps 2000 --lrs 0.01   # a quick look
    python scripts/deep_vs_wide.py --json benchmarks/results/deep_vs_wide.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from nnlib.chapters import feedforward as FF

BUDGET = 500


def architectures(budget: int = BUDGET) -> dict[str, list[int]]:
    archs = {}
    for depth in (1, 2, 3, 4):
        w = FF.width_for_budget(budget, depth)
        archs[f"{depth} x {w}"] = [2, *[w] * depth, 2]
    for factor in (4,):
        w = FF.width_for_budget(factor * budget, 1)
        archs[f"1 x {w} ({factor}x budget)"] = [2, w, 2]
    return archs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10, help="networks per architecture (seeds 0..)")
    ap.add_argument("--steps", type=int, default=32000, help="Adam steps per network")
    ap.add_argument("--lrs", type=float, nargs="+", default=[0.003, 0.01])
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args()

    seeds = list(range(args.seeds))
    archs = architectures()
    print(f"rings task, {args.seeds} seeds, {args.steps} steps, learning rates {args.lrs}")
    results: dict[float, FF.DeepWideResult] = {}
    start = time.process_time()
    for lr in args.lrs:
        results[lr] = FF.deep_vs_wide(archs, seeds, steps=args.steps, lr=lr)
        for name, _, params, mean, std in results[lr].table():
            valid = results[lr].valid_acc[name].mean()
            print(
                f"  lr {lr:<6g} {name:24} {params:5d} params: valid {valid:.3f}, "
                f"test {mean:.3f} ± {std:.3f}  (CPU so far {time.process_time() - start:.0f} s)",
                flush=True,
            )
    print("\nBest learning rate per architecture (chosen on validation), test accuracy, and the")
    print("difference from the first architecture, seed by seed (mean, its standard error, wins):")
    rows = []
    base = None
    for name, sizes in archs.items():
        lr = max(args.lrs, key=lambda r: results[r].valid_acc[name].mean())
        acc = results[lr].acc[name]
        base = acc if base is None else base
        diff = acc - base
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
        failed = int((acc < 0.6).sum())
        rows.append(
            {
                "architecture": name,
                "sizes": sizes,
                "params": FF.n_params(sizes),
                "lr": lr,
                "test_mean": float(acc.mean()),
                "test_std": float(acc.std()),
                "test": acc.tolist(),
                "train_mean": float(results[lr].train_acc[name].mean()),
                "failed_runs": failed,
                "diff_mean": float(diff.mean()),
                "diff_se": float(se),
                "wins": int((diff > 0).sum()),
            }
        )
        print(
            f"  {name:24} {FF.n_params(sizes):5d} params  lr {lr:<6g} test "
            f"{acc.mean():.3f} ± {acc.std():.3f}  (train {results[lr].train_acc[name].mean():.3f},"
            f" runs below 60%: {failed});  difference {diff.mean():+.3f} ± {se:.3f}, "
            f"better in {(diff > 0).sum()} of {diff.size} seeds"
        )
    print(f"CPU time: {time.process_time() - start:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "seeds": args.seeds,
                    "steps": args.steps,
                    "lrs": args.lrs,
                    "machine": platform.platform(),
                    "rows": rows,
                    "all": {
                        str(lr): {n: r.acc[n].tolist() for n in archs} for lr, r in results.items()
                    },
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
