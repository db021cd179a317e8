"""The reuse guide cannot rot: every ``python`` code block of docs/reuse.md, and those of the
README's "Reusing a construct in another app" section, runs as written.

GIVEN the documents WHEN each python block is executed on its own (a fresh namespace, a
scratch working directory, sentinel secret values in the environment the blocks read them
from) THEN it raises nothing, and every ``assert`` in it holds.

``cdk8s.App()`` resolves its default ``outdir`` (``dist``) in the jsii Node process, whose
working directory is the one this test process started in (the repository): the blocks'
``App()`` therefore gets an absolute ``outdir`` in the scratch directory instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import cdk8s
import pytest

from tests.support.paths import ROOT

#: The environment variables the documents read secret values from; sentinels, never real values.
SECRETS = {name: f"sentinel-{name.lower().replace('_', '-')}" for name in (
    "ORDERS_DB_PASSWORD", "SHOP_DB_PASSWORD", "COHERE_API_KEY", "BETTER_AUTH_SECRET", "GEMINI_API_KEY",
    "DB_PASSWORD")}
README_SECTION = "## Reusing a construct in another app"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(README_SECTION)
    end = text.find("\n## ", start + len(README_SECTION))
    return text[start:end if end != -1 else None]


def blocks(source: str, text: str) -> list[tuple[str, str]]:
    """``(id, code)`` of every python block of ``text``, the id naming the document and line."""
    return [(f"{source}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1))
            for match in BLOCK.finditer(text)]


DOC_BLOCKS = blocks("docs/reuse.md", (ROOT / "docs" / "reuse.md").read_text())
README_BLOCKS = blocks("README.md", (ROOT / "README.md").read_text())
README_BLOCKS = [(where, code) for where, code in README_BLOCKS if code in readme_section()]


def test_the_documents_have_code_to_run():
    assert len(DOC_BLOCKS) >= 8
    assert len(README_BLOCKS) >= 1


@pytest.mark.parametrize("where, code", DOC_BLOCKS + README_BLOCKS, ids=[w for w, _ in DOC_BLOCKS + README_BLOCKS])
def test_every_python_block_runs(where, code, tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    outdir = str(tmp_path / "dist")

    class ScratchApp(cdk8s.App):
        def __init__(self, **props) -> None:
            super().__init__(**{"outdir": outdir, **props})

    monkeypatch.setattr(cdk8s, "App", ScratchApp)
    exec(compile(code, where, "exec"), {"__name__": "__doc_block__"})
