"""Shared pytest fixtures. Site fixtures (built book, local server, headless Chromium) live here;
other test modules may add their own fixtures below."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
BUILD_STAMP = ROOT / "_build" / ".book-built"  # touched by `make book` after a successful build
RUN_STAMP = ROOT / "_build" / ".book-built-by-run"  # which test run last built it (see built_site)
# NNBOOK_CHROMIUM only exists to test the missing-browser path; the project uses Debian's.
CHROMIUM = Path(os.environ.get("NNBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a build depends on: if any of these is newer than the last successful build, rebuild.
BOOK_SOURCES = [
    "_config.yml",
    "_toc.yml",
    "Makefile",
    "book",
    "nnlib",
    "exercises",
    "lite/jupyter-lite.json",
    "lite/jupyter_lite_config.json",
    "lite/overrides.json",
    "scripts/fetch_vendor.py",
    "scripts/build_lite_wheels.py",
    "scripts/nnbook_sphinx.py",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in BOOK_SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts:
                newest = max(newest, f.stat().st_mtime)
    return newest


def site_is_fresh() -> bool:
    """True when the last successful `make book` is newer than every source file."""
    return (
        BUILD_STAMP.is_file()
        and (SITE / "index.html").is_file()
        and BUILD_STAMP.stat().st_mtime >= _newest_source_mtime()
    )


def _this_test_run() -> str:
    """The same string in every pytest-xdist worker of one run (its own process otherwise)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


@contextlib.contextmanager
def _exclusive(lock: Path):
    """Hold an exclusive lock on `lock` (POSIX), so only one worker builds the book at a time."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built HTML site. Built with `make book` unless a build newer than every source
    exists; under CI always built, so CI never tests a stale site. Several test files use it
    (the site, the in-browser book) and pytest-xdist may run them in parallel workers: a lock
    and a note of which test run built the book make it one build per run."""
    with _exclusive(ROOT / "_build" / ".book-build.lock"):
        built_now = (
            RUN_STAMP.is_file() and RUN_STAMP.read_text() == _this_test_run() and site_is_fresh()
        )
        if not built_now and (in_ci() or not site_is_fresh()):
            result = subprocess.run(
                ["make", "book"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            if result.returncode != 0:
                tail = (result.stdout + result.stderr)[-6000:]
                pytest.fail(f"`make book` failed (exit {result.returncode}):\n{tail}")
            RUN_STAMP.write_text(_this_test_run())
    assert (SITE / "index.html").is_file(), "the build produced no _build/html/index.html"
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path):
    """Serve the built site on 127.0.0.1 (a free port) from a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright. Missing browser: fail under CI, else skip."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        reason = f"Playwright for Python is not installed ({exc}); run `make test` to install it"
    if reason is None and not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} not found: install Debian's chromium "
            "(`apt-get install -y chromium`; .ci/run does this) to test the built site"
        )
    if reason is not None:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def pytest_terminal_summary(terminalreporter):
    """Say why the browser test of the site was skipped, even under -q (no -rs needed)."""
    reasons = {
        str(report.longrepr[-1])
        for report in terminalreporter.stats.get("skipped", [])
        if "test_site.py" in report.nodeid and isinstance(report.longrepr, tuple)
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"SITE TEST SKIPPED: {reason}", yellow=True, bold=True)
