"""Reading a user's YAML file safely: a bounded regular file, strict UTF-8, YAML 1.2 meaning,
and problems that name the line and column but quote no secret.

PyYAML (the dependency kept) reads YAML 1.1: ``017`` is 15, ``1:30`` is 90, ``no`` is false,
``<<`` merges, and duplicate keys collapse silently (the last wins). Here PyYAML only parses and
composes the file into nodes, keeping their marks (line, column); :class:`_Builder` turns the
nodes into data with the YAML 1.2 core schema, and refuses by name every plain scalar whose
meaning differs between YAML 1.1 and 1.2 (or that a reader could take either way), every merge
key, explicit tag and duplicate key - all of them at once. Bounds: :data:`MAX_BYTES` read from a
regular file only (not a FIFO or ``/dev/zero``), :data:`MAX_DEPTH` levels of nesting (PyYAML's
composer recurses: a few hundred levels were a RecursionError), :data:`MAX_ALIASES` aliases and
:data:`MAX_NODES` nodes once aliases are expanded (64 aliases of aliases are gigabytes).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

import yaml

from taskora_constructs import Problem

try:  # PyYAML's binding of libyaml: in its wheels, not in a build from source without libyaml
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - every pinned wheel has it
    _CParser = None

#: Largest values or secrets file read: far above any real one (config/production.yaml is ~4 KiB).
MAX_BYTES = 256 * 1024
#: Most alias uses (``*name``) in one file: anchors are for sharing a block or two, not more.
MAX_ALIASES = 64
#: Deepest nesting of mappings and lists: the deepest real key path (a pod affinity) is ~10.
MAX_DEPTH = 32
#: Most nodes (keys, values, items) once every alias is expanded: a real file has a few hundred.
MAX_NODES = 10_000
#: Longest plain number: an int32 has 10 digits; Python refuses to convert 4,300 digits or more.
MAX_NUMBER_LENGTH = 32

_DROPPED = object()  # a refused node: left out, so the rest of the file is still checked
_PLAIN = "tag:taskora:plain"  # an untagged, unquoted scalar: resolved by _Builder, not PyYAML
_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))
_NULL = ("", "~", "null", "Null", "NULL")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)")
_SPECIAL_FLOAT = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"), "+.inf": float("inf"),
                  "+.Inf": float("inf"), "+.INF": float("inf"), "-.inf": float("-inf"), "-.Inf": float("-inf"),
                  "-.INF": float("-inf"), ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}
#: Plain scalars YAML 1.1 (PyYAML, many tools) and YAML 1.2 read differently, or that a reader
#: could take either way: refused by name, with the spelling that means one thing everywhere.
_AMBIGUOUS = [
    (re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"),
     "is a YAML 1.1 boolean (yes/no/on/off) but YAML 1.2 text", "write true or false, or quote it for text"),
    (_LEADING_ZERO := re.compile(r"[-+]?0[0-9]+"), "has a leading zero: YAML 1.1 reads 017 as octal (15), YAML 1.2 as 17",
     "write the number without the leading zero, or quote it for text"),
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), "is a hexadecimal number (0x)", "write it in decimal, or quote it for text"),
    (re.compile(r"[-+]?0o[0-7_]+"), "is an octal number (0o): YAML 1.1 reads it as text",
     "write it in decimal, or quote it for text"),
    (re.compile(r"[-+]?0b[01_]+"), "is a binary number (0b): YAML 1.2 reads it as text",
     "write it in decimal, or quote it for text"),
    (re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"),
     "is a YAML 1.1 base-60 number (1:30 is 90) but YAML 1.2 text", "quote it for text, or write the number"),
    (re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+"),
     "is a number with an exponent: YAML 1.1 reads 1e3 as text, YAML 1.2 as 1000.0",
     "write the number out (1000), or quote it for text"),
    (re.compile(r"(?=.*_)[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?"), "is a number with _ separators: YAML 1.1 drops them, "
     "YAML 1.2 reads text", "write the number without _, or quote it for text"),
    (re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9].*)?"),
     "is a YAML 1.1 date (a timestamp) but YAML 1.2 text", "quote it"),
    (re.compile(r"="), "is the YAML 1.1 'value' key", "quote it"),
]


class _AsWritten:
    """A plain scalar shown as the file wrote it (``017``, not ``'017'``): a message prints a
    value it does not know by ``str``, escaped."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class _Refused(yaml.YAMLError):
    """A bound exceeded: the file is refused before more of it is read or expanded."""

    def __init__(self, rule: str, mark: Any, fix: str) -> None:
        super().__init__(rule)
        self.rule, self.fix, self.problem_mark = rule, fix, mark


_SMALLER = "a values file holds only the keys that differ from the defaults"


class _Resolver(yaml.resolver.BaseResolver):
    """Tags a plain scalar ``_PLAIN`` (resolved later, with YAML 1.2 meaning), a quoted one str."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:  # noqa: D102 - PyYAML's hook
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


class _Bounded(yaml.composer.Composer):
    """PyYAML's composer (no constructor), bounded in depth, nodes and aliases."""

    def __init__(self) -> None:
        yaml.composer.Composer.__init__(self)
        self.aliases = self.depth = self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML's hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(f"must not use more than {MAX_ALIASES} aliases (*name)", event.start_mark,
                               f"write the values out, or alias fewer anchors: {_SMALLER}")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"must not have more than {MAX_NODES} nodes (keys, values, items)", event.start_mark,
                           _SMALLER)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"must not be nested more than {MAX_DEPTH} levels deep", event.start_mark,
                           "flatten it: no key of a values file is nested that deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Composer(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _Bounded, _Resolver):
    """PyYAML's pure-Python reader, scanner and parser under the bounded composer: its messages
    and marks are the ones a problem names."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _Bounded.__init__(self)
        _Resolver.__init__(self)


class _LibyamlComposer(_Bounded, _CParser, _Resolver):
    """libyaml's scanner and parser (PyYAML's C extension, about 15 times faster: every synth and
    test run reads the values files) under the same bounded composer, which builds the same
    nodes with the same marks from its events (but for an empty value in a flow mapping, ``{a: }``,
    marked one column later: no problem names it, an empty value is null). Used only where PyYAML
    ships libyaml (tests/app/test_yaml_files.py compares the two)."""

    def __init__(self, stream: str) -> None:
        _CParser.__init__(self, stream)
        _Bounded.__init__(self)
        _Resolver.__init__(self)


def _compose(text: str) -> Any:
    """The root node of the one document in ``text`` (``None`` for an empty file). libyaml
    composes a file it parses; a file it refuses is parsed again by the pure-Python parser,
    whose message and mark the problem names (as every release before did), and whose verdict
    stands: the two parse the same YAML 1.1, and where they differ the pure-Python one rules."""
    composers: list[Callable[[str], _Bounded]] = [_LibyamlComposer, _Composer] if _CParser is not None else [_Composer]
    yaml.reader.Reader(text)  # a control character is refused first, at its position in characters
    for composer_class in composers:
        composer = composer_class(text)
        try:
            return composer.get_single_node()
        except _Refused:
            raise
        except yaml.YAMLError:
            if composer_class is composers[-1]:
                raise
        finally:
            composer.dispose()
    raise AssertionError("unreachable: the last composer returns or raises")


def _mark(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Data from composed nodes (YAML 1.2 core schema), recording each key path's line and column."""

    def __init__(self, where: str, secret: bool) -> None:
        self.where, self.secret = where, secret
        self.marks: dict[str, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.expanded = 0

    def refuse(self, node: Any, field: str, value: Any, rule: str, fix: str) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(where=f"{self.where}:{line}:{column}", field=field or "(top level)",
                                     # The value of a duplicate or tagged key may be a secret: not shown.
                                     value="<not shown>" if self.secret or value is None else value,
                                     rule=rule, fix=fix))

    def build(self, node: Any, path: str, depth: int = 0) -> Any:
        self.expanded += 1
        if self.expanded > MAX_NODES or depth > MAX_DEPTH:  # aliases re-walk their anchor's nodes
            if depth > MAX_DEPTH:
                raise _Refused(f"must not be nested more than {MAX_DEPTH} levels deep (an alias inside its "
                               "own anchor?)", node.start_mark, "flatten it, and alias no anchor inside itself")
            raise _Refused(f"must not have more than {MAX_NODES} nodes once aliases are expanded",
                           node.start_mark, f"alias fewer or smaller anchors (*name): {_SMALLER}")
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            items = [self.item(child, f"{path}[{i}]", depth) for i, child in enumerate(node.value)]
            return [item for item in items if item is not _DROPPED]
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return node.value
        if isinstance(node, yaml.ScalarNode) and node.tag == _PLAIN:
            return self.plain(node, path)
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        self.refuse(node, path, None, f"has the explicit tag {tag}, which this loader does not read",
                    "drop the tag (quote a value to make it text)")
        return _DROPPED

    def item(self, node: Any, path: str, depth: int) -> Any:
        self.marks.setdefault(path, _mark(node))
        return self.build(node, path, depth + 1)

    def mapping(self, node: Any, path: str, depth: int) -> dict:
        data: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, _PLAIN):
                self.refuse(key_node, path, None, "has a key that is not text", "write the key as plain text")
                continue
            key = key_node.value
            child = f"{path}.{key}" if path else key
            if key == "<<" and key_node.tag == _PLAIN:
                self.refuse(key_node, child, None, "is a YAML 1.1 merge key, which YAML 1.2 does not have "
                            "(tools merge it differently)",
                            "write the keys out in full (an alias of a whole value, *name, still works)")
                continue
            if key in data:
                self.refuse(key_node, child, None, "appears twice in one mapping (the last would win silently)",
                            "keep one of them")
                continue
            self.marks.setdefault(child, _mark(key_node))
            value = self.build(value_node, child, depth + 1)
            if value is not _DROPPED:
                data[key] = value
        return data

    def plain(self, node: Any, path: str) -> Any:
        text = node.value
        if text in _NULL:
            return None
        if text in _BOOL:
            return _BOOL[text]
        if text in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[text]
        number = _INT.fullmatch(text) or _FLOAT.fullmatch(text)
        ambiguous = next(((rule, fix) for pattern, rule, fix in _AMBIGUOUS if pattern.fullmatch(text)), None)
        if ambiguous is not None and _LEADING_ZERO.fullmatch(text) and len(text) <= MAX_NUMBER_LENGTH:
            # Which number was meant, spelt out: a file mode (0644) is octal, a count decimal.
            if set(text.lstrip("+-")) <= set("01234567"):
                ambiguous = (f"has a leading zero: YAML 1.1 reads it as octal ({int(text, 8)}), YAML 1.2 as "
                             f"{int(text)}", f"write {int(text)}, or {int(text, 8)} if you meant octal (a file "
                             "mode), or quote it for text")
            else:
                ambiguous = (f"has a leading zero: YAML 1.1 reads it as text, YAML 1.2 as {int(text)}",
                             f"write {int(text)}, or quote it for text")
        if ambiguous is not None:
            self.refuse(node, path, _AsWritten(text), *ambiguous)
            return _DROPPED
        if number:
            if len(text) > MAX_NUMBER_LENGTH:
                self.refuse(node, path, _AsWritten(text[:MAX_NUMBER_LENGTH] + "..."),
                            f"is a number of more than {MAX_NUMBER_LENGTH} characters", "write a smaller number")
                return _DROPPED
            return int(text) if _INT.fullmatch(text) else float(text)
        return text


def _read_bytes(path: Path, problems: list[Problem], fix_path: str) -> bytes | None:
    """At most MAX_BYTES of the regular file ``path``: no FIFO (it would block), no device."""
    def refuse(value: Any, rule: str, fix: str) -> None:
        problems.append(Problem(where=str(path), field="(file)", value=value, rule=rule, fix=fix))
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer before it is refused.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        refuse(str(path), f"must be a readable file ({error.strerror})", f"check {fix_path}")
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = ("a directory" if stat.S_ISDIR(status.st_mode) else "a FIFO" if stat.S_ISFIFO(status.st_mode)
                    else "a device" if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode) else "a socket")
            refuse(str(path), f"must be a regular file, not {kind}", f"check {fix_path}")
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES and (chunk := os.read(descriptor, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        refuse(str(path), f"must be a readable file ({error.strerror})", f"check {fix_path}")
        return None
    finally:
        os.close(descriptor)
    if size > MAX_BYTES:
        refuse(f"{max(size, status.st_size)} bytes", f"must be at most {MAX_BYTES // 1024} KiB",
               "keep values files small: only the keys that differ from the defaults")
        return None
    return b"".join(chunks)


def read_yaml(path: Path, problems: list[Problem], *, fix_path: str, secret: bool = False,
              marks: dict[str, tuple[int, int]] | None = None) -> Any:
    """The data of the YAML file ``path``, or ``None`` with a problem appended when the file
    cannot be read or parsed. A refused value (``017``, a duplicate key, ``<<``) is left out of
    the data, its problem appended, so that the rest of the file is still checked.

    ``fix_path`` says where the path came from (for the fix of a missing file); ``marks``, if
    given, receives the (line, column) of each key path (``backend.replicas``, ``env[0]``).
    With ``secret`` no value of the file is shown; no message ever quotes a line of the file.
    """
    raw = _read_bytes(path, problems, fix_path)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        problems.append(Problem(where=f"{path}:{line}", field="(file)", value=f"byte {error.start}",
                                rule="must be UTF-8 text", fix="save the file as UTF-8"))
        return None
    builder = _Builder(str(path), secret)
    try:
        node = _compose(text)
        data = builder.build(node, "") if node is not None else None
        data = None if data is _DROPPED else data
    except yaml.reader.ReaderError as error:  # a control character: name it by code, not by itself
        line = text[:error.position].count("\n") + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        problems.append(Problem(where=f"{path}:{line}:{column}", field="(file)", value="<not shown>" if secret or not
                                isinstance(error.character, int) else f"U+{error.character:04X}",
                                rule="must not contain control characters", fix="remove the character"))
        return None
    except _Refused as error:
        mark = error.problem_mark
        problems.append(Problem(where=f"{path}:{mark.line + 1}:{mark.column + 1}", field="(file)",
                                value=f"line {mark.line + 1}", rule=error.rule, fix=error.fix))
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # Only PyYAML's description of the problem and where it is, never its context: the
        # context and snippet quote the file, and a secrets file must never be echoed.
        reason = getattr(error, "problem", None) or type(error).__name__
        problems.append(Problem(where=f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path),
                                field="(file)", value=f"line {mark.line + 1}" if mark else None,
                                rule=f"must be valid YAML ({reason})", fix="fix the YAML at that line"))
        return None
    problems += builder.problems
    if marks is not None:
        marks.update(builder.marks)
    return data
