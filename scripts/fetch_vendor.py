"""Fetch the JavaScript the built book serves itself, so the site makes no third-party requests.

Usage (the Makefile's `vendor` step runs it before every `make book`; it is a no-op when the
pinned versions are already in place):

    python3 scripts/fetch_vendor.py            # fetch into _vendor/ unless already there
    python3 scripts/fetch_vendor.py --force    # fetch again

What lands in `_vendor/` (git-ignored; `_config.yml` lists it in `html_static_path`, so Sphinx
copies its contents into `_build/html/_static/`):

    _vendor/mathjax/            the `es5/` folder of npm `mathjax@3` (tex-mml-chtml.js + fonts)
    _vendor/widgets/require.js  npm `requirejs` (AMD loader the widget manager needs)
    _vendor/widgets/*.js, fonts npm `@jupyter-widgets/html-manager` `dist/` (embed-amd.js and the
                                font files it references by relative URL)

Only the npm client is used (`npm pack`: downloads the package tarballs, no dependency tree).
Standard library only, so it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"
STAMP = VENDOR / ".versions.json"

# Pinned: html-manager 1.0.x is the one that renders ipywidgets 8 widget state.
PACKAGES = {
    "mathjax": "3.2.2",
    "requirejs": "2.3.8",
    "@jupyter-widgets/html-manager": "1.0.15",
}
# Files of the html-manager's dist/ that the page needs: the AMD bundle and its font files.
WIDGET_SUFFIXES = (".eot", ".svg", ".ttf", ".woff", ".woff2")


def _npm_pack(spec: str, dest: Path) -> Path:
    """Download one package tarball with `npm pack` and return its path."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("fetch_vendor: `npm` was not found on PATH; install Node.js/npm to build the book")
    result = subprocess.run(
        [npm, "pack", "--silent", "--pack-destination", str(dest), spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"fetch_vendor: `npm pack {spec}` failed:\n{result.stderr.strip()}")
    name = result.stdout.strip().splitlines()[-1]
    path = dest / name
    if not path.is_file():
        sys.exit(f"fetch_vendor: `npm pack {spec}` did not produce {path}")
    return path


def _extract(tarball: Path, prefix: str, target: Path, keep=lambda name: True) -> int:
    """Copy members of `tarball` under `prefix` into `target` (prefix stripped); return count."""
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            rel = member.name[len(prefix) :]
            if not rel or ".." in Path(rel).parts or not keep(rel):
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            out.write_bytes(source.read())
            count += 1
    return count


def fetch() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        staging = tmpdir / "vendor"
        tarballs = {name: _npm_pack(f"{name}@{ver}", tmpdir) for name, ver in PACKAGES.items()}

        n_mathjax = _extract(tarballs["mathjax"], "package/es5/", staging / "mathjax")
        n_require = _extract(
            tarballs["requirejs"], "package/", staging / "widgets", lambda r: r == "require.js"
        )
        n_widgets = _extract(
            tarballs["@jupyter-widgets/html-manager"],
            "package/dist/",
            staging / "widgets",
            lambda r: "/" not in r and (r == "embed-amd.js" or r.endswith(WIDGET_SUFFIXES)),
        )
        for label, n, needed in [
            ("mathjax/tex-mml-chtml.js", n_mathjax, staging / "mathjax" / "tex-mml-chtml.js"),
            ("widgets/require.js", n_require, staging / "widgets" / "require.js"),
            ("widgets/embed-amd.js", n_widgets, staging / "widgets" / "embed-amd.js"),
        ]:
            if n == 0 or not needed.is_file():
                sys.exit(f"fetch_vendor: {label} missing from the downloaded package")

        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        shutil.move(str(staging), str(VENDOR))
        STAMP.write_text(json.dumps(PACKAGES, indent=2) + "\n")
        print(
            f"fetch_vendor: _vendor/ ready (mathjax {n_mathjax} files, "
            f"widgets {n_widgets + n_require} files)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch even if already up to date")
    args = parser.parse_args(argv)
    if not args.force and STAMP.is_file():
        try:
            if json.loads(STAMP.read_text()) == PACKAGES:
                print("fetch_vendor: _vendor/ is up to date")
                return
        except json.JSONDecodeError:
            pass
    fetch()


if __name__ == "__main__":
    main()
