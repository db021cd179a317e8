"""The generic HTTP workload and the escape hatches: GIVEN another team's service WHEN built
with WebWorkload and PodOptions THEN every addition lands where Kubernetes reads it, the
library's objects are reachable as attributes whose JSON patches survive synth, and the
model's policy binds only the containers the library built."""

from __future__ import annotations

import cdk8s
import pytest

from tests.support.synth import synth_app
from taskora_constructs import (EnvVar, PostgresProps, TaskoraBackend, TaskoraConfig, TaskoraConfigError,
                                TaskoraFrontend, TaskoraFrontendProps, TaskoraValidation, WebWorkload, WebWorkloadProps)
from taskora_constructs.core import policy
from taskora_constructs.core.policy import annotation_key

#: What a caller's container needs under the namespace's restricted Pod Security level (the pod
#: already runs as non-root with RuntimeDefault seccomp).
RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
SIDECAR = {"name": "log-shipper", "image": "registry.example/fluent-bit:3.1.0",
           "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}}, "securityContext": RESTRICTED}


def chart() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")


def by_kind(objects: list[dict]) -> dict[str, dict]:
    return {o["kind"]: o for o in objects}


def test_any_image_port_health_path_and_env(snapshot):
    # GIVEN a team's API with the additions a platform engineer needs
    scope = chart()
    config = TaskoraConfig(scope, "api-config", api_base_url="http://api:80")
    api = WebWorkload(scope, "api", WebWorkloadProps(
        image="registry.example/shop/api:2.3.0", port=8080, service_port=80, health_path="/ready",
        command=("/app/serve",), args=("--port", "8080"),
        env=(EnvVar.of("MODE", "live"), EnvVar.secret_key("TOKEN", "shop-token", "token"),
             EnvVar.from_key("LOG_LEVEL", config, TaskoraConfig.LOG_LEVEL)),
        volumes=({"name": "certs", "secret": {"secretName": "shop-certs"}},),
        volume_mounts=({"name": "certs", "mountPath": "/etc/certs", "readOnly": True},),
        sidecars=(SIDECAR,),
        init_containers=({"name": "migrate", "image": "registry.example/shop/api:2.3.0", "args": ["migrate"],
                          "securityContext": RESTRICTED},),
        labels={"team": "shop"}, annotations={"owner": "shop@example.com"},
        pod_labels={"tier": "api"}, pod_annotations={"prometheus.io/scrape": "true"},
        node_selector={"kubernetes.io/arch": "arm64"},
        tolerations=({"key": "dedicated", "operator": "Equal", "value": "shop", "effect": "NoSchedule"},),
        affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]}},
        image_pull_secrets=("shop-registry",), priority_class_name="shop-critical"))
    objects = cdk8s.Testing.synth(scope)
    kinds = by_kind(objects)
    deployment, service = kinds["Deployment"], kinds["Service"]
    pod = deployment["spec"]["template"]
    main, sidecar = pod["spec"]["containers"]
    # THEN the service port is distinct from the container port, and clients get the service's
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert (api.port, api.container_port, api.url) == (80, 8080, "http://api:80")
    # AND env comes after the construct's own, from values, any Secret, or a library construct's key
    assert main["env"][-1] == {"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {
        "name": "api-config", "key": "LOG_LEVEL"}}}
    assert main["livenessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert main["command"] == ["/app/serve"] and sidecar == SIDECAR
    # AND labels go to every object, pod labels to the pods only, never to the selector
    assert all(o["metadata"]["labels"]["team"] == "shop" for o in objects if o["kind"] != "ConfigMap")
    assert pod["metadata"]["labels"]["tier"] == "api"
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "api"}}
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert pod["spec"]["imagePullSecrets"] == [{"name": "shop-registry"}]
    # AND a generic workload carries none of the model's policy exceptions
    assert not any(k.startswith("checkov.io/") for k in deployment["metadata"].get("annotations", {}))
    assert objects == snapshot


def test_every_problem_of_the_additions_is_reported_at_once():
    with pytest.raises(TaskoraConfigError) as raised:
        WebWorkload(chart(), "api", image="registry.example/shop/api:2.3.0",
                    volume_mounts=({"name": "nowhere", "mountPath": "/x"},),
                    sidecars=({"name": "api", "image": "busybox:1.36", "securityContext": RESTRICTED},),
                    labels={"bad key!": "x"}, env=(EnvVar.of("1BAD", "x"),))
    fields = [p.field for p in raised.value.problems]
    assert fields == ["env[0].name", "labels.bad key!"]  # props rules first: nothing is built
    with pytest.raises(TaskoraConfigError) as raised:
        WebWorkload(chart(), "api", image="registry.example/shop/api:2.3.0",
                    volume_mounts=({"name": "nowhere", "mountPath": "/x"},),
                    sidecars=({"name": "api", "image": "busybox:1.36", "securityContext": RESTRICTED},))
    messages = str(raised.value)
    assert "containers[1].name='api': must be unique in the pod (also containers[0].name)" in messages
    assert "api.volumeMounts='nowhere': must name a volume of the pod" in messages


def test_props_are_an_object_or_keyword_arguments_never_both():
    base = WebWorkloadProps(image="registry.example/shop/api:2.3.0", replicas=2)
    assert WebWorkload(chart(), "api", base).props.replicas == 2
    # both at once is refused (0.3.0): which would win was a guess
    with pytest.raises(TaskoraConfigError, match="shop/api: port='WebWorkloadProps': must not be given beside"):
        WebWorkload(chart(), "api", base, port=9000)
    # an unknown or a missing field is a configuration error naming the construct, not a TypeError
    with pytest.raises(TaskoraConfigError, match="shop/api: replica=3: is not a field of WebWorkloadProps. "
                                                 "Fix: did you mean 'replicas'"):
        WebWorkload(chart(), "api", image="registry.example/shop/api:2.3.0", replica=3)
    with pytest.raises(TaskoraConfigError, match="shop/api: image=null: is required by WebWorkloadProps"):
        WebWorkload(chart(), "api")
    with pytest.raises(TypeError, match="props must be a WebWorkloadProps"):
        WebWorkload(chart(), "api", PostgresProps())  # type: ignore[arg-type]


def test_json_patches_through_the_attributes_survive_synth():
    # GIVEN a workload without writable paths (its pods have no volumes of the library's)
    scope = chart()
    api = WebWorkload(scope, "api", image="registry.example/shop/api:2.3.0", writable_paths=())
    # WHEN the caller patches the Deployment and the Service through the documented attributes,
    # appending ("/-") to lists the pod has no item of yet
    api.deployment.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/volumes/-", {
        "name": "scratch", "emptyDir": {}}))
    api.deployment.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/containers/0/volumeMounts/-", {
        "name": "scratch", "mountPath": "/scratch"}))
    cdk8s.ApiObject.of(api).add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/volumes/-", {
        "name": "cache", "emptyDir": {}}))
    api.service.add_json_patch(cdk8s.JsonPatch.add("/spec/sessionAffinity", "ClientIP"))
    api.api_object.metadata.add_label("patched", "yes")
    kinds = by_kind(cdk8s.Testing.synth(scope))
    # THEN both patches are in the output
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["scratch", "cache"]
    assert pod["containers"][0]["volumeMounts"] == [{"mountPath": "/scratch", "name": "scratch"}]
    assert kinds["Service"]["spec"]["sessionAffinity"] == "ClientIP"
    assert kinds["Deployment"]["metadata"]["labels"]["patched"] == "yes"
    assert api.api_object is api.deployment and api.disruption_budget is not None and api.autoscaler is None
    # AND cdk8s finds each construct's main object, as for cdk8s-plus constructs
    assert cdk8s.ApiObject.of(api).kind == "Deployment"


def test_a_callers_sidecar_never_hides_behind_the_models_policy_exceptions():
    # GIVEN the model's frontend (its :latest image is excused by a documented exception)
    def frontend(**props) -> dict:
        scope = chart()
        backend = WebWorkload(scope, "backend", image="registry.example/shop/api:2.3.0", port=8000)
        config = TaskoraConfig(scope, "config", api_base_url=backend.url)
        TaskoraFrontend(scope, "frontend", config=config, backend=backend, **props)
        return next(o for o in cdk8s.Testing.synth(scope) if o["metadata"]["name"] == "frontend"
                    and o["kind"] == "Deployment")
    latest = annotation_key("CKV_K8S_14")
    assert latest in frontend()["metadata"]["annotations"]
    # WHEN the caller adds a sidecar that leaves the same check unmet THEN the exception is not
    # written: checkov skips per object, and the sidecar's finding must surface
    assert latest not in frontend(sidecars=({"name": "proxy", "image": "envoyproxy/envoy:latest", "securityContext": RESTRICTED},))[
        "metadata"].get("annotations", {})
    # AND a sidecar that meets it leaves the model's exception in place
    assert latest in frontend(sidecars=(SIDECAR,))["metadata"]["annotations"]


def test_the_opt_in_lint_holds_only_the_librarys_containers_to_the_model():
    # GIVEN a sidecar without probes or requests WHEN the app opts in to the lint THEN the
    # library's container is still checked, the sidecar is the caller's
    app = cdk8s.Testing.app()
    scope = cdk8s.Chart(app, "shop", namespace="shop")
    cdk8s.ApiObject(scope, "ns", api_version="v1", kind="Namespace", metadata={"name": "shop"})
    api = WebWorkload(scope, "api", image="registry.example/shop/api:2.3.0",
                      sidecars=({"name": "proxy", "image": "envoyproxy/envoy:v1.31.0", "securityContext": RESTRICTED},))
    assert TaskoraValidation.of(app).problems() == []
    api.deployment.add_json_patch(cdk8s.JsonPatch.remove("/spec/template/spec/containers/0/readinessProbe"))
    with pytest.raises(RuntimeError, match=r"containers\[0\].readinessProbe=null: must be defined"):
        synth_app(app)


def test_backend_and_frontend_are_thin_presets_of_the_generic_workload():
    assert issubclass(TaskoraBackend, WebWorkload) and issubclass(TaskoraFrontend, WebWorkload)
    assert issubclass(TaskoraFrontendProps, WebWorkloadProps)


def test_a_plain_workload_documents_nothing_so_every_reason_is_its_callers_own():
    # GIVEN a plain WebWorkload given the frontend preset's reasons, on another image and uid
    from taskora_constructs.taskora.frontend import FRONTEND_EXCEPTIONS

    scope = chart()
    WebWorkload(scope, "web", image="registry.example/shop/web:latest", run_as_user=2000,
                policy_exceptions=FRONTEND_EXCEPTIONS)
    deployment = by_kind(cdk8s.Testing.synth(scope))["Deployment"]
    # WHEN synthesized THEN they are not matched against the preset's documented values: each is
    # the caller's own words, written because its check is unmet
    assert all(policy.unmet(check, deployment["spec"]["template"]["spec"]) for check in FRONTEND_EXCEPTIONS)
    assert {key: value for key, value in deployment["metadata"]["annotations"].items()
            if key.startswith(policy.ANNOTATION_PREFIX)} == {
        annotation_key(check): f"{check}={reason}" for check, reason in FRONTEND_EXCEPTIONS.items()}
