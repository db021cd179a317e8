"""GIVEN a team's PostgresDatabase with a scheduled backup on a retained StorageClass WHEN
synthesized THEN its objects are the reviewed snapshot (__snapshots__/test_postgres_snapshot.ambr),
so a change to what the construct writes shows up in review, object by object."""

from __future__ import annotations

import cdk8s

from taskora_constructs import PostgresBackup, PostgresDatabase, RetainedStorageClass
from tests.support.synth import rendered_yaml


def test_a_database_with_its_backup_matches_the_snapshot(snapshot):
    # GIVEN a chart with a namespace WHEN a database with a backup and a retained class is added
    chart = cdk8s.Chart(cdk8s.Testing.app(), "data", namespace="data")
    PostgresDatabase(chart, "orders-db", password="snapshot-not-a-secret", database_name="orders",
                     username="orders", backup=PostgresBackup(), storage_class_name="orders-retain",
                     retained_storage_class=RetainedStorageClass())
    objects = cdk8s.Testing.synth(chart)
    # THEN the credentials, identity, Service, StatefulSet and backup are written, in apply order
    assert {o["kind"] for o in objects} >= {"Secret", "ServiceAccount", "Service", "StatefulSet", "CronJob",
                                            "StorageClass"}
    assert rendered_yaml(objects) == snapshot
