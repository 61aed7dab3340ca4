"""The book's own Sphinx directives (loaded by `sphinx.local_extensions` in _config.yml).

``{nnlib-api} [prefix ...]`` with option ``:exclude: prefix ...``
    An API reference page: one section per public nnlib module (every module and package whose
    dotted name has no part starting with ``_``) under the given prefixes, found by walking the
    package, each rendered with ``automodule`` from its docstrings. A module added to nnlib
    appears on its group's page without editing a page (book/api/*.md; a test checks that every
    public module is on exactly one of them).

Docstrings are read as reStructuredText with two allowances, so that writing nnlib in the
book's notation never breaks the strict build (`-W -n`):

- a bar is always a bar: ``|z|`` (an absolute value, a vocabulary size ``|V|``) is not an RST
  substitution; bars outside inline literals and literal blocks are escaped before parsing, and
  an inline literal may be followed by letters (a plural: "different ``key``s" in a docstring);
- a cross-reference that Sphinx cannot resolve is resolved by name when exactly one documented
  nnlib object ends with it (``:class:`Tensor``` from ``nnlib.functional`` finds
  ``nnlib.tensor.Tensor``); a reference to a private name (a part starting with ``_``) or to
  numpy, matplotlib, ipywidgets, traitlets or the standard library is shown as code without a
  link (no inventories offline), and so is an nnlib name that exists but has no entry of its
  own (a module constant). Any other broken reference still fails the build.

It also keeps the site self-contained: style sheets that extensions add from other hosts (a
Google Fonts sheet from jupyterlite-sphinx) are dropped.

``{exercise-links}``
    A table of every exercise notebook in ``exercises/`` with its title and links that open it in
    the browser (the site's JupyterLite), on Colab and on Binder, built from the same settings as
    the chapters' launch buttons (``repository`` and ``launch_buttons`` in _config.yml).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Parser as RSTParser
from docutils.utils import new_document
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parent.parent
# Targets shown as code without a link when Sphinx cannot resolve them.
EXTERNAL = re.compile(
    r"^(numpy|np|matplotlib|ipywidgets|traitlets|IPython|PIL|nbformat|pytest|collections|typing"
    r"|pathlib|dataclasses|enum|abc|io|os|sys|json|argparse|subprocess)(\.|$)"
)
_INLINE_LITERAL = re.compile(r"(``.+?``)")


def public_modules(package: str = "nnlib") -> list[str]:
    """Dotted names of the package and all its public submodules, sorted, package first."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return [package, *sorted(names[1:])]


def select_modules(include: list[str], exclude: list[str]) -> list[str]:
    """Public modules under any of `include` (a dotted prefix, the package itself included)
    and under none of `exclude`."""

    def under(name: str, prefixes: list[str]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return [m for m in public_modules() if under(m, include) and not under(m, exclude)]


class NnlibApi(SphinxDirective):
    """Emit a section with ``automodule`` for every public nnlib module under the prefixes given
    as arguments (default: all of nnlib), except those under ``:exclude:`` prefixes."""

    has_content = False
    optional_arguments = 20
    option_spec = {"exclude": lambda text: (text or "").split()}

    def run(self) -> list[nodes.Node]:
        include = list(self.arguments) or ["nnlib"]
        modules = select_modules(include, self.options.get("exclude", []))
        if not modules:
            return [self.state.document.reporter.warning(f"no nnlib modules under {include}")]
        lines: list[str] = []
        for name in modules:
            lines += [
                f"``{name}``",
                "-" * (len(name) + 4),
                "",
                f".. automodule:: {name}",
                "   :members:",
                "   :show-inheritance:",
            ]
            if hasattr(importlib.import_module(name), "__path__"):
                # A package's __all__ re-exports names its submodules document: list only what
                # the package itself defines (nnlib.tensor would otherwise be both the function
                # nnlib re-exports and the module).
                lines.append("   :ignore-module-all:")
            lines.append("")
        # Parsed as reStructuredText in a document of its own (the page may be MyST, whose
        # nested parsing would read this as Markdown), the way MyST's {eval-rst} does it.
        document = self.state.document
        sub = new_document(document["source"], document.settings)
        sub.reporter = document.reporter
        RSTParser().parse("\n".join(lines), sub)
        for node in sub.children:
            if node["names"]:
                document.note_explicit_target(node, node)
        return sub.children


def escape_bars(lines: list[str]) -> list[str]:
    """Escape ``|`` outside inline literals and literal blocks (see the module docstring)."""
    out, literal_indent = [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if line.strip() and indent <= literal_indent:
                literal_indent = None
            else:
                out.append(line)
                continue
        if line.lstrip().startswith(">>>"):
            out.append(line)
            continue
        parts = _INLINE_LITERAL.split(line)
        out.append(
            "".join(
                part if part.startswith("``") else re.sub(r"(?<!\\)\|", r"\\|", part)
                for part in parts
            )
        )
        # A literal followed by letters (``key``s): RST needs an escaped space after it.
        out[-1] = _space_after_literals(out[-1])
        if line.rstrip().endswith("::"):
            literal_indent = indent
    return out


def _space_after_literals(line: str) -> str:
    """``key``s -> ``key``\\ s. Literals are matched left to right as whole tokens, so the
    closing `` of one literal is never taken for the opening of the next."""
    return re.sub(
        r"``[^`]+``",
        lambda m: m.group(0) + ("\\ " if re.match(r"\w", line[m.end() :]) else ""),
        line,
    )


def _process_docstring(app, what, name, obj, options, lines) -> None:
    lines[:] = escape_bars(lines)


def _missing_reference(app, env, node, contnode):
    """Resolve unqualified nnlib names; show private and third-party targets as plain code."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    domain = env.get_domain("py")
    matches = sorted(
        (name, obj)
        for name, obj in domain.objects.items()
        if name.startswith("nnlib.") and (name == target or name.endswith("." + target))
    )
    if len(matches) == 1:
        from sphinx.util.nodes import make_refnode

        name, obj = matches[0]
        return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, name)
    if any(part.startswith("_") for part in target.split(".")) or EXTERNAL.match(target):
        return contnode
    if _exists(target, node.get("py:module")):
        return contnode  # a real nnlib name that has no entry of its own (e.g. a constant)
    return None


def _exists(target: str, module: str | None) -> bool:
    """True if `target` names an attribute of nnlib, absolutely or relative to `module`."""
    for candidate in ([f"{module}.{target}"] if module else []) + [target]:
        parts = candidate.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return parts[0] == "nnlib"
    return False


def _notebook_title(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", ""))
            for line in text.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


class ExerciseLinks(SphinxDirective):
    """A table: one row per exercises/*.ipynb with browser / Colab / Binder links."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        theme = self.config.html_theme_options
        repo = theme.get("repository_url", "").rstrip("/")
        ref = theme.get("repository_branch", "main")
        launch = theme.get("launch_buttons", {})
        slug = repo.removeprefix("https://github.com/")
        lite = launch.get("jupyterlite_url", "").rstrip("/")
        colab = launch.get("colab_url", "").rstrip("/")
        binder = launch.get("binderhub_url", "").rstrip("/")
        exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
        if not exercises:
            return [self.state.document.reporter.warning("no notebooks in exercises/")]

        rows = []
        for path in exercises:
            rel = f"exercises/{path.name}"
            self.env.note_dependency(str(path))
            links = []
            if lite:
                links.append(("in the browser", f"{lite}?path={rel}"))
            if colab:
                links.append(("Colab", f"{colab}/github/{slug}/blob/{ref}/{rel}"))
            if binder:
                links.append(("Binder", f"{binder}/v2/gh/{slug}/{ref}?urlpath=lab/tree/{rel}"))
            links.append(("download", f"{repo}/raw/{ref}/{rel}"))
            rows.append((_notebook_title(path), rel, links))

        table = nodes.table(classes=["exercise-links"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (40, 20, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row([nodes.Text("Exercises"), nodes.Text("Notebook"), nodes.Text("Open")])
        body = nodes.tbody()
        group += body
        for title, rel, links in rows:
            para = nodes.inline()
            for i, (label, url) in enumerate(links):
                if i:
                    para += nodes.Text(" · ")
                ref_node = nodes.reference(label, label, refuri=url)
                ref_node["classes"].append("exercise-launch")
                para += ref_node
            body += self._row([nodes.Text(title), nodes.literal(rel, rel), para])
        return [table]

    @staticmethod
    def _row(cells: list[nodes.Node]) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para += content
            entry += para
            row += entry
        return row


def _drop_remote_css(app, config) -> None:
    """The site loads nothing from other hosts: jupyterlite-sphinx adds a Google Fonts style
    sheet to every page (for the buttons of its own directives, which the book does not use)."""
    app.registry.css_files[:] = [
        (name, attrs)
        for name, attrs in app.registry.css_files
        if not re.match(r"^(https?:)?//", name)
    ]


def setup(app):
    app.connect("config-inited", _drop_remote_css)
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("missing-reference", _missing_reference)
    app.add_directive("nnlib-api", NnlibApi)
    app.add_directive("exercise-links", ExerciseLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
