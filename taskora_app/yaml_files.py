"""Reading a user's YAML file safely: bounded size, bounded aliases, no duplicate keys, strict
UTF-8, and errors that never quote the file's content (it may hold a secret).

PyYAML's ``safe_load`` merges duplicate keys silently (the last wins), and expands nothing by
itself, but an alias "bomb" (``a: &a [x, x]``, ``b: &b [*a, *a]``, ...) becomes a structure
whose walk is exponential in the file's size; a huge file takes minutes before anything is
checked. Both are refused here, before the values are looked at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from taskora_constructs import Problem

#: Largest values or secrets file read: far above any real one (config/production.yaml is ~4 KiB).
MAX_BYTES = 256 * 1024
#: Most alias uses (``*name``) in one file: anchors are for sharing a block or two, not more.
MAX_ALIASES = 64


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.problem = message
        self.problem_mark = mark


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and more than :data:`MAX_ALIASES` aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML's hook
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name)", self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102 - PyYAML's hook
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: PyYAML refuses it itself
                continue
            if duplicate:
                raise _Refused(f"the key {key!r} appears twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, problems: list[Problem], *, fix_path: str) -> Any:
    """The data of the YAML file ``path``, or ``None`` with a problem appended.

    ``fix_path`` says where the path came from (for the fix of a missing file). No message
    quotes a line of the file.
    """
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            problems.append(Problem(where=str(path), field="(file)", value=f"{size} bytes",
                                    rule=f"must be at most {MAX_BYTES // 1024} KiB",
                                    fix="keep values files small: only the keys that differ from the defaults"))
            return None
        raw = path.read_bytes()
    except OSError as error:
        problems.append(Problem(where=str(path), field="(file)", value=str(path),
                                rule=f"must be a readable file ({error.strerror})", fix=f"check {fix_path}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(Problem(where=str(path), field="(file)", value=f"byte {error.start}",
                                rule="must be UTF-8 text", fix="save the file as UTF-8"))
        return None
    try:
        loader = _StrictLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        # Only PyYAML's description of the problem and where it is, never its context: the
        # context and snippet quote the file, and a secrets file must never be echoed.
        reason = getattr(error, "problem", None) or type(error).__name__
        problems.append(Problem(where=str(path), field="(file)", value=f"line {mark.line + 1}" if mark else None,
                                rule=f"must be valid YAML ({reason}{at})", fix="fix the YAML at that line"))
        return None
