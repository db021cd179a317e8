#!/usr/bin/env python3
"""``make generate``: write the library's generated code, ``taskora_constructs/_generated/``, or
with ``--check`` (the tests) write nothing and exit 1 if any of it is stale.

* ``k8s_types.py``: the Kubernetes 1.28 object bodies and the Gateway API v1 HTTPRoute as
  TypedDicts (``scripts/k8s_typeddicts.py``, from kubernetes-validate's schema and ``crds/``);
* ``cnpg_types.py``, ``barman_types.py``, ``eso_types.py``: the CloudNativePG, Barman Cloud
  plugin and External Secrets custom resources as TypedDicts (``scripts/crd_typeddicts.py``,
  from ``crds/cloudnative-pg-v1.29.2/``, ``crds/plugin-barman-cloud-v0.14.0/`` and
  ``crds/external-secrets-v2.9.0/``).
"""

from __future__ import annotations

import sys

import crd_typeddicts  # scripts/ is sys.path[0] when run as a script
import k8s_typeddicts


def main() -> int:
    # Both, even when the first is stale: --check names every stale file at once.
    return max(k8s_typeddicts.main(), crd_typeddicts.main())


if __name__ == "__main__":
    sys.exit(main())
