"""Figures, diagrams and live widgets for the book: drawing only.

A widget wires controls to nnlib calls and draws what they return; the math lives in nnlib (the
core or ``nnlib.chapters``). The modules:

- :mod:`~nnlib.widgets.canvas`: the toolkit every chapter builds on: the house style and figure
  factory, blitting, :class:`~nnlib.widgets.canvas.LiveWidget` (the base of every live widget:
  controls, readout, figure, alt text, timings, errors), and shared plots (class scatter,
  decision regions, loss curves, probability bars);
- :mod:`~nnlib.widgets.diagrams`: units, layered networks and computation graphs;
- :mod:`~nnlib.widgets.progress`: :class:`~nnlib.widgets.progress.TrainingProgress`, a callback
  that shows how a ``nnlib.train.fit`` run goes;
- one module per chapter, named by its topic (``units``, ``xor``, ...).

Each widget function returns an ipywidgets widget (display it as a cell's last expression) whose
figure lives in an ``ipywidgets.Image``, so the static book page shows its initial view.
"""
