"""The in-browser copy of the book (JupyterLite with a Pyodide kernel, built into the site under
lite/ by `make book`), checked offline.

What can be checked without the internet is checked here: the lite site holds every chapter and
exercise notebook as committed, every launch link (chapter pages, the Exercises page) opens a
notebook that exists, the site's own package index serves the wheel of *this* nnlib (same
version, same code, nothing named nnlib), and, in Chromium, JupyterLab opens a chapter and shows
its cells while every request to another host goes to the Pyodide CDN (the one documented
exception to the site's no-other-host rule: the runtime and numpy/matplotlib are compiled
WebAssembly that no package registry ships). Starting the kernel and running cells needs that
CDN: the `lite-online` job of .github/workflows/test.yml does it.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import yaml

import nnlib

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/pyodide/v[\d.]+/full/")
LITE_LINK = re.compile(r'href="([^"]*lite/lab/index\.html\?path=[^"]+)"')


def committed(folder: str) -> dict[str, Path]:
    return {p.name: p for p in sorted((ROOT / folder).glob("*.ipynb"))}


def cell_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"]]


@pytest.fixture(scope="module")
def lite(built_site: Path) -> Path:
    lite = built_site / "lite"
    assert (lite / "lab" / "index.html").is_file(), "no JupyterLite build in _build/html/lite"
    return lite


@pytest.mark.parametrize("folder", ["book", "exercises"])
def test_lite_holds_every_notebook_as_committed(lite, folder):
    served = {p.name: p for p in (lite / "files" / folder).glob("*.ipynb")}
    assert set(served) == set(committed(folder)), (
        f"lite/files/{folder} has {sorted(served)}, the repository {sorted(committed(folder))}"
    )
    for name, source in committed(folder).items():
        assert cell_sources(served[name]) == cell_sources(source), f"{folder}/{name} differs"
    # Folders, not single files: a flattened notebook at the root would break ?path= links.
    assert not list((lite / "files").glob("*.ipynb")), "notebooks flattened into lite/files/"


def _lite_links(built_site: Path, page: str) -> list[str]:
    return LITE_LINK.findall((built_site / page).read_text(encoding="utf-8"))


def _resolve(built_site: Path, page: str, link: str) -> tuple[Path, str]:
    """The lab's index.html a link from `page` reaches, and the notebook it asks to open."""
    url = urlparse(urljoin(f"http://site/{page}", link.replace("&amp;", "&")))
    return built_site / url.path.lstrip("/"), parse_qs(url.query)["path"][0]


def test_every_chapter_page_opens_its_notebook_in_the_browser(built_site, lite):
    chapters = sorted(
        p.relative_to(built_site).as_posix() for p in built_site.glob("book/[0-9]*.html")
    )
    assert chapters, "no chapter pages"
    for page in chapters:
        links = _lite_links(built_site, page)
        assert links, f"{page} has no JupyterLite launch button"
        for link in links:
            index, notebook = _resolve(built_site, page, link)
            assert index == lite / "lab" / "index.html", f"{page}: {link} leads to {index}"
            assert notebook == page.removesuffix(".html") + ".ipynb"
            assert (lite / "files" / notebook).is_file(), f"{page}: {notebook} not in lite"


def test_exercises_page_links_every_exercise(built_site, lite):
    page = "book/exercises.html"
    opened = set()
    for link in _lite_links(built_site, page):
        index, notebook = _resolve(built_site, page, link)
        assert index == lite / "lab" / "index.html"
        assert (lite / "files" / notebook).is_file(), f"{notebook} not in lite"
        opened.add(notebook)
    assert opened == {f"exercises/{name}" for name in committed("exercises")}
    html = (built_site / page).read_text(encoding="utf-8")
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    slug = repo["url"].rstrip("/").removeprefix("https://github.com/")
    for name in committed("exercises"):
        rel = f"exercises/{name}"
        colab = f"https://colab.research.google.com/github/{slug}/blob/{repo['branch']}/{rel}"
        binder = f"https://mybinder.org/v2/gh/{slug}/{repo['branch']}?urlpath=lab/tree/{rel}"
        assert colab in html, f"no Colab link for {rel} on {page}"
        assert binder in html, f"no Binder link for {rel} on {page}"


def test_site_index_serves_this_nnlib(lite):
    index = json.loads((lite / "pypi" / "all.json").read_text())
    assert "nnlib" not in index, "a package named nnlib in the site's index (unrelated project)"
    releases = index["nnbook"]["releases"]
    assert list(releases) == [nnlib.__version__], f"nnbook releases in the index: {list(releases)}"
    (artifact,) = releases[nnlib.__version__]
    wheel = lite / "pypi" / Path(artifact["url"]).name
    assert wheel.is_file(), f"the index points at {artifact['url']}, which is not in the build"
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == artifact["digests"]["sha256"]

    package = ROOT / "nnlib"
    sources = {
        p.relative_to(ROOT).as_posix(): p.read_bytes()
        for p in package.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = {n: zf.read(n) for n in zf.namelist() if n.endswith(".py")}
        meta = zf.read(f"nnbook-{nnlib.__version__}.dist-info/METADATA").decode()
    assert set(in_wheel) == set(sources), (
        f"wheel and nnlib/ differ: only in wheel {sorted(set(in_wheel) - set(sources))}, "
        f"only in nnlib/ {sorted(set(sources) - set(in_wheel))}"
    )
    stale = [n for n in sources if in_wheel[n] != sources[n]]
    assert not stale, f"the wheel is stale (run make book): {stale}"
    assert re.search(r"^Name: nnbook$", meta, re.MULTILINE)

    # The kernel finds the site's index, and the widget manager the lab loads matches the
    # ipywidgets the kernel installs from it.
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert any(u.split("?")[0] == "./pypi/all.json" for u in kernel["pipliteUrls"])
    names = {ext["name"] for ext in config["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in names
    assert {"ipywidgets", "jupyterlab-widgets"} <= set(index)


def test_lab_opens_a_chapter_and_only_the_pyodide_runtime_is_remote(built_site, site_url, chromium):
    notebook = "book/01_units.ipynb"
    title = next(s for s in cell_sources(ROOT / notebook) if s.startswith("# ")).splitlines()[0]
    remote, failed_local = [], []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()

    def on_request(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https") and url.hostname != "127.0.0.1":
            remote.append(request.url)

    def route(route):
        # Offline either way; abort at once so the lab does not wait for a DNS timeout.
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    tab.on("request", on_request)
    tab.on(
        "response",
        lambda r: (
            failed_local.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and urlparse(r.url).hostname == "127.0.0.1"
            else None
        ),
    )
    context.route("**/*", route)
    try:
        tab.goto(f"{site_url}/lite/lab/index.html?path={notebook}", wait_until="load")
        tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        heading = title.removeprefix("# ").strip()
        tab.wait_for_selector(f".jp-Notebook h1:has-text('{heading}')", timeout=30_000)
        cells = tab.locator(".jp-Notebook .jp-Cell").count()
        assert cells >= 3, f"the lab shows {cells} cells of {notebook}"
        # The install cell is there (it is only hidden on the static site).
        tab.wait_for_selector(
            ".jp-Notebook .jp-CodeCell:has-text('NNBOOK_VERSION')", timeout=30_000
        )
        tab.wait_for_timeout(3000)  # let the kernel's start-up requests happen
        tab.screenshot(path=str(ROOT / "test-artifacts" / "site" / "lite-01_units.png"))
    finally:
        context.close()
    others = [u for u in remote if not PYODIDE_CDN.match(u)]
    assert not others, "requests to hosts other than the Pyodide CDN:\n" + "\n".join(others)
    assert not failed_local, "failed requests to the site:\n" + "\n".join(failed_local)
