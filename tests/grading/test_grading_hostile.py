"""The grader against honest and hostile submissions (tests/grading/hostile/cases.py).

Everything runs in a throwaway copy of the project (nnlib, the solutions in a git repository,
the generated exercises), so a case that got through the sandbox could only damage the copy:
the real command line grades one folder per student, two kernels at a time, with the grader's
environment holding secrets a kernel must not see. Afterwards the copy, the environment's
site-packages and the process table are checked for anything a case left behind.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile.cases import CASES, MARKER, Env, write_case
from hostile.fixture import NAME, fixture_notebook

from nnlib.grading.sandbox import probe

pytestmark = pytest.mark.slow  # about a minute of kernels; part of `make test`

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = "10"  # seconds per cell: generous, the machine may be busy


def _ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture(scope="module")
def sandbox_available():
    why = probe()
    if why is not None:
        if _ci():
            pytest.fail(f"the sandbox must work on CI: {why}")
        pytest.skip(f"no sandbox here: {why}")


def _tree_digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(path)).encode() + p.read_bytes())
    return h.hexdigest()


def make_copy(tmp: Path) -> Path:
    """A throwaway project: nnlib, solutions (the fixture set and the book's sets, committed to
    git), and exercises generated from them."""
    import nbformat

    copy = tmp / "project"
    shutil.copytree(ROOT / "nnlib", copy / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "solutions").mkdir()
    for p in (ROOT / "solutions").glob("*.ipynb"):
        shutil.copy(p, copy / "solutions" / p.name)
    nbformat.write(fixture_notebook(), copy / "solutions" / NAME)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    subprocess.run(
        [sys.executable, "-m", "nnlib.grading", "generate", "--source", "solutions"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(git + ["add", "."], cwd=copy, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "course"], cwd=copy, check=True)
    return copy


def grade(copy: Path, *args: str, env: dict | None = None, timeout: float = 900):
    return subprocess.run(
        [sys.executable, "-m", "nnlib.grading", "grade", *args],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(copy), **(env or {})},
    )


def _marked_processes() -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if MARKER in cmd and "pytest" not in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


@pytest.fixture(scope="module")
def class_run(tmp_path_factory, sandbox_available):
    tmp = tmp_path_factory.mktemp("hostile")
    copy = make_copy(tmp)
    env = Env(copy)
    subs = copy / "submissions"
    for case in CASES:
        write_case(case, env, subs)
    before = {"nnlib": _tree_digest(copy / "nnlib"), "solutions": _tree_digest(copy / "solutions")}
    site_before = {p: sorted(os.listdir(p)) for p in site.getsitepackages() if os.path.isdir(p)}
    out = tmp / "out"
    out.mkdir()
    (out / "github_output").write_text("")
    start = time.monotonic()
    proc = grade(
        copy,
        "submissions",
        "--source",
        "solutions",
        "--timeout",
        TIMEOUT,
        "--jobs",
        "2",
        "--json",
        str(out / "verdicts.json"),
        "--gradebook",
        str(out / "gradebook.csv"),
        "--totals",
        str(out / "totals.csv"),
        "--feedback",
        str(out / "feedback"),
        "--markdown",
        str(out / "summary.md"),
        "--classroom",
        env={
            "GITHUB_OUTPUT": str(out / "github_output"),
            "GITHUB_TOKEN": "ghp_secret",
            "NNBOOK_SECRET_TOKEN": "secret",
        },
    )
    seconds = time.monotonic() - start
    time.sleep(1.0)  # anything a case left running would show now
    leftovers = _marked_processes()
    verdicts = {v["path"]: v for v in json.loads((out / "verdicts.json").read_text())}
    after = {"nnlib": _tree_digest(copy / "nnlib"), "solutions": _tree_digest(copy / "solutions")}
    site_after = {p: sorted(os.listdir(p)) for p in site_before}
    planted = [
        str(p)
        for p in copy.rglob("*")
        if p.is_file() and "submissions" not in p.parts and b"NNBOOK_PLANTED" in p.read_bytes()
    ]
    print(f"graded {len(CASES)} submissions in {seconds:.1f} s")
    return {
        "proc": proc,
        "verdicts": verdicts,
        "out": out,
        "copy": copy,
        "leftovers": leftovers,
        "unchanged": before == after,
        "site_unchanged": site_before == site_after,
        "planted": planted,
    }


def test_a_class_run_gives_every_student_a_verdict(class_run):
    proc, verdicts, out = class_run["proc"], class_run["verdicts"], class_run["out"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(verdicts) == sorted(c.rel() for c in CASES)
    assert proc.stdout.splitlines()[-1].startswith("score: ")  # --classroom is quiet
    lines = (out / "github_output").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("result="), lines  # nothing forged in
    result = json.loads(base64.b64decode(lines[0][len("result=") :]))
    assert result["version"] == 3
    assert sum(t["score"] for t in result["tests"]) == pytest.approx(
        sum(v["score"] for v in verdicts.values())
    )
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert {r["student_id"] for r in rows} == {c.name for c in CASES}
    totals = {
        r["student_id"]: float(r["score"]) for r in csv.DictReader((out / "totals.csv").open())
    }
    assert totals["reference"] == 6 and totals["blank"] == 0
    assert (
        (out / "feedback" / "wrong_sigmoid.md")
        .read_text()
        .startswith("# Feedback for wrong_sigmoid")
    )
    assert (out / "summary.md").read_text().startswith("## Exercise grading:")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_submission_gets_the_verdict_it_deserves(class_run, case):
    v = class_run["verdicts"][case.rel()]
    detail = json.dumps(v, indent=1)[:6000]
    assert v["score"] == pytest.approx(case.score), detail
    assert v["student"] == case.name
    statuses = {t["grade_id"]: t["status"] for t in v["tests"]}
    for gid, status in case.statuses.items():
        assert statuses.get(gid) == status, detail
    if case.note:
        text = (
            " ".join(v["notes"]) + (v["error"] or "") + " ".join(t["message"] for t in v["tests"])
        )
        assert case.note in text, detail
    for t in v["tests"]:
        assert 0 <= t["points"] <= t["max_points"] and t["message"]


def test_nothing_escaped_the_sandbox(class_run):
    assert class_run["unchanged"], "a case changed the copy's nnlib or solutions"
    assert class_run["site_unchanged"], "a case wrote into site-packages"
    assert class_run["leftovers"] == [], class_run["leftovers"]
    assert class_run["planted"] == [], class_run["planted"]  # no .pyc, .py or notebook planted


def test_feedback_names_what_was_wrong_but_never_hidden_values(class_run):
    verdicts = class_run["verdicts"]
    wrong = {t["grade_id"]: t for t in verdicts[f"wrong_sigmoid/{NAME}"]["tests"]}
    msg = wrong["test_sigmoid_values"]["message"]
    assert "expected 0.5" in msg and "got 0" in msg and "Hint: sigma(0) = 1 / (1 + e^0)" in msg
    hidden = [c for c in wrong["test_sigmoid_values"]["checks"] if c["hidden"]]
    assert hidden and all(not c["ok"] for c in hidden)
    assert all("does not match the reference solution" in c["message"] for c in hidden)
    assert all("expected" not in c["message"] for c in hidden)  # no hidden value leaks
    every = [c for t in wrong.values() for c in t["checks"] if not c["ok"]]
    assert len(every) > 3  # every failing check is reported, not only the first
    naive = {t["grade_id"]: t["message"] for t in verdicts[f"naive_sigmoid/{NAME}"]["tests"]}
    assert "raised FloatingPointError" in naive["test_sigmoid_stable"]


def test_the_grader_refuses_to_run_without_a_sandbox_unless_told(tmp_path, sandbox_available):
    copy = make_copy(tmp_path)
    sub = copy / "alice" / NAME
    sub.parent.mkdir()
    shutil.copy(copy / "exercises" / NAME, sub)
    missing = grade(copy, str(sub), "--source", "solutions", env={"NNBOOK_BWRAP": "/nonexistent"})
    assert missing.returncode == 2 and "bubblewrap (bwrap) is not installed" in missing.stderr
    out = copy / "v.json"
    unsafe = grade(
        copy,
        str(sub),
        "--source",
        "solutions",
        "--no-sandbox",
        "--json",
        str(out),
        env={"NNBOOK_BWRAP": "/nonexistent"},
    )
    assert unsafe.returncode == 0 and "WARNING: --no-sandbox" in unsafe.stderr
    assert json.loads(out.read_text())["score"] == 0


def test_outputs_the_grader_cannot_write_fail_loudly_and_lose_nothing(tmp_path, sandbox_available):
    copy = make_copy(tmp_path)
    subs = copy / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(copy / "exercises" / NAME, subs / "alice" / NAME)
    (copy / "taken.json").mkdir()
    proc = grade(
        copy, "subs", "--source", "solutions", "--json", "taken.json", "--gradebook", "g.csv"
    )
    assert proc.returncode == 2 and "taken.json is a directory" in proc.stderr
    assert "TOTAL 0/6" in proc.stdout  # the verdict was still printed
    assert (copy / "g.csv").read_text().count("\n") == 2  # and the other outputs written


def test_min_score_forget_source_and_failing_references(tmp_path, sandbox_available):
    copy = make_copy(tmp_path)
    sub = copy / NAME
    shutil.copy(copy / "exercises" / NAME, sub)
    private = copy / "private"
    private.mkdir()
    shutil.copy(copy / "solutions" / NAME, private / NAME)
    proc = grade(
        copy,
        str(sub),
        "--source",
        "private",
        "--min-score",
        "0.5",
        "--json",
        "v.json",
        "--forget-source",
    )
    assert proc.returncode == 1 and "below --min-score" in proc.stderr, proc.stderr
    assert not (private / NAME).exists()
    assert json.loads((copy / "v.json").read_text())["max_score"] == 6
    # a source whose reference solution fails its own test: no verdict, exit 2
    nb = json.loads((copy / "solutions" / NAME).read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "unit_output":
            cell["source"] = (
                "def unit_output(w, x, b):\n    ### BEGIN SOLUTION\n"
                "    return 0.0\n    ### END SOLUTION"
            )
    (private / NAME).write_text(json.dumps(nb))
    bad = grade(copy, str(sub), "--source", "private")
    assert bad.returncode == 2 and "reference solution" in bad.stderr
