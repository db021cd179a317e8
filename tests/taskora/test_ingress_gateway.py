"""Gateway API routing of the Taskora deployment (issue #12): ``ingress.routing: gateway``
(TaskoraIngress, taskora_constructs/taskora/ingress.py; the HttpRoute construct itself:
tests/routing/test_httproute.py).

GIVEN the committed gateway values layer (examples/values/gateway.yaml) over the local and the
production profile WHEN synthesized THEN there is no Ingress and one HTTPRoute that routes the
host's ``/`` to the frontend and ``/api`` to the backend with the prefix replaced by ``/``
(URLRewrite, ReplacePrefixMatch); it validates against the vendored v1 CRD schema (strict:
unknown fields refused where the CRD is structural), its backendRefs name Services and ports
of the app (the opt-in reference lint, which main.py switches on), and the frontend's and
backend's NetworkPolicies admit the Gateway's namespace instead of the ingress controller's.
"""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import sys
import tempfile
from pathlib import Path

import cdk8s
import pytest
import yaml

from tests.support.paths import ROOT
from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, SECRETS, by_id
from tests.support.synth import after_the_default_synth
from taskora_app.values import load
from taskora_constructs import Taskora, TaskoraConfigError, TaskoraValidation, check_manifests
from taskora_constructs._generated import k8s_types
from taskora_constructs.core.errors import Problem
from tests.support.gateway_schema import schema_errors
from tests.support.typed_dicts import mismatches

sys.path.insert(0, str(ROOT / "scripts"))

import validate  # noqa: E402

GATEWAY_LAYER = ROOT / "examples" / "values" / "gateway.yaml"
_LAYER_DIR = Path(tempfile.mkdtemp(prefix="taskora-gateway-"))
atexit.register(shutil.rmtree, _LAYER_DIR, True)


# --- the gateway profile ---------------------------------------------------------------------

@functools.cache
def _objects(profile: str) -> tuple[dict, ...]:
    environ = {"TASKORA_ENV": profile, "TASKORA_VALUES": str(GATEWAY_LAYER)}
    if profile == "production":  # one TASKORA_VALUES file: the release digests and the gateway layer
        layer = _LAYER_DIR / "release.yaml"
        layer.write_text(DIGESTS_LAYER + GATEWAY_LAYER.read_text())
        environ |= {**SECRETS, "TASKORA_VALUES": str(layer)}
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", load(environ, secrets_file=NO_SECRETS_FILE)[1])
    TaskoraValidation.of(app)  # as main.py does: the reference lint runs on synth
    objects: list[dict] = []
    with TaskoraValidation.of(app).once():
        for chart in app.charts:
            objects.extend(cdk8s.Testing.synth(chart))
    return tuple(objects)


def objects_of(profile: str) -> list[dict]:
    return copy.deepcopy(list(_objects(profile)))


def the_route(objects: list[dict]) -> dict:
    [route] = [o for o in objects if o["kind"] == "HTTPRoute"]
    return route


@pytest.mark.parametrize("profile", ["local", "production"])
def test_gateway_routing_writes_one_httproute_and_no_ingress(profile):
    objects = objects_of(profile)
    kinds = [o["kind"] for o in objects]
    assert "Ingress" not in kinds and kinds.count("HTTPRoute") == 1
    route = the_route(objects)
    host = "taskora.local" if profile == "local" else "taskora.example.com"
    assert route["metadata"] == {"name": "taskora-ingress", "namespace": "taskora", "labels": {"app": "taskora"}}
    assert route["spec"] == {
        "parentRefs": [{"name": "public", "namespace": "gateway-system", "sectionName": "https"}],
        "hostnames": [host],
        "rules": [
            {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
             "filters": [{"type": "URLRewrite",
                          "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}],
             "backendRefs": [{"name": "taskora-backend", "port": 8000}]},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
             "backendRefs": [{"name": "taskora-frontend", "port": 3000}]},
        ]}


@pytest.mark.parametrize("profile", ["local", "production"])
def test_the_httproute_passes_the_vendored_v1_crd_schema_strictly(profile):
    route = the_route(objects_of(profile))
    assert schema_errors(route) == []
    # AND it matches the TypedDict generated from the same CRD (what mypy checks the construct against)
    assert mismatches(route, k8s_types.HTTPRoute, "HTTPRoute") == []


def test_the_strict_crd_schema_refuses_what_the_api_server_would():
    route = the_route(objects_of("local"))
    misspelt = copy.deepcopy(route)
    misspelt["spec"]["rules"][0]["backendRefs"][0]["prot"] = 8000  # an unknown field
    assert any("'prot' was unexpected" in e for e in schema_errors(misspelt))
    wrong_filter = copy.deepcopy(route)
    wrong_filter["spec"]["rules"][0]["filters"][0]["urlRewrite"]["path"]["type"] = "ReplacePrefix"
    assert any("is not one of ['ReplaceFullPath', 'ReplacePrefixMatch']" in e for e in schema_errors(wrong_filter))
    no_name = copy.deepcopy(route)
    del no_name["spec"]["parentRefs"][0]["name"]
    assert any("'name' is a required property" in e for e in schema_errors(no_name))


def test_the_crds_cel_rules_the_route_relies_on_hold():
    # jsonschema does not run the CRD's x-kubernetes-validations (CEL): the ones about what the
    # route uses are restated here. ReplacePrefixMatch needs exactly one PathPrefix match.
    for rule in the_route(objects_of("local"))["spec"]["rules"]:
        for f in rule.get("filters", []):
            if f["type"] == "URLRewrite" and f["urlRewrite"]["path"]["type"] == "ReplacePrefixMatch":
                assert [m["path"]["type"] for m in rule["matches"]] == ["PathPrefix"]
        for match in rule["matches"]:
            value = match["path"]["value"]
            assert value.startswith("/") and "//" not in value and "/./" not in value and "/../" not in value


@pytest.mark.parametrize("profile", ["local", "production"])
def test_backend_refs_name_services_and_ports_that_exist(profile):
    objects = objects_of(profile)
    services = {o["metadata"]["name"]: {p["port"] for p in o["spec"]["ports"]}
                for o in objects if o["kind"] == "Service"}
    for rule in the_route(objects)["spec"]["rules"]:
        for ref in rule["backendRefs"]:
            assert ref["port"] in services[ref["name"]]
    # AND the app's reference lint (which ran on the synth above) finds nothing
    assert check_manifests(objects) == []


def test_the_reference_lint_refuses_a_backend_ref_to_a_missing_service_or_port():
    objects = objects_of("local")
    route = the_route(objects)
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 8080
    route["spec"]["rules"][1]["backendRefs"][0]["name"] = "taskora-web"
    found = [(p.field, p.value) for p in check_manifests(objects)]
    assert found == [("spec.rules[0].backendRefs[0].port", 8080), ("spec.rules[1].backendRefs[0].name", "taskora-web")]


def test_the_reference_lint_refuses_a_broken_route_at_synth():
    # GIVEN the gateway app with the lint on WHEN the route is patched to a port the Service lacks
    app = cdk8s.Testing.app()
    environ = {"TASKORA_ENV": "local", "TASKORA_VALUES": str(GATEWAY_LAYER)}
    taskora = Taskora(app, "taskora", load(environ, secrets_file=NO_SECRETS_FILE)[1])
    lint = TaskoraValidation.of(app)
    assert taskora.ingress.route is not None
    taskora.ingress.route.api_object.add_json_patch(cdk8s.JsonPatch.replace("/spec/rules/1/backendRefs/0/port", 80))
    # THEN synth is refused naming the field
    with pytest.raises(RuntimeError, match=r"spec.rules\[1\].backendRefs\[0\].port=80"):
        app.synth()
    assert [p.field for p in lint.last_problems] == ["spec.rules[1].backendRefs[0].port"]


@pytest.mark.parametrize("profile", ["local", "production"])
def test_network_policies_admit_the_gateway_namespace_not_the_ingress_controllers(profile):
    found = by_id(objects_of(profile))
    gateway = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}
    for name, port in (("taskora-frontend", 3000), ("taskora-backend", 8000)):
        rules = found[f"NetworkPolicy/{name}"]["spec"]["ingress"]
        assert rules[0] == {"from": [gateway], "ports": [{"protocol": "TCP", "port": port}]}
        assert "ingress-nginx" not in repr(rules)


def test_make_validate_passes_the_gateway_synth(tmp_path):
    # GIVEN the gateway layer over production, written as `make synth` writes it
    outdir = tmp_path / "dist"
    app = cdk8s.App(outdir=str(outdir))
    layer = tmp_path / "release.yaml"
    layer.write_text(DIGESTS_LAYER + GATEWAY_LAYER.read_text())
    Taskora(app, "taskora", load({"TASKORA_ENV": "production", "TASKORA_VALUES": str(layer), **SECRETS},
                                 secrets_file=NO_SECRETS_FILE)[1])
    app.synth()
    # THEN scripts/validate.py finds nothing (Kubernetes 1.34 and newest; the HTTPRoute against its CRD)
    count, found = validate.check_directory(outdir)
    assert found == [] and count == 21  # production: the CloudNativePG Cluster and its ObjectStore (the deletion protection is outside dist/)
    assert "HTTPRoute" in (outdir / "0005-taskora-ingress.k8s.yaml").read_text()


# --- values -------------------------------------------------------------------------------------

def problems_of(tmp_path: Path, text: str, env: str = "local") -> list[str]:
    layer = tmp_path / "layer.yaml"
    layer.write_text(text)
    environ = {"TASKORA_ENV": env, "TASKORA_VALUES": str(layer)}
    if env == "production":
        layer.write_text(text + DIGESTS_LAYER)
        environ |= SECRETS
    with pytest.raises(TaskoraConfigError) as raised:
        _, props = load(environ, secrets_file=NO_SECRETS_FILE)
        Taskora(cdk8s.Testing.app(), "taskora", props)
    return [str(p) for p in raised.value.problems]


def test_gateway_routing_without_a_parent_ref_is_refused(tmp_path):
    [message] = problems_of(tmp_path, "ingress: {routing: gateway}\n")
    # named under the key that was set, in the file that set it
    assert message.startswith(f"{tmp_path}/layer.yaml:1:11: ingress.routing='gateway': needs at least one Gateway in "
                              "gateway.parentRefs")


def test_an_unknown_routing_is_refused(tmp_path):
    [message] = problems_of(tmp_path, "ingress: {routing: gatway}\n")
    assert "ingress.routing='gatway': must be one of ingress, gateway" in message


def test_gateway_routing_with_ingress_tls_is_refused_tls_is_the_listeners(tmp_path):
    # production's own cert-manager settings, switched on beside its Gateway
    text = "ingress: {routing: gateway, tls: {enabled: true}}\n"
    [message] = problems_of(tmp_path, text, env="production")
    assert message.startswith(f"{tmp_path}/layer.yaml:1:11: ingress.routing='gateway': needs tls off: with a Gateway, "
                              "TLS is its listener's business")


def test_a_parent_ref_is_checked_under_its_key_path(tmp_path):
    text = "ingress: {routing: gateway, gateway: {parentRefs: [{name: Public, sectionName: HTTPS}]}}\n"
    messages = problems_of(tmp_path, text)
    assert [m.split(": ", 2)[1] for m in messages] == ["ingress.gateway.parentRefs[0].name='Public'",
                                                       "ingress.gateway.parentRefs[0].sectionName='HTTPS'"]


def test_a_gateway_in_the_apps_own_namespace_is_refused_while_policies_are_on(tmp_path):
    # a parentRef without a namespace is in the route's namespace: the policies would admit all of it
    text = "ingress: {routing: gateway, gateway: {parentRefs: [{name: public}]}}\n"
    [message] = problems_of(tmp_path, text)
    assert "ingress.gateway.parentRefs=['taskora']: must not put the Gateway's proxies in the instance's own " \
           "namespace" in message


def test_the_ingress_construct_exposes_the_route_as_its_object_and_the_public_url():
    app = cdk8s.Testing.app()
    _, props = load({"TASKORA_VALUES": str(GATEWAY_LAYER)}, secrets_file=NO_SECRETS_FILE)
    ingress = Taskora(app, "taskora", props).ingress
    assert ingress.route is not None and ingress.ingress is None and ingress.api_ingress is None
    assert ingress.api_object is ingress.route.route and cdk8s.ApiObject.of(ingress) is ingress.route.route
    # the Gateway's listener serves HTTPS (gateway.https): the browser's URL says so
    assert ingress.public_api_url == "https://taskora.local/api" and ingress.tls_secret_name is None
    assert ingress.gateway_namespaces == ("gateway-system",)


def test_proxy_namespaces_override_the_parent_refs_namespaces(tmp_path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("ingress: {routing: gateway, gateway: {parentRefs: [{name: eg, namespace: web}], "
                     "proxyNamespaces: [envoy-gateway-system]}}\n")
    _, props = load({"TASKORA_VALUES": str(layer)}, secrets_file=NO_SECRETS_FILE)
    app = cdk8s.Testing.app()
    taskora = Taskora(app, "taskora", props)
    assert taskora.ingress.gateway_namespaces == ("envoy-gateway-system",)
    policy = cdk8s.Testing.synth(taskora.charts["frontend"])[-1]
    assert policy["spec"]["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}]


# --- what the synth loads, and what the lint reports ---------------------------------------------


def test_the_default_synth_does_not_load_the_gateway_bindings():
    # GIVEN the app as `make synth` runs it (TASKORA_ENV=local) WHEN it has synthesized
    loaded = after_the_default_synth(
        "sorted(m for m in sys.modules if m == 'imports' or m.startswith(('imports.', 'cdk8s_plus')))")
    # THEN neither the generated Gateway API bindings nor cdk8s-plus were imported
    assert loaded == "[]"


def test_problem_objects_name_the_route_fields():
    # the lint's problems are Problems like every other (where, field, value, rule, fix)
    objects = objects_of("local")
    the_route(objects)["spec"]["hostnames"] = ["Taskora.Local"]
    [problem] = check_manifests(objects)
    assert isinstance(problem, Problem) and problem.field == "spec.hostnames[0]"


# --- production's default (issue 20: ingress-nginx was retired in March 2026) -------------------

def test_production_routes_through_the_gateway_by_default():
    from tests.support.profiles import objects_of as profile_objects
    objects = profile_objects("production")
    kinds = [o["kind"] for o in objects]
    assert "Ingress" not in kinds and kinds.count("HTTPRoute") == 1
    route = the_route(objects)
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateway-system", "sectionName": "https"}]
    assert route["spec"]["hostnames"] == ["taskora.example.com"]
    # no ingress-nginx annotation or class anywhere, and no policy admits the retired controller
    assert "nginx.ingress.kubernetes.io" not in repr(objects) and "ingress-nginx" not in repr(
        [o for o in objects if o["kind"] == "NetworkPolicy"])


def test_a_values_layer_switches_production_back_to_ingress_nginx_over_https():
    from tests.support.profiles import INGRESS_NGINX_PROFILE, objects_of as profile_objects
    objects = profile_objects(INGRESS_NGINX_PROFILE)
    assert "HTTPRoute" not in [o["kind"] for o in objects]
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    assert [i["metadata"]["name"] for i in ingresses] == ["taskora-ingress", "taskora-ingress-api"]
    for ingress in ingresses:  # production's cert-manager settings apply again
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["tls"] == [{"hosts": ["taskora.example.com"], "secretName": "taskora-tls"}]
    assert ingresses[0]["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"


def test_local_keeps_the_models_ingress_nginx():
    from tests.support.profiles import objects_of as profile_objects
    objects = profile_objects("local")
    assert "HTTPRoute" not in [o["kind"] for o in objects]
    assert [o["spec"]["ingressClassName"] for o in objects if o["kind"] == "Ingress"] == ["nginx", "nginx"]
