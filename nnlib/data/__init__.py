"""Small data sets and loaders used by the chapters (all generated or shipped, none downloaded)."""

from .xor import AND, NAND, OR, XOR, truth_table

__all__ = ["AND", "OR", "XOR", "NAND", "truth_table"]
