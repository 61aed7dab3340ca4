"""Put the wheels the in-browser book installs into the JupyterLite site's own package index.

Usage (the Makefile's `book` target runs it before the build, with the project's venv):

    .venv/bin/python scripts/build_lite_wheels.py

What lands in `lite/pypi/` (git-ignored; jupyterlite-sphinx builds the lite site from `lite/`, and
the Pyodide kernel's piplite serves every wheel there from `<site>/lite/pypi/all.json`):

    nnbook-<version>-py3-none-any.whl       this checkout's nnlib, rebuilt on every run
    ipywidgets-<v>-py3-none-any.whl         the versions installed in this environment, so the
    jupyterlab_widgets-<v>-py3-none-any.whl widget manager built into the lab (from the same
                                            jupyterlab_widgets) and the kernel side agree

In the browser the install cell runs `piplite.install("nnbook==<version>")`: piplite looks in the
site's index before anything else, so the reader gets this nnlib, never a package of the same
name from elsewhere. numpy and matplotlib come from Pyodide's own distribution.

Only pip is used (`pip wheel`, `pip download`: the package registry, no other host).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPI = ROOT / "lite" / "pypi"
DIST = "nnbook"
# What the wheel is built from (pyproject.toml names README.md and LICENSE).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "nnlib")
# Pure-Python dependencies the kernel would otherwise fetch from the public index at run time.
FROM_ENV = ("ipywidgets", "jupyterlab_widgets")


def project_version() -> str:
    """`__version__` from nnlib/__init__.py, read as text (the one place the version lives)."""
    text = (ROOT / "nnlib" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        sys.exit('build_lite_wheels: no __version__ = "..." line in nnlib/__init__.py')
    return match.group(1)


def wheel_name(dist: str, version: str) -> str:
    return f"{dist.replace('-', '_')}-{version}-py3-none-any.whl"


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(
            f"build_lite_wheels: `pip {' '.join(args)}` failed:\n"
            f"{(result.stdout + result.stderr).strip()[-3000:]}"
        )


def build_project_wheel() -> Path:
    """Build this checkout's wheel and replace any older nnbook wheel in lite/pypi."""
    version = project_version()
    with tempfile.TemporaryDirectory() as tmp:
        # Build from a copy of what the wheel is made of: setuptools leaves build/ and
        # *.egg-info behind in the source tree, and a stale build/lib would leak into wheels.
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        src.mkdir()
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, src / name)
        # No build isolation: the book's environment has setuptools>=77 (the `book` extra), so
        # pip does not set up a fresh build environment on every `make book`.
        _pip(
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(src),
        )
        built = out / wheel_name(DIST, version)
        if not built.is_file():
            found = sorted(p.name for p in out.iterdir())
            sys.exit(f"build_lite_wheels: expected {built.name}, pip built {found}")
        for old in PYPI.glob(f"{DIST}-*.whl"):
            old.unlink()
        target = PYPI / built.name
        target.write_bytes(built.read_bytes())
    return target


def fetch_env_wheels() -> list[Path]:
    """The installed versions of FROM_ENV as wheels (downloaded once, then kept)."""
    out = []
    for dist in FROM_ENV:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            sys.exit(f"build_lite_wheels: {dist} is not installed here (run `make install`)")
        target = PYPI / wheel_name(dist, version)
        if not target.is_file():
            for old in PYPI.glob(f"{dist.replace('-', '_')}-*.whl"):
                old.unlink()
            _pip(
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(PYPI),
                f"{dist}=={version}",
            )
        if not target.is_file():
            sys.exit(f"build_lite_wheels: pip did not produce {target.name}")
        out.append(target)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    PYPI.mkdir(parents=True, exist_ok=True)
    wheels = [build_project_wheel(), *fetch_env_wheels()]
    unexpected = sorted(set(PYPI.glob("*.whl")) - set(wheels))
    for stray in unexpected:  # anything else would be served to readers too
        stray.unlink()
    print("build_lite_wheels: lite/pypi/ has " + ", ".join(w.name for w in wheels))


if __name__ == "__main__":
    main()
