"""TLS on the Ingresses (issue #12): ``ingress.tls``.

GIVEN the production profile routed through ingress-nginx (examples/values/ingress-nginx.yaml:
production's default is a Gateway, whose listener holds the certificate) THEN both Ingresses
serve its host over HTTPS from one Secret,
redirect HTTP to HTTPS, and only the frontend's Ingress asks cert-manager for the certificate
(one Certificate per Secret). GIVEN the local profile (the model) THEN there is no TLS at all
(the conformance test and the snapshot prove the rest of it unchanged). GIVEN an existing
Secret, a namespaced Issuer, or a TLS host that is not the route's host THEN the Ingresses say
so, or the values are refused naming the key path and the file.
"""

from __future__ import annotations

from pathlib import Path

import cdk8s
import pytest

from tests.support.profiles import INGRESS_NGINX_PROFILE, NO_SECRETS_FILE, by_id, objects_of, props_of
from taskora_app.values import load
from taskora_constructs import IngressTLS, Taskora, TaskoraConfigError, TaskoraIngressProps, TaskoraSecretValues

NGINX = "nginx.ingress.kubernetes.io"
SECRETS = TaskoraSecretValues.development_placeholders()


def ingresses(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] == "Ingress"]


def test_production_serves_its_host_over_https_with_http_redirected():
    main, api = ingresses(objects_of(INGRESS_NGINX_PROFILE))
    for ingress in (main, api):
        assert ingress["spec"]["tls"] == [{"hosts": ["taskora.example.com"], "secretName": "taskora-tls"}]
        assert ingress["spec"]["rules"][0]["host"] == "taskora.example.com"
        assert ingress["metadata"]["annotations"][f"{NGINX}/ssl-redirect"] == "true"
    # one Certificate for the one Secret: the issuer is asked through the frontend's Ingress only
    assert main["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert not any(key.startswith("cert-manager.io/") for key in api["metadata"]["annotations"])


def test_local_has_no_tls_as_the_model():
    for ingress in ingresses(objects_of("local")):
        assert "tls" not in ingress["spec"]
        assert not any("ssl-redirect" in key or key.startswith("cert-manager.io/")
                       for key in ingress["metadata"]["annotations"])


def test_the_public_url_follows_host_and_tls_while_server_side_calls_stay_in_the_cluster():
    for profile, url in (("local", "http://taskora.local/api"), ("production", "https://taskora.example.com/api")):
        taskora = Taskora(cdk8s.Testing.app(), "taskora", props_of(profile))
        assert taskora.ingress.public_api_url == url
        config = by_id(objects_of(profile))["ConfigMap/taskora-config"]
        assert config["data"]["API_BASE_URL"] == "http://taskora-backend:8000"  # NEXT_PUBLIC_API_URL's source


def synth(ingress: TaskoraIngressProps) -> list[dict]:
    app = cdk8s.Testing.app()
    taskora = Taskora(app, "taskora", secrets=SECRETS, ingress=ingress)
    return ingresses(cdk8s.Testing.synth(taskora.charts["ingress"]))


def test_an_existing_secret_is_used_as_is_without_cert_manager():
    main, api = synth(TaskoraIngressProps(host="tasks.example.com", tls=IngressTLS(secret_name="wildcard-example-com")))
    for ingress in (main, api):
        assert ingress["spec"]["tls"] == [{"hosts": ["tasks.example.com"], "secretName": "wildcard-example-com"}]
        assert not any(key.startswith("cert-manager.io/") for key in ingress["metadata"]["annotations"])


def test_a_namespaced_issuer_names_the_secret_after_the_ingress_unless_told():
    main, api = synth(TaskoraIngressProps(host="tasks.example.com", tls=IngressTLS(issuer="letsencrypt-staging",
                                                                                   redirect_http=False)))
    assert main["metadata"]["annotations"]["cert-manager.io/issuer"] == "letsencrypt-staging"
    assert main["spec"]["tls"][0]["secretName"] == api["spec"]["tls"][0]["secretName"] == "taskora-ingress-tls"
    assert main["metadata"]["annotations"][f"{NGINX}/ssl-redirect"] == "false"


def test_tls_props_refuse_what_cannot_serve_the_host():
    with pytest.raises(TaskoraConfigError) as raised:
        IngressTLS()
    assert [p.field for p in raised.value.problems] == ["secretName"]
    with pytest.raises(TaskoraConfigError, match="issuer='b': must not be set together with clusterIssuer"):
        IngressTLS(cluster_issuer="a", issuer="b")
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraIngressProps(host="tasks.example.com", tls=IngressTLS(secret_name="s", hosts=("tasks.example.com",
                                                                                             "other.example.com")))
    [problem] = raised.value.problems
    assert (problem.field, problem.value) == ("tls.hosts[1]", "other.example.com")
    assert "must be the route's host (tasks.example.com)" in problem.rule


def test_a_tls_host_that_is_not_the_routes_host_is_refused_in_values(tmp_path: Path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("ingress:\n  tls: {enabled: true, secretName: taskora-tls, hosts: [www.taskora.local]}\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(layer)}, secrets_file=NO_SECRETS_FILE)
    [message] = [str(p) for p in raised.value.problems]
    assert message.startswith(f"{layer}:2:57: ingress.tls.hosts[0]='www.taskora.local': must be the route's host "
                              "(taskora.local)")


def test_tls_in_values_without_a_secret_or_issuer_is_refused(tmp_path: Path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("ingress:\n  tls: {enabled: true}\n")
    with pytest.raises(TaskoraConfigError) as raised:
        load({"TASKORA_VALUES": str(layer)}, secrets_file=NO_SECRETS_FILE)
    [problem] = raised.value.problems
    assert problem.field == "ingress.tls.secretName" and "cert-manager issuer" in problem.rule


def test_a_values_layer_switches_production_tls_off(tmp_path: Path):
    from tests.support.profiles import DIGESTS_LAYER, SECRETS as ENV_SECRETS
    layer = tmp_path / "layer.yaml"
    layer.write_text(DIGESTS_LAYER + "ingress:\n  tls: {enabled: false}\nacceptRisks: [no-tls]\n")  # the guard's
    from tests.support.profiles import INGRESS_NGINX_LAYER
    _, props = load({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{INGRESS_NGINX_LAYER}:{layer}", **ENV_SECRETS},
                    secrets_file=NO_SECRETS_FILE)
    assert props.ingress.tls is None and props_of(INGRESS_NGINX_PROFILE).ingress.tls is not None
