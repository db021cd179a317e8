"""The README and the docs say what the code does: their examples run, their tables and figures are current."""
