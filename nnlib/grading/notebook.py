"""Reading notebooks and the roles their cells play (nbgrader schema 3 metadata, plus nnbook's).

Roles: a **solution** cell (``nbgrader.solution``), a graded **test** cell (``nbgrader.grade``),
a **grader** cell (``nnbook.grader``: code that runs only in the grader's own process), or
**other**. A solution cell may declare ``nnbook.forbid`` (names the task may not use).

Trusted sources (``solutions/*.ipynb``) are read strictly (:func:`read_source`) and validated by
:mod:`nnlib.grading.authoring`; submissions are read leniently (:func:`read_submission`): a
student's notebook may be damaged in any way, and each way gets a clear :class:`NotebookError`.
This module imports nothing else from the package.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CHECK_NAMES = ("check_close", "check_equal", "check_shape", "check_object")
MAX_SUBMISSION_BYTES = 20_000_000
MAX_CELL_CHARS = 2_000_000


class NotebookError(ValueError):
    """A notebook that cannot be used, with a message saying what is wrong with it."""


@dataclass(frozen=True)
class Cell:
    """One cell of a notebook as the grader sees it."""

    index: int
    cell_type: str
    source: str
    metadata: dict[str, Any]

    @property
    def nbgrader(self) -> dict[str, Any]:
        meta = self.metadata.get("nbgrader")
        return meta if isinstance(meta, dict) else {}

    @property
    def nnbook(self) -> dict[str, Any]:
        meta = self.metadata.get("nnbook")
        return meta if isinstance(meta, dict) else {}

    @property
    def grade_id(self) -> str | None:
        gid = self.nbgrader.get("grade_id")
        return gid if isinstance(gid, str) and gid else None

    @property
    def role(self) -> str:
        """``"solution"``, ``"test"``, ``"grader"`` or ``"other"``."""
        meta = self.nbgrader
        if self.nnbook.get("grader") is True:
            return "grader"
        if meta.get("solution") is True and meta.get("grade") is not True:
            return "solution"
        if meta.get("grade") is True and meta.get("solution") is not True:
            return "test"
        return "other"

    @property
    def points(self) -> Any:
        return self.nbgrader.get("points")

    @property
    def forbid(self) -> list[str]:
        names = self.nnbook.get("forbid", [])
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def source_text(source: Any) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def cells_of(nb: dict[str, Any]) -> list[Cell]:
    """The cells of a notebook dict (malformed cells become empty 'raw' cells)."""
    out = []
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    for i, c in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(c, dict):
            out.append(Cell(i, "raw", "", {}))
            continue
        meta = c.get("metadata")
        kind = c.get("cell_type")
        out.append(
            Cell(
                i,
                kind if isinstance(kind, str) else "raw",
                source_text(c.get("source", "")),
                meta if isinstance(meta, dict) else {},
            )
        )
    return out


def read_source(path: Path) -> Any:
    """Read a trusted source notebook (nbformat 4), raising NotebookError on any problem."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types; all mean "unusable source"
        raise NotebookError(f"{path}: not a valid notebook ({exc})") from exc
    if nb.get("nbformat") != 4:
        raise NotebookError(f"{path}: nbformat {nb.get('nbformat')}, expected 4")
    return nb


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_submission_bytes(path: Path) -> bytes:
    """The bytes of a submitted file: refuses symlinks and anything but a regular file."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise NotebookError(f"cannot read {path.name}: {exc.strerror}") from exc
    if stat.S_ISLNK(st.st_mode):
        raise NotebookError(f"{path.name} is a symbolic link; submit the notebook file itself")
    if not stat.S_ISREG(st.st_mode):
        raise NotebookError(f"{path.name} is not a regular file")
    if st.st_size > MAX_SUBMISSION_BYTES:
        mb = st.st_size / 1e6
        raise NotebookError(f"{path.name} is {mb:.0f} MB; notebooks over 20 MB are refused")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise NotebookError(f"cannot read {path.name}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_SUBMISSION_BYTES + 1)
    if len(data) > MAX_SUBMISSION_BYTES:
        raise NotebookError(f"{path.name} is over 20 MB; notebooks over 20 MB are refused")
    return data


def parse_submission(data: bytes, name: str) -> list[Cell]:
    """Parse a submitted notebook leniently; return its cells or raise NotebookError."""
    if not data.strip():
        raise NotebookError(f"{name} is an empty file, not a notebook")
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{name} is not UTF-8 text ({exc.reason})") from exc
    except RecursionError as exc:
        raise NotebookError(f"{name} is nested too deeply to be a notebook") from exc
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name} is not valid notebook JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    if not isinstance(nb, dict):
        raise NotebookError(f"{name} is JSON but not a notebook (top level is not an object)")
    version = nb.get("nbformat")
    if version != 4:
        shown = version if isinstance(version, int) else type(version).__name__
        raise NotebookError(
            f"{name} has nbformat version {shown!r}; the grader needs version 4 "
            "(open and save it with a current Jupyter)"
        )
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{name} has no list of cells")
    cells = cells_of(nb)
    for cell in cells:
        if cell.cell_type != "code":
            continue
        if len(cell.source) > MAX_CELL_CHARS:
            raise NotebookError(f"{name}: code cell {cell.index} is over 2 million characters")
        if _has_lone_surrogate(cell.source) or (
            cell.grade_id is not None and _has_lone_surrogate(cell.grade_id)
        ):
            raise NotebookError(
                f"{name}: code cell {cell.index} contains invalid Unicode (a lone surrogate "
                "character); delete it and save the notebook again"
            )
    return cells


def read_submission(path: Path) -> list[Cell]:
    """Read and parse a submitted notebook (see :func:`parse_submission`)."""
    return parse_submission(read_submission_bytes(path), path.name)


def safe_text(text: Any, limit: int = 200) -> str:
    """Student-controlled text made safe for reports: valid UTF-8, no control characters, short."""
    s = str(text).encode("utf-8", "replace").decode("utf-8")
    s = "".join(ch if ch.isprintable() or ch == " " else "?" for ch in s)
    return s if len(s) <= limit else s[: limit - 3] + "..."
