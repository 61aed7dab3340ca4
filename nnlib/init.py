"""Weight initialisers (book: Backprop, "Training and optimization: initialisation").

Each function fills a weight of shape (d_out, d_in) in place and returns it, like PyTorch's
``torch.nn.init.*_`` functions. ``fan_in`` is d_in (inputs feeding each unit) and ``fan_out``
is d_out. Formulas from the original papers:

- He/Kaiming (He et al. 2015, for ReLU):      Var(W) = 2 / fan_in
- Xavier/Glorot (Glorot & Bengio 2010):        Var(W) = 2 / (fan_in + fan_out)
- LeCun (LeCun et al. 1998):                   Var(W) = 1 / fan_in
- PyTorch's default for Linear:                W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))

A uniform U(-a, a) has variance a^2 / 3, so the uniform variants use a = sqrt(3 Var).
(Seed note: one lecture summary calls N(0, 1/d_in) "Xavier"; that is LeCun's scheme. Glorot's
uses the average of fan_in and fan_out.)
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = [
    "fans",
    "kaiming_normal_",
    "kaiming_uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "lecun_normal_",
    "pytorch_default_",
    "normal_",
    "uniform_",
    "zeros_",
    "as_rng",
]


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed, or None (fresh, unseeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (d_out, d_in) or (d_out, d_in, ...)."""
    if len(shape) < 2:
        raise ValueError(f"fans: a weight needs at least 2 dimensions (d_out, d_in), got {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(W: Tensor, values: np.ndarray) -> Tensor:
    W.data[...] = values.astype(W.data.dtype)
    return W


def kaiming_normal_(W: Tensor, *, rng=None, gain: float = np.sqrt(2.0)) -> Tensor:
    """He normal: W ~ N(0, gain^2 / fan_in); gain sqrt(2) for ReLU gives Var = 2 / fan_in."""
    fan_in, _ = fans(W.shape)
    return _fill(W, as_rng(rng).normal(0.0, gain / np.sqrt(fan_in), W.shape))


def kaiming_uniform_(W: Tensor, *, rng=None, gain: float = np.sqrt(2.0)) -> Tensor:
    """He uniform: W ~ U(-a, a), a = gain * sqrt(3 / fan_in) (= sqrt(6 / fan_in) for ReLU)."""
    fan_in, _ = fans(W.shape)
    a = gain * np.sqrt(3.0 / fan_in)
    return _fill(W, as_rng(rng).uniform(-a, a, W.shape))


def xavier_normal_(W: Tensor, *, rng=None, gain: float = 1.0) -> Tensor:
    """Glorot normal: W ~ N(0, gain^2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(W.shape)
    return _fill(W, as_rng(rng).normal(0.0, gain * np.sqrt(2.0 / (fan_in + fan_out)), W.shape))


def xavier_uniform_(W: Tensor, *, rng=None, gain: float = 1.0) -> Tensor:
    """Glorot uniform: W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(W.shape)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return _fill(W, as_rng(rng).uniform(-a, a, W.shape))


def lecun_normal_(W: Tensor, *, rng=None) -> Tensor:
    """LeCun normal: W ~ N(0, 1 / fan_in)."""
    fan_in, _ = fans(W.shape)
    return _fill(W, as_rng(rng).normal(0.0, 1.0 / np.sqrt(fan_in), W.shape))


def pytorch_default_(W: Tensor, *, rng=None, fan_in: int | None = None) -> Tensor:
    """PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for W and for b.

    For a bias (1-D) pass the layer's ``fan_in``.
    """
    if fan_in is None:
        fan_in, _ = fans(W.shape)
    a = 1.0 / np.sqrt(fan_in)
    return _fill(W, as_rng(rng).uniform(-a, a, W.shape))


def normal_(W: Tensor, *, std: float, mean: float = 0.0, rng=None) -> Tensor:
    """W ~ N(mean, std^2), e.g. a small scale for an embedding table."""
    return _fill(W, as_rng(rng).normal(mean, std, W.shape))


def uniform_(W: Tensor, *, a: float, rng=None) -> Tensor:
    """W ~ U(-a, a)."""
    return _fill(W, as_rng(rng).uniform(-a, a, W.shape))


def zeros_(W: Tensor) -> Tensor:
    """All zeros. Fine for biases; for weights it makes every hidden unit identical (symmetry)."""
    return _fill(W, np.zeros(W.shape))
