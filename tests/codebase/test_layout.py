"""tests/ mirrors the code it tests (issue 19, deliverable 4).

GIVEN the library and the tests WHEN the layout is read THEN every module of
``taskora_constructs`` that defines a construct or a rule set has ``tests/<package>/test_<module>.py``
(``plus.py``: ``tests/test_plus.py``); a test module in a package's folder is named after a module
of that package (``test_<module>.py`` or ``test_<module>_<topic>.py``), as those of tests/app/ are
after taskora_app/ and main.py; no test module imports another (shared helpers live in
tests/support/ or conftest.py); every folder of tests is a package (so two folders may each hold
a ``test_policy.py``); every syrupy snapshot file is named after a test module beside it; and no
Python file of tests/ is over 400 lines. Each rule is also shown to catch a tree that breaks it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import constructs
import pytest

import taskora_constructs
from taskora_constructs.core.api_rules import Rule
from tests.support.paths import ROOT
from tests.support.python_sources import nodes

TESTS = ROOT / "tests"
#: The library's packages, each mirrored by a folder of tests/ of the same name.
LIBRARY_PACKAGES = ("core", "database", "lint", "network", "routing", "taskora", "web")
#: The app's modules (taskora_app/ and main.py), mirrored by tests/app/.
APP_MODULES = frozenset({path.stem for path in (ROOT / "taskora_app").glob("*.py")} - {"__init__"} | {"main"})
MAX_LINES = 400


def defines_construct_or_rules(module_name: str) -> bool:
    """Whether the module defines a construct (a class deriving from ``constructs.Construct``) or a
    rule set (``check_*`` functions, or :class:`~taskora_constructs.core.api_rules.Rule` objects)."""
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        defined_here = getattr(value, "__module__", None) == module_name
        if defined_here and inspect.isclass(value) and issubclass(value, constructs.Construct):
            return True
        if defined_here and inspect.isfunction(value) and name.lstrip("_").startswith("check_"):
            return True
        if isinstance(value, Rule):
            return True
    return False


def expected_test_modules() -> dict[str, Path]:
    """Each library module that needs a test module -> the path that test module must have."""
    expected = {}
    for info in pkgutil.walk_packages(taskora_constructs.__path__, "taskora_constructs."):
        parts = info.name.split(".")[1:]
        if info.ispkg or any(part.startswith("_") for part in parts):
            continue
        if defines_construct_or_rules(info.name):
            expected[info.name] = TESTS.joinpath(*parts[:-1], f"test_{parts[-1]}.py")
    return expected


def modules_of_tests(tests: Path) -> list[Path]:
    return sorted(p for p in tests.rglob("test_*.py") if "__pycache__" not in p.parts)


def misnamed(tests: Path, modules_of: dict[str, frozenset[str]]) -> list[str]:
    """Test modules of a mirroring folder (``modules_of``: folder -> the module names it mirrors)
    not named ``test_<module>.py`` or ``test_<module>_<topic>.py``; at the top, after a top-level module."""
    found = []
    for path in modules_of_tests(tests):
        folder = path.parent.relative_to(tests).as_posix()
        if folder not in modules_of:
            continue
        stem = path.stem.removeprefix("test_")
        if not any(stem == module or stem.startswith(f"{module}_") for module in modules_of[folder]):
            found.append(f"{path.relative_to(tests)}: names no module of {sorted(modules_of[folder])}")
    return found


def imports_of_test_modules(tests: Path) -> list[str]:
    """``file: imported module`` for each import of a test module (or of conftest) by a Python
    file of ``tests``: by its own name, or as ``tests.<...>.test_x``."""
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in nodes(path):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                last = name.split(".")[-1]
                if last.startswith("test_") or last == "conftest":
                    found.append(f"{path.relative_to(tests)}: {name}")
    return found


def folders_without_init(tests: Path) -> list[str]:
    return sorted(str(d.relative_to(tests)) for d in [tests, *tests.rglob("*")]
                  if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists())


def orphaned_snapshots(tests: Path) -> list[str]:
    return sorted(str(a.relative_to(tests)) for a in tests.rglob("__snapshots__/*.ambr")
                  if not (a.parent.parent / f"{a.stem}.py").exists())


def long_files(tests: Path) -> list[str]:
    return sorted(f"{p.relative_to(tests)}: {n} lines" for p in tests.rglob("*.py")
                  if "__pycache__" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES)


def mirrored_folders() -> dict[str, frozenset[str]]:
    folders = {package: frozenset(p.stem for p in (ROOT / "taskora_constructs" / package).glob("*.py"))
               for package in LIBRARY_PACKAGES}
    folders["."] = frozenset(p.stem for p in (ROOT / "taskora_constructs").glob("*.py"))
    return {**folders, "app": APP_MODULES}


def test_every_construct_and_rule_module_has_its_test_module():
    # GIVEN the library's modules WHEN those defining a construct or a rule set are listed
    expected = expected_test_modules()
    # THEN the list is the real one (not empty by a broken detection) and each has its test module
    assert {"taskora_constructs.taskora.composite", "taskora_constructs.core.rules",
            "taskora_constructs.lint.routing", "taskora_constructs.plus"} <= set(expected)
    missing = [f"{module}: {path.relative_to(ROOT)}" for module, path in expected.items() if not path.exists()]
    assert missing == []


def test_every_test_module_of_a_mirroring_folder_names_its_module():
    # GIVEN tests/<package>/, tests/app/ and the top of tests/ WHEN their test modules are read
    # THEN each is named after a module of what the folder mirrors
    assert misnamed(TESTS, mirrored_folders()) == []


def test_no_test_module_imports_another():
    assert imports_of_test_modules(TESTS) == []


def test_every_folder_of_tests_is_a_package():
    assert folders_without_init(TESTS) == []


def test_every_snapshot_file_is_named_after_a_test_module_beside_it():
    assert sorted(TESTS.rglob("__snapshots__/*.ambr"))  # the snapshots are where this looks
    assert orphaned_snapshots(TESTS) == []


def test_no_file_of_tests_is_over_400_lines():
    assert long_files(TESTS) == []


# --- each rule catches a tree that breaks it --------------------------------------------------

@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    """A tests/ that breaks every rule once: a flat topic file, a misnamed module, a test module
    importing another (two ways) and conftest, a folder without __init__.py, an orphaned
    snapshot, a file of 401 lines."""
    (tmp_path / "core").mkdir()
    (tmp_path / "loose").mkdir()
    (tmp_path / "core" / "__snapshots__").mkdir()
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "test_security_data.py").write_text("")
    (tmp_path / "core" / "test_rules_field.py").write_text("from tests.core.test_rules import CASES\n")
    (tmp_path / "core" / "test_hostile.py").write_text("import test_values\nfrom conftest import ROOT\n")
    (tmp_path / "loose" / "test_x.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "core" / "__snapshots__" / "test_gone.ambr").write_text("")
    return tmp_path


def test_each_rule_catches_its_break(broken_tree: Path):
    # GIVEN a tree breaking each rule WHEN each check reads it THEN it names exactly the break
    folders = {".": frozenset({"plus"}), "core": frozenset({"rules", "policy"})}
    assert misnamed(broken_tree, folders) == [
        "core/test_hostile.py: names no module of ['policy', 'rules']",
        "test_security_data.py: names no module of ['plus']"]
    assert imports_of_test_modules(broken_tree) == ["core/test_hostile.py: test_values",
                                                    "core/test_hostile.py: conftest",
                                                    "core/test_rules_field.py: tests.core.test_rules"]
    assert folders_without_init(broken_tree) == ["loose"]
    assert orphaned_snapshots(broken_tree) == ["core/__snapshots__/test_gone.ambr"]
    assert long_files(broken_tree) == [f"loose/test_x.py: {MAX_LINES + 1} lines"]


def test_a_module_with_a_construct_or_a_rule_needs_a_test_module_and_one_with_neither_does_not():
    # GIVEN modules of each kind WHEN classified THEN constructs (by subclass, however deep) and
    # rule sets (check_* functions, Rule objects) need one; names, errors and props do not
    assert defines_construct_or_rules("taskora_constructs.taskora.frontend")  # TaskoraFrontend(WebWorkload)
    assert defines_construct_or_rules("taskora_constructs.lint.pods")  # _check_* functions
    assert defines_construct_or_rules("taskora_constructs.core.api_rules")  # Rule objects
    assert not defines_construct_or_rules("taskora_constructs.taskora.names")
    assert not defines_construct_or_rules("taskora_constructs.core.errors")
    assert not defines_construct_or_rules("taskora_constructs.core.podspec")  # checksum() is no check_
