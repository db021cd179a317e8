"""GIVEN a team's CloudNativePgDatabase with object-store backups and a PgBouncer pooler WHEN
synthesized THEN its objects are the reviewed snapshot (__snapshots__/test_cloudnative_pg_snapshot.ambr):
the Cluster, its ObjectStore and ScheduledBackup, the Pooler, read in review as a whole."""

from __future__ import annotations

import cdk8s

from taskora_constructs import CloudNativePgDatabase, CloudNativePgOptions, ObjectStoreBackup, PgBouncerPooler
from tests.support.synth import rendered_yaml

CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.4"


def test_a_cluster_with_backups_and_a_pooler_matches_the_snapshot(snapshot):
    # GIVEN a chart with a namespace WHEN an operator-run database with backups and a pooler is added
    chart = cdk8s.Chart(cdk8s.Testing.app(), "data", namespace="data")
    CloudNativePgDatabase(chart, "orders-db", image=CNPG_IMAGE, database_name="orders", username="orders",
                          cloudnative_pg=CloudNativePgOptions(
                              pooler=PgBouncerPooler(),
                              backup=ObjectStoreBackup(destination_path="s3://orders-backups/data",
                                                       credentials_secret="orders-s3")))
    objects = cdk8s.Testing.synth(chart)
    # THEN the operator's custom resources are written, and no Secret: the operator writes it
    assert {"Cluster", "ScheduledBackup", "Pooler", "ObjectStore"} <= {o["kind"] for o in objects}
    assert "Secret" not in {o["kind"] for o in objects}
    assert rendered_yaml(objects) == snapshot
