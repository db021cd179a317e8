"""The repository's Python files parsed once per test process.

Several tests walk the same modules' syntax trees (the imports of the library, of the app, of
the test modules; their literals): parsing and walking every file again for each of them was
about a second of a serial `make check` run under cProfile (issue 22).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path


def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of ``path``'s syntax tree, in ``ast.walk`` order; parsed again only if the file changed."""
    stat = path.stat()
    return _nodes(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=None)
def _nodes(path: str, mtime_ns: int, size: int) -> tuple[ast.AST, ...]:
    del mtime_ns, size  # the cache key: a file edited during the run is parsed again
    return tuple(ast.walk(ast.parse(Path(path).read_text(), path)))
