"""Least privilege (issue #5): GIVEN each profile WHEN synthesized THEN every workload runs
non-root with no capabilities, no privilege escalation, the runtime's seccomp filter and a
read-only root filesystem, writes only to emptyDirs for exactly the paths its process
writes, and runs under a ServiceAccount of its own whose token is not mounted."""

from __future__ import annotations

import pytest

from tests.support.conformance import diff_objects
from tests.support.profiles import STATEFULSET_PROFILE, by_id, objects_of

#: The StatefulSet's hardening in both profiles (production's own database is CloudNativePG:
#: tests/database/test_cloudnative_pg.py).
PROFILES = ("local", STATEFULSET_PROFILE)
from taskora_constructs import PostgresProps, TaskoraBackendProps, TaskoraFrontendProps
from taskora_constructs.core import policy
from taskora_constructs.core.errors import TaskoraConfigError

WORKLOADS = ["Deployment/taskora-frontend", "Deployment/taskora-backend", "StatefulSet/taskora-db"]
#: What the issue lists each process as writing: the Next.js cache and /tmp; uvicorn /tmp;
#: Postgres its socket directory and /tmp (its data is on its volume).
WRITTEN_PATHS = {
    "Deployment/taskora-frontend": {"/app/.next/cache", "/tmp"},
    "Deployment/taskora-backend": {"/tmp"},
    "StatefulSet/taskora-db": {"/var/run/postgresql", "/tmp"},
}


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    """Every pod template by its owner (Deployments, StatefulSets and CronJobs)."""
    found = {}
    for oid, o in by_id(objects).items():
        if o["kind"] in ("Deployment", "StatefulSet"):
            found[oid] = o["spec"]["template"]["spec"]
        elif o["kind"] == "CronJob":
            found[oid] = o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_container_runs_without_privileges(profile):
    pods = pod_specs(objects_of(profile))
    assert set(WORKLOADS) <= set(pods)
    for oid, spec in pods.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, oid
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, oid
        for container in spec["containers"]:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]}}, oid


@pytest.mark.parametrize("profile", PROFILES)
def test_each_process_writes_only_to_emptydirs_for_the_paths_it_writes(profile):
    pods = pod_specs(objects_of(profile))
    for oid, paths in WRITTEN_PATHS.items():
        spec = pods[oid]
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        container = spec["containers"][0]
        writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty_dirs}
        assert writable == paths, oid
        # every emptyDir is bounded, so a runaway writer is evicted instead of filling the node
        assert all("sizeLimit" in v["emptyDir"] for v in spec["volumes"] if "emptyDir" in v)
        # and nothing else it mounts is writable but the database's own volumes
        others = [m for m in container["volumeMounts"] if m["name"] not in empty_dirs and not m.get("readOnly")]
        assert [m["name"] for m in others] == (["data"] if oid.startswith("StatefulSet") else []), oid


def test_the_documented_pod_security_context_is_kept_and_postgres_runs_as_uid_70():
    pods = pod_specs(objects_of("local"))
    for oid in ("Deployment/taskora-frontend", "Deployment/taskora-backend"):
        context = pods[oid]["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (1001, 1001, 1001)
    # the alpine image's postgres user, with a matching fsGroup so a fresh volume is its own
    # and initdb still runs (PGDATA is a subdirectory of the mount, created by the entrypoint)
    context = pods["StatefulSet/taskora-db"]["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (70, 70, 70)
    assert context["fsGroupChangePolicy"] == "OnRootMismatch"
    env = {e["name"]: e.get("value") for e in pods["StatefulSet/taskora-db"]["containers"][0]["env"]}
    assert env["PGDATA"] == "/var/lib/postgresql/data/pgdata"


def test_production_runs_postgres_as_a_high_uid_in_the_images_group():
    context = pod_specs(objects_of(STATEFULSET_PROFILE))["StatefulSet/taskora-db"]["securityContext"]
    assert context["runAsUser"] >= policy.HIGH_UID_MIN and (context["runAsGroup"], context["fsGroup"]) == (70, 70)


def test_postgres_reads_its_credentials_from_files_not_the_environment():
    for profile in PROFILES:
        spec = pod_specs(objects_of(profile))["StatefulSet/taskora-db"]
        container = spec["containers"][0]
        assert not any("valueFrom" in e for e in container["env"])
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["POSTGRES_USER_FILE"] == "/etc/postgres-credentials/username"
        assert env["POSTGRES_PASSWORD_FILE"] == "/etc/postgres-credentials/password"
        volume = next(v for v in spec["volumes"] if v["name"] == "credentials")
        assert volume["secret"] == {"secretName": "taskora-db-credentials", "defaultMode": 0o440}
        assert {"name": "credentials", "mountPath": "/etc/postgres-credentials", "readOnly": True} in \
            container["volumeMounts"]


@pytest.mark.parametrize("profile", PROFILES)
def test_one_service_account_per_workload_without_a_token(profile):
    objects = objects_of(profile)
    found = by_id(objects)
    pods = pod_specs(objects)
    accounts = {oid: o for oid, o in found.items() if o["kind"] == "ServiceAccount"}
    assert all(o["automountServiceAccountToken"] is False for o in accounts.values())
    # each workload its own account, none shared, none the namespace's default
    used = [spec["serviceAccountName"] for spec in pods.values()]
    assert len(used) == len(set(used)) and "default" not in used
    assert {f"ServiceAccount/{name}" for name in used} == set(accounts)
    for oid, spec in pods.items():
        assert spec["automountServiceAccountToken"] is False, oid


@pytest.mark.parametrize("profile", PROFILES)
def test_each_service_account_is_applied_before_the_pods_that_use_it(profile):
    import yaml

    from tests.support.profiles import written_files

    # GIVEN the files as `make synth` writes them WHEN read as kubectl apply -f reads them
    files = written_files(profile)
    ordered = [f"{o['kind']}/{o['metadata']['name']}" for path in files for o in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)]
    pods = pod_specs(objects_of(profile))
    for oid, spec in pods.items():
        assert ordered.index(f"ServiceAccount/{spec['serviceAccountName']}") < ordered.index(oid), oid


# --- policy exceptions: written only while the check is really unmet ------------------------

def test_an_exception_is_written_only_while_its_check_is_unmet():
    # GIVEN a preset's exceptions, the values their reasons explain passed by the preset (the
    # policy module knows no preset): its image shop/web:latest and its user 2000
    local, own_user = "a local image, never pulled", "the image's own user"
    exceptions = {"CKV_K8S_14": local, "CKV_K8S_43": local, "CKV_K8S_40": own_user}
    documented = {local: policy.image_in_use("shop/web:latest"), own_user: policy.user_in_use(2000)}
    written = {policy.annotation_key(check) for check in exceptions}

    def pod(image: str, uid: int) -> dict:
        return {"containers": [{"image": image, "imagePullPolicy": "IfNotPresent"}], "securityContext": {"runAsUser": uid}}
    # WHEN the documented values are in use and the checks unmet THEN every exception is written
    assert set(policy.skip_annotations(exceptions, pod("shop/web:latest", 2000), documented=documented)) == written
    # WHEN a digest meets the image checks and a uid >= 10000 the uid check THEN none is written
    pinned = pod("shop/web:1.0.0@sha256:" + "a" * 64, 10001)
    assert policy.skip_annotations(exceptions, pinned, documented=documented) == {}
    # WHEN another image and user leave the same checks unmet THEN the documented reasons do not
    # explain them: nothing is written, the findings are the caller's
    other = pod("registry.example/shop/other:latest", 3000)
    assert all(policy.unmet(check, other) for check in exceptions)
    assert policy.skip_annotations(exceptions, other, documented=documented) == {}
    # AND with no documented value (a plain workload) each reason is the caller's own words,
    # written while its check is unmet
    assert set(policy.skip_annotations(exceptions, other)) == written
    # AND a check this module cannot evaluate keeps its exception
    assert policy.skip_annotations({"CKV_K8S_9": "why"}, pinned) == {"checkov.io/skip-ckv-k8s-9": "CKV_K8S_9=why"}
    # AND a user namespace meets the uid check too
    assert not policy.unmet("CKV_K8S_40", {**other, "hostUsers": False})


def test_a_pinned_image_drops_the_image_exceptions_of_the_model(default_objects):
    # GIVEN the frontend pinned by digest WHEN synthesized THEN the three image exceptions are gone
    from tests.support.synth import synth_taskora

    image = "registry.example/taskora/frontend:1.4.2@sha256:" + "b" * 64
    _, objects = synth_taskora(frontend=TaskoraFrontendProps(image=image))
    removed = {d.path for d in diff_objects(default_objects, objects) if d.synthesized == "<missing>"}
    assert removed == {f'metadata.annotations["{policy.annotation_key(c)}"]'
                       for c in ("CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_43")}


@pytest.mark.parametrize("exceptions, field", [
    ({"CKV_K8S_40": ""}, "policyExceptions.CKV_K8S_40"),
    ({"CKV_K8S_40": "uid=1001"}, "policyExceptions.CKV_K8S_40"),
    ({"K8S_40": "why"}, "policyExceptions.K8S_40"),
])
def test_an_exception_needs_a_check_id_and_a_one_line_reason(exceptions, field):
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraBackendProps(policy_exceptions=exceptions)
    assert [p.field for p in raised.value.problems] == [field]


@pytest.mark.parametrize("props, field", [
    (lambda: TaskoraFrontendProps(writable_paths=("tmp",)), "writablePaths"),
    (lambda: TaskoraFrontendProps(writable_paths=("/tmp", "/tmp")), "writablePaths"),
    (lambda: TaskoraBackendProps(seccomp_profile="Permissive"), "seccompProfile"),
    (lambda: PostgresProps(termination_grace_period_seconds=5), "terminationGracePeriodSeconds"),
    (lambda: PostgresProps(run_as_user=0), "runAsUser"),
])
def test_hardening_props_refuse_bad_values(props, field):
    with pytest.raises(TaskoraConfigError) as raised:
        props()
    assert field in [p.field for p in raised.value.problems]
