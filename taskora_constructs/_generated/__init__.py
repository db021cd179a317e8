"""Generated code (``make generate``, ``scripts/generate.py``; checked by the tests): never edit by hand.

This package file is written by hand: it makes ``k8s_types`` load on first use. The library
names those TypedDicts in annotations, which Python does not evaluate (``from __future__ import
annotations``), so a default synth never reads one; building ~200 TypedDict classes at import
cost ~7 ms of every synth's start-up (issue #22). ``from .._generated import k8s_types`` binds
the module below; any attribute read (``k8s.PodSpec``, ``typing.get_type_hints``, mypy aside)
executes it then, once. The custom resources' modules are imported under TYPE_CHECKING only.
"""

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def _loaded_on_first_use(name: str) -> ModuleType:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if not TYPE_CHECKING:  # mypy reads the module itself
    k8s_types = _loaded_on_first_use(__name__ + ".k8s_types")
