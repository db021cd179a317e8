#!/usr/bin/env python3
"""Write the API reference of taskora_constructs with pdoc (``make docs``); any warning fails it.

Usage: python scripts/api_docs.py OUTPUT_DIRECTORY

pdoc reads a dataclass's generated ``__init__`` signature, whose annotations are the fields'
strings (``from __future__ import annotations``), and evaluates them in the module of the
class that owns the ``__init__``. A props class that inherits its fields (``TaskoraBackendProps`` from
``WebWorkloadProps`` from ``WorkloadProps``) owns an ``__init__`` whose strings name types its
own module never imports (``EnvVar``, ``k8s``), so pdoc warns and shows them unresolved. Here
each public dataclass's ``__init__`` gets the annotations ``typing.get_type_hints`` resolves
field by field in the module that declared each field (as the values loader resolves them),
before pdoc reads them (and so does the signature ``@frozen_props``'s ``__init__`` states):
the reference shows the real types, and a warning left is an error.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import sys
import typing
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

MODULES = ["taskora_constructs"]


def resolve_init_annotations(module: object) -> int:
    """Give every public dataclass of ``module`` an ``__init__`` with resolved annotations; how many."""
    count = 0
    for name in getattr(module, "__all__", []):
        cls = getattr(module, name)
        if not (inspect.isclass(cls) and dataclasses.is_dataclass(cls)):
            continue
        hints = typing.get_type_hints(cls)
        init = cls.__init__
        init.__annotations__ = {k: hints.get(k, v) for k, v in init.__annotations__.items()}
        signature = getattr(init, "__signature__", None)  # @frozen_props's __init__ states its own
        if signature is not None:
            init.__signature__ = signature.replace(parameters=[
                parameter.replace(annotation=hints.get(parameter.name, parameter.annotation))
                for parameter in signature.parameters.values()])
        count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    import pdoc
    import pdoc.render

    import taskora_constructs
    resolve_init_annotations(taskora_constructs)
    pdoc.render.configure(docformat="google")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=Path(argv[0]))
    for warning in caught:
        print(f"docs: {warning.message}", file=sys.stderr)
    if caught:
        print(f"docs: {len(caught)} warning(s): the API reference is incomplete (fix them; make docs fails on any)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
