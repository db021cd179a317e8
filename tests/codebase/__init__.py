"""The code base's own rules: one source per constant, and tests/ laid out as the package."""
