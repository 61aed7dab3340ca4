"""Time one training step of the feedforward LM: nnlib, numpy by hand, tuned numpy, PyTorch.

The step of chapter 5's model (book: "The feedforward neural language model"): a batch of 256
contexts of 3 word ids -> embeddings E (|V| = 10,000, d = 64) -> hidden layer of 200 tanh units
-> 10,000 logits -> cross-entropy -> backward -> Adam (lr 2e-3), in float32 on ONE thread
(OMP/OPENBLAS/MKL_NUM_THREADS=1 and torch.set_num_threads(1)). No dropout, so every
implementation computes exactly the same thing; the script checks that (the losses of the first
steps from the same initial weights agree) before timing.

  nnlib   nnlib.chapters.lm.FeedforwardLM + F.cross_entropy + optim.Adam (autodiff)
  numpy   the same step written by hand the obvious way: forward, backward derived by hand,
          np.add.at for the embedding gradient, Adam as in the paper
  tuned   numpy with every trick we know: preallocated buffers, softmax and its gradient in
          place, the embedding gradient summed only for the rows in the batch, Adam fused
          in place with the bias corrections folded into two scalars
  torch   torch.nn.Embedding/Linear + F.cross_entropy + torch.optim.Adam, if torch is installed

Two variants of the update: "dense" (Adam updates every row of E, as the formulas say) and
"lazy" (rows of E with no gradient in this batch are skipped, moments included: nnlib's
``Adam(lazy_rows=...)``, the tuned numpy's row update, torch's sparse Embedding + SparseAdam).

The implementations run side by side in one process, interleaved round by round, and the report
gives the median CPU time per step and the ratios. Targets: nnlib no slower than PyTorch CPU and
within 1.1x of the tuned numpy.

    python benchmarks/bench_lm.py [--rounds 7] [--vocab 10000] [--json results.json]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: one BLAS thread for every implementation

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from nnlib import functional as F  # noqa: E402
from nnlib import optim  # noqa: E402
from nnlib.chapters.lm import FeedforwardLM  # noqa: E402

BATCH, CONTEXT, D, HIDDEN = 256, 3, 64, 200
LR, B1, B2, EPS = 2e-3, 0.9, 0.999, 1e-8
N_BATCHES = 8  # distinct batches, cycled


def make_batches(V: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of (contexts, targets) with Zipf-distributed ids, as in real text."""
    rng = np.random.default_rng(seed)

    def ids(shape):
        return (np.minimum(rng.zipf(1.1, size=shape), V) - 1).astype(np.int64)

    return [(ids((BATCH, CONTEXT)), ids(BATCH)) for _ in range(N_BATCHES)]


def initial_weights(V: int) -> dict[str, np.ndarray]:
    m = FeedforwardLM(V, CONTEXT, D, HIDDEN, emb_std=0.1, rng=0)
    return {"E": m.E.data, "W": m.W.data, "b": m.hidden.b.data, "U": m.U.data, "c": m.output.b.data}


def cycle(batches):
    i = 0
    while True:
        yield batches[i % len(batches)]
        i += 1


# ---------------------------------------------------------------------- nnlib
def nnlib_step(V: int, batches, lazy: bool) -> Callable[[], float]:
    model = FeedforwardLM(V, CONTEXT, D, HIDDEN, emb_std=0.1, rng=0)
    kwargs = {"lazy_rows": [model.E]} if lazy else {}
    try:
        opt = optim.Adam(model.parameters(), lr=LR, **kwargs)
    except TypeError:  # an nnlib without Adam(lazy_rows=...)
        return None
    data = cycle(batches)

    def step() -> float:
        ids, y = next(data)
        loss = F.cross_entropy(model(ids), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ---------------------------------------------------------------------- numpy by hand
def numpy_step(V: int, batches, lazy: bool) -> Callable[[], float]:
    """The step as a student would write it after the backprop chapter."""
    if lazy:
        return None  # the obvious implementation updates every row
    p = {k: v.copy() for k, v in initial_weights(V).items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s = {k: np.zeros_like(v) for k, v in p.items()}
    t = [0]
    rows = np.arange(BATCH)
    data = cycle(batches)

    def step() -> float:
        ids, y = next(data)
        E, W, b, U, c = p["E"], p["W"], p["b"], p["U"], p["c"]
        e = E[ids].reshape(BATCH, CONTEXT * D)
        h = np.tanh(e @ W.T + b)
        z = h @ U.T + c
        zmax = z.max(axis=1, keepdims=True)
        ez = np.exp(z - zmax)
        total = ez.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) + zmax[:, 0] - z[rows, y]))
        dz = ez / total
        dz[rows, y] -= 1
        dz /= BATCH
        grads = {"U": dz.T @ h, "c": dz.sum(axis=0)}
        da = (dz @ U) * (1 - h * h)
        grads["W"] = da.T @ e
        grads["b"] = da.sum(axis=0)
        de = da @ W
        dE = np.zeros_like(E)
        np.add.at(dE, ids.reshape(-1), de.reshape(-1, D))
        grads["E"] = dE
        t[0] += 1
        for k, g in grads.items():
            m[k] = B1 * m[k] + (1 - B1) * g
            s[k] = B2 * s[k] + (1 - B2) * g * g
            m_hat = m[k] / (1 - B1 ** t[0])
            s_hat = s[k] / (1 - B2 ** t[0])
            p[k] -= LR * m_hat / (np.sqrt(s_hat) + EPS)
        return loss

    return step


# ---------------------------------------------------------------------- tuned numpy
def tuned_step(V: int, batches, lazy: bool) -> Callable[[], float]:
    """Everything in place; the embedding gradient only for the rows in the batch."""
    p = {k: v.copy() for k, v in initial_weights(V).items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s = {k: np.zeros_like(v) for k, v in p.items()}
    tmp = {k: np.empty_like(v) for k, v in p.items()}
    Z = np.empty((BATCH, V), dtype=np.float32)  # logits, then softmax, then dL/dz, in place
    dU = np.empty_like(p["U"])
    dE = np.zeros_like(p["E"])
    t = [0]
    rows = np.arange(BATCH)
    data = cycle(batches)

    def adam(k: str, g: np.ndarray, c1: float, c2: float, idx=None) -> None:
        # w - lr/c1 m / (sqrt(s)/sqrt(c2) + eps) = w - lr sqrt(c2)/c1 m / (sqrt(s) + eps sqrt(c2))
        if idx is None:
            mk, sk, pk, tk = m[k], s[k], p[k], tmp[k]
        else:
            mk, sk, pk, tk = m[k][idx], s[k][idx], p[k][idx], tmp[k][: len(idx)]
        mk *= B1
        np.multiply(g, 1 - B1, out=tk)
        mk += tk
        sk *= B2
        np.multiply(g, g, out=tk)
        tk *= 1 - B2
        sk += tk
        np.sqrt(sk, out=tk)
        tk += EPS * np.sqrt(c2)
        np.divide(mk, tk, out=tk)
        tk *= LR * np.sqrt(c2) / c1
        pk -= tk
        if idx is not None:
            m[k][idx], s[k][idx], p[k][idx] = mk, sk, pk

    def step() -> float:
        ids, y = next(data)
        E, W, b, U, c = p["E"], p["W"], p["b"], p["U"], p["c"]
        z = Z
        e = E[ids].reshape(BATCH, CONTEXT * D)
        h = e @ W.T
        h += b
        np.tanh(h, out=h)
        np.matmul(h, U.T, out=z)
        z += c
        zmax = z.max(axis=1, keepdims=True)
        target = z[rows, y] - zmax[:, 0]
        z -= zmax
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - target))
        z *= 1 / (total * BATCH)  # dL/dz = (softmax - onehot) / B, in place
        z[rows, y] -= 1 / BATCH
        np.matmul(z.T, h, out=dU)
        dc = z.sum(axis=0)
        da = z @ U
        da *= 1 - h * h
        dW = da.T @ e
        db = da.sum(axis=0)
        de = (da @ W).reshape(-1, D)
        flat = ids.reshape(-1)
        order = np.argsort(flat, kind="stable")
        uniq, starts = np.unique(flat[order], return_index=True)
        g_rows = np.add.reduceat(de[order], starts, axis=0)
        t[0] += 1
        c1, c2 = 1 - B1 ** t[0], 1 - B2 ** t[0]
        for k, g in (("U", dU), ("c", dc), ("W", dW), ("b", db)):
            adam(k, g, c1, c2)
        if lazy:
            adam("E", g_rows, c1, c2, idx=uniq)
        else:
            dE[uniq] = g_rows
            adam("E", dE, c1, c2)
            dE[uniq] = 0
        return loss

    return step


# ---------------------------------------------------------------------- PyTorch
def torch_step(V: int, batches, lazy: bool) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    w = initial_weights(V)
    emb = torch.nn.Embedding(V, D, sparse=lazy)
    hidden = torch.nn.Linear(CONTEXT * D, HIDDEN)
    out = torch.nn.Linear(HIDDEN, V)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(w["E"]))
        hidden.weight.copy_(torch.from_numpy(w["W"]))
        hidden.bias.copy_(torch.from_numpy(w["b"]))
        out.weight.copy_(torch.from_numpy(w["U"]))
        out.bias.copy_(torch.from_numpy(w["c"]))
    dense = [*hidden.parameters(), *out.parameters()]
    if lazy:
        opts = [torch.optim.SparseAdam(emb.parameters(), lr=LR), torch.optim.Adam(dense, lr=LR)]
    else:
        opts = [torch.optim.Adam([emb.weight, *dense], lr=LR)]
    tbatches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    data = cycle(tbatches)

    def step() -> float:
        ids, y = next(data)
        e = emb(ids).reshape(BATCH, CONTEXT * D)
        z = out(torch.tanh(hidden(e)))
        loss = torch.nn.functional.cross_entropy(z, y)
        for o in opts:
            o.zero_grad()
        loss.backward()
        for o in opts:
            o.step()
        return loss.item()

    return step


IMPLEMENTATIONS = {
    "nnlib": nnlib_step,
    "numpy": numpy_step,
    "tuned": tuned_step,
    "torch": torch_step,
}


def check_agreement(V: int, batches, lazy: bool, n_steps: int = 4) -> dict[str, list[float]]:
    """The first losses of every implementation from the same weights; they must agree."""
    losses = {}
    for name, make in IMPLEMENTATIONS.items():
        fn = make(V, batches, lazy)
        if fn is not None:
            losses[name] = [fn() for _ in range(n_steps)]
    ref = np.array(losses["tuned"])  # every implementation must agree with the tuned numpy
    for name, values in losses.items():
        if not np.allclose(values, ref, rtol=2e-4):
            raise AssertionError(f"{name} computes different losses: {values} vs tuned {list(ref)}")
    return losses


def cpu_per_call(fn: Callable[[], float], min_time: float) -> float:
    """CPU seconds per call (process time: on one thread, what a busy machine does not inflate)."""
    for _ in range(2):
        fn()
    n, start = 0, time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.process_time() - start
        if elapsed >= min_time:
            return elapsed / n


def bench(V: int, lazy: bool, rounds: int, min_time: float) -> dict:
    batches = make_batches(V)
    losses = check_agreement(V, batches, lazy)
    steps = {name: make(V, batches, lazy) for name, make in IMPLEMENTATIONS.items()}
    steps = {name: fn for name, fn in steps.items() if fn is not None}
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):  # interleaved: machine noise hits every implementation alike
        for name, fn in steps.items():
            samples[name].append(cpu_per_call(fn, min_time))
    median = {name: float(np.median(v)) for name, v in samples.items()}
    return {
        "update": "lazy" if lazy else "dense",
        "V": V,
        "cpu_seconds_per_step": median,
        "ratio_to_tuned": {name: median[name] / median["tuned"] for name in median},
        "first_losses": losses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--vocab", type=int, default=10_000)
    parser.add_argument("--min-time", type=float, default=0.5, help="CPU seconds per sample")
    parser.add_argument("--update", choices=["dense", "lazy", "both"], default="both")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    variants = {"dense": [False], "lazy": [True], "both": [False, True]}[args.update]
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    results = [bench(args.vocab, lazy, args.rounds, args.min_time) for lazy in variants]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}, "
        f"1 thread; FF-LM step: V {args.vocab}, batch {BATCH}, context {CONTEXT}, d {D}, "
        f"hidden {HIDDEN}, float32, Adam"
    )
    for r in results:
        print(f"\n{r['update']} Adam update of E (losses of the first steps agree)")
        times = r["cpu_seconds_per_step"]
        for name, sec in times.items():
            ratio = r["ratio_to_tuned"][name]
            print(f"  {name:6s} {sec * 1e3:7.1f} ms/step   {ratio:5.2f}x tuned numpy")
        if "nnlib" not in times:
            print("  nnlib: this version's optim.Adam has no lazy_rows option")
            continue
        if "torch" in times:
            print(f"  nnlib / torch = {times['nnlib'] / times['torch']:.2f}")
        if "numpy" in times:
            print(f"  nnlib / numpy by hand = {times['nnlib'] / times['numpy']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
