"""Writes the cluster-wide deletion protection (``make protection``): the ValidatingAdmissionPolicy
and binding of ``taskora_constructs.taskora.namespace.deletion_protection_policy``, applied once per
cluster by its admin (``kubectl apply --server-side -f build/protection/``), before dist/.

It is not in dist/ on purpose: ``kubectl delete -f dist/`` deletes what dist/ holds, the policy
first among them, and the garbage collector would then delete the CloudNativePG Cluster's claims
(tests/cluster/test_cluster_deletion.py shows both deletes keep the data with it here).

    python scripts/protection.py [--output build/protection] [--operator-service-account NS:NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from taskora_constructs.taskora.namespace import OPERATOR_USERS, deletion_protection_policy

FILE = "deletion-protection.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the cluster-wide Taskora deletion protection.")
    parser.add_argument("--output", type=Path, default=Path("build/protection"))
    parser.add_argument("--operator-service-account", action="append", metavar="NAMESPACE:NAME",
                        help="the CloudNativePG operator's service account, whose claim deletes pass "
                             "(default: cnpg-system:cnpg-manager, the release manifest's); repeatable")
    args = parser.parse_args(argv)
    users = OPERATOR_USERS
    if args.operator_service_account:
        bad = [sa for sa in args.operator_service_account if sa.count(":") != 1 or "'" in sa]
        if bad:
            print(f"protection: --operator-service-account {bad[0]!r}: must be NAMESPACE:NAME "
                  "(for example cnpg-system:cnpg-manager)", file=sys.stderr)
            return 2
        users = tuple(f"system:serviceaccount:{sa}" for sa in args.operator_service_account)
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / FILE
    path.write_text(yaml.safe_dump_all(deletion_protection_policy(users), sort_keys=False))
    print(f"Wrote the deletion protection to {path} (once per cluster: kubectl apply --server-side -f {path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
