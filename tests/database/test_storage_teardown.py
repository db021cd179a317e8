"""Teardown keeps the volumes where no policy refuses (issue 11), in a simulator: what the real
control plane cannot show, since it has no volume provisioner (a reclaimPolicy Delete volume is
never deleted there): GIVEN no deletion protection (lifted, or never applied)
WHEN `kubectl delete -f dist/` runs THEN a Retain StorageClass keeps the volumes. Everything the
deletion protection does (refusals, one and two deletes, the operator's claim deletes, the
documented un-labelling) is proven on the real API server: tests/cluster/test_cluster_deletion.py.

Original scope (issue 11): GIVEN the files `make synth` writes, applied to a cluster
in which the StatefulSet's claim templates have created their claims WHEN `kubectl delete -f
dist/` runs once, or twice THEN the database's volumes and their data survive; AND the
documented teardown (README, Teardown) does delete them.

A small simulator stands in for the cluster. What it models, and nothing else:

* ``kubectl apply -f dist/``: the files in lexical order, the objects in file order; a
  namespaced object needs its Namespace to exist (and not be terminating); then the
  StatefulSet controller: one claim ``<template>-<statefulset>-<ordinal>`` per template and
  replica, reusing a claim of that name if it exists, else a new volume provisioned with the
  reclaim policy of the claim's StorageClass (the cluster's default class if none is named).
* ``kubectl delete -f dist/``: the same order; each delete goes through admission; a refused
  or missing object is reported and kubectl goes on with the next (as kubectl does).
* Admission: every ValidatingAdmissionPolicy in the cluster with a binding that names it
  (``validationActions: [Deny]``), matched by its resource rules (group, version,
  operation, resource, resourceNames) and evaluated in Python: the policy's CEL is checked to
  be exactly the expressions mirrored here, then computed with ``oldObject`` (the object
  being deleted) and ``namespaceObject`` (its Namespace).
* A deleted Namespace deletes everything in it, each delete through admission (the namespace
  controller's deletes are admitted like any other); it runs either at once or after kubectl
  has finished (the controller is asynchronous): both are tested.
* A deleted StatefulSet deletes its claims only with ``whenDeleted: Delete``.
* A deleted claim releases its volume: reclaimPolicy Delete deletes the volume and its data,
  Retain keeps both (phase Released). A deleted StorageClass changes no existing volume.

The cluster is minikube's: a default StorageClass ``standard`` with reclaimPolicy Delete.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import cdk8s
import pytest
import yaml

from tests.support.profiles import STATEFULSET_PROFILE, props_of, written_files
from taskora_constructs import RetainedStorageClass, Taskora, TaskoraProps, TaskoraSecretValues

PROTECTION_LABEL = "taskora.io/deletion-protection"
#: The policy's CEL, as the simulator understands it (``{ns}``: the protected namespace).
CEL_VARIABLES = [
    ("namespace", "request.resource.resource == 'namespaces' ? oldObject : namespaceObject"),
    ("protected", "variables.namespace.metadata.name == '{ns}' && has(variables.namespace.metadata.labels) "
                  "&& 'taskora.io/deletion-protection' in variables.namespace.metadata.labels "
                  "&& variables.namespace.metadata.labels['taskora.io/deletion-protection'] == 'enabled'"),
]
CEL_VALIDATION = "!variables.protected"

CLUSTER_SCOPED = {"Namespace", "StorageClass", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                  "PersistentVolume"}
RESOURCES = {"Namespace": "namespaces", "PersistentVolumeClaim": "persistentvolumeclaims"}

Key = tuple[str, str, str]  # kind, namespace ("" when cluster-scoped), name


def key_of(manifest: dict) -> Key:
    namespace = "" if manifest["kind"] in CLUSTER_SCOPED else manifest["metadata"].get("namespace", "default")
    return manifest["kind"], namespace, manifest["metadata"]["name"]


@dataclass
class Volume:
    name: str
    claim: tuple[str, str]  # namespace, name (kept when Released, as the claimRef is)
    reclaim_policy: str
    phase: str = "Bound"
    data: str = ""  # what the database wrote to it


@dataclass
class Cluster:
    """The API server's objects, the volumes, and what happened."""

    objects: dict[Key, dict] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    terminating: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    deferred_cascade: bool = False
    pending_cascades: list[str] = field(default_factory=list)
    default_class_reclaim: str = "Delete"
    _serial: itertools.count = field(default_factory=itertools.count)

    # --- kubectl apply -f dist/ ---
    def apply(self, files: list[Path]) -> None:
        for manifest in read(files):
            kind, namespace, _ = key = key_of(manifest)
            if namespace and (("Namespace", "", namespace) not in self.objects or namespace in self.terminating):
                raise AssertionError(f"apply: {key}: namespace {namespace} not found or terminating")
            self.objects[key] = manifest
        for manifest in list(self.objects.values()):
            if manifest["kind"] == "StatefulSet":
                self._claims_of(manifest)

    def _claims_of(self, statefulset: dict) -> None:
        namespace = statefulset["metadata"]["namespace"]
        for template in statefulset["spec"].get("volumeClaimTemplates", []):
            for ordinal in range(statefulset["spec"].get("replicas", 1)):
                name = f"{template['metadata']['name']}-{statefulset['metadata']['name']}-{ordinal}"
                key = ("PersistentVolumeClaim", namespace, name)
                if key in self.objects:
                    continue  # the StatefulSet reuses an existing claim: its volume, its data
                class_name = template["spec"].get("storageClassName")
                if class_name is None:
                    reclaim = self.default_class_reclaim
                elif class_name == "standard":
                    reclaim = "Delete"  # minikube's own class
                else:
                    storage_class = self.objects.get(("StorageClass", "", class_name))
                    assert storage_class is not None, f"claim {name}: StorageClass {class_name} does not exist"
                    reclaim = storage_class.get("reclaimPolicy", "Delete")
                volume = Volume(name=f"pvc-{next(self._serial)}", claim=(namespace, name), reclaim_policy=reclaim)
                self.volumes[volume.name] = volume
                self.objects[key] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                     "metadata": {"name": name, "namespace": namespace},
                                     "spec": {"volumeName": volume.name}}

    # --- kubectl delete -f dist/ ---
    def delete_files(self, files: list[Path]) -> None:
        for manifest in read(files):
            self.delete(key_of(manifest), via="kubectl")
        for namespace in self.pending_cascades:  # the namespace controller catches up
            self._cascade(namespace)
        self.pending_cascades.clear()

    def delete(self, key: Key, via: str) -> bool:
        if key not in self.objects:
            self.errors.append(f"{via}: {key}: NotFound")
            return False
        refusal = self.admit_delete(key)
        if refusal:
            self.errors.append(f"{via}: {key}: Forbidden: {refusal}")
            return False
        kind, namespace, name = key
        manifest = self.objects[key]
        if kind == "Namespace":
            self.terminating.add(name)
            if self.deferred_cascade:
                self.pending_cascades.append(name)
            else:
                self._cascade(name)
            return True
        del self.objects[key]
        if kind == "PersistentVolumeClaim":
            self._release(manifest["spec"]["volumeName"])
        if kind == "StatefulSet":
            policy = manifest["spec"].get("persistentVolumeClaimRetentionPolicy", {})
            if policy.get("whenDeleted", "Retain") == "Delete":
                for claim_key in [k for k in self.objects if k[0] == "PersistentVolumeClaim" and k[1] == namespace]:
                    self.delete(claim_key, via="statefulset-controller")
        return True

    def _cascade(self, namespace: str) -> None:
        inside = [k for k in self.objects if k[1] == namespace]
        if all(self.delete(k, via="namespace-controller") for k in inside):
            self.objects.pop(("Namespace", "", namespace), None)
            self.terminating.discard(namespace)

    def _release(self, volume_name: str) -> None:
        volume = self.volumes[volume_name]
        if volume.reclaim_policy == "Delete":
            del self.volumes[volume_name]  # the provisioner deletes the disk, data and all
        else:
            volume.phase = "Released"

    # --- admission ---
    def admit_delete(self, key: Key) -> str | None:
        """The message of the first policy that refuses deleting ``key``, else None."""
        kind, namespace, name = key
        old_object = self.objects[key]
        group, _, version = old_object["apiVersion"].rpartition("/")
        resource = RESOURCES.get(kind, kind.lower() + "s")
        for binding in [o for k, o in self.objects.items() if k[0] == "ValidatingAdmissionPolicyBinding"]:
            policy = self.objects.get(("ValidatingAdmissionPolicy", "", binding["spec"]["policyName"]))
            if policy is None or "Deny" not in binding["spec"]["validationActions"]:
                continue
            assert "matchResources" not in binding["spec"] and "paramRef" not in binding["spec"]
            spec = policy["spec"]
            if not any(rule_matches(rule, group, version, resource, name)
                       for rule in spec["matchConstraints"]["resourceRules"]):
                continue
            namespace_object = self.objects.get(("Namespace", "", namespace)) if namespace else None
            for validation in spec["validations"]:
                if not evaluate(spec["variables"], validation["expression"], resource, old_object, namespace_object):
                    return validation["message"]
        return None

    # --- what the documented teardown does besides kubectl delete ---
    def remove_label(self, namespace: str, label: str) -> None:  # kubectl label namespace <ns> <label>-
        self.objects[("Namespace", "", namespace)]["metadata"]["labels"].pop(label)

    def set_reclaim_policy(self, namespace: str, policy: str) -> None:
        # for pv in $(kubectl -n <ns> get pvc -o jsonpath='{.items[*].spec.volumeName}'); do kubectl patch pv ...
        for key, claim in self.objects.items():
            if key[0] == "PersistentVolumeClaim" and key[1] == namespace:
                self.volumes[claim["spec"]["volumeName"]].reclaim_policy = policy

    def write_data(self) -> None:
        for volume in self.volumes.values():
            volume.data = f"rows of {volume.claim[1]}"

    def data_volumes(self, namespace: str) -> dict[str, Volume]:
        """The volumes that hold the namespace's data, by claim name."""
        return {v.claim[1]: v for v in self.volumes.values() if v.claim[0] == namespace and v.data}


def rule_matches(rule: dict, group: str, version: str, resource: str, name: str) -> bool:
    def has(values: list[str], value: str) -> bool:
        return "*" in values or value in values
    return (has(rule["apiGroups"], group) and has(rule["apiVersions"], version)
            and has(rule["operations"], "DELETE") and has(rule["resources"], resource)
            and (not rule.get("resourceNames") or name in rule["resourceNames"]))


def evaluate(variables: list[dict], expression: str, resource: str, old_object: dict,
             namespace_object: dict | None) -> bool:
    """The policy's CEL in Python. Refuses to guess: any other expression fails the test."""
    assert expression == CEL_VALIDATION, expression
    assert [v["name"] for v in variables] == [name for name, _ in CEL_VARIABLES]
    protected_ns = re.fullmatch(r"variables\.namespace\.metadata\.name == '([a-z0-9-]+)' && .*",
                                variables[1]["expression"])
    assert protected_ns is not None
    ns = protected_ns[1]
    assert [v["expression"] for v in variables] == [cel.format(ns=ns) for _, cel in CEL_VARIABLES]
    # namespace: request.resource.resource == 'namespaces' ? oldObject : namespaceObject
    namespace = old_object if resource == "namespaces" else namespace_object
    if namespace is None:  # a cluster-scoped object: namespaceObject is null, and so is the field access
        raise AssertionError("the policy would fail on a cluster-scoped object other than a Namespace")
    labels = namespace["metadata"].get("labels")
    protected = (namespace["metadata"]["name"] == ns and labels is not None
                 and PROTECTION_LABEL in labels and labels[PROTECTION_LABEL] == "enabled")
    return not protected


def read(files: list[Path]) -> list[dict]:
    return [doc for path in sorted(files) for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if doc]


def written(props: TaskoraProps, outdir: Path) -> list[Path]:
    app = cdk8s.App(outdir=str(outdir))
    Taskora(app, "taskora", props)
    app.synth()
    return sorted(outdir.glob("*.k8s.yaml"))


def running(files: list[Path], *, deferred_cascade: bool = False, default_class_reclaim: str = "Delete") -> Cluster:
    """A cluster after `kubectl apply -f dist/`, the database's volumes written to."""
    cluster = Cluster(deferred_cascade=deferred_cascade, default_class_reclaim=default_class_reclaim)
    cluster.apply(files)
    cluster.write_data()
    assert cluster.data_volumes("taskora"), "the StatefulSet created no claims"
    return cluster


LOCAL = ["data-taskora-db-0"]
PRODUCTION = ["backup-taskora-db-0", "data-taskora-db-0"]


@pytest.mark.parametrize("deferred_cascade", [False, True], ids=["cascade-at-once", "cascade-later"])
def test_two_deletes_delete_the_namespace_but_the_volumes_keep_the_data(deferred_cascade):
    files = written_files("local")
    cluster = running(files, deferred_cascade=deferred_cascade)
    cluster.delete_files(files)
    cluster.delete_files(files)
    # THEN the second delete, with the policy gone, deleted the namespace and its claims ...
    assert not any(k[1] == "taskora" or k == ("Namespace", "", "taskora") for k in cluster.objects)
    # ... but the volumes were provisioned with reclaimPolicy Retain: Released, data intact
    volumes = cluster.data_volumes("taskora")
    assert sorted(volumes) == LOCAL and {v.phase for v in volumes.values()} == {"Released"}
    assert all(v.data == f"rows of {claim}" for claim, v in volumes.items())
    # AND a third delete changes nothing
    cluster.delete_files(files)
    assert cluster.data_volumes("taskora") == volumes


def test_the_documented_teardown_deletes_the_data():
    files = written_files("local")
    cluster = running(files)
    # README, Teardown: 1. let the volumes go with their claims, 2. lift the protection, 3. delete
    cluster.set_reclaim_policy("taskora", "Delete")
    cluster.remove_label("taskora", PROTECTION_LABEL)
    cluster.delete_files(files)
    assert not any("Forbidden" in e for e in cluster.errors)
    assert cluster.objects == {} and cluster.data_volumes("taskora") == {}


def test_lifting_the_protection_alone_keeps_the_volumes():
    # GIVEN the label removed but the reclaim policy kept WHEN deleted THEN Retain still holds
    files = written_files("local")
    cluster = running(files)
    cluster.remove_label("taskora", PROTECTION_LABEL)
    cluster.delete_files(files)
    assert ("Namespace", "", "taskora") not in cluster.objects
    assert {v.phase for v in cluster.data_volumes("taskora").values()} == {"Released"}


def test_the_simulator_sees_the_data_loss_of_the_unprotected_model(tmp_path):
    # GIVEN the model's setting (no protection, minikube's standard class, reclaimPolicy
    # Delete) WHEN deleted once THEN the namespace takes the claims and the data with it
    secrets = TaskoraSecretValues.development_placeholders()
    database = replace(TaskoraProps(secrets=secrets).database, storage_class_name="standard",
                       retained_storage_class=None)
    files = written(TaskoraProps(secrets=secrets, deletion_protection=False, database=database), tmp_path)
    cluster = running(files)
    cluster.delete_files(files)
    assert cluster.data_volumes("taskora") == {}


def test_production_survives_two_deletes_only_with_a_retaining_class(tmp_path):
    # GIVEN production on the cluster's default class: the second delete keeps the data only
    # if that class retains (documented: README, Teardown) ...
    files = written_files(STATEFULSET_PROFILE)
    for reclaim, kept in (("Retain", PRODUCTION), ("Delete", [])):
        cluster = running(files, default_class_reclaim=reclaim)
        cluster.delete_files(files)
        cluster.delete_files(files)
        assert sorted(cluster.data_volumes("taskora")) == kept
    # ... or with retainedStorageClass switched on for its CSI driver
    props = props_of(STATEFULSET_PROFILE)
    database = replace(props.database, storage_class_name="taskora-retain",
                       retained_storage_class=RetainedStorageClass(provisioner="ebs.csi.aws.com",
                                                                   volume_binding_mode="WaitForFirstConsumer"))
    files = written(replace(props, database=database), tmp_path)
    cluster = running(files, default_class_reclaim="Delete")
    cluster.delete_files(files)
    cluster.delete_files(files)
    assert sorted(cluster.data_volumes("taskora")) == PRODUCTION


