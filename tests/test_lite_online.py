"""The in-browser book running for real: needs the internet (the Pyodide runtime and its numpy and
matplotlib load from Pyodide's CDN), so these tests carry the marker `online`, which the default
test run deselects. The `lite-online` job of .github/workflows/test.yml runs them:

    CI=true NNBOOK_CHROMIUM=/usr/bin/google-chrome .venv/bin/python -m pytest -m online \\
        tests/test_lite_online.py -n 0

In headless Chromium, JupyterLite opens each chapter, starts the Pyodide kernel, runs every cell
(the install cell installs the site's nnlib wheel with piplite), and must finish without an
error; in chapter 1 a slider is then moved and the widget's figure must change (the Python
callback ran in the browser). Each exercise notebook's install and set-up cells must run too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.online, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "lite"
KERNEL_READY_MS = 240_000  # first start downloads Pyodide, numpy and matplotlib
RUN_ALL_MS = 600_000
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\w*Error: ", re.MULTILINE)


def notebooks(folder: str) -> list[str]:
    return [f"{folder}/{p.name}" for p in sorted((ROOT / folder).glob("*.ipynb"))]


def n_code_cells(notebook: str) -> int:
    nb = json.loads((ROOT / notebook).read_text(encoding="utf-8"))
    return sum(c["cell_type"] == "code" for c in nb["cells"])


def open_in_lab(chromium, site_url: str, notebook: str):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(f"{site_url}/lite/lab/index.html?path={notebook}", wait_until="load")
    tab.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    # The kernel status in the notebook toolbar reads "Idle" once Pyodide has started.
    tab.wait_for_selector(
        ".jp-NotebookPanel-toolbar :text-matches('Idle', 'i'), "
        ".jp-Notebook-ExecutionIndicator[data-status='idle']",
        timeout=KERNEL_READY_MS,
    )
    return context, tab, errors


def prompts(tab) -> list[str]:
    return tab.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_text_contents()


def output_errors(tab) -> list[str]:
    texts = tab.locator(".jp-Notebook .jp-OutputArea-output").all_text_contents()
    return [t[:500] for t in texts if ERROR_TEXT.search(t)]


def menu(tab, top: str, item: str) -> None:
    tab.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    tab.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).first.click()


@pytest.mark.parametrize("notebook", notebooks("book"))
def test_chapter_runs_in_the_browser(built_site, site_url, chromium, notebook):
    context, tab, errors = open_in_lab(chromium, site_url, notebook)
    try:
        menu(tab, "Run", "Run All Cells")
        n = n_code_cells(notebook)
        # A fresh kernel numbers the cells it runs 1, 2, ...: every code cell shows [i] in order
        # only when all of them ran (Run All stops at an error). Checked cells are committed
        # with small counts of their own, so each prompt is compared, not just the last.
        tab.wait_for_function(
            """n => { const p = Array.from(document.querySelectorAll(
                   '.jp-Notebook .jp-CodeCell .jp-InputPrompt')).map(e => e.textContent.trim());
                 return p.length === n && p.every((t, i) => t === `[${i + 1}]:`); }""",
            arg=n,
            timeout=RUN_ALL_MS,
            polling=2000,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / (Path(notebook).stem + ".png")))
        assert not output_errors(tab), f"{notebook}: errors in outputs: {output_errors(tab)}"
        assert not errors, f"{notebook}: JavaScript errors: {errors}"

        if notebook == "book/01_units.ipynb":
            move_a_slider(tab)
    finally:
        context.close()


def move_a_slider(tab) -> None:
    """Move the first slider of the first widget and wait for its figure to be redrawn."""
    widget = tab.locator(".jp-Notebook .jp-OutputArea-output .widget-vbox").filter(
        has=tab.locator(".widget-slider")
    )
    widget.first.scroll_into_view_if_needed()
    image = widget.first.locator("img").first
    before = image.get_attribute("src")
    handle = widget.first.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    try:
        tab.wait_for_function(
            "([img, src]) => img.getAttribute('src') !== src",
            arg=[image.element_handle(), before],
            timeout=60_000,
        )
    except Exception:  # noqa: BLE001 - a mouse drag instead of keys, then judge
        box = handle.bounding_box()
        tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tab.mouse.down()
        tab.mouse.move(box["x"] + 80, box["y"] + box["height"] / 2, steps=8)
        tab.mouse.up()
        tab.wait_for_function(
            "([img, src]) => img.getAttribute('src') !== src",
            arg=[image.element_handle(), before],
            timeout=60_000,
        )
    tab.screenshot(path=str(ARTIFACTS / "01_units-slider-moved.png"))
    assert not output_errors(tab), f"errors after moving the slider: {output_errors(tab)}"


@pytest.mark.parametrize("notebook", notebooks("exercises"))
def test_exercise_set_up_runs_in_the_browser(built_site, site_url, chromium, notebook):
    """The install cell and the set-up cell (imports of nnlib and the checks) run."""
    context, tab, errors = open_in_lab(chromium, site_url, notebook)
    try:
        tab.locator(".jp-Notebook .jp-Cell").first.click()
        tab.keyboard.press("Escape")  # command mode
        # Shift+Enter runs the selected cell and selects the next one; stop after two code cells.
        for _ in range(20):
            if [p.strip() for p in prompts(tab)[:2]] == ["[1]:", "[2]:"]:
                break
            tab.keyboard.press("Shift+Enter")
            tab.wait_for_function(
                """() => !Array.from(document.querySelectorAll(
                       '.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
                       .some(e => e.textContent.includes('*'))""",
                timeout=KERNEL_READY_MS,
                polling=1000,
            )
        first = [p.strip() for p in prompts(tab)[:2]]
        assert first == ["[1]:", "[2]:"], f"{notebook}: the first code cells show {first}"
        assert not output_errors(tab), f"{notebook}: errors in outputs: {output_errors(tab)}"
        assert not errors, f"{notebook}: JavaScript errors: {errors}"
    finally:
        context.close()


def test_data_loads_in_the_browser(built_site, site_url, chromium):
    """nnlib.data fetches a pinned wheel from files.pythonhosted.org inside the kernel's web
    worker (no pip there) and checks it: the VADER lexicon, the smallest data set."""
    import nnlib

    code = [
        "import piplite",
        f"await piplite.install('nnbook=={nnlib.__version__}')",
        "from nnlib.data import load_sentiment_lexicon",
        "lex = load_sentiment_lexicon(); print('LEXICON', len(lex.positive), len(lex.negative))",
    ]
    query = "code=" + quote("\n".join(code))  # one cell, run when the REPL starts
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        tab.goto(f"{site_url}/lite/repl/index.html?kernel=python&{query}", wait_until="load")
        tab.wait_for_selector(
            ".jp-OutputArea-output:has-text('LEXICON')", timeout=KERNEL_READY_MS + 120_000
        )
        text = " ".join(tab.locator(".jp-OutputArea-output").all_text_contents())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "repl-data.png"))
        match = re.search(r"LEXICON (\d+) (\d+)", text)
        assert match, text[-2000:]
        # The same loader outside the browser (the wheel fetched with pip) gives the same sets.
        from nnlib.data import load_sentiment_lexicon

        here = load_sentiment_lexicon()
        assert (int(match.group(1)), int(match.group(2))) == (
            len(here.positive),
            len(here.negative),
        ), match.group(0)
        assert not ERROR_TEXT.search(text), text[-2000:]
    finally:
        context.close()
