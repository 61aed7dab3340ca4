"""Reproduce chapter 4's full comparison table: Naive Bayes, hand features, DANs and CNNs.

Every model is trained on the training split of the review sentences (nnlib.data.load_reviews)
and chosen on the validation split; the test split is used once, at the end, for the rows the
issue asks about (Naive Bayes with unigrams and with unigrams + bigrams, logistic regression and
an MLP on the six hand-built features, and the DAN and the CNN configuration that did best on
validation). Every other configuration (the ablations: embedding scale, word dropout, pooling,
GloVe) is reported on validation only. Neural models: accuracy mean ± standard deviation over
``--seeds`` seeds (population std), the epoch kept (early stopping on valid), and CPU seconds
per training epoch (for Naive Bayes and the hand features: of the whole fit).

    python scripts/embeddings_table.py                 # 5 seeds: about 20 min of CPU time
    python scripts/embeddings_table.py --seeds 2 --json table.json

The chapter (book/04_embeddings.ipynb) runs a reduced version of the same experiment and
quotes this script's output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from nnlib.chapters import embeddings as P


def naive_bayes_rows(data: P.ReviewData) -> list[dict]:
    rows = []
    for ngram, name in ((1, "Naive Bayes, unigrams"), (2, "Naive Bayes, unigrams + bigrams")):
        start = time.process_time()
        nb = P.NaiveBayes(ngram=ngram).fit(data.train.tokens, data.train.y)
        seconds = time.process_time() - start
        rows.append(
            {
                "name": name,
                "valid": [nb.accuracy(data.valid.tokens, data.valid.y)],
                "test": [nb.accuracy(data.test.tokens, data.test.y)],
                "cpu_train": seconds,
            }
        )
    return rows


def hand_feature_rows(data: P.ReviewData, seeds: list[int]) -> list[dict]:
    rows = []
    for hidden, name in (
        (None, "Six hand features, logistic regression"),
        (16, "Six hand features, MLP (16 ReLU)"),
    ):
        runs = [P.train_hand_feature_model(data, hidden=hidden, seed=s) for s in seeds]
        rows.append(
            {
                "name": name,
                "valid": [r.valid_acc for r in runs],
                "test": [r.accuracy(data.test) for r in runs],
                "cpu_train": float(np.mean([r.seconds for r in runs])),
            }
        )
    return rows


def neural_rows(data: P.ReviewData, seeds: list[int]) -> tuple[list[dict], dict[str, list]]:
    rows, runs_by_name = [], {}
    for name, config in P.CONFIGS.items():
        runs = []
        for s in seeds:
            runs.append(P.run_config(config, data, s))
            print(f"  {name}, seed {s}: valid {runs[-1].valid_acc:.4f}", flush=True)
        runs_by_name[name] = runs
        epoch_cpu = [t for r in runs for t in r.result.epoch_seconds]
        rows.append(
            {
                "name": name,
                "valid": [r.valid_acc for r in runs],
                "test": None,
                "best_epochs": [r.result.best_epoch for r in runs],
                "cpu_per_epoch": float(np.mean(epoch_cpu)),
            }
        )
    return rows, runs_by_name


def fmt(accs) -> str:
    if accs is None:
        return "--"
    a = 100 * np.asarray(accs)
    return f"{a.mean():.1f}" if len(a) == 1 else f"{a.mean():.1f} ± {a.std():.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per neural model (0, 1, ...)")
    parser.add_argument("--json", help="also write the table to this file")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    start = time.time()
    data = P.load_review_data()
    print(f"{data}; seeds {seeds}", flush=True)
    rows = naive_bayes_rows(data) + hand_feature_rows(data, seeds)
    nrows, runs = neural_rows(data, seeds)
    # Model selection on validation: the best DAN and the best CNN by mean validation accuracy.
    for family in ("DAN", "CNN"):
        best = max(
            (r for r in nrows if r["name"].startswith(family)), key=lambda r: np.mean(r["valid"])
        )
        best["test"] = [run.test_acc(data) for run in runs[best["name"]]]
        best["selected"] = True
    rows += nrows
    print(
        f"\npython {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores; "
        f"{time.time() - start:.0f} s wall; |V| = {len(data.vocab)}; seeds {seeds}\n"
    )
    print("| model | valid acc. % | test acc. % | epoch kept | CPU s per epoch |")
    print("|---|---|---|---|---|")
    for r in rows:
        cpu = r.get("cpu_per_epoch")
        cpu_text = f"{cpu:.2f}" if cpu is not None else f"{r['cpu_train']:.2f} (whole fit)"
        epochs = r.get("best_epochs")
        kept = f"{min(epochs)}-{max(epochs)}" if epochs else "--"
        mark = " (selected on valid)" if r.get("selected") else ""
        print(f"| {r['name']}{mark} | {fmt(r['valid'])} | {fmt(r['test'])} | {kept} | {cpu_text} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
