"""Train chapter 5's feedforward language model at full size and save what it measured.

The chapter itself trains a reduced model within its time budget; this script is the full-size
run the chapter quotes (book: "The feedforward neural language model", 5.5). On Shakespeare's
plays (vocabulary 5,000, split by play) it trains two configurations of the same model for the
same number of steps:

  default   nnlib's defaults: embeddings N(0, 1), no dropout, a constant learning rate
  tuned     small embeddings N(0, 0.1^2), dropout 0.3 on h, the rate divided by 3 after 60%

scores both on the validation plays as they train, then on the test plays, next to the
interpolated Kneser-Ney trigram and a mixture of the tuned model with it (lambda chosen on the
validation plays), and lists nearest neighbours in the learned embeddings. The results go to
nnlib/chapters/lm_results.json (read by the chapter and checked by tests/chapters/test_lm.py:
the file records a hash of each configuration and of the training code version, so a change to
either without a rerun fails the test).

    python scripts/train_lm.py              # both configurations, ~10-25 minutes on 2 cores
    python scripts/train_lm.py --steps 200  # a quick smoke run (writes to --out, not the book)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from nnlib.chapters import lm

RESULTS = lm.RESULTS_FILE

TUNED = lm.FULL_CONFIG  # the defaults of LMConfig are the tuned settings, with 12,000 steps
STEPS = TUNED.steps  # 256 windows each: about 3.5 passes over the 886k training windows
VALID_EVERY = 500
DEFAULT = replace(TUNED, emb_std=1.0, dropout=0.0, lr_drop_at=1.0)
CONFIGS = {"default": DEFAULT, "tuned": TUNED}
NEIGHBOUR_WORDS = ("king", "father", "love", "good", "night", "sword", "three", "thou")


class Progress:
    """Compact progress lines (nnlib.train.fit callback)."""

    def __init__(self, name: str, steps: int) -> None:
        self.name, self.steps, self.start = name, steps, time.perf_counter()

    def on_step_end(self, state) -> None:
        if state.step % 250 == 0 or state.step == self.steps:
            elapsed = time.perf_counter() - self.start
            print(
                f"  {self.name}: step {state.step:6d}/{self.steps}  loss {state.loss:.3f}  "
                f"{elapsed:6.0f} s",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", type=Path, help=f"where to write the results (default {RESULTS})")
    args = parser.parse_args()
    out = args.out or RESULTS
    if args.steps != STEPS and args.out is None:
        sys.exit("a run with --steps other than the default must write elsewhere: pass --out")

    corpus = lm.shakespeare_corpus(5000)
    valid = corpus.windows("valid", 3)
    test = corpus.windows("test", 3)
    kn = lm.KneserNey(3).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    kn_valid = kn.prob(*valid)
    kn_test = kn.prob(*test)
    results = {
        "script": "scripts/train_lm.py",
        "training_code_version": lm.TRAINING_CODE_VERSION,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "vocab_size": corpus.V,
        "kn_trigram": {
            "valid": lm.perplexity(kn_valid),
            "test": lm.perplexity(kn_test),
        },
        "runs": {},
    }
    for name, config in CONFIGS.items():
        config = replace(config, steps=args.steps)
        print(f"{name}: {config}", flush=True)
        run = lm.train_lm(
            corpus,
            config,
            valid=valid,
            valid_every=VALID_EVERY,
            callbacks=[Progress(name, config.steps)],
        )
        p_valid = lm.target_probs(run.model, *valid)
        p_test = lm.target_probs(run.model, *test)
        lam, mix_valid = lm.tune_mixture(p_valid, kn_valid)
        best = int(np.argmin(run.valid_ppl))
        results["runs"][name] = {
            "config": asdict(config),
            "config_hash": lm.config_hash(config),
            "cpu_seconds": run.cpu_seconds,
            "wall_seconds": run.wall_seconds,
            "valid_steps": run.valid_steps,
            "valid_ppl": run.valid_ppl,
            "best_valid": {"step": run.valid_steps[best], "ppl": run.valid_ppl[best]},
            "valid": lm.perplexity(p_valid),
            "test": lm.perplexity(p_test),
            "mixture": {
                "lambda": lam,
                "valid": mix_valid,
                "test": lm.perplexity(lam * p_test + (1 - lam) * kn_test),
            },
            "train_loss_every_100": [
                float(np.mean(run.step_loss[i : i + 100]))
                for i in range(0, len(run.step_loss), 100)
            ],
            "neighbours": {
                w: [n for n, _ in lm.nearest_neighbours(run.model.E, corpus.vocab, w, 5)]
                for w in NEIGHBOUR_WORDS
            },
        }
        r = results["runs"][name]
        print(
            f"{name}: valid {r['valid']:.1f} test {r['test']:.1f}; mixture with KN (lambda "
            f"{lam:.2f}) valid {mix_valid:.1f} test {r['mixture']['test']:.1f}; "
            f"{run.wall_seconds:.0f} s wall, {run.cpu_seconds:.0f} s CPU",
            flush=True,
        )
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
