"""The README documents the repository as it is (issue #14): its tables name every module of
the library, the app and the scripts, and the model document it cites is in the repository."""

from __future__ import annotations

import re

import pytest

from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text()


def modules() -> list[str]:
    found = []
    library = sorted((ROOT / "taskora_constructs").rglob("*.py"))
    for path in library + sorted((ROOT / "taskora_app").iterdir()) + sorted((ROOT / "scripts").iterdir()):
        if path.suffix in (".py", ".sh") and path.name != "__init__.py":
            found.append(path.relative_to(ROOT).as_posix())
    return found


@pytest.mark.parametrize("module", modules())
def test_the_readme_names_every_module(module):
    # a library module by its path in the package (``core/rules.py``), anything else by its name
    inside = module.removeprefix("taskora_constructs/")
    name = inside if inside != module else module.rsplit("/", 1)[-1]
    assert f"`{name}`" in README or f"`{module}`" in README, f"README.md does not mention {module}"


def test_the_model_the_readme_cites_is_in_the_repository():
    model = ROOT / "docs" / "taskora-data-model.md"
    assert "(docs/taskora-data-model.md)" in README
    assert model.is_file() and model.read_text().startswith("#")


def test_every_relative_link_of_the_readme_resolves():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README):
        assert (ROOT / target).exists(), target
