"""The "did you mean" of the values loader's fixes: the one known name most like a misspelt one.

difflib (and heapq) load on the first misspelling reported, not with the loader: loaded with
it, they were ~1 ms of every synth's start-up (issue 22). The library has the same helper for
its own props (``taskora_constructs.core.errors.closest``); the app uses only its public API.
"""

from __future__ import annotations

from typing import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> list[str]:
    """``[the candidate most like word]`` (difflib's ratio at least ``cutoff``), or ``[]``."""
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
