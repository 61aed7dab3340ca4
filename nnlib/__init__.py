"""nnlib: the small numpy library behind every chapter, widget and exercise of nnbook.

    import nnlib
    from nnlib import Tensor, functional as F, nn, optim

The core modules mirror the book: ``tensor`` (autodiff, Backprop), ``functional`` (activations,
softmax, losses), ``nn`` (layers), ``init`` and ``optim`` (training), ``train`` (the training
loop), ``text`` (tokens, vocabularies, padding), ``data`` (toy sets and real corpora),
``gradcheck``, ``geometry`` (lines of units and grids in the plane). Each chapter's own models
and experiments live in ``nnlib.chapters.<topic>`` and its figures and widgets in
``nnlib.widgets.<topic>``; neither is imported here.
"""

from . import functional, geometry, gradcheck, init, nn, optim, text, train
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
    "geometry",
    "train",
    "text",
]
__version__ = "0.1.0"
