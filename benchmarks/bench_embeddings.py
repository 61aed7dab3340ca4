"""Time one training step of chapter 4's DAN and CNN: nnlib vs hand-written numpy vs PyTorch CPU.

One step = forward, cross-entropy, backward, Adam update, on a real minibatch of 64 review
sentences (nnlib.data.load_reviews, vocabulary of the words seen twice in training: |V| = 10,013),
float32, one BLAS/torch thread:

  DAN: E (|V| x 50) -> masked mean pooling -> Linear 50-50 -> ReLU -> Linear 50-2
  CNN: E (|V| x 50) -> 100 filters of width 3 (padding 2) -> ReLU -> masked max pooling
       -> Linear 100-2

Two optimiser settings for the embedding table E (the other parameters always get plain Adam):

  lazy   Adam's lazy row updates (nnlib: Adam(lazy_rows=[E]); numpy: the same rule on the rows
         the batch used; PyTorch: nn.Embedding(sparse=True) with optim.SparseAdam)
  dense  plain Adam over all of E (PyTorch: dense gradients, optim.Adam)

The hand-written numpy steps use the same algorithms as nnlib (the embedding gradient as segment
sums over the sorted ids, ``take`` for row gathers, Adam in place), so the ratio measures what
nnlib's autodiff and modules cost on top. The three implementations start from the same weights,
and before timing the benchmark checks
that they compute the same loss and the same updated weights after two steps (to float32
precision). They are then timed side by side in one run (interleaved rounds over the same 20
batches, median of rounds, CPU time), and the report gives each time and the ratio of nnlib to
the faster of the other two. Target: nnlib <= 1.2x.

    python benchmarks/bench_embeddings.py [--rounds 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os

# One thread everywhere, set before numpy loads its BLAS: the machine is shared, and the
# comparison is about the work each implementation does, not about threading.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from nnlib import functional as F  # noqa: E402
from nnlib import optim  # noqa: E402
from nnlib.chapters import embeddings as P  # noqa: E402

BATCH, D, HIDDEN, WIDTH, FILTERS = 64, 50, 50, 3, 100
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
N_BATCHES = 20


def real_batches(data: P.ReviewData) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The first N_BATCHES shuffled minibatches of the training split, trimmed of padding."""
    order = np.random.default_rng(0).permutation(len(data.train))
    out = []
    for k in range(N_BATCHES):
        idx = order[k * BATCH : (k + 1) * BATCH]
        ids, mask = P.trim(data.train.ids[idx], data.train.mask[idx])
        out.append((ids, mask.astype(np.float32), data.train.y[idx]))
    return out


def _cycle(batches):
    state = {"k": 0}

    def next_batch():
        b = batches[state["k"] % len(batches)]
        state["k"] += 1
        return b

    return next_batch


# ---------------------------------------------------------------------- nnlib
def nnlib_step(model, batches, lazy: bool, eps: float = EPS):
    opt = optim.Adam(model.parameters(), LR, eps=eps, lazy_rows=[model.embedding.E] if lazy else ())
    next_batch = _cycle(batches)

    def step() -> float:
        ids, mask, y = next_batch()
        loss = F.cross_entropy(model(ids, mask), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, model.state_dict


# ---------------------------------------------------------------------- hand-written numpy
class NumpyAdam:
    """Adam in place on a list of arrays; ``lazy_rows`` marks tables updated only on given rows."""

    def __init__(self, params, lazy_table: int | None, eps: float):
        self.params, self.eps = params, eps
        self.m = [np.zeros_like(p) for p in params]
        self.s = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.lazy_table = lazy_table
        self.t = 0

    def step(self, grads, table_rows=None):
        self.t += 1
        c1, c2 = 1 - B1**self.t, 1 - B2**self.t
        for i, (p, g, m, s, tmp) in enumerate(zip(self.params, grads, self.m, self.s, self.tmp)):
            if i == self.lazy_table:  # g holds only the rows in table_rows
                r = table_rows
                m_r = B1 * m.take(r, axis=0) + (1 - B1) * g
                s_r = B2 * s.take(r, axis=0) + (1 - B2) * (g * g)
                m[r], s[r] = m_r, s_r
                p[r] = p.take(r, axis=0) - (LR / c1) * m_r / (np.sqrt(s_r / c2) + self.eps)
                continue
            if g.shape != p.shape:  # a row gradient of a dense table: scatter it first
                full = np.zeros_like(p)
                full[table_rows] = g
                g = full
            m *= B1
            np.multiply(g, 1 - B1, out=tmp)
            m += tmp
            s *= B2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - B2
            s += tmp
            np.divide(s, c2, out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= LR / c1
            p -= tmp


def _row_grads(ids: np.ndarray, g_e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, their summed gradients) for an embedding look-up, padding (id 0) dropped: sort the
    ids, copy the rows of ids that occur once, sum the runs of the others with reduceat (the
    algorithm of nnlib's F.segment_sums, written out)."""
    flat = ids.reshape(-1)
    real = np.flatnonzero(flat != 0)
    g2 = g_e.reshape(-1, g_e.shape[-1])
    order = np.argsort(flat[real], kind="stable")
    s = flat[real][order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    lengths = np.diff(np.append(starts, len(s)))
    ordered = g2.take(real[order], axis=0)
    sums = np.empty((len(starts), g2.shape[1]), dtype=g2.dtype)
    single = lengths == 1
    sums[single] = ordered.take(starts[single], axis=0)
    many = ~single
    long_starts = np.concatenate(([0], np.cumsum(lengths[many])[:-1]))
    sums[many] = np.add.reduceat(ordered[np.repeat(many, lengths)], long_starts, axis=0)
    return s[starts], sums


def _softmax_ce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    n = len(y)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[np.arange(n), y]))
    dz = e / s
    dz[np.arange(n), y] -= 1
    dz /= n
    return loss, dz


def numpy_dan_step(model: P.DAN, batches, lazy: bool, eps: float = EPS):
    E = model.embedding.E.data.copy()
    W1, b1 = model.mlp[0].W.data.copy(), model.mlp[0].b.data.copy()
    W2, b2 = model.mlp[2].W.data.copy(), model.mlp[2].b.data.copy()
    params = [E, W1, b1, W2, b2]
    opt = NumpyAdam(params, lazy_table=0 if lazy else None, eps=eps)
    next_batch = _cycle(batches)

    def step() -> float:
        ids, mask, y = next_batch()
        w = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)  # (N, L): 1/N_i at real tokens
        e = E.take(ids, axis=0)  # E[ids]
        x = np.einsum("nl,nld->nd", w, e)
        z1 = x @ W1.T + b1
        h = np.maximum(z1, 0)
        z2 = h @ W2.T + b2
        loss, dz2 = _softmax_ce(z2, y)
        dW2, db2 = dz2.T @ h, dz2.sum(axis=0)
        dz1 = (dz2 @ W2) * (z1 > 0)
        dW1, db1 = dz1.T @ x, dz1.sum(axis=0)
        dx = dz1 @ W1
        rows, dE = _row_grads(ids, w[:, :, None] * dx[:, None, :])
        opt.step([dE, dW1, db1, dW2, db2], table_rows=rows)
        return loss

    def state():
        return dict(zip(("embedding.E", "mlp.layers.0.W", "mlp.layers.0.b"), params[:3]))

    return step, state


def numpy_cnn_step(model: P.CNN, batches, lazy: bool, eps: float = EPS):
    E = model.embedding.E.data.copy()
    W, b = model.conv.linear.W.data.copy(), model.conv.linear.b.data.copy()
    U, c = model.out.W.data.copy(), model.out.b.data.copy()
    params = [E, W, b, U, c]
    opt = NumpyAdam(params, lazy_table=0 if lazy else None, eps=eps)
    next_batch = _cycle(batches)
    k, p = WIDTH, WIDTH - 1

    def step() -> float:
        ids, mask, y = next_batch()
        N, L = ids.shape
        n = L + 2 * p - k + 1
        xp = np.zeros((N, L + 2 * p, D), dtype=E.dtype)
        xp[:, p : p + L] = E.take(ids, axis=0)
        win = np.empty((N, n, k, D), dtype=E.dtype)
        for i in range(k):
            win[:, :, i] = xp[:, i : i + n]
        win2 = win.reshape(N * n, k * D)
        z = (win2 @ W.T + b).reshape(N, n, -1)
        a = np.maximum(z, 0)
        wmask = np.lib.stride_tricks.sliding_window_view(
            np.pad(mask, ((0, 0), (p, p))), k, axis=1
        ).max(axis=-1)
        masked = np.where(wmask[:, :, None] > 0, a, -np.inf)
        arg = masked.argmax(axis=1)  # (N, F)
        pooled = np.take_along_axis(a, arg[:, None, :], axis=1)[:, 0]
        logits = pooled @ U.T + c
        loss, dlogits = _softmax_ce(logits, y)
        dU, dc = dlogits.T @ pooled, dlogits.sum(axis=0)
        dpooled = dlogits @ U
        da = np.zeros_like(a)
        np.put_along_axis(da, arg[:, None, :], dpooled[:, None, :], axis=1)
        dz = (da * (z > 0)).reshape(N * n, -1)
        dW, db = dz.T @ win2, dz.sum(axis=0)
        dwin = (dz @ W).reshape(N, n, k, D)
        dxp = np.zeros_like(xp)
        for i in range(k):
            dxp[:, i : i + n] += dwin[:, :, i]
        rows, dE = _row_grads(ids, dxp[:, p : p + L])
        opt.step([dE, dW, db, dU, dc], table_rows=rows)
        return loss

    def state():
        return dict(zip(("embedding.E", "conv.linear.W", "conv.linear.b"), params[:3]))

    return step, state


# ---------------------------------------------------------------------- PyTorch
def torch_step(model, batches, lazy: bool, eps: float = EPS):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    tn = torch.nn
    V = model.embedding.V
    emb = tn.Embedding(V, D, padding_idx=0, sparse=lazy)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(model.embedding.E.data))
    if isinstance(model, P.DAN):
        body = tn.Sequential(tn.Linear(D, HIDDEN), tn.ReLU(), tn.Linear(HIDDEN, 2))
        sources = [model.mlp[0], model.mlp[2]]
        layers = [body[0], body[2]]

        def forward(ids, mask):
            e = emb(ids)
            w = mask / mask.sum(dim=1, keepdim=True).clamp(min=1)
            return body((w.unsqueeze(-1) * e).sum(dim=1))

    else:
        conv = tn.Conv1d(D, FILTERS, WIDTH, padding=WIDTH - 1)
        out = tn.Linear(FILTERS, 2)
        body = tn.ModuleList([conv, out])
        with torch.no_grad():  # nnlib's (F, k*d) weight, window vectors in order -> (F, d, k)
            W = model.conv.linear.W.data.reshape(FILTERS, WIDTH, D).transpose(0, 2, 1)
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            conv.bias.copy_(torch.from_numpy(model.conv.linear.b.data))
        sources, layers = [model.out], [out]

        def forward(ids, mask):
            a = torch.relu(conv(emb(ids).transpose(1, 2)))  # (N, F, n)
            wmask = torch.nn.functional.max_pool1d(
                torch.nn.functional.pad(mask, (WIDTH - 1, WIDTH - 1)).unsqueeze(1), WIDTH, 1
            )  # (N, 1, n): windows with a real word
            pooled = a.masked_fill(wmask == 0, -torch.inf).amax(dim=2)
            return out(pooled)

    with torch.no_grad():
        for src, dst in zip(sources, layers):
            dst.weight.copy_(torch.from_numpy(src.W.data))
            dst.bias.copy_(torch.from_numpy(src.b.data))
    if lazy:
        opts = [
            torch.optim.SparseAdam(list(emb.parameters()), lr=LR, eps=eps),
            torch.optim.Adam(body.parameters(), lr=LR, eps=eps),
        ]
    else:
        opts = [torch.optim.Adam([*emb.parameters(), *body.parameters()], lr=LR, eps=eps)]
    tb = [(torch.from_numpy(i), torch.from_numpy(m), torch.from_numpy(y)) for i, m, y in batches]
    next_batch = _cycle(tb)

    def step() -> float:
        ids, mask, y = next_batch()
        loss = torch.nn.functional.cross_entropy(forward(ids, mask), y)
        for o in opts:
            o.zero_grad()
        loss.backward()
        for o in opts:
            o.step()
        return loss.item()

    def state():
        first = layers[0] if isinstance(model, P.DAN) else body[0]
        W = first.weight.detach().numpy()
        if not isinstance(model, P.DAN):
            W = W.transpose(0, 2, 1).reshape(FILTERS, WIDTH * D)
        return {"embedding.E": emb.weight.detach().numpy(), "W": W}

    return step, state


# ---------------------------------------------------------------------- timing
def cpu_time_per_call(fn: Callable[[], float], min_time: float = 0.25) -> float:
    """CPU seconds per call: repeat until ``min_time`` of CPU time has passed (after warm-up)."""
    for _ in range(3):
        fn()
    n, start = 0, time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.process_time() - start
        if elapsed >= min_time:
            return elapsed / n


def make(kind: str, V: int, seed: int = 0):
    if kind == "DAN":
        return P.DAN(V, D, (HIDDEN,), rng=seed, dtype=np.float32)
    return P.CNN(V, D, WIDTH, FILTERS, rng=seed, dtype=np.float32)


def check_agreement(kind: str, V: int, batches, lazy: bool) -> dict[str, float]:
    """Largest |difference| from nnlib in the losses and in E after two steps, per implementation.

    Run with eps = 1e-20 instead of 1e-8: PyTorch's SparseAdam adds eps to sqrt(s) *before* the
    bias correction (in effect eps / sqrt(1 - b2^t), 3e-7 at t = 1), nnlib and plain Adam after
    it; with gradients of E as small as 1e-6 that alone changes the first updates by up to 10%.
    """
    eps = 1e-20
    nn_step, nn_state = nnlib_step(make(kind, V), batches, lazy, eps)
    np_maker = numpy_dan_step if kind == "DAN" else numpy_cnn_step
    others = {"numpy": np_maker(make(kind, V), batches, lazy, eps)}
    t = torch_step(make(kind, V), batches, lazy, eps)
    if t is not None:
        others["torch"] = t
    ref_losses = [nn_step(), nn_step()]
    ref_E = nn_state()["embedding.E"]
    diffs = {}
    for name, (step, state) in others.items():
        losses = [step(), step()]
        E = state()["embedding.E"]
        diffs[name] = float(
            max(np.abs(np.subtract(losses, ref_losses)).max(), np.abs(E - ref_E).max())
        )
    return diffs


def bench(kind: str, lazy: bool, batches, V: int, rounds: int) -> dict:
    steps = {
        "nnlib": nnlib_step(make(kind, V), batches, lazy)[0],
        "numpy": (numpy_dan_step if kind == "DAN" else numpy_cnn_step)(
            make(kind, V), batches, lazy
        )[0],
    }
    t = torch_step(make(kind, V), batches, lazy)
    if t is not None:
        steps["torch"] = t[0]
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):  # interleaved: machine noise hits all alike
        for name, fn in steps.items():
            samples[name].append(cpu_time_per_call(fn))
    median = {name: float(np.median(v)) for name, v in samples.items()}
    best_other = min(v for name, v in median.items() if name != "nnlib")
    return {
        "model": kind,
        "optimiser": "lazy" if lazy else "dense",
        "cpu_seconds_per_step": median,
        "nnlib_vs_faster_other": median["nnlib"] / best_other,
        "agreement": check_agreement(kind, V, batches, lazy),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    data = P.load_review_data(2)
    V = len(data.vocab)
    batches = real_batches(data)
    results = [
        bench(kind, lazy, batches, V, args.rounds)
        for kind in ("DAN", "CNN")
        for lazy in (True, False)
    ]
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}, "
        f"1 thread, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"|V| = {V}, batch {BATCH}, d = {D}, float32; CPU time per step, median of {args.rounds}")
    for r in results:
        print(f"\n{r['model']}, {r['optimiser']} Adam for E")
        for name, sec in r["cpu_seconds_per_step"].items():
            print(f"  {name:6s} {sec * 1e3:8.3f} ms/step")
        print(f"  nnlib / faster of the others = {r['nnlib_vs_faster_other']:.2f}x (target <= 1.2)")
        agree = ", ".join(f"{k} {v:.1e}" for k, v in r["agreement"].items())
        print(f"  max |difference| from nnlib after 2 steps (loss, E): {agree}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
