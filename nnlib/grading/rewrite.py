"""Source transformations of exercise cells (no I/O, no kernel).

* :func:`stub_source` / :func:`strip_hidden`: the student version of solution and test cells.
* :func:`plan_test_cell`: what a test cell checks, statement by statement and call by call.
* :func:`kernel_test_source`: the test cell as the grader runs it. Every top-level statement is
  wrapped so that one failing statement does not stop the others (every failing check is
  reported); each check call gets its site number; in student runs the expected values (and
  ``check_object``'s evaluator) are replaced by ``None``, so they never reach the kernel.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from . import safe_ast
from .notebook import BEGIN_HIDDEN, BEGIN_SOLUTION, CHECK_NAMES, END_HIDDEN, END_SOLUTION

MODULE_ALIAS = "_nnbook_checks"


def stub_lines(indent: str, grade_id: str) -> list[str]:
    """The lines that replace a solution body in the student version."""
    return [
        f"{indent}# YOUR CODE HERE",
        f'{indent}raise NotImplementedError("{grade_id}: not solved yet - replace this line '
        'with your code, then run the test cell below")',
    ]


def stub_source(source: str, grade_id: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by a stub."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            inside = True
            out += stub_lines(line[: len(line) - len(line.lstrip())], grade_id)
        elif stripped == END_SOLUTION:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def strip_hidden(source: str) -> str:
    """Remove hidden-test blocks (markers included) from a test cell."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_HIDDEN:
            inside = True
        elif stripped == END_HIDDEN:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out).rstrip("\n")


def balanced(source: str, begin: str, end: str) -> str | None:
    """None if begin/end markers alternate properly, else what is wrong."""
    depth = 0
    for line in source.splitlines():
        s = line.strip()
        if s == begin:
            if depth:
                return f"nested '{begin}'"
            depth = 1
        elif s == end:
            if not depth:
                return f"'{end}' without '{begin}'"
            depth = 0
    return f"'{begin}' without '{end}'" if depth else None


def check_name(call: ast.Call) -> str | None:
    """``check_close`` for ``check_close(...)`` or ``C.check_close(...)``, else None."""
    name = getattr(call.func, "id", getattr(call.func, "attr", None))
    return name if name in CHECK_NAMES else None


@dataclass
class Site:
    """One check call in a test cell."""

    index: int  # numbered in source order within the cell
    func: str
    stmt: int  # index of the top-level statement containing it
    hidden: bool
    lineno: int
    keywords: dict[str, ast.expr] = field(default_factory=dict)
    args: list[ast.expr] = field(default_factory=list)

    def literal(self, key: str, default: Any = None) -> Any:
        """The literal value of keyword ``key`` (ValueError if it is not a literal)."""
        if key not in self.keywords:
            return default
        return ast.literal_eval(self.keywords[key])

    @property
    def expected_node(self) -> ast.expr | None:
        if "expected" in self.keywords:
            return self.keywords["expected"]
        return self.args[1] if len(self.args) >= 2 else None

    @property
    def evaluate(self) -> str | None:
        node = self.keywords.get("evaluate")
        return node.id if isinstance(node, ast.Name) else None


@dataclass
class TestPlan:
    """The statements (hidden or not) and check calls of one test cell."""

    statements: list[bool]  # hidden flag per top-level statement
    sites: list[Site]


def _parse(source: str) -> tuple[ast.Module, set[int]]:
    """Parse a test cell with its hidden markers blanked out; return (tree, hidden line numbers)."""
    lines, hidden, inside = [], set(), False
    for n, line in enumerate(source.splitlines(), start=1):
        s = line.strip()
        if s in (BEGIN_HIDDEN, END_HIDDEN):
            inside = s == BEGIN_HIDDEN
            lines.append("")
            continue
        if inside:
            hidden.add(n)
        lines.append(line)
    return safe_ast.parse("\n".join(lines)), hidden


def plan_test_cell(source: str) -> TestPlan:
    """The plan of a test cell; raises SyntaxError, or ValueError when hidden markers split a
    statement (hidden blocks must hold whole top-level statements)."""
    tree, hidden_lines = _parse(source)
    statements, sites = [], []
    for k, stmt in enumerate(tree.body):
        span = set(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
        inside = span & hidden_lines
        if inside and inside != span:
            raise ValueError(f"line {stmt.lineno}: a hidden-test marker splits a statement")
        statements.append(bool(inside))
        for node in _calls_in_order(stmt):
            func = check_name(node)
            if func:
                sites.append(
                    Site(
                        len(sites),
                        func,
                        k,
                        bool(inside),
                        node.lineno,
                        {kw.arg: kw.value for kw in node.keywords if kw.arg},
                        list(node.args),
                    )
                )
    return TestPlan(statements, sites)


def _calls_in_order(node: ast.AST):
    """Call nodes in source order (pre-order), the numbering used for check sites."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call):
            yield child
        yield from _calls_in_order(child)


class _Rewrite(ast.NodeTransformer):
    def __init__(self, withhold: bool):
        self.withhold = withhold
        self.count = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = check_name(node)
        site = None
        if func:
            site = self.count  # numbered before the children, as in _calls_in_order
            self.count += 1
        self.generic_visit(node)
        if func is None:
            return node
        node.keywords = [kw for kw in node.keywords if kw.arg != "_site"]
        node.keywords.append(ast.keyword(arg="_site", value=ast.Constant(site)))
        if func == "check_object":  # the evaluator lives in the grader, never in the kernel
            for kw in node.keywords:
                if kw.arg == "evaluate":
                    kw.value = ast.Constant(None)
        if self.withhold or func == "check_object":
            if len(node.args) >= 2:
                node.args[1] = ast.Constant(None)
            for kw in node.keywords:
                if kw.arg in ("expected", "shape"):
                    kw.value = ast.Constant(None)
        return node


def _pre_order_rewrite(tree: ast.AST, rewriter: _Rewrite) -> ast.AST:
    # NodeTransformer visits children after the parent's visit_Call starts; our visit_Call
    # numbers the call before generic_visit, which matches _calls_in_order's pre-order.
    return rewriter.visit(tree)


def kernel_test_source(source: str, grade_id: str, withhold: bool = True) -> str:
    """A trusted test cell rewritten for grading (see the module docstring).

    ``withhold=False`` (the reference run) keeps the expected values, so the checks also test
    the reference solution against them.
    """
    plan = plan_test_cell(source)
    tree, _ = _parse(source)
    tree = _pre_order_rewrite(tree, _Rewrite(withhold))
    body: list[ast.stmt] = [
        ast.Import(names=[ast.alias(name="nnlib.grading.checks", asname=MODULE_ALIAS)]),
        _call_stmt("_begin", ast.Constant(grade_id)),
    ]
    for k, stmt in enumerate(tree.body):  # type: ignore[attr-defined]
        body.append(
            ast.Try(
                body=[_call_stmt("_stmt", ast.Constant(k), ast.Constant(plan.statements[k])), stmt],
                handlers=[
                    ast.ExceptHandler(
                        type=ast.Name("Exception", ast.Load()),
                        name="_nnbook_exc",
                        body=[_call_stmt("_stmt_failed", ast.Constant(k), ast.Name("_nnbook_exc"))],
                    )
                ],
                orelse=[],
                finalbody=[],
            )
        )
    module = ast.Module(body=body, type_ignores=[])
    return safe_ast.unparse(ast.fix_missing_locations(module))


def _call_stmt(func: str, *args: ast.expr) -> ast.stmt:
    return ast.Expr(
        ast.Call(
            ast.Attribute(ast.Name(MODULE_ALIAS, ast.Load()), func, ast.Load()), list(args), []
        )
    )
