"""Each chapter's own models, experiments and baselines, one module per chapter topic.

``nnlib.chapters.xor`` is chapter 2 (perceptrons and XOR), ``feedforward`` chapter 3, and so on:
the same topic key as the chapter's notebook (``book/02_xor.ipynb``), its widgets
(``nnlib.widgets.xor``) and its tests. Chapter modules build on the core (``tensor``,
``functional``, ``nn``, ``init``, ``optim``, ``train``, ``text``, ``data``); the core never imports
them, and code moves down into the core once a second chapter needs it.
"""
