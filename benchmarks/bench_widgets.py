"""Time every live widget's response to a control change: the blitted update against a full redraw.

For each widget of the book (nnlib.widgets.units, nnlib.widgets.xor, nnlib.widgets.lm, ...), the
same control changes are applied with the fast path (an update that blits: restore the
background, draw the moving artists, encode the PNG) and with a full redraw forced before each
update (what the widget would cost without blitting), interleaved, in CPU time (a busy machine
does not inflate it). The report gives the medians and their ratio; the budget is a median under
100 ms per change on 2 cores (CHAPTERS.md).

    python benchmarks/bench_widgets.py [--rounds 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable

import numpy as np

from nnlib.chapters import lm
from nnlib.widgets.feedforward import feedforward_explorer, sentiment_explorer, softmax_explorer
from nnlib.widgets.lm import generator, next_word_explorer
from nnlib.widgets.optimization import layer_explorer, training_playground, trajectory_explorer
from nnlib.widgets.units import activation_gallery, neuron_explorer
from nnlib.widgets.xor import perceptron_explorer, xor_hidden_space

BUDGET_MS = 100


def cases() -> dict[str, tuple[object, list[Callable[[], None]]]]:
    """Each widget with a list of control changes (each one fires one update)."""
    ex = neuron_explorer()
    g = activation_gallery()
    p = perceptron_explorer()
    hs = xor_hidden_space()
    hs.network.value = "trained"
    # Chapter 5's widgets with models of the chapter's size (|V| 5,000): an untrained FF-LM costs
    # what the trained one does; Kneser-Ney on a Zipf-distributed stream has realistic tables.
    V = 5000
    stream = np.minimum(np.random.default_rng(0).zipf(1.2, size=200_000), V) - 1
    vocab = lm.Vocab([f"w{i}" for i in range(2, V)], specials=("<unk>", lm.EOS))
    kn = lm.KneserNey(3).fit(stream, V, pad_id=1)
    ff = lm.CHAPTER_CONFIG.model(V)
    nw = next_word_explorer(ff, kn, vocab, "w2 w3 w4")
    gen = generator(ff, kn, vocab, "w2 w3")
    contexts = [" ".join(f"w{i + j}" for j in range(3)) for i in range(2, 23)]
    te = trajectory_explorer()
    pg = training_playground("spiral", pretrain=300)
    le = layer_explorer()
    return {
        "next_word_explorer (context)": (
            nw,
            [lambda t=t: setattr(nw.text, "value", t) for t in contexts],
        ),
        "generator (temperature)": (
            gen,
            [
                lambda v=v: setattr(gen.temperature, "value", v)
                for v in np.round(np.linspace(0.2, 2.0, 21), 2)
            ],
        ),
        "neuron_explorer (b slider)": (
            ex,
            [
                lambda v=v: setattr(ex.b_slider, "value", v)
                for v in np.round(np.linspace(-1, 1, 21), 2)
            ],
        ),
        "activation_gallery (z slider)": (
            g,
            [
                lambda v=v: setattr(g.z_slider, "value", v)
                for v in np.round(np.linspace(-3, 3, 21), 2)
            ],
        ),
        "perceptron_explorer (b slider)": (
            p,
            [lambda v=v: setattr(p.b, "value", v) for v in np.round(np.linspace(-2, 2, 21), 1)],
        ),
        "xor_hidden_space (step slider)": (
            hs,
            [lambda t=t: setattr(hs.step, "value", int(t)) for t in hs.runs.recorded[::5]],
        ),
        "trajectory_explorer (lr slider)": (
            te,
            [lambda v=v: setattr(te.lr, "value", v) for v in te.lr.options[5:25]],
        ),
        "training_playground (10 steps)": (
            pg,
            [pg.step_button.click for _ in range(20)],
        ),
        "layer_explorer (init scheme)": (
            le,
            [
                lambda v=v: setattr(le.scheme, "value", v)
                for v in ["he", "lecun", "normal", "xavier", "pytorch"] * 2
            ],
        ),
        **feedforward_cases(),
        **embedding_cases(),
    }


def feedforward_cases() -> dict[str, tuple[object, list[Callable[[], None]]]]:
    """Chapter 3: the softmax explorer, the feedforward explorer, the sentiment explorer."""
    sm, ff, se = softmax_explorer(), feedforward_explorer(), sentiment_explorer()
    words = "a good film , but the plot is dull and you will hate it !".split()
    return {
        "softmax_explorer (z2 slider)": (
            sm,
            [
                lambda v=v: setattr(sm.sliders[1], "value", v)
                for v in np.round(np.linspace(-4, 4, 21), 1)
            ],
        ),
        "feedforward_explorer (step slider)": (
            ff,
            [lambda s=s: setattr(ff.step, "value", s) for s in list(ff.step.options)[::2]],
        ),
        "sentiment_explorer (typing)": (
            se,
            [
                lambda k=k: setattr(se.text, "value", " ".join(words[: k + 1]))
                for k in range(len(words))
            ],
        ),
    }


SENTENCES = [
    "A dull, tedious mess.",
    "One of the best films of the year!",
    "not bad at all",
    "I really love spinach",
    "The plot is thin but the actors are wonderful, and the music is great.",
]


def embedding_cases() -> dict[str, tuple[object, list[Callable[[], None]]]]:
    """Chapter 4's widgets on the review vocabulary, with untrained models (drawing costs the
    same whatever the weights are)."""
    from nnlib.chapters import embeddings as P
    from nnlib.widgets import embeddings as W

    data = P.load_review_data()
    dan = P.DAN(len(data.vocab), 50, (50,), rng=0)
    cnn = P.CNN(len(data.vocab), 50, 3, 100, rng=0)
    se = W.sentence_explorer(dan, data.vocab)
    fe = W.filter_explorer(cnn, data.vocab)
    ne = W.neighbour_explorer(
        {"before": (dan.embedding.E.data, data.vocab), "again": (cnn.embedding.E.data, data.vocab)}
    )
    words = ["good", "bad", "boring", "film", "spinach"]
    return {
        "sentence_explorer (text)": (
            se,
            [lambda t=t: setattr(se.text, "value", t) for t in SENTENCES],
        ),
        "filter_explorer (text)": (
            fe,
            [lambda t=t: setattr(fe.text, "value", t) for t in SENTENCES],
        ),
        "neighbour_explorer (word)": (
            ne,
            [lambda w=w: setattr(ne.word, "value", w) for w in words],
        ),
    }


def measure(widget, moves, full: bool) -> list[float]:
    """CPU ms of each move's update; ``full`` forces a full redraw before each update."""
    out = []
    for move in moves:
        if full:
            widget.canvas.invalidate()
        n = len(widget.redraw_cpu_ms)
        move()
        if len(widget.redraw_cpu_ms) > n:  # setting the value it already had fires nothing
            out.append(widget.redraw_cpu_ms[-1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    results = {}
    for name, (widget, moves) in cases().items():
        fast, slow = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            fast += measure(widget, moves, full=False)
            slow += measure(widget, list(reversed(moves)), full=True)
        results[name] = {
            "blit_ms": float(np.median(fast)),
            "full_ms": float(np.median(slow)),
            "updates": len(fast),
        }
    print(f"{'widget':34} {'blit (ms CPU)':>14} {'full redraw':>12} {'ratio':>7}")
    for name, r in results.items():
        flag = "" if r["blit_ms"] < BUDGET_MS else "  over budget"
        ratio = r["full_ms"] / r["blit_ms"]
        print(f"{name:34} {r['blit_ms']:14.1f} {r['full_ms']:12.1f} {ratio:6.1f}x{flag}")
    print(
        f"(medians of {args.rounds} rounds; budget {BUDGET_MS} ms per change; "
        f"{os.cpu_count()} CPUs, {platform.python_version()})"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
