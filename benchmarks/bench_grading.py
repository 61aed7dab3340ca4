"""Time grading one notebook with and without the sandbox, side by side in one run.

For every exercise set in solutions/, the reference solution (assembled into the student
notebook) is graded ``--rounds`` times in each mode, interleaved, one kernel at a time; the
report gives the median wall time per notebook and the sandbox's overhead. The reference run of
each set is made once per mode before timing (it is cached per grading session).

    python benchmarks/bench_grading.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from nnlib.grading.grader import Session, Submission, discover_sets
from nnlib.grading.notebook import cells_of
from nnlib.grading.sandbox import probe

ROOT = Path(__file__).resolve().parents[1]


def solved(path: Path, out: Path) -> Path:
    exercise = json.loads((ROOT / "exercises" / path.name).read_text(encoding="utf-8"))
    cells = cells_of(json.loads(path.read_text(encoding="utf-8")))
    source = {c.grade_id: c.source for c in cells if c.role == "solution"}
    for cell in exercise["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in source:
            cell["source"] = source[gid]
    target = out / path.name
    target.write_text(json.dumps(exercise), encoding="utf-8")
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    why = probe()
    modes = [False] if why else [False, True]
    if why:
        print(f"sandbox unavailable ({why}); timing --no-sandbox only")
    sets = discover_sets(ROOT / "solutions")
    sessions = {m: Session(sets, 30.0, seed=1, sandbox=m) for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        paths = sorted(s.path for s in sets.values())
        subs = [Submission(solved(p, Path(tmp)), "bench", p.name) for p in paths]
        for s in sessions.values():
            s.prepare(set(sets))
        times: dict[tuple[str, bool], list[float]] = {}
        for _ in range(args.rounds):
            for sub in subs:
                for mode, session in sessions.items():
                    start = time.perf_counter()
                    v = session.grade(sub)
                    times.setdefault((sub.rel, mode), []).append(time.perf_counter() - start)
                    assert v.score == v.max_score, v.to_json()
    print(f"{'notebook':<18} {'no sandbox':>11} {'sandbox':>9} {'overhead':>9}")
    for sub in subs:
        plain = statistics.median(times[(sub.rel, False)])
        boxed = statistics.median(times[(sub.rel, True)]) if True in modes else float("nan")
        print(f"{sub.rel:<18} {plain:>10.2f}s {boxed:>8.2f}s {boxed - plain:>+8.2f}s")


if __name__ == "__main__":
    main()
