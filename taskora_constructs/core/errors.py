"""User-facing configuration errors.

Every rule reports a :class:`Problem` naming where it happened, the field as the user wrote
it, the offending value, the rule and the fix. Rules never stop at the first problem: they
collect, and :class:`TaskoraConfigError` carries all of them at once.
"""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal
from typing import Any, Iterable, Mapping

from .frozen import frozen_props

#: Longest value printed: a value of 200,000 digits is shown by its start and its length.
_MAX_SHOWN = 200


def _hidden(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


def _escape(char: str) -> str:
    code = ord(char)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def printable(text: str) -> str:
    """``text`` with every control, format or unassigned character escaped (``\\x1b``, ``\\u202e``):
    a key or value in a message must not move the cursor, recolour or reorder the terminal."""
    return "".join(_escape(c) if _hidden(c) else c for c in text) if any(map(_hidden, text)) else text


def _quoted(text: str) -> str:
    """``text`` as YAML quotes it: single quotes, or double quotes with escapes where needed."""
    if not any(map(_hidden, text)):
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escape(c) if _hidden(c) else "\\" + c if c in '\\"' else c for c in text) + '"'


def as_yaml(value: Any) -> str:
    """``value`` as a YAML flow scalar or collection (``null``, ``true``, ``'text'``, ``[1, 2]``),
    control characters escaped (in double quotes, as YAML writes them) and long values cut."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        if len(value) <= _MAX_SHOWN:
            return _quoted(value)
        return f"{_quoted(value[:_MAX_SHOWN // 2])}... ({len(value)} characters)"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{as_yaml(k)}: {as_yaml(v)}" for k, v in list(value.items())[:20]) + \
            (", ...}" if len(value) > 20 else "}")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(as_yaml(v) for v in list(value)[:20]) + (", ...]" if len(value) > 20 else "]")
    text = printable(str(value))
    return text if len(text) <= _MAX_SHOWN else f"{text[:_MAX_SHOWN // 2]}... ({len(text)} characters)"


@frozen_props
class Problem:
    """One violated rule.

    Attributes:
        where: construct path or file the problem belongs to (e.g. ``taskora-backend/backend``).
        field: the field as the user wrote it (e.g. ``backend.replicas``).
        value: the offending value, exactly as given.
        rule: the rule that was broken, in words.
        fix: what to change to satisfy the rule.
    """

    where: str
    field: str
    value: Any
    rule: str
    fix: str

    def __str__(self) -> str:
        # Every part escaped: a key, a path or a value of the user's may hold control characters.
        field = self.field if len(self.field) <= _MAX_SHOWN else f"{self.field[:_MAX_SHOWN // 2]}..."
        return (f"{printable(self.where)}: {printable(field)}={as_yaml(self.value)}: "
                f"{printable(self.rule)}. Fix: {printable(self.fix)}")


class TaskoraConfigError(ValueError):
    """Raised when props or values break one or more rules; carries every problem found.

    Attributes:
        problems: the broken rules, each a :class:`Problem`.
        messages: failures reported by validations outside this package (another library's
            ``node.add_validation``), as their text ``[construct path] message``.
    """

    def __init__(self, problems: Iterable[Problem], *, messages: Iterable[str] = ()):
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.messages: tuple[str, ...] = tuple(messages)
        count = len(self.problems) + len(self.messages)
        lines = [f"{count} configuration problem{'s' if count != 1 else ''}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines += [f"  - {message}" for message in self.messages]
        super().__init__("\n".join(lines))


def raise_if_any(problems: list[Problem]) -> None:
    """Raise one :class:`TaskoraConfigError` for ``problems`` if there are any."""
    if problems:
        raise TaskoraConfigError(problems)


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> list[str]:
    """The one candidate most like ``word`` (difflib's ratio at least ``cutoff``), or ``[]``: the
    "did you mean" of a fix. difflib (and heapq) load here, when a misspelling is reported:
    loaded with the modules, they were ~1 ms of every synth's start-up (issue 22)."""
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
