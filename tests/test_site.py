"""The built book in a real browser (headless Debian Chromium driven by Playwright).

The site is built by `make book` (or reused when newer than every source, never under CI), served
from 127.0.0.1 and every page found in the build is opened. Per page: no console errors, no
request to any host but 127.0.0.1, no failed request, math typeset by the site's own MathJax,
every image loaded with real alt text, a meaningful title; chapter pages (names starting with a
digit) show their widgets rendered by the ipywidgets HTML manager. Screenshots of every page go to
test-artifacts/site/ (git-ignored). Run alone with: .venv/bin/pytest tests/test_site.py -n 0
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

ARTIFACTS = ROOT / "test-artifacts" / "site"
# lite/ is the in-browser JupyterLab (JupyterLite), not a page of the book: tests/test_lite.py
# checks it, including the one exception to "no other host" (the Pyodide runtime).
NOT_PAGES = {"_static", "_sources", "_images", "lite"}
LOCAL_HOSTS = {"127.0.0.1"}
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'

# Visible-text check for math left untypeset: raw TeX delimiters outside code.
JS_VISIBLE_TEXT = """() => {
  const root = document.querySelector('main') || document.body;
  const clone = root.cloneNode(true);
  const skip = 'pre, code, script, style, mjx-container, .highlight';
  clone.querySelectorAll(skip).forEach(e => e.remove());
  return clone.innerText;
}"""
JS_WAIT_MATHJAX = """async () => {
  if (!document.querySelector('.math')) return 'no-math';
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return 'no-mathjax';
  await MathJax.startup.promise;
  return 'typeset';
}"""
JS_MATH_STATE = """() => {
  const maths = Array.from(document.querySelectorAll('.math'));
  return {total: maths.length,
          untypeset: maths.filter(m => !m.querySelector('mjx-container')).length};
}"""
JS_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => img.complete ? null :
    new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  return imgs.map(img => ({src: img.getAttribute('src'), alt: img.getAttribute('alt'),
                           width: img.naturalWidth, inMain: !!img.closest('main'),
                           inWidget: !!img.closest('.widget-subarea')}));
}"""
# The HTML manager renders each widget-view script into a .widget-subarea inserted just before it.
JS_WIDGETS = f"""() => {{
  const views = Array.from(document.querySelectorAll('{WIDGET_VIEW}'));
  const rendered = views.filter(v => {{
    const s = v.previousElementSibling;
    return s && s.classList.contains('widget-subarea') && s.querySelector('.jupyter-widgets');
  }});
  const errors = document.querySelectorAll('.jupyter-widgets-error-widget').length;
  return {{views: views.length, rendered: rendered.length, errors: errors}};
}}"""


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the build, as paths relative to the site root."""
    pages = [
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not NOT_PAGES.intersection(p.relative_to(site).parts)
    ]
    return sorted(pages)


def is_chapter(page: str) -> bool:
    return Path(page).name[:1].isdigit()


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("parts", []) if isinstance(entry, dict) else []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def screenshot_name(page: str, suffix: str = "") -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (page.replace("/", "__").removesuffix(".html") + suffix + ".png")


def check_page(browser, base: str, page: str) -> list[str]:
    """Open one page and return a list of problems found (empty when the page is fine)."""
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    tab.on("pageerror", lambda e: problems.append(f"uncaught JS error: {e}"))

    def on_request(request):
        url = urlparse(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.hostname not in LOCAL_HOSTS:
            problems.append(f"request to a third-party host: {request.url}")

    tab.on("request", on_request)
    tab.on(
        "requestfailed",
        lambda r: problems.append(f"request failed: {r.url} ({r.failure})"),
    )
    tab.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None,
    )
    try:
        tab.goto(f"{base}/{page}", wait_until="load")
        tab.wait_for_load_state("networkidle")

        title = tab.title().strip()
        if not title or "<no title>" in title or title.lower().startswith("untitled"):
            problems.append(f"page title is not meaningful: {title!r}")

        state = tab.evaluate(JS_WAIT_MATHJAX)
        math = tab.evaluate(JS_MATH_STATE)
        if state == "no-mathjax":
            problems.append(f"page has {math['total']} math elements but MathJax did not load")
        elif math["untypeset"]:
            problems.append(f"{math['untypeset']} of {math['total']} math elements not typeset")
        raw = re.findall(r".{0,30}(?:\\\(|\\\[|\$\$).{0,30}", tab.evaluate(JS_VISIBLE_TEXT))
        if raw:
            problems.append(f"raw TeX left in visible text: {raw[:3]}")

        # Scroll through the page so lazily loaded images load too.
        tab.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        for img in tab.evaluate(JS_IMAGES):
            if img["width"] <= 0:
                problems.append(f"image did not load: {img['src']}")
            alt = (img["alt"] or "").strip()
            if img["inWidget"] and not alt:
                problems.append(
                    "widget image without alt text: give the ipywidgets Image a synced `alt` "
                    "trait (alt = traitlets.Unicode().tag(sync=True); book/_assets/"
                    "static/nnbook-widgets.js turns it into the alt attribute)"
                )
            elif img["inMain"] and (not alt or re.search(r"\.(png|jpe?g|svg|gif)$|_images/", alt)):
                problems.append(
                    f"image without real alt text: {img['src']} (alt={alt!r}); give the figure "
                    'cell the metadata {"mystnb": {"image": {"alt": "..."}}}'
                )
        tab.evaluate("window.scrollTo(0, 0)")

        if is_chapter(page):
            try:
                tab.wait_for_function(
                    f"() => {{ const w = ({JS_WIDGETS})(); return w.views > 0 && "
                    "w.rendered === w.views; }",
                    timeout=20_000,
                )
            except Exception:  # noqa: BLE001 - reported below with the counts
                pass
            widgets = tab.evaluate(JS_WIDGETS)
            if widgets["views"] == 0:
                problems.append("chapter page has no widget views (widget state not saved?)")
            elif widgets["rendered"] < widgets["views"]:
                problems.append(
                    f"only {widgets['rendered']} of {widgets['views']} widget views rendered"
                )
            if widgets["errors"]:
                problems.append(f"{widgets['errors']} widget(s) rendered as error boxes")
        # Generous: a long page's full-page capture is slow on a busy 2-core machine.
        tab.screenshot(path=str(screenshot_name(page)), full_page=True, timeout=120_000)
    finally:
        context.close()
    return problems


# Display equations and code, measured after MathJax has typeset the page. A display equation is
# a div.math holding an mjx-container; its typeset content (mjx-math) must lie inside the box it
# is shown in (no part hidden behind a scroll bar: the container's scrollWidth fits its width)
# and must not be covered by its equation number (span.eqno). Code blocks and outputs must not
# overflow their boxes either (the site's CSS wraps long lines; a wide table or plot would not).
JS_LAYOUT = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const box = e => { const r = e.getBoundingClientRect();
                     return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  const text = e => (e ? e.innerText : '').replace(/\\s+/g, ' ').trim().slice(-60);
  const maths = Array.from(document.querySelectorAll('div.math')).map((d, i) => {
    const mj = d.querySelector('mjx-container');
    const m = mj && mj.querySelector('mjx-math');
    const eq = d.querySelector('.eqno');
    return {i, id: d.id, after: text(d.previousElementSibling), typeset: !!m,
            div: box(d), divClient: d.clientWidth, divScroll: d.scrollWidth,
            mjClient: mj ? mj.clientWidth : 0, mjScroll: mj ? mj.scrollWidth : 0,
            math: m ? box(m) : null, eqno: eq ? box(eq) : null};
  });
  const code = Array.from(document.querySelectorAll(
      'div.cell div.highlight pre, div.cell div.output pre, div.cell_output pre'))
    .map(p => ({client: p.clientWidth, scroll: p.scrollWidth,
                text: p.innerText.split('\\n')[0].slice(0, 60)}));
  return {maths, code, viewport: window.innerWidth};
}"""
DESKTOP, PHONE = 1280, 390


def layout_problems(layout: dict, width: int) -> list[str]:
    """What is clipped or covered on one page at one viewport width (see JS_LAYOUT)."""
    problems = []
    for m in layout["maths"]:
        where = f"{width} px, display equation {m['i'] + 1} {m['id'] or ''} (after '{m['after']}')"
        if not m["typeset"]:
            problems.append(f"{where}: not typeset")
            continue
        math, div = m["math"], m["div"]
        clipped = (
            m["mjScroll"] > m["mjClient"] + 1
            or m["divScroll"] > m["divClient"] + 1
            or math["r"] > div["r"] + 1
            or math["l"] < div["l"] - 1
            or math["r"] > layout["viewport"]
        )
        if clipped:
            problems.append(
                f"{where}: clipped ({math['r'] - math['l']:.0f} px of math in a "
                f"{m['mjClient']} px box): split it over lines with aligned"
            )
        e = m["eqno"]
        if e and not (
            e["l"] >= math["r"] or e["r"] <= math["l"] or e["t"] >= math["b"] or e["b"] <= math["t"]
        ):
            problems.append(f"{where}: the equation number overlaps the equation")
    if width == DESKTOP:
        for c in layout["code"]:
            if c["scroll"] > c["client"] + 1:
                problems.append(
                    f"{width} px, code or output cut off ({c['scroll']} px in {c['client']} px): "
                    f"{c['text']!r}"
                )
    return problems


def test_every_toc_entry_is_built(built_site):
    pages = set(site_pages(built_site))
    missing = [f for f in toc_files() if f"{f}.html" not in pages]
    assert not missing, f"pages listed in _toc.yml but missing from the build: {missing}"
    chapters = [p for p in pages if is_chapter(p)]
    assert chapters, f"no chapter pages (names starting with a digit) in the build: {sorted(pages)}"


def test_html_loads_nothing_from_other_hosts(built_site):
    """Static check: no <script src>, <link href> or <img src> points off the site."""
    offenders = []
    pattern = re.compile(
        r"<(script|link|img|iframe)\b[^>]*?\b(src|href)=\"((?:https?:)?//[^\"]+)\""
    )
    for page in site_pages(built_site):
        for match in pattern.finditer((built_site / page).read_text(encoding="utf-8")):
            tag = match.group(0)
            if match.group(1) == "link" and 'rel="canonical"' in tag:
                continue
            offenders.append(f"{page}: {match.group(3)}")
    assert not offenders, "third-party resources in the built HTML:\n" + "\n".join(offenders)


def test_every_page_in_browser(built_site, site_url, chromium):
    pages = site_pages(built_site)
    assert len(pages) >= 4, f"suspiciously few pages in the build: {pages}"
    report = {}
    for page in pages:
        problems = check_page(chromium, site_url, page)
        if problems:
            report[page] = problems
    assert not report, "problems in the built site:\n" + "\n".join(
        f"{page}:\n  " + "\n  ".join(problems) for page, problems in report.items()
    )


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_equations_and_code_fit_on_desktop_and_phone(built_site, site_url, chromium, width):
    """Every display equation of every chapter page fits its box (no horizontal clipping) and its
    number does not cover it, on a 1280 px desktop and a 390 px phone; code and outputs are not
    cut off on the desktop."""
    chapters = [p for p in site_pages(built_site) if is_chapter(p)]
    assert chapters
    report, counted = {}, 0
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        for page in chapters:
            tab.goto(f"{site_url}/{page}", wait_until="networkidle")
            tab.wait_for_function(
                "() => !document.querySelector('div.math') || "
                "(window.MathJax && MathJax.startup && MathJax.startup.promise)",
                timeout=20_000,
            )
            layout = tab.evaluate(JS_LAYOUT)
            counted += len(layout["maths"])
            problems = layout_problems(layout, width)
            if problems:
                report[page] = problems
                tab.screenshot(path=str(screenshot_name(page, f"-{width}px")), full_page=True)
    finally:
        context.close()
    assert counted > 0, "no display equations found on the chapter pages"
    assert not report, "equations or code that do not fit:\n" + "\n".join(
        f"{page}:\n  " + "\n  ".join(problems) for page, problems in report.items()
    )


def test_layout_check_finds_clipping_and_covered_numbers():
    """The layout check itself: a clipped equation, a covered number, cut-off code."""
    ok = {"l": 0, "r": 300, "t": 0, "b": 40}
    maths = [
        {
            "i": 0,
            "id": "",
            "after": "fine",
            "typeset": True,
            "div": ok,
            "divClient": 300,
            "divScroll": 300,
            "mjClient": 300,
            "mjScroll": 300,
            "math": {"l": 0, "r": 250, "t": 0, "b": 40},
            "eqno": {"l": 260, "r": 300, "t": 5, "b": 35},
        },
        {
            "i": 1,
            "id": "eq-wide",
            "after": "wide",
            "typeset": True,
            "div": ok,
            "divClient": 300,
            "divScroll": 300,
            "mjClient": 300,
            "mjScroll": 420,
            "math": {"l": 0, "r": 420, "t": 0, "b": 40},
            "eqno": None,
        },
        {
            "i": 2,
            "id": "eq-covered",
            "after": "covered",
            "typeset": True,
            "div": ok,
            "divClient": 300,
            "divScroll": 300,
            "mjClient": 260,
            "mjScroll": 260,
            "math": {"l": 0, "r": 280, "t": 0, "b": 40},
            "eqno": {"l": 260, "r": 300, "t": 5, "b": 35},
        },
    ]
    code = [
        {"client": 600, "scroll": 600, "text": "ok"},
        {"client": 600, "scroll": 700, "text": "x"},
    ]
    found = layout_problems({"maths": maths, "code": code, "viewport": 1280}, DESKTOP)
    assert len(found) == 3, found
    assert "equation 2 eq-wide" in found[0] and "clipped" in found[0]
    assert "equation 3 eq-covered" in found[1] and "number overlaps" in found[1]
    assert "cut off" in found[2]
    assert len(layout_problems({"maths": maths, "code": code, "viewport": 390}, PHONE)) == 2


def test_chapters_have_launch_buttons(built_site):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    slug = repo["url"].rstrip("/").removeprefix("https://github.com/")
    ref = repo["branch"]
    for page in [p for p in site_pages(built_site) if is_chapter(p)]:
        html = (built_site / page).read_text(encoding="utf-8")
        notebook = page.removesuffix(".html") + ".ipynb"
        binder = f"https://mybinder.org/v2/gh/{slug}/{ref}?urlpath=lab/tree/{notebook}"
        colab = f"https://colab.research.google.com/github/{slug}/blob/{ref}/{notebook}"
        assert binder in html, f"{page} has no Binder launch button for {notebook}"
        assert colab in html, f"{page} has no Colab launch button for {notebook}"


def test_dark_mode(built_site, site_url, chromium):
    """The theme's colour-mode button switches to dark and the page background turns dark."""
    page = next(p for p in site_pages(built_site) if is_chapter(p))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    tab = context.new_page()
    try:
        tab.goto(f"{site_url}/{page}", wait_until="networkidle")
        for _ in range(3):  # the button cycles light -> dark -> auto
            if tab.evaluate("document.documentElement.dataset.theme") == "dark":
                break
            tab.locator(".theme-switch-button").first.click()
        assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
        rgb = tab.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", rgb)[:3]]
        assert sum(channels) / 3 < 80, f"dark mode background is not dark: {rgb}"
        tab.wait_for_timeout(300)  # let widget/MathJax CSS transitions settle before the picture
        tab.screenshot(path=str(screenshot_name(page, "-dark")), full_page=True)
    finally:
        context.close()


def test_search_finds_the_book(built_site, site_url, chromium):
    """The search index is built and the search page returns results for a word from the intro."""
    assert (built_site / "searchindex.js").stat().st_size > 1000
    context = chromium.new_context()
    tab = context.new_page()
    try:
        tab.goto(f"{site_url}/search.html?q=neuron", wait_until="networkidle")
        tab.wait_for_selector("#search-results ul.search li", timeout=15_000)
        hits = tab.locator("#search-results ul.search li").count()
        assert hits >= 1
        tab.screenshot(path=str(screenshot_name("search")))
    finally:
        context.close()


def test_api_reference_covers_every_public_module(built_site):
    """book/api/*.md list modules by walking nnlib (scripts/nnbook_sphinx.py): every public
    module, found here independently from the files on disk, is on exactly one of the pages,
    with its members."""
    nnlib_dir = ROOT / "nnlib"
    modules = set()
    for path in nnlib_dir.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "__pycache__" not in path.parts and not any(p.startswith("_") for p in parts):
            modules.add(".".join(parts))
    pages = sorted((built_site / "book" / "api").glob("*.html"))
    assert pages, "no API reference pages in book/api/"
    where: dict[str, list[str]] = {m: [] for m in modules}
    html_all = ""
    for page in pages:
        html = page.read_text(encoding="utf-8")
        html_all += html
        for m in modules:
            if f'id="module-{m}"' in html:
                where[m].append(page.name)
    missing = sorted(m for m, on in where.items() if not on)
    twice = {m: on for m, on in where.items() if len(on) > 1}
    assert not missing, f"modules missing from the API reference: {missing}"
    assert not twice, f"modules on more than one API page: {twice}"
    # Members are documented, not just module headings: e.g. the core's main classes.
    for name in ["nnlib.tensor.Tensor", "nnlib.nn.Linear", "nnlib.optim.Adam"]:
        assert f'id="{name}"' in html_all, f"{name} has no entry in the API reference"
