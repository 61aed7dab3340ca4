"""Building blocks with parameters, in PyTorch's shape (book: Feedforward networks; Embeddings).

A :class:`Module` holds :class:`Parameter` tensors and other modules as attributes;
``parameters()`` finds them by walking the attributes (no registration step needed).
Where nnlib differs from PyTorch the docstring says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import init
from .tensor import ShapeError, Tensor

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
    "Activation",
    "Dropout",
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
    """Base class: subclasses set parameters/submodules in ``__init__`` and define ``forward``.

    ``parameters()`` finds every :class:`Parameter` and sub-:class:`Module` stored as an attribute,
    also inside lists, tuples and dicts (at any depth). Differs from PyTorch: there is no
    registration step, so no ``ModuleList`` or ``ModuleDict`` is needed; a set of modules (no order,
    so no stable names) is refused with an error rather than silently skipped.
    """

    training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ finding parameters
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, e.g. ("layers.0.W", W), each parameter once."""
        seen: set[int] = set()
        for name, p in self._walk(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _walk(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for key, value in vars(self).items():
            yield from _walk_value(f"{prefix}{key}", value, f"{type(self).__name__}.{key}")

    def modules(self) -> Iterator[Module]:
        """This module and every submodule (depth first), each once."""
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield m
            children = [v for _, v in _walk_modules(vars(m))]
            stack.extend(reversed(children))

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget accumulated gradients (sets each ``.grad`` to None, PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------------ modes and state
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active) on this module and every submodule; returns self."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off): the same as ``train(False)``."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values by name (save it with ``np.savez``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy values into the parameters by name; names and shapes must match exactly."""
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise KeyError(
                f"load_state_dict: missing {missing or 'nothing'}, unexpected "
                f"{unexpected or 'nothing'} for {type(self).__name__}"
            )
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ShapeError(
                    f"load_state_dict: {name} has shape {p.shape}, the state has {value.shape}"
                )
            p.data[...] = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _walk_value(name: str, value: Any, where: str) -> Iterator[tuple[str, Parameter]]:
    """Parameters reachable from one attribute value (a Parameter, Module, list, tuple or dict)."""
    if isinstance(value, Parameter):
        yield name, value
    elif isinstance(value, Module):
        yield from value._walk(name + ".")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk_value(f"{name}.{i}", item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_value(f"{name}.{key}", item, f"{where}[{key!r}]")
    elif isinstance(value, (set, frozenset)) and any(
        isinstance(v, (Module, Parameter)) for v in value
    ):
        raise TypeError(
            f"{where} is a set holding modules or parameters: a set has no order, so they "
            "cannot be named; use a list or a dict"
        )


def _walk_modules(attrs: Mapping[str, Any]) -> Iterator[tuple[str, Module]]:
    """(name, module) for the direct submodules in ``attrs`` (also inside lists, tuples, dicts)."""
    for key, value in attrs.items():
        stack = [(key, value)]
        while stack:
            name, v = stack.pop(0)
            if isinstance(v, Module):
                yield name, v
            elif isinstance(v, (list, tuple)):
                stack[:0] = [(f"{name}.{i}", item) for i, item in enumerate(v)]
            elif isinstance(v, dict):
                stack[:0] = [(f"{name}.{k}", item) for k, item in v.items()]


class Linear(Module):
    """z = x W^T + b with W of shape (d_out, d_in) (book: Feedforward networks, linear block).

    Initialised as PyTorch does: W, b ~ U(-1/sqrt(d_in), 1/sqrt(d_in)). Pass ``rng`` (a
    numpy Generator or a seed) for reproducible weights.
    """

    def __init__(
        self, d_in: int, d_out: int, bias: bool = True, *, rng=None, dtype=np.float64
    ) -> None:
        rng = init.as_rng(rng)
        self.d_in, self.d_out = d_in, d_out
        self.W = init.pytorch_default_(Parameter(np.empty((d_out, d_in), dtype=dtype)), rng=rng)
        self.b = (
            init.pytorch_default_(Parameter(np.empty(d_out, dtype=dtype)), rng=rng, fan_in=d_in)
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
    N(0, std^2) with std = 1 like PyTorch; language models often train better from a smaller scale
    (book: The neural language model), so ``std`` can be set here (PyTorch: ``nn.init.normal_``).

    ``padding_idx`` (as in PyTorch): that row starts at zero and gets no gradient, so padded
    positions look up a zero vector, the "zero embeddings" used to pad a sentence.
    """

    def __init__(
        self,
        V: int,
        d: int,
        *,
        std: float = 1.0,
        padding_idx: int | None = None,
        rng=None,
        dtype=np.float64,
    ) -> None:
        if padding_idx is not None and not 0 <= padding_idx < V:
            raise ValueError(f"Embedding: padding_idx must lie in [0, {V - 1}], got {padding_idx}")
        self.V, self.d = V, d
        self.padding_idx = padding_idx
        self.E = Parameter(init.as_rng(rng).normal(0.0, std, (V, d)).astype(dtype))
        if padding_idx is not None:
            self.E.data[padding_idx] = 0

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding: ids must be integers, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.V):
            raise IndexError(
                f"Embedding: ids must lie in [0, {self.V - 1}], got {ids.min()}..{ids.max()}"
            )
        return F.embedding(ids, self.E, padding_idx=self.padding_idx)

    def __repr__(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.V}, {self.d}{pad})"


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


class Activation(Module):
    """An activation as a layer, by its name in :data:`nnlib.functional.ACTIVATIONS`.

    ``Activation("tanh")`` applies F.tanh; :class:`ReLU`, :class:`Tanh` and the others are the
    same with the name filled in. There are no parameters (the non-linearity block).
    """

    name: str | None = None  # subclasses set it; Activation itself takes it as an argument

    def __init__(self, name: str | None = None) -> None:
        name = name if name is not None else type(self).name
        if name is None:
            raise TypeError(
                f"{type(self).__name__} needs an activation name, e.g. Activation('relu'); "
                f"known: {', '.join(F.ACTIVATIONS)}"
            )
        F.get_activation(name)  # a clear error for unknown names
        self.activation = name  # the name only: a layer is plain data (state_dict, grading)

    def forward(self, x: Tensor) -> Tensor:
        return F.get_activation(self.activation).fn(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" if type(self).name else f"Activation({self.activation!r})"


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


class HardTanh(Activation):
    name = "hardtanh"


class Swish(Activation):
    name = "swish"


class LeakyReLU(Module):
    """LeakyReLU(z) = z for z > 0, ``slope`` * z otherwise (PyTorch calls it negative_slope)."""

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


_NAMED_LAYERS: dict[str, type[Module]] = {
    cls.name: cls for cls in (ReLU, Sigmoid, Tanh, HardTanh, Swish)
} | {"leaky_relu": LeakyReLU}


def _activation_layer(name: str) -> Module:
    """A fresh layer for the activation called ``name`` (e.g. ``ReLU()`` for "relu")."""
    F.get_activation(name)  # a clear error for unknown names
    return _NAMED_LAYERS[name]() if name in _NAMED_LAYERS else Activation(name)


class Dropout(Module):
    """Inverted dropout on the input while training; the identity in eval() mode (book: LM).

    Each call zeroes every entry with probability p and scales the rest by 1 / (1 - p)
    (:func:`nnlib.functional.dropout`). Differs from PyTorch: the random numbers come from this
    layer's own generator (``rng``: a seed or numpy Generator), never from global state.
    """

    def __init__(self, p: float = 0.5, *, rng=None) -> None:
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = init.as_rng(rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers of the given sizes with an activation between.

    ``MLP([2, 2, 1], "relu")`` is x -> Linear(2, 2) -> ReLU -> Linear(2, 1). The last layer has
    no activation: its output is logits, to be fed to a loss that applies sigmoid/softmax.
    """

    def __init__(
        self, sizes: Sequence[int], activation: str = "relu", *, rng=None, dtype=np.float64
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {list(sizes)}")
        if activation not in F.ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown activation {activation!r}; use one of {list(F.ACTIVATIONS)}"
            )
        rng = init.as_rng(rng)
        layers: list[Module] = []
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(d_in, d_out, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(_activation_layer(activation))
        super().__init__(*layers)
        self.sizes = list(sizes)


class MeanPool(Module):
    """Mean over the sequence axis: (N, L, d) -> (N, d); an optional mask skips padding."""

    def forward(self, x: Tensor, mask: Any = None) -> Tensor:
        return F.mean_pool(x, mask)


class MaxPool(Module):
    """Element-wise max over the sequence axis: (N, L, d) -> (N, d); a mask skips padding."""

    def forward(self, x: Tensor, mask: Any = None) -> Tensor:
        return F.max_pool(x, mask)


class Conv1d(Module):
    """The same small network applied to every window of ``width`` tokens (book: Embeddings, CNNs).

    Input (N, L, d_in) -> output (N, L + 2 * padding - width + 1, d_out): each window's ``width``
    embeddings are concatenated into one vector of width * d_in features
    (:func:`nnlib.functional.windows`) and sent through one Linear layer, a learned n-gram
    detector. ``padding`` zero vectors are added at both ends first (``padding = width - 1``: every
    token is in ``width`` windows). Differs from torch.nn.Conv1d, which wants (N, d_in, L) and
    stores its weight as (d_out, d_in, width); here ``linear.W`` is (d_out, width * d_in), the
    window's vectors in order.
    """

    def __init__(
        self, d_in: int, d_out: int, width: int, *, padding: int = 0, rng=None, dtype=np.float64
    ) -> None:
        if width < 1 or padding < 0:
            raise ValueError(f"Conv1d: need width >= 1 and padding >= 0, got {width}, {padding}")
        self.d_in, self.d_out, self.width, self.padding = d_in, d_out, width, padding
        self.linear = Linear(width * d_in, d_out, rng=rng, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.linear.W.dtype))
        if x.ndim != 3 or x.shape[-1] != self.d_in:
            raise ShapeError(
                f"Conv1d({self.d_in}, {self.d_out}, width={self.width}): expected input of shape "
                f"(N, L, {self.d_in}), got {x.shape}"
            )
        if x.shape[1] + 2 * self.padding < self.width:
            raise ShapeError(
                f"Conv1d: sequence length {x.shape[1]} (padding {self.padding}) is shorter than "
                f"the window {self.width}"
            )
        return self.linear(F.windows(x, self.width, padding=self.padding))

    def __repr__(self) -> str:
        return f"Conv1d({self.d_in}, {self.d_out}, width={self.width}, padding={self.padding})"
