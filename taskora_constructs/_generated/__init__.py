"""Generated code (``make generate``, ``scripts/generate.py``; checked by the tests): never edit by hand."""
