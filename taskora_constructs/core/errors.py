"""User-facing configuration errors.

Every rule reports a :class:`Problem` naming where it happened, the field as the user wrote
it, the offending value, the rule and the fix. Rules never stop at the first problem: they
collect, and :class:`TaskoraConfigError` carries all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True, kw_only=True)
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
        return f"{self.where}: {self.field}={self.value!r}: {self.rule}. Fix: {self.fix}"


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
