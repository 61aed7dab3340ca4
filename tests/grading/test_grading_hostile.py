"""The grader against honest and hostile submissions (tests/hostile/cases.py), graded as one
directory through the command line, two notebooks at a time, with a 10-second cell limit."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.cases import CASES, write_case

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = "10"  # seconds per cell: generous, the machine may be busy


def grade(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "nnlib.grading",
            "grade",
            *args,
            "--source",
            str(ROOT / "solutions"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def directory_run(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    for case in CASES:
        write_case(case, subs)
    out = tmp_path_factory.mktemp("out")
    gh_output = out / "github_output"
    proc = grade(
        str(subs),
        "--timeout",
        TIMEOUT,
        "--jobs",
        "2",
        "--json",
        str(out / "verdicts.json"),
        "--markdown",
        str(out / "summary.md"),
        "--classroom",
        env={"GITHUB_OUTPUT": str(gh_output)},
    )
    verdicts = {v["notebook"]: v for v in json.loads((out / "verdicts.json").read_text())}
    return proc, verdicts, out


def test_a_directory_run_produces_a_verdict_for_every_notebook(directory_run):
    proc, verdicts, out = directory_run
    assert proc.returncode == 0, proc.stderr
    assert sorted(verdicts) == sorted(c.file() for c in CASES)
    assert proc.stdout.splitlines()[-1].startswith("score: ")  # --classroom is quiet
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## Exercise grading:") and "reference-01_units.ipynb" in summary
    line = (out / "github_output").read_text().strip()
    assert line.startswith("result=")
    result = json.loads(base64.b64decode(line[len("result=") :]))
    assert result["version"] == 3 and result["max_score"] == sum(
        v["max_score"] for v in verdicts.values()
    )
    assert sum(t["score"] for t in result["tests"]) == sum(v["score"] for v in verdicts.values())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_submission_gets_the_verdict_it_deserves(directory_run, case):
    _, verdicts, _ = directory_run
    v = verdicts[case.file()]
    detail = json.dumps(v, indent=1)
    assert v["score"] == case.score, detail
    statuses = {t["grade_id"]: t["status"] for t in v["tests"]}
    for gid, status in case.statuses.items():
        assert statuses.get(gid) == status, detail
    if case.note:
        assert case.note in " ".join(v["notes"]) + (v["error"] or "") + " ".join(
            t["message"] for t in v["tests"]
        ), detail
    for t in v["tests"]:
        assert 0 <= t["points"] <= t["max_points"] and t["message"]


def test_failing_feedback_shows_expected_and_got_but_never_hidden_values(directory_run):
    _, verdicts, _ = directory_run
    wrong = {t["grade_id"]: t["message"] for t in verdicts["wrong_sigmoid-01_units.ipynb"]["tests"]}
    assert (
        "expected 0.5" in wrong["test_sigmoid_values"] and "got 0" in wrong["test_sigmoid_values"]
    )
    assert "Hint: sigma(0) = 1 / (1 + e^0)" in wrong["test_sigmoid_values"]
    naive = {t["grade_id"]: t["message"] for t in verdicts["naive_sigmoid-01_units.ipynb"]["tests"]}
    assert "raised FloatingPointError" in naive["test_sigmoid_stable"]
    for v in verdicts.values():
        for t in v["tests"]:
            assert "0.6224593" not in t["message"]  # a hidden expected value


def test_min_score_and_forget_source(tmp_path):
    """--min-score turns a low score into exit 1; --forget-source deletes the sources (after
    running the reference) before any student code runs, and grading still works."""
    src = tmp_path / "private"
    src.mkdir()
    (src / "01_units.ipynb").write_bytes((ROOT / "solutions" / "01_units.ipynb").read_bytes())
    sub = tmp_path / "01_units.ipynb"
    sub.write_bytes((ROOT / "exercises" / "01_units.ipynb").read_bytes())
    out = tmp_path / "v.json"
    proc = subprocess.run(
        [sys.executable, "-m", "nnlib.grading", "grade", str(sub), "--source", str(src)]
        + ["--timeout", TIMEOUT, "--min-score", "0.5", "--json", str(out), "--forget-source"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "below --min-score" in proc.stderr
    assert not (src / "01_units.ipynb").exists()
    v = json.loads(out.read_text())
    nb = json.loads((ROOT / "solutions" / "01_units.ipynb").read_text())
    points = sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in nb["cells"])
    assert isinstance(v, dict) and v["score"] == 0 and v["max_score"] == points > 0


def test_the_grader_fails_loudly_only_for_its_own_problems(tmp_path):
    missing = grade(str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    # a source whose reference solution fails its own test: the grader cannot give a verdict
    src = tmp_path / "solutions"
    src.mkdir()
    nb = json.loads((ROOT / "solutions" / "01_units.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "unit_output":
            cell["source"] = (
                "def unit_output(w, x, b):\n"
                "    ### BEGIN SOLUTION\n    return 0.0\n    ### END SOLUTION"
            )
    (src / "01_units.ipynb").write_text(json.dumps(nb))
    sub = tmp_path / "01_units.ipynb"
    sub.write_bytes((ROOT / "exercises" / "01_units.ipynb").read_bytes())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnlib.grading",
            "grade",
            str(sub),
            "--source",
            str(src),
            "--timeout",
            TIMEOUT,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2 and "reference solution" in proc.stderr
