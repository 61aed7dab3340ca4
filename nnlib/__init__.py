"""nnlib: the small numpy library behind every chapter, widget and exercise of nnbook.

    import nnlib
    from nnlib import Tensor, functional as F, nn, optim

The modules mirror the book: ``tensor`` (autodiff, Backprop), ``functional`` (activations,
softmax, losses), ``nn`` (layers), ``init`` and ``optim`` (training), ``gradcheck``.
"""

from . import functional, gradcheck, init, nn, optim
from .tensor import (
    NonFiniteError,
    ShapeError,
    Tensor,
    concatenate,
    is_grad_enabled,
    no_grad,
    stack,
    tensor,
)

__all__ = [
    "Tensor",
    "tensor",
    "no_grad",
    "is_grad_enabled",
    "concatenate",
    "stack",
    "ShapeError",
    "NonFiniteError",
    "functional",
    "nn",
    "optim",
    "init",
    "gradcheck",
]
__version__ = "0.1.0"
