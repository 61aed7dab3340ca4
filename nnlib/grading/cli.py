"""Command line: ``python -m nnlib.grading generate|grade``.

Exit status of ``grade``: 0 whenever a verdict was produced for every notebook (whatever the
score); 1 when ``--min-score`` is given and some notebook scored below it; 2 when the grader
itself could not run (missing paths, unusable or failing reference solutions, internal errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .generate import generate, render_exercise
from .grader import DEFAULT_TIMEOUT, discover_sets, grade_many, reference, submissions_in
from .notebook import NotebookError
from .report import classroom, classroom_base64, markdown, table
from .score import GraderError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_source_dir() -> Path:
    """``./solutions`` if present, else the ``solutions/`` next to the nnlib package."""
    here = Path("solutions")
    return here if here.is_dir() else PACKAGE_ROOT / "solutions"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nnlib.grading", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write exercises/NN_topic.ipynb from solutions/")
    g.add_argument("names", nargs="*", help="set names like 01_units (default: all)")
    g.add_argument("--source", type=Path, default=None, help="solutions directory")
    g.add_argument("--out", type=Path, default=None, help="exercises directory")
    g.add_argument("--check", action="store_true", help="only report out-of-date files (exit 1)")

    r = sub.add_parser("grade", help="grade a submitted notebook or a directory of them")
    r.add_argument("submission", type=Path)
    r.add_argument("--json", type=Path, help="write the verdict(s) as JSON to this file")
    r.add_argument("--classroom", action="store_true", help="print GitHub Classroom v3 result")
    r.add_argument("--markdown", type=Path, help="append a Markdown summary to this file")
    r.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per cell")
    r.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="fail (exit 1) if a notebook scores below this fraction of its maximum (0-1)",
    )
    r.add_argument("--source", type=Path, default=None, help="solutions directory")
    r.add_argument("--jobs", type=int, default=1, help="notebooks graded in parallel")
    r.add_argument(
        "--forget-source",
        action="store_true",
        help="CI only: run the reference solutions, then DELETE the source notebooks before "
        "any submission runs, so student code cannot read them",
    )
    return p


def cmd_generate(args: argparse.Namespace) -> int:
    source = args.source or default_source_dir()
    out_dir = args.out or source.parent / "exercises"
    paths = sorted(source.glob("*.ipynb"))
    if args.names:
        wanted = {n if n.endswith(".ipynb") else n + ".ipynb" for n in args.names}
        unknown = wanted - {p.name for p in paths}
        if unknown:
            print(
                f"no such exercise set in {source}: {', '.join(sorted(unknown))}", file=sys.stderr
            )
            return 2
        paths = [p for p in paths if p.name in wanted]
    stale = 0
    for path in paths:
        try:
            if args.check:
                target = out_dir / path.name
                current = target.read_text(encoding="utf-8") if target.exists() else None
                if current != render_exercise(path):
                    print(f"out of date: {target} (run python -m nnlib.grading generate)")
                    stale += 1
            else:
                print(f"wrote {generate(path, out_dir)}")
        except NotebookError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
    return 1 if stale else 0


def cmd_grade(args: argparse.Namespace) -> int:
    try:
        sets = discover_sets(args.source or default_source_dir())
        paths = submissions_in(args.submission)
    except GraderError as exc:
        print(f"grader error: {exc}", file=sys.stderr)
        return 2
    if not paths:
        print(f"grader error: no notebooks in {args.submission}", file=sys.stderr)
        return 2
    if args.forget_source:
        try:
            for exset in sets.values():
                if exset.problem is None:
                    reference(exset, args.timeout)
        except GraderError as exc:
            print(f"grader error: {exc}", file=sys.stderr)
            return 2
        for exset in sets.values():
            exset.path.unlink(missing_ok=True)
    verdicts, failures = grade_many(paths, sets, args.timeout, args.jobs)
    for v in verdicts:
        print(table(v))
    if len(verdicts) > 1:
        total = sum(v.score for v in verdicts)
        print(f"== {len(verdicts)} notebooks, {total:g}/{sum(v.max_score for v in verdicts):g}")
    if args.json:
        data = [v.to_json() for v in verdicts]
        one = not args.submission.is_dir()
        args.json.write_text(json.dumps(data[0] if one else data, indent=2) + "\n")
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write(markdown(verdicts) + "\n")
    if args.classroom:
        encoded = classroom_base64(verdicts)
        print("GitHub Classroom result (version 3):")
        print(json.dumps(classroom(verdicts)))
        print(f"base64: {encoded}")
        if os.environ.get("GITHUB_OUTPUT"):
            with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
                fh.write(f"result={encoded}\n")
    if failures:
        print("grader error:\n" + "\n".join(failures), file=sys.stderr)
        return 2
    if args.min_score is not None:
        low = [v for v in verdicts if v.score < args.min_score * v.max_score or v.max_score == 0]
        if low:
            names = ", ".join(v.notebook for v in low)
            print(f"below --min-score {args.min_score:g}: {names}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m nnlib.grading``."""
    args = _parser().parse_args(argv)
    return cmd_generate(args) if args.command == "generate" else cmd_grade(args)
