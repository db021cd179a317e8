"""GIVEN docs/performance.md (written by `make bench`) WHEN the README states how fast something
is THEN the figures are the ones that file measured: the README's bench block is the file's,
word for word, and no other speed figure about the make targets appears in the README."""

from __future__ import annotations

import re

from tests.support.paths import ROOT

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def block(text: str) -> str:
    begin, end = text.index(BEGIN), text.index(END)
    return text[begin + len(BEGIN):end].strip()


def test_the_readmes_speed_figures_are_the_last_bench_runs():
    performance = (ROOT / "docs" / "performance.md").read_text()
    assert BEGIN in performance, "docs/performance.md was not written by the current `make bench`: run it"
    assert block((ROOT / "README.md").read_text()) == block(performance), \
        "README.md's speed figures differ from docs/performance.md: run `make bench` (it rewrites both)"


def test_no_other_speed_claim_about_the_make_targets_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    outside = readme[:readme.index(BEGIN)] + readme[readme.index(END):]
    claim = re.compile(r"`make (?:check|test|synth|bench)`[^.;]{0,60}?\b\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)? ?"
                       r"(?:ms|s|sec|seconds|min|minutes)\b")
    assert claim.findall(outside) == []


def test_the_performance_page_names_no_removed_dependency():
    performance = (ROOT / "docs" / "performance.md").read_text()
    assert "pydantic" not in performance and "issue #13)" not in performance.splitlines()[0]
