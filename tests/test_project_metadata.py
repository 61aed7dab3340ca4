"""Facts that live in one place stay in step everywhere they are repeated: the repository URL
(`repository.url` in _config.yml), the version (`nnlib.__version__`), the distribution name and
the licences."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import yaml

import nnlib

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text()
# The installed distribution's metadata (what pip and the package index see; `make install`
# reinstalls whenever pyproject.toml changes). tomllib would need Python 3.11.
META = importlib.metadata.metadata("nnbook")
REPO = CONFIG["repository"]["url"].rstrip("/")
OWNER, NAME = REPO.removeprefix("https://github.com/").split("/")
PAGES = f"https://{OWNER}.github.io/{NAME}/"

# Files that name the repository: every GitHub URL in them that names a repository called like
# this one, or an owner called like it, must be this one (other projects may be cited freely).
DOC_FILES = [
    "README.md",
    "CHANGELOG.md",
    "CITATION.cff",
    "LICENSE-content",
    "pyproject.toml",
    "_config.yml",
    "binder/postBuild",
    *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "book").glob("*.md"))),
    *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "book").glob("*.ipynb"))),
    *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "solutions").glob("*.ipynb"))),
    *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "exercises").glob("*.ipynb"))),
]
GITHUB = re.compile(r"github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?(?=[/\s\"'@)#>]|$)")


def test_repository_url_is_the_same_everywhere():
    assert REPO.startswith("https://github.com/"), REPO
    wrong = []
    for rel in DOC_FILES:
        text = (ROOT / rel).read_text(encoding="utf-8")
        for owner, name in GITHUB.findall(text):
            slug = f"{owner}/{name}"
            ours = name.lower() in {NAME.lower(), "nnlib"} or owner.lower() == OWNER.lower()
            if ours and slug != f"{OWNER}/{NAME}":
                wrong.append(f"{rel}: github.com/{slug}")
        for owner, name in re.findall(r"https://([\w-]+)\.github\.io/([\w.-]+)", text):
            if (owner, name) != (OWNER, NAME):
                wrong.append(f"{rel}: {owner}.github.io/{name}")
    assert not wrong, f"repository is {REPO} (_config.yml), but:\n" + "\n".join(wrong)


def test_launch_buttons_open_this_release():
    """Binder and Colab open the notebooks of the tag the install cell installs nnlib from."""
    assert CONFIG["repository"]["branch"] == f"v{nnlib.__version__}"


def test_pyproject_urls_and_citation_follow_the_config():
    urls = dict(u.split(", ", 1) for u in META.get_all("Project-URL"))
    assert urls["Source"] == REPO
    assert urls["Issues"] == f"{REPO}/issues"
    assert urls["Homepage"] == urls["Documentation"] == PAGES
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"] == REPO and cff["url"] == PAGES


def test_version_lives_in_one_place():
    assert re.search(r'^dynamic = \["version"\]', PYPROJECT_TEXT, re.MULTILINE)
    assert not re.search(r"^version\s*=\s*\"", PYPROJECT_TEXT, re.MULTILINE)  # no literal
    assert 'version = { attr = "nnlib.__version__" }' in PYPROJECT_TEXT
    assert META["Version"] == nnlib.__version__, "reinstall: make install"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", nnlib.__version__), nnlib.__version__
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == nnlib.__version__, "CITATION.cff version differs from nnlib"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{nnlib.__version__}]" in changelog, "CHANGELOG.md has no entry for this version"


def test_distribution_name_is_never_nnlib():
    """`nnlib` on the package index is an unrelated project: no install path may name it."""
    assert re.search(r'^name = "nnbook"$', PYPROJECT_TEXT, re.MULTILINE)
    assert META["Name"] == "nnbook"
    for req in META.get_all("Requires-Dist"):
        assert not re.match(r"nnlib\b", req), f"nnbook requires {req!r}"
    # An install naming nnlib (as a word, not nnlib/ or nnlib.x), outside comments and warnings
    # that say it is the unrelated project.
    pattern = re.compile(r"pip install[^\n`#]*?(?<![\w/.-])nnlib(?![\w/.-])")
    offenders = []
    templates = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "templates").rglob("*"))
        if p.is_file() and p.suffix in (".yml", ".yaml", ".md")
    ]
    assert templates, "no course templates found under templates/"
    for rel in [*DOC_FILES, "Makefile", *templates]:
        for line in (ROOT / rel).read_text(encoding="utf-8").splitlines():
            if "unrelated" in line:
                continue
            offenders += [f"{rel}: {m.group(0)}" for m in pattern.finditer(line)]
    assert not offenders, "installs naming the wrong distribution:\n" + "\n".join(offenders)


def test_licences_are_stated():
    # An SPDX string (License-Expression), not the deprecated table form (License).
    assert META["License-Expression"] == "MIT" and META.get("License") is None
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    content = (ROOT / "LICENSE-content").read_text()
    assert "Attribution-ShareAlike 4.0 International" in content
    assert "Section 3 – License Conditions." in content or "Section 3" in content
    footer = CONFIG["html"]["extra_footer"]
    assert "creativecommons.org/licenses/by-sa/4.0" in footer and "MIT" in footer
    readme = (ROOT / "README.md").read_text()
    assert "CC BY-SA 4.0" in readme and "MIT" in readme
    classifiers = META.get_all("Classifier")
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers


def test_ci_copy_of_the_config_finds_the_books_extension():
    """CI builds with _build/_config_ci.yml (Makefile); Jupyter Book resolves local_extensions
    against the config file's folder, so the copy must still point at scripts/."""
    import subprocess

    target = ROOT / "_build" / "_config_ci.yml"
    subprocess.run(
        ["make", "-s", "-B", "_build/_config_ci.yml"], cwd=ROOT, check=True, capture_output=True
    )
    ci = yaml.safe_load(target.read_text())
    assert ci["execute"]["execute_notebooks"] == "force"
    for name, path in ci["sphinx"]["local_extensions"].items():
        folder = (target.parent / path).resolve()
        assert (folder / f"{name}.py").is_file(), f"{name}: {path} -> {folder}"
    # Everything else is the same configuration.
    plain = yaml.safe_load((ROOT / "_config.yml").read_text())
    for key in ("execute", "sphinx"):
        ci.pop(key), plain.pop(key)
    assert ci == plain
