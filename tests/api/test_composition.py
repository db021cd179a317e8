"""The constructs of taskora-constructs composed into a caller's chart, namespace and names.

Apart from tests/api/test_public_api.py (the pinned surface and its docs) because it tests another
promise of the public API: used one by one, without ``Taskora``, the constructs keep the
caller's own objects, put everything under the caller's namespace and names, and their output
attributes (Service names, ports, selectors, Secret keys) are what the synthesized objects say.
"""

from __future__ import annotations

import cdk8s
import pytest

import taskora_constructs as lib


@pytest.fixture(scope="module")
def composed():
    """Every construct, under the caller's names, in a chart that already holds its own objects."""
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "team", disable_resource_name_hashes=True)
    cdk8s.ApiObject(chart, "ns", api_version="v1", kind="Namespace", metadata=cdk8s.ApiObjectMetadata(name="team-x"))
    theirs = cdk8s.ApiObject(chart, "theirs", api_version="v1", kind="ConfigMap",
                             metadata=cdk8s.ApiObjectMetadata(name="x-existing", namespace="team-x"))
    theirs.add_json_patch(cdk8s.JsonPatch.add("/data", {"owner": "team x"}))
    ns = "team-x"
    db = lib.PostgresDatabase(chart, "db", name="x-db", namespace=ns, password="pw",
                              props=lib.PostgresProps(database_name="xdata", username="xuser"))
    backend_props = lib.TaskoraBackendProps(image="x/api:1.0")
    config = lib.TaskoraConfig(chart, "config", name="x-config", namespace=ns, app_name="x",
                               api_base_url=lib.TaskoraBackend.url_for("x-api", backend_props))
    secrets = lib.TaskoraSecrets(chart, "secrets", name="x-secrets", namespace=ns, app_name="x", database=db,
                                 cohere_api_key="c", better_auth_secret="b", gemini_api_key="g")
    backend = lib.TaskoraBackend(chart, "api", name="x-api", namespace=ns, props=backend_props, config=config,
                                 secrets=secrets, database=db)
    frontend = lib.TaskoraFrontend(chart, "web", name="x-web", namespace=ns,
                                   props=lib.TaskoraFrontendProps(image="x/web:1.0"), config=config, backend=backend)
    ingress = lib.TaskoraIngress(chart, "ingress", name="x-ingress", namespace=ns, app_name="x",
                                 props=lib.TaskoraIngressProps(host="x.example.com"), frontend=frontend,
                                 backend=backend)
    objects = cdk8s.Testing.synth(chart)
    found = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    return found, db, config, secrets, backend, frontend, ingress


def test_constructs_compose_into_the_callers_chart_namespace_and_names(composed):
    found, *_ = composed
    # THEN the caller's own objects are kept as they were
    assert found[("ConfigMap", "x-existing")]["data"] == {"owner": "team x"}
    # AND every object lands in the caller's namespace under the caller's names
    assert {o["metadata"].get("namespace") for (kind, _), o in found.items() if kind != "Namespace"} == {"team-x"}
    assert all(name.startswith("x-") or name == "team-x" for _, name in found)
    # AND nothing says "taskora" once the caller has chosen every name (and image)
    assert "taskora" not in repr(list(found.values())).lower()


def test_the_output_attributes_are_what_the_objects_say(composed):
    found, db, config, secrets, backend, frontend, ingress = composed
    # PostgresDatabase: the Service, its port and selector, the credentials Secret and its keys
    service = found[("Service", db.service_name)]
    assert service["spec"]["ports"][0]["port"] == db.port and service["spec"]["selector"] == db.selector_labels
    statefulset = found[("StatefulSet", db.service_name)]
    assert statefulset["spec"]["selector"]["matchLabels"] == db.selector_labels
    assert statefulset["spec"]["template"]["metadata"]["labels"] == db.pod_labels
    credentials = found[("Secret", db.credentials_secret_name)]
    assert set(credentials["stringData"]) == {db.USERNAME_KEY, db.PASSWORD_KEY}
    assert credentials["stringData"][db.USERNAME_KEY] == db.username == "xuser"
    assert db.connection_url(db.namespace) == "postgresql://xuser:pw@x-db:5432/xdata"
    assert db.host_for("elsewhere") == "x-db.team-x.svc"
    # TaskoraBackend / TaskoraFrontend: Service name, port, URL and selector
    for workload in (backend, frontend):
        service = found[("Service", workload.service_name)]
        assert service["spec"]["ports"][0]["port"] == workload.port
        assert service["spec"]["selector"] == workload.selector_labels
        assert workload.url == f"http://{workload.service_name}:{workload.port}"
        deployment = found[("Deployment", workload.service_name)]
        assert deployment["spec"]["template"]["metadata"]["labels"] == workload.pod_labels
    # TaskoraConfig / TaskoraSecrets: names and keys
    assert set(found[("ConfigMap", config.config_map_name)]["data"]) == set(config.data)
    assert set(found[("Secret", secrets.secret_name)]["stringData"]) == set(secrets.keys)
    assert config.key_ref(lib.TaskoraConfig.APP_ENV) == {"configMapKeyRef": {"name": "x-config", "key": "APP_ENV"}}
    assert secrets.key_ref(lib.TaskoraSecrets.DATABASE_URL) == {"secretKeyRef": {"name": "x-secrets",
                                                                                 "key": "DATABASE_URL"}}
    # TaskoraIngress: both Ingress names and the host
    for name in (ingress.ingress_name, ingress.api_ingress_name):
        assert found[("Ingress", name)]["spec"]["rules"][0]["host"] == ingress.host == "x.example.com"
