"""Building blocks with parameters, in PyTorch's shape (book: Feedforward networks; Embeddings).

A :class:`Module` holds :class:`Parameter` tensors and other modules as attributes;
``parameters()`` finds them by walking the attributes (no registration step needed).
Where nnlib differs from PyTorch the docstring says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import init
from .tensor import ShapeError, Tensor, concatenate

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Embedding",
    "Sequential",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "LeakyReLU",
    "HardTanh",
    "Swish",
    "MLP",
    "MeanPool",
    "MaxPool",
    "Conv1d",
]


class Parameter(Tensor):
    """A Tensor that a Module learns: ``requires_grad`` is always True."""

    __slots__ = ()

    def __init__(self, data: Any, name: str | None = None):
        super().__init__(data, requires_grad=True, name=name)


class Module:
    """Base class: subclasses set parameters/submodules in ``__init__`` and define ``forward``."""

    training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, e.g. ("layers.0.W", W), each parameter once."""
        seen: set[int] = set()
        for name, p in self._walk(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _walk(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for key, value in vars(self).items():
            name = f"{prefix}{key}"
            if isinstance(value, Parameter):
                yield name, value
            elif isinstance(value, Module):
                yield from value._walk(name + ".")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Parameter):
                        yield f"{name}.{i}", item
                    elif isinstance(item, Module):
                        yield from item._walk(f"{name}.{i}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget accumulated gradients (sets each ``.grad`` to None, PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Module):
    """z = x W^T + b with W of shape (d_out, d_in) (book: Feedforward networks, linear block).

    Initialised as PyTorch does: W, b ~ U(-1/sqrt(d_in), 1/sqrt(d_in)). Pass ``rng`` (a
    numpy Generator or a seed) for reproducible weights.
    """

    def __init__(self, d_in: int, d_out: int, bias: bool = True, rng=None, dtype=np.float64):
        rng = init.as_rng(rng)
        self.d_in, self.d_out = d_in, d_out
        self.W = init.pytorch_default_(Parameter(np.empty((d_out, d_in), dtype=dtype)), rng)
        self.b = (
            init.pytorch_default_(Parameter(np.empty(d_out, dtype=dtype)), rng, fan_in=d_in)
            if bias
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.W.dtype))
        if x.shape[-1] != self.d_in:
            raise ShapeError(
                f"Linear({self.d_in}, {self.d_out}): expected inputs with {self.d_in} features in "
                f"the last axis, got shape {x.shape}"
            )
        return F.linear(x, self.W, self.b)

    def __repr__(self) -> str:
        return f"Linear({self.d_in}, {self.d_out}, bias={self.b is not None})"


class Embedding(Module):
    """A look-up table E of shape (V, d): row i is the embedding of word i (book: Embeddings).

    ``E(ids)`` selects rows, the same as multiplying one-hot vectors by E. Initialised
    N(0, 1) like PyTorch.
    """

    def __init__(self, V: int, d: int, rng=None, dtype=np.float64):
        self.V, self.d = V, d
        self.E = Parameter(init.as_rng(rng).normal(0.0, 1.0, (V, d)).astype(dtype))

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding: ids must be integers, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.V):
            raise IndexError(
                f"Embedding: ids must lie in [0, {self.V - 1}], got {ids.min()}..{ids.max()}"
            )
        return self.E[ids]

    def __repr__(self) -> str:
        return f"Embedding({self.V}, {self.d})"


class Sequential(Module):
    """Apply modules one after another: Sequential(Linear(2, 2), ReLU(), Linear(2, 1))."""

    def __init__(self, *layers: Module):
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential({inner})"


class _Activation(Module):
    fn = staticmethod(F.relu)

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)


class ReLU(_Activation):
    fn = staticmethod(F.relu)


class Sigmoid(_Activation):
    fn = staticmethod(F.sigmoid)


class Tanh(_Activation):
    fn = staticmethod(F.tanh)


class HardTanh(_Activation):
    fn = staticmethod(F.hardtanh)


class Swish(_Activation):
    fn = staticmethod(F.swish)


class LeakyReLU(Module):
    def __init__(self, slope: float = 0.01):
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.slope)


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "hardtanh": HardTanh,
    "swish": Swish,
    "leaky_relu": LeakyReLU,
}


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers of the given sizes with an activation between.

    ``MLP([2, 2, 1], "relu")`` is x -> Linear(2, 2) -> ReLU -> Linear(2, 1). The last layer has
    no activation: its output is logits, to be fed to a loss that applies sigmoid/softmax.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", rng=None, dtype=np.float64):
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {list(sizes)}")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown activation {activation!r}; use one of {list(ACTIVATIONS)}"
            )
        rng = init.as_rng(rng)
        layers: list[Module] = []
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(d_in, d_out, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        super().__init__(*layers)
        self.sizes = list(sizes)


class MeanPool(Module):
    """Mean over the sequence axis: (N, L, d) -> (N, d); an optional mask skips padding."""

    def forward(self, x: Tensor, mask: Any = None) -> Tensor:
        return F.mean_pool(x, mask)


class MaxPool(Module):
    """Element-wise max over the sequence axis: (N, L, d) -> (N, d)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool(x)


class Conv1d(Module):
    """The same small network applied to every window of ``width`` tokens (book: Embeddings, CNNs).

    Input (N, L, d_in) -> output (N, L - width + 1, d_out): each window's ``width`` embeddings
    are concatenated into one vector of width * d_in features and sent through one Linear
    layer, a learned n-gram detector. Differs from torch.nn.Conv1d, which wants (N, d_in, L).
    """

    def __init__(self, d_in: int, d_out: int, width: int, rng=None, dtype=np.float64):
        self.width = width
        self.linear = Linear(width * d_in, d_out, rng=rng, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3:
            raise ShapeError(f"Conv1d: expected input of shape (N, L, d), got {x.shape}")
        L = x.shape[1]
        if L < self.width:
            raise ShapeError(f"Conv1d: sequence length {L} is shorter than the window {self.width}")
        n_windows = L - self.width + 1
        windows = concatenate([x[:, i : i + n_windows, :] for i in range(self.width)], axis=-1)
        return self.linear(windows)
