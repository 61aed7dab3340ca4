"""Shared checks for live widgets (nnlib.widgets.canvas.LiveWidget), used by every chapter's
widget tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

BUDGET_MS = 100  # median CPU time per control change (CHAPTERS.md: < 100 ms on 2 cores)


def check_fast_path(
    widget, moves: Iterable[Callable[[], None]], budget_ms: float = BUDGET_MS
) -> dict[str, float]:
    """Apply each move (one control change each) and check that the widget stayed on its fast
    path: every update was a blit, never a full redraw, one update per move; a blit costs
    clearly less CPU than a full redraw of the same widget timed here, side by side; and the
    median update is within the budget. Returns the medians (ms of CPU time) for reports.

    CPU time, not wall time: other processes on a busy machine do not inflate it.
    """
    canvas = widget.canvas
    full0, blits0, n0 = canvas.full_draws, canvas.blits, len(widget.redraw_cpu_ms)
    count = 0
    for move in moves:
        move()
        count += 1
    assert count >= 5, "give check_fast_path at least 5 moves"
    assert widget.error is None, f"the widget showed an error: {widget.error}"
    assert len(widget.redraw_cpu_ms) == n0 + count, "each move must update the widget once"
    assert canvas.full_draws == full0, (
        f"{canvas.full_draws - full0} of {count} updates redrew the whole figure: the "
        "blitting fast path was not used"
    )
    assert canvas.blits == blits0 + count
    blit_ms = float(np.median(list(widget.redraw_cpu_ms)[-count:]))
    full = []
    for _ in range(5):  # five, so one slow sample on a busy machine does not decide it
        canvas.invalidate()
        widget.update()
        full.append(widget.redraw_cpu_ms[-1])
    assert canvas.full_draws == full0 + 5
    full_ms = float(np.median(full))
    assert blit_ms < 0.8 * full_ms, (
        f"a blit ({blit_ms:.1f} ms CPU) should cost clearly less than a full redraw "
        f"({full_ms:.1f} ms)"
    )
    assert blit_ms < budget_ms, f"median update {blit_ms:.1f} ms CPU, budget {budget_ms} ms"
    print(f"{type(widget).__name__}: blit {blit_ms:.1f} ms CPU, full redraw {full_ms:.1f} ms CPU")
    return {"blit_ms": blit_ms, "full_ms": full_ms}


@pytest.fixture
def fast_path():
    """The :func:`check_fast_path` checker, as a fixture so any widget test can use it."""
    return check_fast_path


def _undrawn_ticks(fig) -> set[int]:
    """ids of tick labels that matplotlib keeps but does not draw: ticks beyond the axis limits
    (the locator makes one more on each side, still "visible" but skipped at draw time), and all
    ticks of axes turned off (``ax.axis("off")``, as the diagrams do)."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = {id(t) for t in axis._update_ticks()} if ax.axison else set()
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if id(tick) not in drawn:
                    out.update((id(tick.label1), id(tick.label2)))
    return out


def assert_readable(fig, tolerance_px: float = 1.0) -> list:
    """Every non-empty label of ``fig`` lies inside the figure and overlaps no other label.
    Returns the labels' texts (for further checks)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible()
        and t.get_text().strip()
        and t.figure
        and id(t) not in _undrawn_ticks(fig)
    ]
    boxes = [t.get_window_extent(renderer) for t in texts]
    W, H = fig.bbox.width, fig.bbox.height
    for t, bb in zip(texts, boxes):
        assert bb.x0 >= -tolerance_px and bb.y0 >= -tolerance_px, f"{t.get_text()!r} sticks out"
        assert bb.x1 <= W + tolerance_px and bb.y1 <= H + tolerance_px, (
            f"{t.get_text()!r} sticks out of the figure"
        )
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert dx <= tolerance_px or dy <= tolerance_px, (
                f"labels {texts[i].get_text()!r} and {texts[j].get_text()!r} overlap"
            )
    return [t.get_text() for t in texts]


@pytest.fixture
def readable():
    """The :func:`assert_readable` check, as a fixture."""
    return assert_readable
