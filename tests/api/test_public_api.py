"""The public API of taskora-constructs: pinned per version, documented (composed into a
caller's chart: tests/api/test_composition.py).

The public API is the names in ``taskora_constructs.__all__``: for each class its
constructor parameters (or, for a props dataclass, its fields), its public methods,
properties and constants, and the attributes its instances expose; for each function its
parameters. ``PINNED`` records that surface for each released version, one file per version
in ``tests/api/<version>.json``.

GIVEN the live surface WHEN compared with the pin of pyproject's version THEN nothing was
removed, renamed, retyped or made required. Additions are compatible and pass. A breaking
change fails here until the version in pyproject.toml is bumped (minor while 0.x, major from
1.0) and the new surface is pinned under it: ``.venv/bin/python -m tests.api.test_public_api``
prints it as the JSON of ``tests/api/<version>.json``.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from packaging.version import Version

import taskora_constructs as lib
from tests.support.paths import ROOT
from tests.support.synth import synth_taskora
from tests.support.packaging import VERSION

ELLIPSIS = " = …"

# --- reading the live surface --------------------------------------------------------------


def _param(p: inspect.Parameter) -> str:
    prefix = {p.KEYWORD_ONLY: "*", p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
        return prefix + p.name
    annotation = "" if p.annotation is p.empty else f": {p.annotation}"
    return f"{prefix}{p.name}{annotation}{'' if p.default is p.empty else ELLIPSIS}"


def _params(function) -> list[str]:
    parameters = list(inspect.signature(function).parameters.values())
    if parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    return [_param(p) for p in parameters]


def _library_classes(cls: type) -> list[type]:
    return [c for c in cls.__mro__ if c.__module__.startswith("taskora_constructs")]


def _members(cls: type) -> dict[str, object]:
    """Public methods, properties and constants defined by the library (not by cdk8s/jsii)."""
    found: dict[str, object] = {}
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for owner in reversed(_library_classes(cls)):
        for name, value in vars(owner).items():
            if name.startswith("_") or name in fields:
                continue
            if isinstance(value, (staticmethod, classmethod)):
                found[name] = _params(getattr(cls, name))
            elif inspect.isfunction(value):
                found[name] = _params(value)
            elif isinstance(value, property):
                found[name] = "property"
            elif isinstance(value, (str, int, bool, tuple, frozenset)):
                found[name] = repr(value)
    return dict(sorted(found.items()))


def _instances() -> dict[str, object]:
    """One instance of every construct and non-props class, for its instance attributes."""
    taskora, _ = synth_taskora()
    error = lib.TaskoraConfigError([lib.Problem(where="w", field="f", value=1, rule="r", fix="x")])
    return {"Taskora": taskora, "TaskoraNamespace": taskora.namespace_construct, "PostgresDatabase": taskora.database,
            "TaskoraConfig": taskora.config, "TaskoraSecrets": taskora.secrets, "TaskoraBackend": taskora.backend,
            "TaskoraFrontend": taskora.frontend, "TaskoraIngress": taskora.ingress, "TaskoraConfigError": error,
            "TaskoraValidation": lib.TaskoraValidation.of(taskora.backend)}


def surface() -> dict[str, dict]:
    """The live public surface, in the format of ``PINNED``."""
    instances = _instances()
    result: dict[str, dict] = {}
    for name in sorted(lib.__all__):
        obj = getattr(lib, name)
        if inspect.isclass(obj):
            entry: dict = {}
            if dataclasses.is_dataclass(obj):
                entry["fields"] = [f"{f.name}: {f.type}" + (
                    ELLIPSIS if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                    else "") for f in dataclasses.fields(obj)]
            elif "__init__" in vars(obj) or any("__init__" in vars(c) for c in _library_classes(obj)):
                entry["init"] = _params(obj.__init__)
            entry["members"] = _members(obj)
            if name in instances:
                entry["attributes"] = sorted(k for k in vars(instances[name]) if not k.startswith("_"))
            result[name] = entry
        elif callable(obj):
            result[name] = {"function": _params(obj)}
        else:
            result[name] = {"constant": repr(obj)}
    return result


# --- what counts as breaking ---------------------------------------------------------------

_PARAM = re.compile(r"^(?P<stars>\**)(?P<name>\w+)(?:: (?P<annotation>.*?))?(?P<optional> = …)?$")


def _parse(spec: str) -> dict:
    match = _PARAM.match(spec)
    assert match, spec
    return {"kind": match["stars"], "name": match["name"], "annotation": match["annotation"] or "",
            "optional": bool(match["optional"])}


def _union(annotation: str) -> set[str]:
    """The members of a union annotation (``A | B[C | D]`` -> {A, B[C | D]})."""
    parts, depth, current = set(), 0, ""
    for char in annotation:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "|" and depth == 0:
            parts.add(current.strip())
            current = ""
        else:
            current += char
    return parts | {current.strip()}


def _callable_breaks(where: str, old: list[str], new: list[str]) -> list[str]:
    """Ways ``new`` breaks a caller of ``old`` (a keyword-only field list is checked the same way)."""
    before, after = [_parse(p) for p in old], [_parse(p) for p in new]
    by_name = {p["name"]: p for p in after}
    breaks = []
    positional_before = [p["name"] for p in before if p["kind"] == ""]
    positional_after = [p["name"] for p in after if p["kind"] == ""]
    if positional_after[:len(positional_before)] != positional_before:
        breaks.append(f"{where}: positional parameters {positional_before} became {positional_after}")
    for p in before:
        q = by_name.get(p["name"])
        if q is None:
            breaks.append(f"{where}: {p['name']} removed")
            continue
        if q["kind"] != p["kind"] and not (p["kind"] == "*" and q["kind"] == ""):  # keyword-only may widen
            breaks.append(f"{where}: {p['name']} changed kind")
        if p["optional"] and not q["optional"]:
            breaks.append(f"{where}: {p['name']} became required")
        if not _union(q["annotation"]) >= _union(p["annotation"]):
            breaks.append(f"{where}: {p['name']} type {p['annotation']!r} became {q['annotation']!r}")
    old_names = {p["name"] for p in before}
    breaks += [f"{where}: new required {q['name']}" for q in after
               if q["name"] not in old_names and not q["optional"] and q["kind"] in ("", "*")]
    return breaks


def breaking_changes(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    """Every change from surface ``old`` to ``new`` that can break a caller."""
    breaks = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            breaks.append(f"{name}: removed from __all__")
            continue
        for part in ("init", "fields", "function"):
            if part in before:
                if part not in after:
                    breaks.append(f"{name}: no longer has {part}")
                else:
                    breaks += _callable_breaks(f"{name}.{part}", before[part], after[part])
        if "constant" in before and after.get("constant") != before["constant"]:
            breaks.append(f"{name}: value {before['constant']} became {after.get('constant')}")
        for member, spec in before.get("members", {}).items():
            now = after.get("members", {}).get(member)
            if now is None:
                breaks.append(f"{name}.{member}: removed")
            elif isinstance(spec, list) and isinstance(now, list):
                breaks += _callable_breaks(f"{name}.{member}", spec, now)
            elif spec != now:
                breaks.append(f"{name}.{member}: {spec} became {now}")
        breaks += [f"{name}.{attribute}: attribute removed" for attribute in before.get("attributes", [])
                   if attribute not in after.get("attributes", [])]
    return breaks


def is_breaking_bump(old: str, new: str) -> bool:
    before, after = Version(old), Version(new)
    if before.major == 0:
        return after.major > 0 or after.minor > before.minor
    return after.major > before.major


# --- the pins ------------------------------------------------------------------------------

#: The surface of each released version, oldest first (generated by running this module).
PINNED: dict[str, dict[str, dict]] = {}

PINNED: dict[str, dict[str, dict]] = {
    path.stem: json.loads(path.read_text())
    for path in sorted((ROOT / "tests" / "api").glob("*.json"), key=lambda p: Version(p.stem))}


# --- tests ---------------------------------------------------------------------------------

def test_the_version_in_pyproject_is_pinned():
    assert VERSION in PINNED, (f"pin the public API of {VERSION}: write the output of "
                               f"`.venv/bin/python -m tests.api.test_public_api` to tests/api/{VERSION}.json")


def test_no_breaking_change_without_a_version_bump():
    # GIVEN the surface pinned for pyproject's version WHEN compared with the live one
    breaks = breaking_changes(PINNED[VERSION], surface())
    # THEN nothing a caller relies on was removed, retyped or made required
    assert breaks == [], (f"breaking changes to the public API of {VERSION}: bump the version in "
                          f"pyproject.toml and pin the new surface (see this module's docstring)")


def test_each_pinned_version_bumps_as_its_changes_require():
    versions = sorted(PINNED, key=Version)
    assert versions == list(PINNED), "keep PINNED in version order"
    for old, new in zip(versions, versions[1:]):
        if breaking_changes(PINNED[old], PINNED[new]):
            assert is_breaking_bump(old, new), f"{old} -> {new} breaks callers: bump the major (or 0.x minor)"


def test_the_compatibility_check_catches_what_breaks_a_caller():
    # GIVEN a pinned surface WHEN a field is removed, retyped or made required THEN each is a break
    old = {"P": {"fields": ["a: str", "b: int = …"], "members": {"K": "'k'"}, "attributes": ["x"]}}
    assert breaking_changes(old, old) == []
    compatible = {"P": {"fields": ["a: str", "b: int | None = …", "c: str = …"], "members": {"K": "'k'", "L": "'l'"},
                        "attributes": ["x", "y"]}, "Q": {"function": []}}
    assert breaking_changes(old, compatible) == []
    broken = {"P": {"fields": ["a: int", "b: int", "d: str"], "members": {"K": "'key'"}, "attributes": []}}
    assert breaking_changes(old, broken) == [
        "P.fields: a type 'str' became 'int'", "P.fields: b became required", "P.fields: new required d",
        "P.K: 'k' became 'key'", "P.x: attribute removed"]
    assert breaking_changes(old, {}) == ["P: removed from __all__"]
    assert _union("Mapping[str, str | None] | None") == {"Mapping[str, str | None]", "None"}
    assert is_breaking_bump("0.1.0", "0.2.0") and not is_breaking_bump("0.1.0", "0.1.1")
    assert is_breaking_bump("1.4.0", "2.0.0") and not is_breaking_bump("1.4.0", "1.5.0")


def test_every_public_name_is_exported_once_and_documented():
    assert len(set(lib.__all__)) == len(lib.__all__)
    undocumented = []
    for name in lib.__all__:
        obj = getattr(lib, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            # a dataclass without a docstring gets its signature as __doc__
            if not doc or doc.startswith(f"{name}("):
                undocumented.append(name)
    assert undocumented == []


# Props fields whose default the docstrings do not state yet (issue #6: "typed props with
# docstrings stating each default"). The list may only shrink: remove an entry once the
# class's docstring (Attributes:) or a `#:` comment on the field names it and its default.
KNOWN_UNDOCUMENTED_DEFAULTS: dict[str, set[str]] = {}


def _field_comments(cls: type) -> dict[str, str]:
    """``#:`` comments directly above field definitions, in the class and its library bases."""
    comments: dict[str, str] = {}
    for owner in _library_classes(cls):
        lines, _ = inspect.getsourcelines(owner)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        for node in tree.body[0].body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                above = lines[node.lineno - 2].strip()
                if above.startswith("#:"):
                    comments.setdefault(node.target.id, above)
    return comments


def undocumented_defaults() -> dict[str, set[str]]:
    gaps: dict[str, set[str]] = {}
    for name in lib.__all__:
        cls = getattr(lib, name)
        if not (inspect.isclass(cls) and dataclasses.is_dataclass(cls)):
            continue
        docs = "\n".join(inspect.getdoc(c) or "" for c in _library_classes(cls))
        comments = _field_comments(cls)
        for f in dataclasses.fields(cls):
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                continue
            camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), f.name)
            text = comments.get(f.name) or (docs if re.search(rf"\b({f.name}|{camel})\b", docs) else "")
            default = f.default
            if isinstance(default, bool):
                stated = str(default).lower() in text.lower()
            elif isinstance(default, (str, int)):
                stated = str(default) in text
            else:
                stated = bool(text)
            if not stated:
                gaps.setdefault(name, set()).add(f.name)
    return gaps


def test_props_docstrings_state_each_default():
    # GIVEN every exported props dataclass THEN each field with a default is documented with
    # its default, except the known gaps listed above (which may only shrink)
    gaps = undocumented_defaults()
    new = {name: sorted(fields - KNOWN_UNDOCUMENTED_DEFAULTS.get(name, set()))
           for name, fields in gaps.items() if fields - KNOWN_UNDOCUMENTED_DEFAULTS.get(name, set())}
    assert new == {}, "document these defaults in the class docstring (Attributes:)"


@pytest.mark.e2e
def test_make_docs_writes_a_reference_of_every_public_name(tmp_path):
    # GIVEN the library WHEN `make docs` runs (pdoc, from the docstrings)
    out = tmp_path / "api"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_", "PDOC_"))}
    result = subprocess.run(["make", "--no-print-directory", "docs", f"DOCS_DIR={out}"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"Wrote the API reference of taskora-constructs {VERSION} to {out}/index.html"]
    assert result.stderr == ""  # no warning: pdoc resolved every type (a warning fails make docs)
    # THEN the page documents every name of __all__, and the docstrings' sections are rendered
    page = (out / "taskora_constructs.html").read_text()
    assert [name for name in lib.__all__ if f'id="{name}"' not in page] == []
    assert '<h6 id="attributes">Attributes:</h6>' in page and "(default <code>taskora.local</code>)" in page
    # AND an inherited field's type is resolved and linked (pdoc once warned: 'EnvVar' is not defined)
    backend = page[page.index('id="TaskoraBackendProps.__init__"'):][:20000]
    assert 'href="#EnvVar">EnvVar</a>' in backend


@pytest.mark.e2e
def test_a_pdoc_warning_fails_make_docs(tmp_path):
    # GIVEN the inherited annotations pdoc cannot resolve by itself WHEN the docs are written
    # without scripts/api_docs.py's resolution THEN its warnings fail the run, each printed
    probe = ("import sys; sys.path.insert(0, 'scripts'); import api_docs; "
             "api_docs.resolve_init_annotations = lambda module: 0; "
             f"sys.exit(api_docs.main([{str(tmp_path / 'api')!r}]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PDOC_ALLOW_EXEC": "1"})
    assert result.returncode == 1
    assert ("docs: Error parsing type annotation tuple[EnvVar, ...] for "
            "taskora_constructs.TaskoraBackendProps.__init__") in result.stderr
    assert "warning(s): the API reference is incomplete" in result.stderr


if __name__ == "__main__":  # print the live surface, to pin it under a new version
    sys.stdout.write(json.dumps(surface(), indent=1) + "\n")
