"""taskora-constructs is a versioned, installable distribution of the library and nothing else.

GIVEN pyproject.toml WHEN the wheel is built offline (pinned setuptools, no build isolation)
THEN it holds the typed library only, declares exactly the distributions the library imports,
and the app in this repository uses it like any other user: installed, through the public API.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.packaging import DISTRIBUTION, LIBRARY, PROJECT, PYPROJECT, VERSION, build_wheel
from tests.support.paths import ROOT
from tests.support.python_sources import nodes

#: Where the app's own code lives; it must use the library as any other user would.
APP_FILES = [ROOT / "main.py", *sorted((ROOT / "taskora_app").rglob("*.py"))]
#: Modules that only users of an optional extra import, and the extra that provides their imports.
EXTRA_MODULES = {"plus.py": "plus"}


def library_imports(*, extra: str | None = None) -> set[str]:
    """Top-level names of the non-standard-library modules the library imports: its core
    modules, or with ``extra`` the modules of that optional extra (``EXTRA_MODULES``)."""
    found = set()
    for path in LIBRARY.rglob("*.py"):
        if EXTRA_MODULES.get(path.name) != extra:
            continue
        for node in nodes(path):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "__future__"}


def declared_dependencies(*, extra: str | None = None) -> dict[str, Requirement]:
    requirements = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    return {canonicalize_name(r.name): r for r in map(Requirement, requirements)}


def test_pyproject_makes_the_library_a_versioned_distribution():
    # GIVEN pyproject.toml THEN it names one package, a release version and the py.typed marker
    assert DISTRIBUTION == "taskora-constructs"
    assert str(Version(VERSION)) == VERSION and re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    # every package of the library's folders, and nothing else
    packages = sorted(".".join(init.parent.relative_to(ROOT).parts) for init in LIBRARY.rglob("__init__.py"))
    assert PYPROJECT["tool"]["setuptools"]["packages"] == packages
    assert PYPROJECT["tool"]["setuptools"]["package-data"] == {
        "taskora_constructs": ["py.typed"],
        # the Node half's generated bindings and their jsii assembly (make native)
        "taskora_constructs._native": ["py.typed"], "taskora_constructs._native._jsii": ["*.jsii.tgz"]}
    assert (LIBRARY / "py.typed").is_file()
    assert PROJECT["requires-python"] == ">=3.11"


def test_the_declared_dependencies_are_exactly_what_the_library_imports():
    # GIVEN the library's import statements WHEN mapped to the distributions that provide them
    providers = importlib.metadata.packages_distributions()
    unknown = sorted(name for name in library_imports() if name not in providers)
    assert not unknown, f"imports no installed distribution provides: {unknown}"
    imported = {canonicalize_name(dist) for name in library_imports() for dist in providers[name]}
    # THEN pyproject.toml declares each of them, and nothing else (e.g. not cdk8s-plus-28, PyYAML)
    declared = set(declared_dependencies())
    assert imported - declared == set(), "add these to [project] dependencies in pyproject.toml"
    assert declared - imported == set(), "the library does not import these: drop them from pyproject.toml"
    # AND each optional extra declares exactly what its modules import beyond those
    assert set(PROJECT.get("optional-dependencies", {})) == set(EXTRA_MODULES.values())
    for extra in EXTRA_MODULES.values():
        extra_imports = {canonicalize_name(dist) for name in library_imports(extra=extra) for dist in providers[name]}
        assert extra_imports - declared == set(declared_dependencies(extra=extra)), f"extra {extra!r}"


def test_the_pinned_versions_satisfy_the_declared_ranges():
    # GIVEN requirements.txt (what this repository is tested with) THEN each pin is in range
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = next(iter(requirement.specifier)).version
    for name, requirement in declared_dependencies().items():
        assert name in pins, f"{name} is a dependency of the library but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement}"


def test_the_app_pins_what_it_imports_as_its_own_dependencies():
    # GIVEN the app's imports (main.py, taskora_app/) of distributions other than the library's own
    providers = importlib.metadata.packages_distributions()
    imported = set()
    for path in APP_FILES:
        for node in nodes(path):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if (
                isinstance(node, ast.ImportFrom) and node.level == 0 and node.module) else []
            imported.update(name.split(".")[0] for name in names)
    distributions = {canonicalize_name(dist) for name in imported - set(sys.stdlib_module_names)
                     if name not in ("__future__", "taskora_constructs", "taskora_app") for dist in providers[name]}
    # WHEN requirements.txt lists its direct pins (those above the first "# transitive" comment)
    direct = (ROOT / "requirements.txt").read_text().split("# transitive")[0]
    pinned = {canonicalize_name(Requirement(line.split("#")[0].strip()).name)
              for line in direct.splitlines() if line.split("#")[0].strip()}
    # THEN each one the app imports (PyYAML, cattrs for the values loader) is pinned directly, not
    # only as someone else's transitive dependency that a jsii upgrade could drop
    assert distributions - pinned == set(), "pin these in requirements.txt's direct section"
    assert {"pyyaml", "cattrs"} <= distributions


def test_the_app_uses_the_installed_distribution():
    # GIVEN the project's virtual environment (`make deps`) THEN the distribution is installed,
    # at pyproject's version, and resolves to this working tree (editable)
    try:
        installed = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed in {sys.prefix}: run `make deps`")
    assert installed.version == VERSION, "pyproject.toml changed since set-up: run `make deps`"
    import taskora_constructs
    assert Path(taskora_constructs.__file__).resolve().parent == LIBRARY
    # AND the library reports the same version at run time
    assert taskora_constructs.__version__ == VERSION


def test_the_app_imports_only_the_public_api():
    # GIVEN the app's own code (main.py, taskora_app/) WHEN it imports from the library
    # THEN it imports only names listed in taskora_constructs.__all__, as any other user would
    import taskora_constructs
    private = []
    for path in APP_FILES:
        for node in nodes(path):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] == "taskora_constructs":
                private += [f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}"
                            for alias in node.names if alias.name not in taskora_constructs.__all__]
    assert private == [], "export these from taskora_constructs (and pin them in tests/api/test_public_api.py)"


@pytest.mark.e2e
def test_the_wheel_holds_the_typed_library_and_nothing_else(tmp_path):
    # GIVEN the packaging inputs WHEN the wheel is built offline
    wheel = build_wheel(tmp_path)
    # THEN it is named after the distribution and version
    assert wheel.name == f"taskora_constructs-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = HeaderParser().parsestr(archive.read(f"taskora_constructs-{VERSION}.dist-info/METADATA").decode())
    # AND it holds every module of the library plus py.typed, and no app, test, example or import
    library_files = sorted(p.relative_to(ROOT).as_posix() for p in LIBRARY.rglob("*")
                           if p.is_file() and "__pycache__" not in p.parts)
    packaged = sorted(n for n in names if not n.startswith(f"taskora_constructs-{VERSION}.dist-info/"))
    assert packaged == library_files
    assert "taskora_constructs/py.typed" in packaged
    # AND its metadata declares the version, Python and exactly the declared dependencies
    assert metadata["Name"] == DISTRIBUTION and metadata["Version"] == VERSION
    assert metadata["Requires-Python"] == ">=3.11"
    extras = [f'{Requirement(d)}; extra == "{extra}"'
              for extra, requirements in PROJECT.get("optional-dependencies", {}).items() for d in requirements]
    assert sorted(metadata.get_all("Requires-Dist")) == sorted([*(str(Requirement(d)) for d in PROJECT["dependencies"]),
                                                                *extras])
