"""Command line: ``python -m nnlib.grading generate|grade`` (``nnbook-grade`` = ``grade``).

Exit status of ``grade``: 0 whenever a verdict was produced for every notebook (whatever the
score); 1 when ``--min-score`` is given and some notebook scored below it; 2 when the grader
itself could not run (missing paths, no sandbox, unusable or failing reference solutions,
unwritable output files, internal errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("nbformat", "IPython", "traitlets")


def missing_extra() -> str | None:
    """None if the ``grading`` extra is installed, else a message saying how to install it."""
    import importlib.util

    absent = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if not absent:
        return None
    return (
        f"the grader needs {', '.join(absent)}, which are not installed: install the 'grading' "
        "extra of the nnbook distribution, e.g. `pip install 'nnbook[grading]'` (or "
        "`pip install -e '.[grading]'` in a checkout)"
    )


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

    r = sub.add_parser("grade", help="grade a submitted notebook or a folder of them")
    _grade_arguments(r)

    c = sub.add_parser(
        "check",
        help="run exercise notebooks as they are and report their visible checks (no solutions "
        "needed: the students' own advisory check)",
    )
    c.add_argument("notebooks", nargs="+", type=Path)
    c.add_argument("--timeout", type=float, default=60.0, help="seconds per cell")
    c.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap")
    return p


def _grade_arguments(r: argparse.ArgumentParser) -> None:
    from .grader import DEFAULT_TIMEOUT

    r.add_argument(
        "submission",
        type=Path,
        help="a notebook, or a folder searched recursively (one subfolder per student)",
    )
    r.add_argument("--source", type=Path, default=None, help="solutions directory")
    r.add_argument("--json", type=Path, help="write the verdicts as JSON to this file")
    r.add_argument("--gradebook", type=Path, help="write a CSV gradebook (nbgrader's columns)")
    r.add_argument("--totals", type=Path, help="write per-student totals as CSV")
    r.add_argument("--feedback", type=Path, help="write one feedback file per student here")
    r.add_argument("--markdown", type=Path, help="append a Markdown summary to this file")
    r.add_argument(
        "--classroom",
        action="store_true",
        help="quiet mode for GitHub Actions: print only the result (GitHub Classroom v3 JSON, "
        "also written as result= to $GITHUB_OUTPUT) and the totals",
    )
    r.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per cell")
    r.add_argument("--jobs", type=int, default=1, help="notebooks graded in parallel")
    r.add_argument("--seed", type=int, default=None, help="hidden seed (default: random)")
    r.add_argument("--memory", type=int, default=3072, help="memory limit per kernel (MB)")
    r.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="fail (exit 1) if a notebook scores below this fraction of its maximum (0-1)",
    )
    r.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code WITHOUT the sandbox (bubblewrap): only on a throwaway machine",
    )
    r.add_argument(
        "--forget-source",
        action="store_true",
        help="delete the source notebooks once they are read, before any student code runs",
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate, render_exercise
    from .notebook import NotebookError

    source = args.source or default_source_dir()
    if not source.is_dir():
        print(
            f"generate: no solutions folder at {source} (give one with --source)", file=sys.stderr
        )
        return 2
    out_dir = args.out or source.parent / "exercises"
    paths = sorted(source.glob("*.ipynb"))
    if not paths:
        print(f"generate: no exercise sets (*.ipynb) in {source}", file=sys.stderr)
        return 2
    if args.names:
        wanted = {n if n.endswith(".ipynb") else n + ".ipynb" for n in args.names}
        unknown = wanted - {p.name for p in paths}
        if unknown:
            print(
                f"no such exercise set in {source}: {', '.join(sorted(unknown))}", file=sys.stderr
            )
            return 2
        paths = [p for p in paths if p.name in wanted]
    stale = failed = 0
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
            print(f"refused: {exc}", file=sys.stderr)
            failed += 1
    return 2 if failed else 1 if stale else 0


def _write_outputs(args: argparse.Namespace, verdicts: list, single: bool) -> list[str]:
    from .report import feedback, gradebook_csv, markdown, totals_csv, write_atomic

    errors = []
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")

    def attempt(what: str, fn) -> None:
        try:
            fn()
        except OSError as exc:
            errors.append(f"cannot write the {what}: {exc}")

    if args.json:
        data = [v.to_json() for v in verdicts]
        text = json.dumps(data[0] if single and len(data) == 1 else data, indent=2) + "\n"
        attempt("JSON verdicts", lambda: write_atomic(args.json, text))
    if args.gradebook:
        attempt("gradebook", lambda: write_atomic(args.gradebook, gradebook_csv(verdicts, stamp)))
    if args.totals:
        attempt("totals", lambda: write_atomic(args.totals, totals_csv(verdicts)))
    if args.feedback:

        def write_feedback() -> None:
            args.feedback.mkdir(parents=True, exist_ok=True)
            by_student: dict[str, list] = {}
            for v in verdicts:
                by_student.setdefault(v.student or Path(v.notebook).stem, []).append(v)
            for student, vs in by_student.items():
                safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student)
                write_atomic(
                    args.feedback / f"{safe.strip('.') or 'student'}.md", feedback(student, vs)
                )

        attempt("feedback files", write_feedback)
    if args.markdown:

        def append_md() -> None:
            with open(args.markdown, "a", encoding="utf-8") as fh:
                fh.write(markdown(verdicts) + "\n")

        attempt("Markdown summary", append_md)
    return errors


def cmd_grade(args: argparse.Namespace) -> int:
    from .grader import Session, discover_sets, discover_submissions
    from .report import classroom, classroom_base64, table
    from .sandbox import Limits, probe
    from .score import GraderError

    quiet = args.classroom

    def say(msg: str = "") -> None:
        if not quiet:
            print(msg, flush=True)

    if args.no_sandbox:
        print(
            "WARNING: --no-sandbox: student code runs with your user's rights, sees your files "
            "and processes, and can reach the network. Use it only on a machine that holds "
            "nothing of value.",
            file=sys.stderr,
        )
    else:
        why = probe()
        if why is not None:
            print(f"grader error: cannot sandbox student code: {why}", file=sys.stderr)
            return 2
    try:
        sets = discover_sets(args.source or default_source_dir())
        subs, warnings = discover_submissions(args.submission)
    except GraderError as exc:
        print(f"grader error: {exc}", file=sys.stderr)
        return 2
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not subs:
        print(f"grader error: no notebooks in {args.submission}", file=sys.stderr)
        return 2
    for name, exset in sets.items():
        if exset.problem:
            print(f"warning: exercise set {name} is unusable: {exset.problem}", file=sys.stderr)
    if args.forget_source:
        for exset in sets.values():
            exset.path.unlink(missing_ok=True)  # already in memory
    session = Session(
        sets,
        args.timeout,
        seed=args.seed,
        sandbox=not args.no_sandbox,
        jobs=args.jobs,
        limits=Limits(memory_mb=args.memory),
    )

    def progress(i: int, n: int, v) -> None:
        if not quiet:
            print(
                f"[{i}/{n}] {v.path or v.notebook}: "
                f"{v.score:g}/{v.max_score:g} ({v.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    verdicts, failures = session.grade_many(subs, progress)
    for v in verdicts:
        say(table(v))
    if len(verdicts) > 1:
        total = sum(v.score for v in verdicts)
        say(f"== {len(verdicts)} notebooks, {total:g}/{sum(v.max_score for v in verdicts):g}")
    single = not args.submission.is_dir()
    errors = _write_outputs(args, verdicts, single)
    if args.classroom:
        encoded = classroom_base64(verdicts)
        print(json.dumps(classroom(verdicts)))
        total = sum(v.score for v in verdicts)
        print(f"score: {total:g}/{sum(v.max_score for v in verdicts):g}")
        if os.environ.get("GITHUB_OUTPUT"):
            try:
                with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
                    fh.write(f"result={encoded}\n")
            except OSError as exc:
                errors.append(f"cannot write $GITHUB_OUTPUT: {exc}")
    if failures or errors:
        print("grader error:\n" + "\n".join(failures + errors), file=sys.stderr)
        return 2
    if args.min_score is not None:
        low = [v for v in verdicts if v.score < args.min_score * v.max_score or v.max_score == 0]
        if low:
            names = ", ".join(v.path or v.notebook for v in low)
            print(f"below --min-score {args.min_score:g}: {names}", file=sys.stderr)
            return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every visible check of every notebook passes, 1 otherwise, 2 on errors."""
    from .grader import practice_run
    from .sandbox import probe

    if not args.no_sandbox:
        why = probe()
        if why is not None:
            print(f"check: cannot sandbox the notebooks: {why}", file=sys.stderr)
            return 2
    worst = 0
    for path in args.notebooks:
        rows, error = practice_run(path, args.timeout, sandbox=not args.no_sandbox)
        print(f"== {path}")
        if error:
            print(f"   cannot run: {error}")
            worst = 2
            continue
        for gid, status, msg in rows:
            print(f"   {status:<8} {gid}: {msg}")
        ok = sum(1 for r in rows if r[1] == "ok")
        print(
            f"   {ok}/{len(rows)} test cells pass their visible checks (advisory: the grade "
            "comes from hidden checks)"
        )
        if ok < len(rows):
            worst = max(worst, 1)
    return worst


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m nnlib.grading``."""
    why = missing_extra()
    if why is not None:
        print(f"nnlib.grading: {why}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    commands = {"generate": cmd_generate, "grade": cmd_grade, "check": cmd_check}
    return commands[args.command](args)


def grade_main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nnbook-grade`` console command (= ``python -m nnlib.grading grade``)."""
    why = missing_extra()
    if why is not None:
        print(f"nnbook-grade: {why}", file=sys.stderr)
        return 2
    p = argparse.ArgumentParser(prog="nnbook-grade", description="Grade nnbook exercise notebooks.")
    _grade_arguments(p)
    return cmd_grade(p.parse_args(argv))
