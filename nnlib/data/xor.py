"""The four points of the two-input Boolean functions (book: The XOR problem)."""

from __future__ import annotations

import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

AND = (X, np.array([0, 0, 0, 1]))
OR = (X, np.array([0, 1, 1, 1]))
NAND = (X, np.array([1, 1, 1, 0]))
XOR = (X, np.array([0, 1, 1, 0]))

_TABLES = {"AND": AND, "OR": OR, "NAND": NAND, "XOR": XOR}


def truth_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) for "AND", "OR", "NAND" or "XOR": X is (4, 2) floats, y is (4,) ints."""
    key = name.upper()
    if key not in _TABLES:
        raise KeyError(f"unknown truth table {name!r}; choose one of {sorted(_TABLES)}")
    X, y = _TABLES[key]
    return X.copy(), y.copy()
