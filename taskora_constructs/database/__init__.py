"""PostgreSQL for any service, on two engines: a StatefulSet (``postgres``, with its ``pg_dump``
``backup`` and the ``storage`` class that keeps its volumes) and a CloudNativePG Cluster
(``cloudnative_pg``).

The CloudNativePG construct's module is imported where it is used, not by the StatefulSet's
path: a default synth never loads it (issue #22). :func:`is_cloudnative_pg_database` tells
one from the other without loading it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from .cloudnative_pg import CloudNativePgDatabase


def is_cloudnative_pg_database(value: object) -> TypeGuard[CloudNativePgDatabase]:
    """``isinstance(value, CloudNativePgDatabase)``, without importing its module: until that
    module is imported, no such database exists."""
    module = sys.modules.get(__name__ + ".cloudnative_pg")
    return module is not None and isinstance(value, module.CloudNativePgDatabase)
