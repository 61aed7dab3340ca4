"""A matplotlib figure drawn into an ``ipywidgets.Image`` (shared by every chapter's widgets).

Redrawing a figure into a PNG is fast (tens of ms) when the same Figure and artists are
reused and only their data change; creating a new figure per update is several times slower.
The figure uses the Agg canvas directly (not pyplot), so it never shows up twice in a notebook
and works without a kernel or a display.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["FigureImage"]


class FigureImage:
    """A Figure plus the Image widget that shows it; call ``render()`` after changing artists."""

    def __init__(self, figsize: tuple[float, float] = (7.0, 3.5), dpi: int = 90, alt: str = ""):
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        # ``tooltip`` becomes the image's title text: a description for readers who hover or
        # use a screen reader (the Image widget has no alt attribute of its own).
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%"), tooltip=alt or None
        )
        self.alt = alt

    def render(self) -> bytes:
        """Draw the figure to PNG bytes and put them into the Image widget."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        return self.image.value
