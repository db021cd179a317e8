"""RetainedStorageClass and emit_storage_class (taskora_constructs/database/storage.py): GIVEN a
chart WHEN a database asks for a retained class THEN one cluster-scoped StorageClass with
reclaimPolicy Retain is created per App, shared by databases that agree on it and refused, naming
both, when they do not; wrong fields name the field, rule and fix."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresDatabase, PostgresProps, RetainedStorageClass, TaskoraConfigError
from taskora_constructs.database.storage import emit_storage_class

PASSWORD = "sentinel-db-2b8e"


def database(chart: cdk8s.Chart, construct_id: str, storage_class: RetainedStorageClass,
             class_name: str = "taskora-retain") -> PostgresDatabase:
    return PostgresDatabase(chart, construct_id, password=PASSWORD, storage_class_name=class_name,
                            retained_storage_class=storage_class)


def storage_classes(*charts: cdk8s.Chart) -> list[dict]:
    return [o for chart in charts for o in cdk8s.Testing.synth(chart) if o["kind"] == "StorageClass"]


def test_the_default_class_retains_minikube_hostpath_volumes():
    body = RetainedStorageClass().to_json("taskora-retain", {"app": "db"})
    assert body == {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                    "metadata": {"name": "taskora-retain", "labels": {"app": "db"}},
                    "provisioner": "k8s.io/minikube-hostpath", "reclaimPolicy": "Retain",
                    "volumeBindingMode": "Immediate", "allowVolumeExpansion": False}


def test_given_fields_reach_the_storageclass():
    body = RetainedStorageClass(provisioner="ebs.csi.aws.com", parameters={"type": "gp3"},
                                volume_binding_mode="WaitForFirstConsumer",
                                allow_volume_expansion=True).to_json("fast", {})
    assert (body["provisioner"], body["parameters"], body["volumeBindingMode"], body["allowVolumeExpansion"]) == (
        "ebs.csi.aws.com", {"type": "gp3"}, "WaitForFirstConsumer", True)
    assert body["reclaimPolicy"] == "Retain"  # whatever else is given


def test_the_storageclass_is_cluster_scoped_in_a_namespaced_chart():
    # GIVEN a chart with a namespace WHEN a database creates its retained class
    chart = cdk8s.Chart(cdk8s.Testing.app(), "data", namespace="shop")
    db = database(chart, "db", RetainedStorageClass())
    [storage_class] = storage_classes(chart)
    # THEN the class has no namespace, while the database's objects do
    assert "namespace" not in storage_class["metadata"] and db.storage_class is not None
    assert storage_class["metadata"]["labels"] == {"app": "db"}


def test_two_databases_agreeing_on_the_class_share_one():
    app = cdk8s.Testing.app()
    first, second = cdk8s.Chart(app, "a", namespace="a"), cdk8s.Chart(app, "b", namespace="b")
    one = database(first, "db", RetainedStorageClass())
    other = database(second, "db", RetainedStorageClass())
    assert len(storage_classes(first, second)) == 1
    assert one.storage_class is not None and other.storage_class is None


def test_a_different_class_under_the_same_name_is_refused_naming_the_first():
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "data")
    database(chart, "orders", RetainedStorageClass())
    with pytest.raises(TaskoraConfigError) as raised:
        database(chart, "users", RetainedStorageClass(volume_binding_mode="WaitForFirstConsumer"))
    [problem] = raised.value.problems
    assert (problem.field, problem.value) == ("storageClassName", "taskora-retain")
    assert "already created by data/orders with other settings" in problem.rule
    assert problem.fix == "give one of the two databases another storageClassName"
    assert PASSWORD not in str(raised.value)


def test_another_app_starts_a_fresh_book():
    # A StorageClass is per cluster, the book per App: each App emits its own.
    for _ in range(2):
        chart = cdk8s.Chart(cdk8s.Testing.app(), "data")
        assert emit_storage_class(chart, "sc", "taskora-retain", RetainedStorageClass(), {}) is not None


def test_every_wrong_field_is_reported():
    with pytest.raises(TaskoraConfigError) as raised:
        RetainedStorageClass(provisioner="EBS CSI", parameters={"iops": 3000}, volume_binding_mode="Lazy",
                             allow_volume_expansion="no")
    problems = {p.field: p for p in raised.value.problems}
    assert sorted(problems) == ["allowVolumeExpansion", "parameters", "provisioner", "volumeBindingMode"]
    assert {p.where for p in problems.values()} == {"RetainedStorageClass"}
    assert "kubectl get storageclass" in problems["provisioner"].fix
    assert problems["parameters"].fix == "quote every value, e.g. {type: 'gp3'}"
    assert problems["volumeBindingMode"].rule == "must be one of Immediate, WaitForFirstConsumer"


@pytest.mark.parametrize("provisioner", ["k8s.io/minikube-hostpath", "rancher.io/local-path", "pd.csi.storage.gke.io"])
def test_provisioner_names_with_and_without_a_path_are_accepted(provisioner: str):
    assert RetainedStorageClass(provisioner=provisioner).problems("x") == []


def test_the_problems_are_reported_under_the_database_field():
    # GIVEN a class whose field went wrong after construction (a frozen class: forced here)
    storage_class = RetainedStorageClass()
    object.__setattr__(storage_class, "volume_binding_mode", "Lazy")
    # WHEN a database's props take it THEN the field is prefixed with the props' key
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresProps(storage_class_name="taskora-retain", retained_storage_class=storage_class)
    assert [p.field for p in raised.value.problems] == ["retainedStorageClass.volumeBindingMode"]
