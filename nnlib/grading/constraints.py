"""Implementation constraints: what a task may not use (``nnbook.forbid`` on a solution cell).

A name is a dotted path to something importable in the grader's environment
(``numpy.tanh``, ``nnlib.functional.softmax``, a whole module such as ``nnlib.functional``, a
method such as ``nnlib.tensor.Tensor.backward``) or one of :data:`KNOWN_PACKAGES` (``scipy``,
``torch``, ...: forbidden even where they are not installed).

Two independent checks, both reported in the feedback:

* :func:`static_violations` runs in the grader's process on the submitted source of the task's
  solution cell: it resolves every name and attribute chain through the notebook's imports and
  aliases (``np.tanh``, ``from numpy import tanh as t``, ``t = np.tanh`` in another cell,
  ``np.core.umath.tanh``: the *object* is compared, not the spelling), flags imports of forbidden
  packages, and flags dynamic look-ups (``getattr``, ``eval``, ``__import__``, ``__dict__``...)
  that could hide a forbidden call.
* :func:`install_guards` runs in the sandboxed kernel before any student code: it wraps each
  forbidden function so that a call made directly from the task's cell is reported.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import safe_ast

KNOWN_PACKAGES = (
    "scipy",
    "torch",
    "sklearn",
    "jax",
    "tensorflow",
    "keras",
    "autograd",
    "pandas",
    "numba",
)
DYNAMIC = {
    "getattr": "getattr()",
    "setattr": "setattr()",
    "__import__": "__import__()",
    "eval": "eval()",
    "exec": "exec()",
    "compile": "compile()",
    "globals": "globals()",
    "vars": "vars()",
    "locals": "locals()",
    "importlib": "importlib",
    "get_ipython": "get_ipython()",
}


@dataclass(frozen=True)
class Target:
    """One resolved constraint name."""

    name: str
    kind: str  # "object", "module", "method" or "package"
    obj: Any = None
    owner: Any = None  # module or class holding the object (for guards)
    attr: str = ""


def resolve(name: str) -> Target:
    """Resolve a constraint name; raises ValueError naming what is wrong."""
    if not isinstance(name, str) or not all(p.isidentifier() for p in name.split(".")):
        raise ValueError(f"{name!r} is not a dotted Python name")
    parts = name.split(".")
    if len(parts) == 1 and parts[0] in KNOWN_PACKAGES:
        return Target(name, "package")
    module, i = None, len(parts)
    while i > 0:
        try:
            module = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
    if module is None:
        known = ", ".join(KNOWN_PACKAGES)
        raise ValueError(f"{name!r}: no such module here, and not a known package ({known})")
    obj, owner = module, None
    for attr in parts[i:]:
        if not hasattr(obj, attr):
            raise ValueError(f"{name!r}: {'.'.join(parts[:i])} has no attribute {attr!r}")
        owner, obj = obj, getattr(obj, attr)
    if isinstance(obj, types.ModuleType):
        return Target(name, "module", obj)
    if isinstance(owner, type):
        return Target(name, "method", obj, owner, parts[-1])
    if not callable(obj):
        raise ValueError(f"{name!r} is not a function, class or module")
    return Target(name, "object", obj, owner, parts[-1])


# ------------------------------------------------------------------ static analysis
class _Aliases(ast.NodeVisitor):
    """Names bound to modules or module attributes by imports and plain assignments."""

    def __init__(self, table: dict[str, str]):
        self.table = table

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.table[a.asname] = a.name
            else:
                root = a.name.split(".")[0]
                self.table[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for a in node.names:
            if a.name != "*":
                self.table[a.asname or a.name] = f"{node.module}.{a.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        path = dotted(node.value, self.table)
        for t in node.targets:
            if isinstance(t, ast.Name):
                if path:
                    self.table[t.id] = path
                else:
                    self.table.pop(t.id, None)
        self.generic_visit(node)


def dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted path an expression names through the aliases (``np.tanh`` -> numpy.tanh)."""
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(chain)])


def aliases_of(sources: Iterable[str]) -> dict[str, str]:
    """Import aliases and attribute aliases defined by ``sources`` (in order)."""
    table: dict[str, str] = {}
    for src in sources:
        try:
            _Aliases(table).visit(safe_ast.parse(src))
        except (SyntaxError, ValueError, RecursionError):
            continue
    return table


def _lookup(path: str) -> Any:
    """The object at a dotted path, importing only modules already importable; None if none."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in sys.modules or i == 1:
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except Exception:  # noqa: BLE001 - not importable here: nothing to resolve
                return None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for attr in parts[i:]:
                    try:
                        obj = getattr(obj, attr)
                    except Exception:  # noqa: BLE001
                        return None
            return obj
    return None


def _matches(path: str, obj: Any, target: Target) -> bool:
    root = path.split(".")[0]
    if target.kind == "package":
        return root == target.name
    if target.kind == "module":
        mod = target.obj.__name__
        own = getattr(obj, "__module__", None)
        return (
            path == mod
            or path.startswith(mod + ".")
            or obj is target.obj
            or (isinstance(own, str) and (own == mod or own.startswith(mod + ".")))
        )
    if target.kind == "method":
        return path.split(".")[-1] == target.attr
    try:
        return obj is not None and obj is target.obj or path == target.name
    except Exception:  # noqa: BLE001
        return False


def static_violations(source: str, targets: list[Target], aliases: dict[str, str]) -> list[str]:
    """What the (submitted) solution source uses that the task forbids; empty if nothing.

    ``aliases`` are the names bound by the notebook's other cells (see :func:`aliases_of`).
    """
    if not targets:
        return []
    try:
        tree = safe_ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []  # it does not run either; its tests fail on their own
    local = dict(aliases)
    _Aliases(local).visit(tree)
    found: list[str] = []

    def add(msg: str) -> None:
        if msg not in found and len(found) < 10:
            found.append(msg)

    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for mod in mods:
                for t in targets:
                    if _matches(mod, _lookup(mod), t):
                        add(f"line {line}: imports {mod}, which this task may not use ({t.name})")
        elif isinstance(node, ast.Name) and node.id in DYNAMIC:
            add(f"line {line}: uses {DYNAMIC[node.id]}, which could hide a forbidden call")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__"):
                add(f"line {line}: uses {node.attr}, which could hide a forbidden call")
            for t in targets:
                if t.kind == "method" and node.attr == t.attr:
                    add(f"line {line}: uses .{node.attr} ({t.name} is not allowed in this task)")
        if isinstance(node, (ast.Name, ast.Attribute)):
            path = dotted(node, local)
            if path is None:
                continue
            obj = _lookup(path)
            for t in targets:
                if t.kind != "method" and _matches(path, obj, t):
                    shown = safe_ast.unparse(node)
                    add(f"line {line}: uses {shown} ({t.name} is not allowed in this task)")
    return found


# ------------------------------------------------------------------ run-time guards
class _Guard:
    """A stand-in for a forbidden callable: reports calls made from a constrained cell."""

    def __init__(self, original: Any, name: str, files: set[str], report: Callable):
        self._nnbook = (original, name, files, report)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        original, name, files, report = self._nnbook
        caller = sys._getframe(1).f_code.co_filename
        if caller in files:
            report(name, caller)
        return original(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._nnbook[0], attr)

    def __repr__(self) -> str:
        return repr(self._nnbook[0])


def install_guards(forbidden: dict[str, set[str]], report: Callable[[str, str], None]) -> list[str]:
    """Wrap every resolvable forbidden callable; ``forbidden`` maps a constraint name to the
    code file names (cells) that may not call it. Returns the names that could not be guarded.
    """
    skipped = []
    for name, files in forbidden.items():
        try:
            target = resolve(name)
        except ValueError:
            skipped.append(name)
            continue
        if target.kind == "package":
            skipped.append(name)  # imports are checked statically
            continue
        items: list[tuple[Any, str]] = []
        if target.kind == "module":
            mod = target.obj
            for attr, val in list(vars(mod).items()):
                if (
                    not attr.startswith("_")
                    and callable(val)
                    and getattr(val, "__module__", None) == mod.__name__
                    and not isinstance(val, type)
                ):
                    items.append((mod, attr))
        elif isinstance(target.obj, type):
            # A class cannot be swapped for a wrapper without breaking isinstance() and
            # construction in the library itself; the static check of the cell covers it.
            skipped.append(name)
            continue
        else:
            items.append((target.owner, target.attr))
        for owner, attr in items:
            original = getattr(owner, attr)
            if isinstance(original, _Guard):
                original._nnbook[2].update(files)
                continue
            label = f"{name}.{attr}" if target.kind == "module" else name
            guard: Any = (
                _method_guard(original, name, set(files), report)
                if target.kind == "method"
                else _Guard(original, label, set(files), report)
            )
            try:
                setattr(owner, attr, guard)
            except (AttributeError, TypeError):
                skipped.append(f"{name}.{attr}" if target.kind == "module" else name)
                continue
    return skipped


def _method_guard(original: Any, name: str, files: set[str], report: Callable) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code.co_filename
        if caller in files:
            report(name, caller)
        return original(self, *args, **kwargs)

    method.__name__ = getattr(original, "__name__", "method")
    method.__doc__ = getattr(original, "__doc__", None)
    return method
