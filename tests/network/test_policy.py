"""NetworkPolicies (issue #5): GIVEN the synthesized policies WHEN a connection is evaluated
the way Kubernetes does (a pod selected by a policy of that direction is isolated; the
connection passes when some rule of a selecting policy matches the peer and the port, on
the sending side for egress and on the receiving side for ingress) THEN exactly the
documented paths are open: who may reach whom, on which port."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from taskora_constructs.network import evaluate
from tests.support.profiles import INGRESS_NGINX_PROFILE, STATEFULSET_PROFILE, objects_of, props_of

#: The StatefulSet's hardening in both profiles (production's own database is CloudNativePG:
#: tests/database/test_cloudnative_pg.py).
PROFILES = ("local", STATEFULSET_PROFILE)

NAMESPACE = "taskora"


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels) or an address outside the cluster."""

    name: str
    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    ip: str | None = None

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def pod(name: str, namespace: str = NAMESPACE, **labels: str) -> Endpoint:
    return Endpoint(name, namespace, tuple(sorted(labels.items())))


FRONTEND = pod("frontend", app="taskora-frontend", component="frontend")
BACKEND = pod("backend", app="taskora-backend", component="backend")
DATABASE = pod("database", app="taskora-db", component="database")
BACKUP = pod("backup", app="taskora-db-backup", component="backup")
STRAY = pod("a pod added to the namespace by hand", app="debug")
INGRESS_CONTROLLER = pod("ingress controller", "ingress-nginx", **{"app.kubernetes.io/name": "ingress-nginx"})
#: production's Gateway proxies (routing gateway: the parentRef's namespace, gateway-system).
GATEWAY_PROXY = pod("gateway proxy", "gateway-system", **{"gateway.networking.k8s.io/gateway-name": "public"})
#: Whatever fronts the app in the profile under test: the ingress controller (local) or the
#: Gateway's proxies (production); the tables below name it, Policies.allows resolves it.
EDGE = pod("edge proxy")
OTHER_NAMESPACE = pod("a pod of another namespace", "default", app="curl")
DNS = pod("cluster DNS", "kube-system", **{"k8s-app": "kube-dns"})
LLM_API = Endpoint("a public LLM API", ip="142.250.74.10")
LLM_API_V6 = Endpoint("a public LLM API (IPv6)", ip="2a00:1450:4001:82b::200a")
API_SERVER = Endpoint("the Kubernetes API server", ip="10.96.0.1")
METADATA = Endpoint("the cloud metadata endpoint", ip="169.254.169.254")


@dataclass
class Policies:
    items: list[dict] = field(default_factory=list)
    edge: Endpoint = INGRESS_CONTROLLER

    def allows(self, source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP") -> bool:
        """The library's evaluator (taskora_constructs/network/evaluate.py), as the lint reads policies."""
        source = self.edge if source == EDGE else source
        return evaluate.may_reach(self.items, _endpoint(source), _endpoint(target), port, protocol)


def _endpoint(endpoint: Endpoint) -> evaluate.Endpoint:
    return evaluate.Endpoint(endpoint.namespace, endpoint.label_map, ip=endpoint.ip)


@pytest.fixture(scope="module", params=PROFILES)
def policies(request) -> Policies:
    return Policies([o for o in objects_of(request.param) if o["kind"] == "NetworkPolicy"],
                    INGRESS_CONTROLLER if request.param == "local" else GATEWAY_PROXY)


# Every path the issue documents, and the ones it closes.
OPEN = [
    (EDGE, FRONTEND, 3000), (EDGE, BACKEND, 8000),
    (FRONTEND, BACKEND, 8000),  # server-side rendering calls the backend in the cluster
    (BACKEND, DATABASE, 5432),
    (BACKEND, LLM_API, 443), (BACKEND, LLM_API_V6, 443),
]
CLOSED = [
    (EDGE, DATABASE, 5432), (EDGE, FRONTEND, 8080),
    (OTHER_NAMESPACE, FRONTEND, 3000), (OTHER_NAMESPACE, BACKEND, 8000), (OTHER_NAMESPACE, DATABASE, 5432),
    (STRAY, FRONTEND, 3000), (STRAY, BACKEND, 8000), (STRAY, DATABASE, 5432),
    (FRONTEND, DATABASE, 5432), (FRONTEND, LLM_API, 443), (FRONTEND, FRONTEND, 3000),
    (BACKEND, FRONTEND, 3000), (BACKEND, LLM_API, 80), (BACKEND, API_SERVER, 443), (BACKEND, METADATA, 443),
    (DATABASE, BACKEND, 8000), (DATABASE, LLM_API, 443), (DATABASE, OTHER_NAMESPACE, 5432),
    (BACKUP, LLM_API, 443), (BACKUP, BACKEND, 8000), (STRAY, LLM_API, 443),
]


@pytest.mark.parametrize("source, target, port", OPEN, ids=lambda v: getattr(v, "name", str(v)))
def test_the_documented_paths_are_open(policies, source, target, port):
    assert policies.allows(source, target, port)


@pytest.mark.parametrize("source, target, port", CLOSED, ids=lambda v: getattr(v, "name", str(v)))
def test_every_other_path_is_closed(policies, source, target, port):
    assert not policies.allows(source, target, port)


@pytest.mark.parametrize("source", [FRONTEND, BACKEND, DATABASE, BACKUP, STRAY], ids=lambda v: v.name)
def test_every_pod_may_ask_the_cluster_dns(policies, source):
    assert policies.allows(source, DNS, 53, "UDP") and policies.allows(source, DNS, 53, "TCP")
    assert not policies.allows(source, OTHER_NAMESPACE, 53, "UDP")


def test_every_pod_of_the_namespace_is_isolated_both_ways(policies):
    # GIVEN any pod of the namespace, even one the app does not know THEN some policy of each
    # direction selects it: nothing is open by default
    for endpoint in (FRONTEND, BACKEND, DATABASE, BACKUP, STRAY):
        assert all(evaluate.isolating(policies.items, endpoint.namespace, endpoint.label_map, direction)
                   for direction in ("Ingress", "Egress")), endpoint.name


def test_the_backup_job_reaches_postgres_in_production():
    policies = Policies([o for o in objects_of(STATEFULSET_PROFILE) if o["kind"] == "NetworkPolicy"])
    assert policies.allows(BACKUP, DATABASE, 5432)
    local = Policies([o for o in objects_of("local") if o["kind"] == "NetworkPolicy"])
    assert not local.allows(BACKUP, DATABASE, 5432)  # no backup job there, so no path for one


def test_policies_select_by_the_documented_labels_only():
    for profile in PROFILES:
        for policy in (o for o in objects_of(profile) if o["kind"] == "NetworkPolicy"):
            selectors = [policy["spec"]["podSelector"]] + [
                peer["podSelector"] for direction, key in (("ingress", "from"), ("egress", "to"))
                for rule in policy["spec"].get(direction, []) for peer in rule.get(key, []) if "podSelector" in peer
                and "namespaceSelector" not in peer]
            # the app's own pods by "app"; cert-manager's solver pods by the label cert-manager documents
            assert all(set(s.get("matchLabels", {})) <= {"app"} or s == {"matchLabels": ACME_SOLVER_SELECTOR}
                       for s in selectors), policy["metadata"]["name"]


def test_the_ingress_controller_namespace_is_configurable():
    # GIVEN a values layer naming another controller namespace WHEN synthesized THEN only it may enter
    from dataclasses import replace

    import cdk8s

    from tests.support.synth import synth_app
    from taskora_constructs import Taskora

    props = props_of("local")
    props = replace(props, network_policy=replace(props.network_policy, ingress_controller_namespace="traefik"))
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", props)
    policies = Policies([o for o in synth_app(app) if o["kind"] == "NetworkPolicy"])
    traefik = pod("traefik", "traefik", app="traefik")
    assert policies.allows(traefik, FRONTEND, 3000) and policies.allows(traefik, BACKEND, 8000)
    assert not policies.allows(INGRESS_CONTROLLER, FRONTEND, 3000)


def test_no_policy_when_disabled():
    from dataclasses import replace

    import cdk8s

    from tests.support.synth import synth_app
    from taskora_constructs import Taskora

    props = props_of("local")
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", replace(props, network_policy=replace(props.network_policy, enabled=False)))
    assert [o for o in synth_app(app) if o["kind"] == "NetworkPolicy"] == []


# --- cert-manager's HTTP-01 solver (issue 20) ---------------------------------------------

#: The pod cert-manager's ACME issuer starts in the app's namespace for an HTTP-01 challenge
#: (its documented labels), serving the token on 8089.
ACME_SOLVER = pod("cert-manager's HTTP-01 solver", **{"acme.cert-manager.io/http01-solver": "true",
                                                      "acme.cert-manager.io/http-domain": "1234567890"})


ACME_SOLVER_SELECTOR = {"acme.cert-manager.io/http01-solver": "true"}


def _policies_with(ingress) -> "Policies":
    import cdk8s

    from tests.support.synth import synth_app
    from taskora_constructs import Taskora, TaskoraSecretValues
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", secrets=TaskoraSecretValues.development_placeholders(), ingress=ingress)
    return Policies([o for o in synth_app(app) if o["kind"] == "NetworkPolicy"])


@pytest.mark.parametrize("tls", [{"cluster_issuer": "letsencrypt"}, {"issuer": "letsencrypt-staging"}])
def test_with_a_cert_manager_issuer_the_ingress_controller_reaches_the_http01_solver(tls):
    from taskora_constructs import IngressTLS, TaskoraIngressProps
    policies = _policies_with(TaskoraIngressProps(host="tasks.example.com", tls=IngressTLS(**tls)))
    # THEN the ingress controller fetches the challenge from the solver on 8089, and only there
    assert policies.allows(INGRESS_CONTROLLER, ACME_SOLVER, 8089)
    assert not policies.allows(INGRESS_CONTROLLER, ACME_SOLVER, 8080)
    # AND nobody else reaches it, and it opens nothing but DNS
    assert not policies.allows(OTHER_NAMESPACE, ACME_SOLVER, 8089)
    assert not policies.allows(BACKEND, ACME_SOLVER, 8089)
    assert not policies.allows(ACME_SOLVER, BACKEND, 8000)
    assert not policies.allows(ACME_SOLVER, LLM_API, 443)
    assert policies.allows(ACME_SOLVER, DNS, 53, "UDP")
    # AND the solver's policy admits no other pod of the namespace
    assert not policies.allows(INGRESS_CONTROLLER, STRAY, 8089)


def test_production_admits_the_solver_of_its_issuer():
    # with ingress-nginx and cert-manager's issuer on its Ingress (a Gateway's certificate is the
    # platform's: no solver lands in the app's namespace, and no policy admits one)
    policies = Policies([o for o in objects_of(INGRESS_NGINX_PROFILE) if o["kind"] == "NetworkPolicy"])
    assert policies.allows(INGRESS_CONTROLLER, ACME_SOLVER, 8089)
    gateway = Policies([o for o in objects_of("production") if o["kind"] == "NetworkPolicy"])
    assert not gateway.allows(GATEWAY_PROXY, ACME_SOLVER, 8089)
    assert not [p for p in gateway.items if "acme" in p["metadata"]["name"]]


def test_production_admits_its_gateway_not_the_retired_ingress_controller():
    policies = Policies([o for o in objects_of(STATEFULSET_PROFILE) if o["kind"] == "NetworkPolicy"])
    assert policies.allows(GATEWAY_PROXY, FRONTEND, 3000) and policies.allows(GATEWAY_PROXY, BACKEND, 8000)
    assert not policies.allows(INGRESS_CONTROLLER, FRONTEND, 3000)
    assert not policies.allows(INGRESS_CONTROLLER, BACKEND, 8000)


@pytest.mark.parametrize("tls", [None, {"secret_name": "wildcard-example-com"}])
def test_without_an_issuer_no_solver_is_admitted(tls):
    from taskora_constructs import IngressTLS, TaskoraIngressProps
    policies = _policies_with(TaskoraIngressProps(host="tasks.example.com",
                                                  tls=IngressTLS(**tls) if tls is not None else None))
    assert not policies.allows(INGRESS_CONTROLLER, ACME_SOLVER, 8089)
    assert not [p for p in policies.items if "acme" in p["metadata"]["name"]]
