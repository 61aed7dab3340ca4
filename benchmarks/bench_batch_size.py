"""Chapter 7's batch-size race at full size: more seeds, and the gradient noise over the whole
training set (the chapter uses one seed, and 500 sentences for the noise, to stay within its
time budget).

For each batch size, the review network (nnlib.chapters.optimization.review_model, Adam at
lr 0.002) is trained from several seeds until the probe loss reaches 0.45; the report gives the
median steps, epochs and training time (CPU and wall) per batch size. With ``--noise`` it also
measures the gradient noise E|g_B - g|^2 at the start of training over all 10,202 training
sentences against the sampling formula tr(Sigma)/B * (N - B)/(N - 1) (about a minute).

    python benchmarks/bench_batch_size.py [--seeds 5] [--noise] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform

import numpy as np

from nnlib.chapters import optimization as O

BATCH_SIZES = (4, 16, 64, 256, 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--noise", action="store_true", help="gradient noise over all of N")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    task = O.review_task()
    results: dict = {"race": {}, "noise": None}
    print(f"race to a probe loss of 0.45, {args.seeds} seeds, medians:")
    print(f"{'B':>6} {'steps':>7} {'epochs':>7} {'CPU s':>7} {'wall s':>7} {'ms/step':>8}  reached")
    for B in BATCH_SIZES:
        races = [O.race_to_target(task, B, seed=s) for s in range(args.seeds)]
        row = {
            "steps": float(np.median([r.steps for r in races])),
            "epochs": float(np.median([r.epochs for r in races])),
            "cpu_s": float(np.median([r.cpu for r in races])),
            "wall_s": float(np.median([r.wall for r in races])),
            "reached": sum(r.reached for r in races),
        }
        row["ms_per_step"] = 1000 * row["wall_s"] / row["steps"]
        results["race"][B] = row
        print(
            f"{B:6d} {row['steps']:7.0f} {row['epochs']:7.2f} {row['cpu_s']:7.2f} "
            f"{row['wall_s']:7.2f} {row['ms_per_step']:8.3f}  {row['reached']}/{args.seeds}"
        )
    if args.noise:
        gn = O.gradient_noise(
            O.review_model(task), task.X_train, task.y_train, [1, 4, 16, 64, 256, 1024, 4096]
        )
        results["noise"] = {
            "batch_sizes": gn.batch_sizes.tolist(),
            "measured": gn.measured.tolist(),
            "predicted": gn.predicted.tolist(),
        }
        print(f"gradient noise over N = {gn.N} (tr Sigma = {gn.trace:.4f}):")
        for B, m, p in zip(gn.batch_sizes, gn.measured, gn.predicted):
            print(f"  B = {B:5d}: measured {m:.5f}, formula {p:.5f}, ratio {m / p:.2f}")
    print(f"({os.cpu_count()} CPUs, Python {platform.python_version()})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
