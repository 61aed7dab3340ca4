"""The grading sandbox shows kernels the pinned data files of nnlib.data, read-only, and nothing
else of the data cache: exercises on real data (reviews, lexicon, Shakespeare) load them as the
chapters do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnlib.data.cache import WHEELS, derived_path
from nnlib.grading.sandbox import DATA_DIR, Limits, bwrap_command, data_files, probe


@pytest.fixture
def fake_cache(tmp_path, monkeypatch):
    """A data cache holding one pinned wheel (fake bytes), one parse of it, and stray files."""
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(tmp_path))
    spec = WHEELS["lexicon"]
    (tmp_path / spec.filename).write_bytes(b"wheel")
    parsed = derived_path(spec, "rows-v1.json")
    parsed.parent.mkdir(parents=True)
    parsed.write_text("[]")
    (tmp_path / "secret.txt").write_text("not data")
    (tmp_path / "derived" / "other-project.json").write_text("{}")
    return tmp_path, spec, parsed


def test_only_pinned_wheels_and_their_parses_are_exposed(fake_cache):
    root, spec, parsed = fake_cache
    assert data_files() == [root / spec.filename, parsed]


def test_the_sandbox_binds_them_read_only_under_the_data_dir(fake_cache):
    root, spec, parsed = fake_cache
    cmd = bwrap_command(["true"], Limits(), {}, info_fd=3) if probe() is None else None
    if cmd is None:
        pytest.skip(f"no sandbox here: {probe()}")
    binds = [cmd[i + 1 : i + 3] for i, a in enumerate(cmd) if a == "--ro-bind"]
    assert [str(root / spec.filename), f"{DATA_DIR}/{spec.filename}"] in binds
    assert [str(parsed), f"{DATA_DIR}/derived/{parsed.name}"] in binds
    assert not any("secret" in b[0] or "other-project" in b[0] for b in binds)
    i = cmd.index("NNBOOK_DATA_DIR")
    assert cmd[i - 1] == "--setenv" and cmd[i + 1] == DATA_DIR


@pytest.mark.slow
def test_a_sandboxed_kernel_loads_the_lexicon_from_the_warm_cache():
    if probe() is not None:
        pytest.skip(f"no sandbox here: {probe()}")
    if not any(p.name == WHEELS["lexicon"].filename for p in data_files()):
        pytest.skip("the lexicon is not in the data cache (python -m nnlib.data fetch lexicon)")
    code = (
        "from nnlib.data import load_sentiment_lexicon\n"
        "lex = load_sentiment_lexicon()\n"
        "print(len(lex.positive), len(lex.negative))\n"
        f"open('{DATA_DIR}/{WHEELS['lexicon'].filename}', 'ab')\n"  # read-only: must fail
    )
    r, w = os.pipe()
    try:
        cmd = bwrap_command([sys.executable, "-c", code], Limits(), {}, info_fd=w)
        proc = subprocess.run(
            cmd, pass_fds=(w,), capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        os.close(r)
        os.close(w)
    assert proc.stdout.split() == ["3337", "4169"], proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Read-only file system" in proc.stderr, proc.stderr


def test_the_course_workflow_fetches_the_data_before_grading():
    import yaml

    root = Path(__file__).resolve().parents[2]
    workflow = root / "templates/course-grading/.github/workflows/grade.yml"
    steps = yaml.safe_load(workflow.read_text())["jobs"]["grade"]["steps"]
    names = [s.get("name", "") for s in steps]
    fetch = next(i for i, s in enumerate(steps) if "-m nnlib.data fetch" in s.get("run", ""))
    assert steps[fetch]["run"].startswith("sudo")  # root's cache: the grader runs as root
    assert fetch < names.index("Grade in the sandbox")
