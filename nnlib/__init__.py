"""nnlib: the small numpy library behind every chapter, widget and exercise of nnbook."""
