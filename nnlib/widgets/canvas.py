"""A matplotlib figure drawn into an ``ipywidgets.Image`` (shared by every chapter's widgets).

Redrawing a figure into a PNG is fast (tens of ms) when the same Figure and artists are
reused and only their data change; creating a new figure per update is several times slower.
The figure uses the Agg canvas directly (not pyplot), so it never shows up twice in a notebook
and works without a kernel or a display.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["FigureImage", "AltImage"]


class AltImage(widgets.Image):
    """An Image widget with a synced ``alt`` text describing the picture.

    ipywidgets' Image has no alt attribute, and its ``tooltip`` breaks the view in ipywidgets
    8.1 (the view reads a ``description`` that Image lacks). The book's widget glue script
    copies ``alt`` into the <img> element; elsewhere the extra trait is simply ignored.
    """

    alt = traitlets.Unicode("").tag(sync=True)


class FigureImage:
    """A Figure plus the Image widget that shows it; call ``render()`` after changing artists."""

    def __init__(self, figsize: tuple[float, float] = (7.0, 3.5), dpi: int = 90, alt: str = ""):
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        # Shown at the figure's own size (pages would otherwise stretch it to the full width),
        # shrinking on narrow screens.
        width = f"{round(figsize[0] * dpi)}px"
        self.image = AltImage(
            format="png", layout=widgets.Layout(width=width, max_width="100%"), alt=alt
        )
        self.alt = alt

    def render(self) -> bytes:
        """Draw the figure to PNG bytes and put them into the Image widget."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        return self.image.value
