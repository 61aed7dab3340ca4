"""The install cell: one text (scripts/install_cell.ipy) in every notebook, doing the right thing
in each place a reader may run it. The cell is executed here the way IPython runs it (magics
transformed, top-level await) against stand-ins for the browser's piplite, Colab's modules and
IPython's %pip, and what it would install is checked."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import json
import sys
import types
from pathlib import Path

import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

import nnlib

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("sync", ROOT / "scripts" / "sync_install_cells.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)

REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
RELEASE_SPEC = f'"nnbook @ git+{REPO}@v{nnlib.__version__}"'


def test_every_notebook_has_the_install_cell():
    assert sync.notebooks(), "no notebooks found"
    source = sync.cell_source()
    report = {
        p.relative_to(ROOT).as_posix(): found
        for p in sync.notebooks()
        if (found := sync.problems(json.loads(p.read_text()), p, source))
    }
    assert not report, (
        "install cells out of step (fix: python scripts/sync_install_cells.py):\n"
        + "\n".join(f"{k}: {'; '.join(v)}" for k, v in report.items())
    )


def test_sync_replaces_an_old_cell_and_inserts_a_missing_one(tmp_path):
    source = sync.cell_source()
    book = tmp_path / "book"
    book.mkdir()
    old = {
        "cells": [
            {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# Title"},
            {
                "cell_type": "code",
                "id": "keep-me",
                "metadata": {"tags": ["x"]},
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi"}],
                "source": "try:\n    import nnlib\nexcept ImportError:\n    %pip install nnlib",
            },
            {"cell_type": "code", "id": "c2", "metadata": {}, "source": "x = 1"},
        ]
    }
    new = sync.synced(old, book / "01_x.ipynb", source)
    cell = new["cells"][1]
    assert cell["id"] == "keep-me" and "".join(cell["source"]) == source
    assert cell["metadata"]["tags"] == ["x", "remove-cell"]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert [c["id"] for c in new["cells"]] == ["t", "keep-me", "c2"]
    assert sync.problems(new, book / "01_x.ipynb", source) == []

    plain = {"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": "x = 1"}]}
    graded = tmp_path / "solutions" / "01_x.ipynb"
    new = sync.synced(plain, graded, source)
    assert [c["id"] for c in new["cells"]] == ["install", "a"]
    assert new["cells"][0]["metadata"]["nbgrader"]["locked"] is True
    assert sync.problems(new, graded, source) == []
    # Wrong metadata alone is reported.
    new["cells"][0]["metadata"].pop("nbgrader")
    assert any("nbgrader" in p for p in sync.problems(new, graded, source))


def test_the_cell_pins_this_release_and_this_repository():
    source = sync.cell_source()
    assert f'NNBOOK_VERSION = "{nnlib.__version__}"' in source
    assert source.count(RELEASE_SPEC) == 2, source
    assert "@main" not in source and "pip install nnlib" not in source
    assert "{{" not in source


# --- running the cell -------------------------------------------------------------------------


class FakeIPython:
    def __init__(self):
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def run_cell(monkeypatch, *, platform="linux", nnlib_missing=False, colab=None, widgets="8.1.9"):
    """Run the install cell as IPython would; return (pip magics run, other calls recorded)."""
    calls: dict[str, list] = {"piplite": [], "custom_widget_manager": 0}
    monkeypatch.setattr(sys, "platform", platform)
    if nnlib_missing:
        monkeypatch.setitem(sys.modules, "nnlib", None)  # `import nnlib` raises ImportError

    async def install(spec, **kwargs):
        calls["piplite"].append(spec)

    monkeypatch.setitem(sys.modules, "piplite", types.SimpleNamespace(install=install))
    monkeypatch.setitem(sys.modules, "ipywidgets", types.SimpleNamespace(__version__=widgets))
    if colab:

        def enable():
            calls["custom_widget_manager"] += 1

        output = types.SimpleNamespace(enable_custom_widget_manager=enable)
        colab_mod = types.ModuleType("google.colab")
        colab_mod.output = output
        google = types.ModuleType("google")
        google.colab = colab_mod
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab_mod)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    shell = FakeIPython()
    python = TransformerManager().transform_cell(sync.cell_source())
    code = compile(python, "<install cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace = {"get_ipython": lambda: shell}
    result = eval(code, namespace)  # noqa: S307 - the project's own cell
    if inspect.iscoroutine(result):
        asyncio.run(result)
    return shell.magics, calls


def test_cell_does_nothing_where_nnlib_is_installed(monkeypatch):
    magics, calls = run_cell(monkeypatch)
    assert magics == [] and calls["piplite"] == [] and calls["custom_widget_manager"] == 0


def test_cell_installs_the_release_with_dependencies_elsewhere(monkeypatch):
    magics, calls = run_cell(monkeypatch, nnlib_missing=True)
    assert magics == [("pip", f"install --quiet {RELEASE_SPEC}")]
    assert calls["piplite"] == []


def test_cell_in_the_browser_installs_the_sites_wheel(monkeypatch):
    magics, calls = run_cell(monkeypatch, platform="emscripten", nnlib_missing=True)
    assert calls["piplite"] == [f"nnbook=={nnlib.__version__}"]
    assert magics == []  # no %pip (git URLs do not work in Pyodide)


@pytest.mark.parametrize(("widgets", "manager"), [("7.7.1", 0), ("8.1.9", 1)])
def test_cell_on_colab_keeps_colab_packages(monkeypatch, widgets, manager):
    magics, calls = run_cell(monkeypatch, nnlib_missing=True, colab=True, widgets=widgets)
    assert magics == [("pip", f"install --quiet --no-deps {RELEASE_SPEC}")]
    # ipywidgets 7 renders with Colab's own manager; 8 needs the custom one.
    assert calls["custom_widget_manager"] == manager


def test_cell_on_colab_with_nnlib_already_installed_installs_nothing(monkeypatch):
    magics, calls = run_cell(monkeypatch, colab=True, widgets="8.1.9")
    assert magics == [] and calls["custom_widget_manager"] == 1
