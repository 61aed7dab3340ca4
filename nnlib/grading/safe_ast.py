"""``ast.parse`` / ``ast.unparse`` behind one lock.

CPython 3.11 (before 3.11.8) can raise ``SystemError: AST constructor recursion depth mismatch``
when two threads build ASTs at once (python/cpython#106905); the grader analyses submissions in a
thread pool, so every parse and unparse in the grading package goes through here.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, *args, **kwargs) -> ast.AST:
    with _LOCK:
        return ast.parse(source, *args, **kwargs)


def unparse(node: ast.AST) -> str:
    with _LOCK:
        return ast.unparse(node)
