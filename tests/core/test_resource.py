"""cdk8s conventions of the library's constructs (TaskoraResource, taskora_constructs/core/resource.py;
0.2.0): GIVEN a second team's app WHEN it uses the constructs as cdk8s constructs are used THEN
names come from ids, nothing foreign is inspected, peers and clients are wired by construct, two
Taskora instances differ only by id and namespace, and every public construct keeps the
conventions. Namespaces and name clashes: test_scope.py."""

from __future__ import annotations

from pathlib import Path

import cdk8s
import pytest

from taskora_constructs import (Allow, NetworkPeer, PostgresDatabase, Taskora, TaskoraConfigError,
                                TaskoraSecretValues, WebWorkload, WorkloadNetworkPolicy)

SECRETS = TaskoraSecretValues.development_placeholders()
NAMESPACED = {"Secret", "ServiceAccount", "Service", "StatefulSet", "Deployment", "ConfigMap", "Ingress",
              "NetworkPolicy", "PodDisruptionBudget"}


def objects_of(app: cdk8s.App) -> list[dict]:
    return [o for chart in app.charts for o in cdk8s.Testing.synth(chart)]


def test_names_derive_readably_from_the_id_and_can_be_overridden():
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "c", namespace="shop")
    api = WebWorkload(chart, "Orders API", image="registry.example/orders/api:2.0.1")
    db = PostgresDatabase(chart, "db", name="orders-db", password="sentinel-db-5e1c")
    assert api.service_name == "orders-api" and api.url == "http://orders-api:8080"
    assert db.service_name == "orders-db" and db.credentials_secret_name == "orders-db-credentials"


#: Kinds without a namespace: the Namespace, its deletion protection, the claims' StorageClass.
CLUSTER_SCOPED = {"Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "StorageClass"}


def test_two_taskora_instances_differ_only_by_id_and_namespace(tmp_path: Path):
    # GIVEN two instances in one App, by id, the second in its own namespace
    app = cdk8s.App(outdir=str(tmp_path))
    blue = Taskora(app, "blue", secrets=SECRETS)
    green = Taskora(app, "green", secrets=SECRETS, namespace="green")
    app.synth()
    # THEN each has the documented object names, in its own namespace
    objects = objects_of(app)
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("Deployment", "taskora-backend") in names and ("StatefulSet", "taskora-db") in names
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] not in CLUSTER_SCOPED} == {"taskora", "green"}
    # AND each Namespace carries the protection label; the policy itself is cluster-wide and
    # outside dist/ (make protection; tests/cluster/test_cluster_deletion.py)
    namespaces = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Namespace"}
    assert {n: ns["metadata"]["labels"]["taskora.io/deletion-protection"] for n, ns in namespaces.items()} == \
        {"taskora": "enabled", "green": "enabled"}
    assert not any(o["kind"].startswith("ValidatingAdmissionPolicy") for o in objects)
    assert (blue.names.namespace, green.names.namespace) == ("taskora", "green")
    # AND the files are readable, named after the ids, each instance in apply order
    files = sorted(p.name for p in tmp_path.glob("*.k8s.yaml"))
    parts = ("namespace", "config", "database", "backend", "frontend", "ingress")
    assert files == [f"{n:04d}-{instance}-{part}.k8s.yaml"
                     for n, (instance, part) in enumerate((i, p) for i in ("blue", "green") for p in parts)]


def test_taskora_inside_a_users_chart_writes_into_it_in_apply_order():
    # GIVEN the team's own chart with a namespace WHEN Taskora is added to it
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "platform", namespace="tasks", labels={"team": "platform"})
    Taskora(chart, "taskora", secrets=SECRETS)
    objects = cdk8s.Testing.synth(chart)
    # THEN everything is in that chart and namespace, the Namespace first and without one
    assert len(app.charts) == 1
    assert objects[0]["kind"] == "Namespace" and "namespace" not in objects[0]["metadata"]
    assert objects[0]["metadata"]["name"] == "tasks"
    assert {o["metadata"]["namespace"] for o in objects[1:] if o["kind"] not in CLUSTER_SCOPED} == {"tasks"}
    assert all("namespace" not in o["metadata"] for o in objects if o["kind"] in CLUSTER_SCOPED)
    # AND the chart's labels reach every object, as cdk8s applies them
    assert all(o["metadata"]["labels"]["team"] == "platform" for o in objects)


def test_foreign_objects_are_never_inspected():
    # GIVEN an app with a broken foreign Deployment (no namespace, zero replicas, a dangling
    # reference) beside a library database WHEN synthesized THEN nothing is refused
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "mixed")
    PostgresDatabase(cdk8s.Chart(app, "data", namespace="data"), "db", password="sentinel-db-5e1c")
    foreign = cdk8s.ApiObject(chart, "web", api_version="apps/v1", kind="Deployment", metadata={"name": "web"})
    foreign.add_json_patch(cdk8s.JsonPatch.add("/spec", {
        "replicas": 0, "selector": {"matchLabels": {"app": "x"}},
        "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{
            "name": "web", "image": "nginx", "env": [{"name": "P", "valueFrom": {"secretKeyRef": {
                "name": "nowhere", "key": "nothing"}}}]}]}}}))
    assert len(objects_of(app)) == 5


def test_a_peer_the_app_does_not_own_can_be_declared():
    # GIVEN pods of another team, by labels in their namespace WHEN let into the database
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "data", namespace="data")
    db = PostgresDatabase(chart, "db", password="sentinel-db-5e1c")
    policy = WorkloadNetworkPolicy(chart, "db-policy", selector_labels=db.selector_labels)
    policy.allow_from(Allow(NetworkPeer.pods({"app": "reports"}, namespace="analytics"), (db.port,)))
    # THEN the policy admits exactly them, on the database port
    [written] = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "NetworkPolicy"]
    assert written["spec"]["ingress"] == [{"from": [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "analytics"}},
        "podSelector": {"matchLabels": {"app": "reports"}}}], "ports": [{"port": 5432, "protocol": "TCP"}]}]


def test_taskora_lets_another_client_reach_its_database():
    app = cdk8s.Testing.app()
    taskora = Taskora(app, "taskora", secrets=SECRETS)
    taskora.allow_database_client(NetworkPeer.pods({"app": "reports"}, namespace="analytics"))
    policy = cdk8s.Testing.synth(taskora.charts["database"])
    [db_policy] = [o for o in policy if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "taskora-db"]
    assert db_policy["spec"]["ingress"][-1]["from"][0]["podSelector"] == {"matchLabels": {"app": "reports"}}
    assert len(db_policy["spec"]["ingress"]) == 2  # the backend's rule stays


def test_a_database_reference_from_any_workload_is_checked_and_its_host_never_invented():
    # GIVEN a database in a chart without a namespace WHEN a client refers to it
    from taskora_constructs import EnvVar
    app = cdk8s.Testing.app()
    db = PostgresDatabase(cdk8s.Chart(app, "plain"), "db", password="sentinel-db-5e1c")
    # THEN a key of its credentials is referenced by construct, a typo is refused
    assert EnvVar.from_key("PGPASSWORD", db, PostgresDatabase.PASSWORD_KEY).to_json() == {
        "name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}}
    with pytest.raises(TaskoraConfigError, match="secretKeyRef.key='pasword': must be a key of Secret"):
        db.key_ref("pasword")
    # AND its host is the short name, never "db.None.svc"
    assert db.host_for("shop") == "db" and "None" not in db.connection_url("shop")


def test_a_peer_namespace_is_given_by_keyword_only():
    with pytest.raises(TypeError):
        NetworkPeer.pods({"app": "x"}, "data")  # type: ignore[misc]
    assert NetworkPeer.pods({"app": "x"}, namespace="data").peers[0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "data"}}


# --- one conventions test over every public construct (0.3.0, core/resource.py) ----------------

import dataclasses  # noqa: E402
from dataclasses import dataclass, field as _field  # noqa: E402
from typing import Any, Callable  # noqa: E402

from taskora_constructs import (CloudNativePgDatabase, GatewayParentRef, HttpRoute, HttpRouteRule,  # noqa: E402
                                NamespaceNetworkPolicy, TaskoraBackend, TaskoraConfig, TaskoraFrontend, TaskoraIngress,
                                TaskoraNamespace, TaskoraSecrets)
from taskora_constructs.core.resource import TaskoraResource  # noqa: E402

CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15.8"


def _deps(chart: cdk8s.Chart) -> dict[str, Any]:
    """What the wiring keywords need, in the same chart, named after the chart (no clash)."""
    prefix = chart.node.id
    db = PostgresDatabase(chart, f"{prefix}-db", password="sentinel-db-5e1c")
    config = TaskoraConfig(chart, f"{prefix}-config", api_base_url=TaskoraBackend.url_for(f"{prefix}-backend"))
    secrets = TaskoraSecrets(chart, f"{prefix}-secrets", database=db, cohere_api_key="sentinel-co-5e1c",
                             better_auth_secret="sentinel-ba-5e1c", gemini_api_key="sentinel-ge-5e1c")
    backend = TaskoraBackend(chart, f"{prefix}-backend", config=config, secrets=secrets, database=db)
    return {"db": db, "config": config, "secrets": secrets, "backend": backend,
            "web": WebWorkload(chart, f"{prefix}-web", image="registry.example/web:1.0.0")}


@dataclass(frozen=True)
class Spec:
    """How to build one construct: its props' fields, its wiring keywords, a misspelt field."""

    cls: type
    fields: Callable[[], dict[str, Any]]
    typo: tuple[str, str]  # (misspelt field, the field it should be)
    wiring: Callable[[dict[str, Any]], dict[str, Any]] = lambda deps: {}
    needs_deps: bool = False
    name_from_id: bool = True  # Taskora names its objects after app_name, not its id
    extra: dict[str, Any] = _field(default_factory=dict)
    bad: tuple[str, Any] | None = None  # (field, a value its rules refuse); None: the props check nothing


SPECS = [
    Spec(WebWorkload, lambda: {"image": "registry.example/shop/api:2.0.1"}, ("imag", "image"), bad=("replicas", -1)),
    Spec(TaskoraBackend, lambda: {"replicas": 2}, ("replica", "replicas"), needs_deps=True, bad=("replicas", -1),
         wiring=lambda d: {"config": d["config"], "secrets": d["secrets"], "database": d["db"]}),
    Spec(TaskoraFrontend, lambda: {"replicas": 2}, ("replica", "replicas"), needs_deps=True, bad=("replicas", -1),
         wiring=lambda d: {"config": d["config"], "backend": d["backend"]}),
    Spec(PostgresDatabase, lambda: {"database_name": "orders"}, ("database_nam", "database_name"),
         extra={"password": "sentinel-db-5e1c"}, bad=("port", 0)),
    Spec(CloudNativePgDatabase, lambda: {"image": CNPG_IMAGE, "database_name": "orders"}, ("imag", "image"),
         bad=("port", 0)),
    Spec(HttpRoute, lambda: {"parent_refs": (GatewayParentRef(name="public", namespace="gateways"),),
                             "rules": (HttpRouteRule(service_name="web", port=80),)}, ("rule", "rules"),
         bad=("rules", ())),
    Spec(TaskoraIngress, lambda: {"host": "shop.example.com"}, ("hots", "host"), needs_deps=True, bad=("host", "Bad_Host"),
         wiring=lambda d: {"frontend": d["web"], "backend": d["backend"]}),
    Spec(NamespaceNetworkPolicy, lambda: {"dns_namespace": "kube-system"}, ("dns_namespac", "dns_namespace"),
         bad=("dns_namespace", "Bad_NS")),
    Spec(WorkloadNetworkPolicy, lambda: {"selector_labels": {"app": "orders"}},
         ("selector_label", "selector_labels"), bad=("selector_labels", {"app": "Bad value!"})),
    Spec(TaskoraConfig, lambda: {"api_base_url": "http://api:8000"}, ("api_base_ur", "api_base_url")),
    Spec(TaskoraSecrets, lambda: {"cohere_api_key": "sentinel-co-5e1c", "better_auth_secret": "sentinel-ba-5e1c",
                                  "gemini_api_key": "sentinel-ge-5e1c"}, ("revison", "revision"),
         needs_deps=True, wiring=lambda d: {"database": d["db"]}, bad=("revision", -1)),
    Spec(TaskoraNamespace, lambda: {"pod_security": "baseline"}, ("pod_securty", "pod_security"),
         bad=("pod_security", "bogus")),
    Spec(Taskora, lambda: {"secrets": SECRETS}, ("app_nam", "app_name"), name_from_id=False,
         bad=("app_name", "Bad_Name")),
]


def _props_type(cls: type) -> type:
    """The props class a construct's ``props`` parameter takes (from its annotation, resolved
    alone as ``typing.get_type_hints`` would: another parameter may name a class imported for
    the type checker only, e.g. ``CloudNativePgDatabase``, which loads with the first Cluster)."""
    import typing
    annotation = cls.__init__.__annotations__["props"]
    props = eval(annotation, cls.__init__.__globals__) if isinstance(annotation, str) else annotation  # noqa: S307
    return next(a for a in typing.get_args(props) if a is not type(None))


def _build(spec: Spec, chart: cdk8s.Chart, construct_id: str, how: str, **more: Any) -> Any:
    deps = _deps(chart) if spec.needs_deps else {}
    keywords = {**spec.wiring(deps), **spec.extra}
    if how == "positional":
        return spec.cls(chart, construct_id, _props_type(spec.cls)(**spec.fields()), **keywords, **more)
    return spec.cls(chart, construct_id, **keywords, **spec.fields(), **more)


def _synth(chart: cdk8s.Chart) -> list[dict]:
    return cdk8s.Testing.synth(chart)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.cls.__name__)
def test_every_public_construct_keeps_the_conventions(spec: Spec):
    # GIVEN the construct, derived from the one base
    assert issubclass(spec.cls, TaskoraResource)
    # WHEN built with its props third, and with their fields as keywords
    positional_app, keyword_app = cdk8s.Testing.app(), cdk8s.Testing.app()
    positional = _build(spec, cdk8s.Chart(positional_app, "c", namespace="payments"), "Orders Thing", "positional")
    keyword = _build(spec, cdk8s.Chart(keyword_app, "c", namespace="payments"), "Orders Thing", "keyword")
    # THEN both write the same objects
    assert _synth(positional_app.charts[0]) == _synth(keyword_app.charts[0])
    # AND the name comes from the id (Taskora's from app_name), the namespace from the chart
    assert positional.name == ("orders-thing" if spec.name_from_id else "taskora")
    cluster_scoped = getattr(spec.cls, "CLUSTER_SCOPED", False)
    assert positional.namespace == (None if cluster_scoped else "payments")
    # AND the main object is the default child, named so, and listed among the construct's objects
    assert cdk8s.ApiObject.of(positional) is positional.api_object
    assert positional.api_object in positional.api_objects
    # AND it is the child of id "Resource" (cdk8s-plus's convention: default_child finds it unset),
    # but the composite's, the namespace object of a part of its own
    if spec.cls is not Taskora:
        assert positional.node.find_child("Resource") is positional.api_object
    assert positional.api_object.metadata.name == (positional.name if spec.name_from_id else "payments")
    for obj in positional.api_objects:
        if obj.kind not in CLUSTER_SCOPED:
            assert obj.metadata.namespace == "payments", (obj.kind, obj.name)
    # AND props given both ways at once are refused, naming the construct
    with pytest.raises(TaskoraConfigError, match=r"c/both: .*must not be given beside"):
        spec.cls(positional_app.charts[0], "both", _props_type(spec.cls)(**spec.fields()),
                 **{**spec.wiring(_deps(cdk8s.Chart(positional_app, "w", namespace="w")) if spec.needs_deps else {}),
                    **spec.extra}, **spec.fields())
    # AND an unknown field is one configuration error naming the path, the field and the fix
    typo, meant = spec.typo
    with pytest.raises(TaskoraConfigError) as raised:
        _build(spec, cdk8s.Chart(cdk8s.Testing.app(), "u", namespace="payments"), "x", "keyword",
               **{typo: 3})
    assert f"u/x: {typo}=3: is not a field of {_props_type(spec.cls).__name__}. Fix: did you mean {meant!r}?" \
        in str(raised.value)
    # AND a value its rules refuse is named at the construct path too, not at the props class
    if spec.bad is not None:
        field, value = spec.bad
        with pytest.raises(TaskoraConfigError) as refused:
            _build(dataclasses.replace(spec, fields=lambda: {**spec.fields(), field: value}),
                   cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop"), "api", "keyword")
        assert [p.where for p in refused.value.problems] == ["shop/api"], str(refused.value)
    # AND the same construct id in another chart of the same namespace is refused, naming both
    app = cdk8s.Testing.app()
    _build(spec, cdk8s.Chart(app, "a", namespace="data"), "x", "keyword")
    with pytest.raises(TaskoraConfigError) as clash:
        _build(spec, cdk8s.Chart(app, "b", namespace="data"), "x", "keyword")
    assert "is already created by a" in str(clash.value) and "b/" in str(clash.value)
    assert "sentinel" not in str(clash.value)
