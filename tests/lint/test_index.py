"""Issue #3, continued: the lint's rules for routes, storage, Secrets, names, namespaces and
whole runs, each case breaking a valid app the way another construct, an escape-hatch JSON
patch or a hand-written object would (the opt-in lint; see test_validation.py)."""

from __future__ import annotations

import copy

import cdk8s
import pytest

from tests.support.synth import synth_app
from taskora_constructs import (Declarations, Problem, Taskora, TaskoraProps, TaskoraValidation,
                                check_manifests, config_error_from_synth)
from tests.support.lint_helpers import (CONTAINER, PATCH_CONTAINER, BACKEND, BACKEND_SERVICE, DATABASE, DATABASE_SERVICE,
                          CREDENTIALS, APP_SECRET, CONFIG_MAP, API_INGRESS, PLACEHOLDERS, build, patch,
                          refused, the_problem, assert_message)


def test_ingress_backend_must_name_an_existing_service():
    app, _ = build()
    backend = "/spec/rules/0/http/paths/0/backend/service/name"
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace(backend, "taskora-api"))
    field = "spec.rules[0].http.paths[0].backend.service.name"
    assert_message(the_problem(refused(app), API_INGRESS, field), value="taskora-api",
                   rule="must name a Service the app defines in namespace 'taskora'",
                   fix="route to one of the app's Services (taskora-backend, taskora-db, taskora-frontend)")


@pytest.mark.parametrize("port,field", [({"number": 80}, "number"), ({"name": "web"}, "name")])
def test_ingress_backend_port_must_be_a_port_of_the_service(port, field):
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/port", port))
    problem = the_problem(refused(app), API_INGRESS, f"spec.rules[0].http.paths[0].backend.service.port.{field}")
    assert_message(problem, value=port[field],
                   rule="must be a port of Service 'taskora-backend', by number or by name (it has: 8000/http)",
                   fix="use one of the Service's ports")


def test_ingress_backend_port_by_service_port_name_passes():
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/port",
                                                    {"name": "http"}))
    assert synth_app(app)


def test_ingress_host_in_an_object_must_be_a_dns_name():
    app, _ = build()
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/host", "taskora..local"))
    assert_message(the_problem(refused(app), API_INGRESS, "spec.rules[0].host"), value="taskora..local",
                   rule="must be a DNS name", fix="use a host like 'taskora.local'")


def test_statefulset_service_name_must_name_a_headless_service():
    # GIVEN the database Service made a ClusterIP Service
    app, _ = build()
    patch(app, DATABASE_SERVICE, cdk8s.JsonPatch.remove("/spec/clusterIP"))
    assert_message(the_problem(refused(app), DATABASE, "spec.serviceName"), value="taskora-db",
                   rule="must name a headless Service (clusterIP: None) in namespace 'taskora': "
                        "Service 'taskora-db' is not headless",
                   fix="set spec.clusterIP: None on Service 'taskora-db'")


def test_statefulset_service_name_must_name_an_existing_service():
    app, _ = build()
    patch(app, DATABASE, cdk8s.JsonPatch.replace("/spec/serviceName", "postgres"))
    assert_message(the_problem(refused(app), DATABASE, "spec.serviceName"), value="postgres",
                   rule="the app defines no Service of that name",
                   fix="add a headless Service named 'postgres', or name a headless Service of the app (taskora-db)")


def test_storage_patched_below_one_gibibyte_is_refused():
    app, _ = build()
    patch(app, DATABASE, cdk8s.JsonPatch.replace(
        "/spec/volumeClaimTemplates/0/spec/resources/requests/storage", "100Mi"))
    field = "spec.volumeClaimTemplates[0].spec.resources.requests.storage"
    assert_message(the_problem(refused(app), DATABASE, field), value="100Mi", rule="must be >= 1Gi",
                   fix="request at least 1Gi")


def test_secret_missing_a_required_key_is_refused_with_every_consumer():
    # GIVEN the app Secret without GEMINI_API_KEY
    app, _ = build()
    patch(app, APP_SECRET, cdk8s.JsonPatch.remove("/stringData/GEMINI_API_KEY"))
    error = refused(app)
    # THEN the Secret is refused, and so is the variable that reads the key
    assert_message(the_problem(error, APP_SECRET, "stringData"),
                   value=["BETTER_AUTH_SECRET", "COHERE_API_KEY", "DATABASE_URL"],
                   rule="must hold every required key (missing: GEMINI_API_KEY); required by taskora-config/secrets",
                   fix="add GEMINI_API_KEY to the Secret")
    assert the_problem(error, BACKEND, f"{CONTAINER}.env[4].valueFrom.secretKeyRef.key").value == "GEMINI_API_KEY"


def test_empty_required_secret_value_is_refused_without_echoing_any_secret():
    app, _ = build()
    patch(app, CREDENTIALS, cdk8s.JsonPatch.replace("/stringData/password", ""))
    error = refused(app)
    assert_message(the_problem(error, CREDENTIALS, "stringData.password"), value="",
                   rule="must be a non-empty string", fix="provide a value")
    for secret in (PLACEHOLDERS.cohere_api_key, PLACEHOLDERS.better_auth_secret, PLACEHOLDERS.gemini_api_key,
                   PLACEHOLDERS.database_password):
        assert secret not in str(error)


@pytest.mark.parametrize("kind_path,field,name,rule", [
    (CONFIG_MAP, "metadata.name", "Taskora_Config", "must be a DNS-1123 subdomain"),
    (BACKEND_SERVICE, "metadata.name", "taskora.backend", "must be a DNS-1123 label"),
])
def test_object_names_must_be_valid(kind_path, field, name, rule):
    app, _ = build()
    patch(app, kind_path, cdk8s.JsonPatch.replace("/metadata/name", name))
    assert_message(the_problem(refused(app), kind_path, field), value=name, rule=rule, fix="use a name like")


def test_label_values_must_be_valid():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/metadata/labels/component", "back end!"))
    assert_message(the_problem(refused(app), BACKEND, "metadata.labels.component"), value="back end!",
                   rule="must be a label value: at most 63 letters, digits", fix="use a value like 'taskora-backend'")


def test_selector_must_match_the_pod_template():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/selector/matchLabels", {"app": "backend"}))
    assert_message(the_problem(refused(app), BACKEND, "spec.selector.matchLabels"), value={"app": "backend"},
                   rule="must be non-empty and match the pod template's labels (app=taskora-backend, "
                        "component=backend)", fix="select on labels every pod of the template carries")


def test_image_reference_in_an_object_must_parse():
    app, _ = build()
    patch(app, BACKEND, cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/image", "taskora/backend:"))
    assert_message(the_problem(refused(app), BACKEND, f"{CONTAINER}.image"), value="taskora/backend:",
                   rule="must be an image reference [registry/]repository[:tag][@digest]",
                   fix="write it like 'taskora/backend:1.4.2'")


def test_objects_live_in_the_apps_namespace_unless_declared_cross_namespace():
    # GIVEN a ServiceAccount added in a namespace the app does not create
    app, taskora = build()
    cdk8s.ApiObject(taskora.charts["backend"], "monitoring-sa", api_version="v1", kind="ServiceAccount",
                    metadata=cdk8s.ApiObjectMetadata(name="scraper", namespace="monitoring"))
    where = "taskora-backend/monitoring-sa"
    # THEN it is refused
    assert_message(the_problem(refused(app), where, "metadata.namespace"), value="monitoring",
                   rule="must be the app's namespace ('taskora'): objects live in the app's namespace unless "
                        "declared cross-namespace",
                   fix="move the object into 'taskora', or declare the namespace with "
                       "TaskoraValidation.of(app).allow_namespace('monitoring')")
    # WHEN the namespace is declared cross-namespace THEN it passes
    TaskoraValidation.of(app).allow_namespace("monitoring")
    assert synth_app(app)


def test_a_namespaced_object_without_a_namespace_is_refused():
    app, taskora = build()
    cdk8s.ApiObject(taskora.charts["config"], "extra", api_version="v1", kind="ConfigMap",
                    metadata=cdk8s.ApiObjectMetadata(name="extra"))
    assert_message(the_problem(refused(app), "taskora-config/extra", "metadata.namespace"), value=None,
                   rule="must be set: a ConfigMap without a namespace lands in whatever namespace kubectl's "
                        "context points at", fix="set it to the app's namespace ('taskora')")


def test_references_do_not_cross_namespaces():
    # GIVEN two instances, the staging backend reading the first instance's Secret
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    Taskora(app, "taskora-staging", TaskoraProps(secrets=PLACEHOLDERS, app_name="taskora-staging"))
    patch(app, "taskora-staging-backend/backend/deployment",
          cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/env/0/valueFrom/secretKeyRef/name", "taskora-secrets"))
    # THEN it is refused: a pod reads Secrets of its own namespace only
    problem = the_problem(refused(app), "taskora-staging-backend/backend/deployment",
                          f"{CONTAINER}.env[0].valueFrom.secretKeyRef.name")
    assert "must name a Secret the app defines in namespace 'taskora-staging'" in problem.rule


# --- all problems at once, identically on every synth path ----------------------------------

def break_in_five_places(app: cdk8s.App) -> None:
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0),
          cdk8s.JsonPatch.replace(f"{PATCH_CONTAINER}/livenessProbe/httpGet/port", 9000))
    patch(app, BACKEND_SERVICE, cdk8s.JsonPatch.replace("/spec/selector", {"app": "nothing"}))
    patch(app, API_INGRESS, cdk8s.JsonPatch.replace("/spec/rules/0/http/paths/0/backend/service/name", "gone"))
    patch(app, DATABASE_SERVICE, cdk8s.JsonPatch.remove("/spec/clusterIP"))


FIVE_PROBLEMS = {
    (BACKEND, "spec.replicas"),
    (BACKEND, f"{CONTAINER}.livenessProbe.httpGet.port"),
    (BACKEND_SERVICE, "spec.selector"),
    (API_INGRESS, "spec.rules[0].http.paths[0].backend.service.name"),
    (DATABASE, "spec.serviceName"),
}


def test_several_problems_are_all_reported_in_one_run():
    app, _ = build()
    break_in_five_places(app)
    error = refused(app)
    assert {(p.where, p.field) for p in error.problems} == FIVE_PROBLEMS
    assert str(error).startswith("5 configuration problems:\n")
    assert len(str(error).splitlines()) == 6


def test_app_synth_and_testing_synth_refuse_with_the_same_messages(tmp_path):
    # GIVEN the same broken app twice
    first, _ = build()
    break_in_five_places(first)
    second = cdk8s.App(outdir=str(tmp_path / "out"))
    Taskora(second, "taskora", TaskoraProps(secrets=PLACEHOLDERS))
    TaskoraValidation.of(second)  # the opt-in lint (synth_app switches it on for the first)
    break_in_five_places(second)
    # WHEN one goes through Testing.synth and the other through App.synth()
    via_testing = refused(first)
    with pytest.raises(RuntimeError) as raised:
        second.synth()
    via_app = config_error_from_synth(raised.value, second)
    # THEN both report the same problems, and App.synth() wrote nothing
    assert via_app is not None and via_app.problems == via_testing.problems
    assert list((tmp_path / "out").glob("*")) == []


def test_a_failed_validation_of_another_library_is_reported_too():
    # GIVEN a construct of another library whose own validation fails
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Refuses:
        def validate(self):
            return ["bucket name is taken"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Refuses())
    patch(app, BACKEND, cdk8s.JsonPatch.replace("/spec/replicas", 0))
    error = refused(app)
    # THEN its message is kept beside ours
    assert [(p.where, p.field) for p in error.problems] == [(BACKEND, "spec.replicas")]
    assert error.messages == ("[taskora-config] bucket name is taken",)
    assert str(error).splitlines()[-1] == "  - [taskora-config] bucket name is taken"


def test_a_bug_is_not_turned_into_a_configuration_error():
    import constructs
    import jsii

    @jsii.implements(constructs.IValidation)
    class Broken:
        def validate(self):
            return {}["boom"]

    app, taskora = build()
    taskora.charts["config"].node.add_validation(Broken())
    with pytest.raises(RuntimeError) as raised:
        synth_app(app)
    assert config_error_from_synth(raised.value, app) is None


# --- the pure function, for loaders and tests -----------------------------------------------

def test_check_manifests_names_plain_objects_by_kind_and_name(default_objects):
    # GIVEN the default objects as plain dicts, one Service broken
    objects = copy.deepcopy(default_objects)
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "taskora-frontend")
    service["spec"]["ports"][0]["targetPort"] = 3001
    # WHEN checked without construct paths THEN the problem names Kind/name
    problems = check_manifests(objects)
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("Service/taskora-frontend", "spec.ports[0].targetPort", 3001)]


def test_check_manifests_tolerates_malformed_objects():
    # GIVEN objects another tool might produce, half-written WHEN checked THEN problems, no crash
    problems = check_manifests([
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "ns"},
         "spec": {"template": "not a template", "selector": None}},
        {"kind": "Service", "metadata": {"name": "s", "namespace": "ns"}, "spec": {"selector": ["app"]}},
        {"kind": "Ingress", "metadata": {"namespace": "ns"}, "spec": {"rules": [None]}},
        "not an object",
    ])
    assert problems and all(isinstance(p, Problem) for p in problems)


def _deployment(name: str, namespace: str, **pod_spec) -> dict:
    container = {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "http"}],
                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                 "livenessProbe": {"tcpSocket": {"port": 80}}, "readinessProbe": {"tcpSocket": {"port": "http"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [container], **pod_spec}}}}


def _service(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def test_volumes_must_name_existing_secrets_and_config_maps_and_their_keys():
    # GIVEN a pod mounting a missing ConfigMap and a key its Secret does not hold
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "web"},
              "stringData": {"tls.crt": "x"}}
    deployment = _deployment("web", "web", volumes=[
        {"name": "config", "configMap": {"name": "nginx-conf"}},
        {"name": "certs", "secret": {"secretName": "tls", "items": [{"key": "tls.key", "path": "k"}]}},
        {"name": "optional", "configMap": {"name": "maybe", "optional": True}},
    ])
    # WHEN checked THEN both are reported, the optional one is not
    problems = check_manifests([secret, deployment])
    assert [(p.field, p.value) for p in problems] == [
        ("spec.template.spec.volumes[0].configMap.name", "nginx-conf"),
        ("spec.template.spec.volumes[1].secret.items[0].key", "tls.key"),
    ]
    assert "must be a key of Secret 'tls' (it holds: tls.crt)" in problems[1].rule


def test_http_route_backend_refs_must_name_a_service_and_port():
    # GIVEN a Gateway API HTTPRoute routing to a missing Service and to a wrong port
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "web", "namespace": "web"},
             "spec": {"hostnames": ["Web.Example"], "rules": [
                 {"backendRefs": [{"name": "web", "port": 8080}, {"name": "api", "port": 80},
                                  {"name": "other", "namespace": "elsewhere", "port": 80}]}]}}
    problems = check_manifests([_deployment("web", "web"), _service("web", "web"), route])
    # THEN each is named; the explicitly cross-namespace reference is left to its ReferenceGrant
    assert [(p.where, p.field, p.value) for p in problems] == [
        ("HTTPRoute/web", "spec.hostnames[0]", "Web.Example"),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[0].port", 8080),
        ("HTTPRoute/web", "spec.rules[0].backendRefs[1].name", "api"),
    ]


def test_an_app_that_creates_no_namespace_deploys_into_one():
    # GIVEN objects for an existing namespace, the app creating none
    objects = [_deployment("web", "web"), _service("web", "web")]
    # THEN one namespace is fine, a second one is not
    assert check_manifests(objects) == []
    stray = _service("web", "other")
    problems = check_manifests(objects + [stray])
    assert ("Service/web", "metadata.namespace", "other") in [(p.where, p.field, p.value) for p in problems]
    assert check_manifests(objects + [_deployment("web", "other"), stray],
                           Declarations(allowed_namespaces=("other",))) == []
    # AND a cluster-scoped object's namespace means nothing, so it is not held to it
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "reader", "namespace": "other"}, "rules": []}
    assert check_manifests(objects + [cluster_role]) == []


def test_jobs_need_no_probes_but_their_references_are_checked():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "web"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "migrate", "image": "taskora/backend:latest",
                "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}}]}]}}}}
    problems = check_manifests([_deployment("web", "web"), job])
    assert [(p.where, p.field) for p in problems] == [
        ("Job/migrate", "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name")]


@pytest.mark.parametrize("annotation, selected", [("cert-manager.io/cluster-issuer", True),
                                                   ("cert-manager.io/issuer", True),
                                                   ("nginx.ingress.kubernetes.io/ssl-redirect", False)])
def test_an_ingress_with_an_issuer_implies_cert_managers_solver_pods_a_policy_may_select(annotation, selected):
    # GIVEN a NetworkPolicy selecting cert-manager's HTTP-01 solver pods, and an Ingress
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "ns", "annotations": {annotation: "letsencrypt"}},
               "spec": {"rules": [{"host": "tasks.example.com"}]}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "solver", "namespace": "ns"},
              "spec": {"podSelector": {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
                       "policyTypes": ["Ingress"],
                       "ingress": [{"ports": [{"protocol": "TCP", "port": 8089}]}]}}
    problems = [p for p in check_manifests([ingress, policy]) if p.where == "NetworkPolicy/solver"]
    # THEN with an issuer the policy selects the solver (cert-manager starts it), without one it selects nothing
    assert (problems == []) is selected, problems
