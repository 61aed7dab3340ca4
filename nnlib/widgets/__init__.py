"""Interactive figures for the book, one module per chapter.

A widget only wires controls to nnlib calls and draws; the math lives in nnlib. Each widget
function returns an ipywidgets widget (display it as the last expression of a cell) and keeps
its figure in an ``ipywidgets.Image``, so the static book page shows the initial view.
"""
