"""TaskoraIngress and its props (taskora_constructs/taskora/ingress.py): GIVEN a chart with a
frontend and a backend WHEN the ingress is created THEN two Ingresses route the host (the API's
prefix stripped, deviation D2), or one HTTPRoute with gateway routing; TLS adds the Secret,
redirect and issuer; wrong props name the field, rule and fix."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import (GatewayParentRef, GatewayRouting, IngressTLS, TaskoraConfigError, TaskoraIngress,
                                TaskoraIngressProps, WebWorkload)

NGINX = "nginx.ingress.kubernetes.io"


def build(**kwargs) -> tuple[TaskoraIngress, dict[str, dict]]:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    frontend = WebWorkload(chart, "web", image="registry.example/web:1.0.0", port=3000)
    backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    ingress = TaskoraIngress(chart, "ing", frontend=frontend, backend=backend, **kwargs)
    routes = {o["metadata"]["name"]: o for o in cdk8s.Testing.synth(chart) if o["kind"] in ("Ingress", "HTTPRoute")}
    return ingress, routes


def problems_of(build_props) -> dict[str, object]:
    with pytest.raises(TaskoraConfigError) as raised:
        build_props()
    return {p.field: p for p in raised.value.problems}


def backend_of(ingress: dict) -> tuple[str, str, str, int]:
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    service = path["backend"]["service"]
    return rule["host"], path["path"], service["name"], service["port"]["number"]


def test_the_default_sends_the_api_prefix_to_the_backend_and_the_rest_to_the_frontend():
    ingress, routes = build()
    # THEN two Ingresses: the frontend's unchanged, the API's with the prefix rewritten away
    assert sorted(routes) == ["ing", "ing-api"] == sorted([ingress.ingress_name, ingress.api_ingress_name])
    assert backend_of(routes["ing"]) == ("taskora.local", "/", "web", 3000)
    assert backend_of(routes["ing-api"]) == ("taskora.local", "/api(/|$)(.*)", "api", 8000)
    assert routes["ing"]["spec"]["rules"][0]["http"]["paths"][0]["pathType"] == "Prefix"
    assert routes["ing"]["spec"]["ingressClassName"] == "nginx"
    # AND only the API's Ingress rewrites (the model's single one broke every page: D2)
    assert f"{NGINX}/rewrite-target" not in routes["ing"]["metadata"]["annotations"]
    assert routes["ing-api"]["metadata"]["annotations"][f"{NGINX}/rewrite-target"] == "/$2"
    for route in routes.values():
        annotations = route["metadata"]["annotations"]
        assert (annotations[f"{NGINX}/proxy-body-size"], annotations[f"{NGINX}/proxy-read-timeout"]) == ("10m", "60")
        assert "tls" not in route["spec"]
    assert (ingress.public_url, ingress.public_api_url) == ("http://taskora.local", "http://taskora.local/api")
    assert ingress.route is None and ingress.tls_secret_name is None and ingress.acme_solver_labels is None


def test_the_props_reach_both_ingresses():
    ingress, routes = build(props=TaskoraIngressProps(host="shop.example.com", class_name="internal",
                                                      api_path_prefix="/v1/api", proxy_body_size="2m",
                                                      proxy_read_timeout_seconds=300), app_name="shop")
    assert backend_of(routes["ing-api"])[:2] == ("shop.example.com", "/v1/api(/|$)(.*)")
    for route in routes.values():
        assert route["spec"]["ingressClassName"] == "internal"
        assert route["metadata"]["labels"] == {"app": "shop"}
        assert route["metadata"]["annotations"][f"{NGINX}/proxy-body-size"] == "2m"
        assert route["metadata"]["annotations"][f"{NGINX}/proxy-read-timeout"] == "300"
    assert ingress.public_api_url == "http://shop.example.com/v1/api"


def test_tls_with_an_existing_secret_serves_https_and_redirects():
    ingress, routes = build(tls=IngressTLS(secret_name="shop-cert"))
    for route in routes.values():
        assert route["spec"]["tls"] == [{"hosts": ["taskora.local"], "secretName": "shop-cert"}]
        assert route["metadata"]["annotations"][f"{NGINX}/ssl-redirect"] == "true"
    assert ingress.public_url == "https://taskora.local" and ingress.tls_secret_name == "shop-cert"
    assert ingress.acme_solver_labels is None


def test_a_cluster_issuer_is_annotated_on_the_frontend_ingress_only():
    ingress, routes = build(tls=IngressTLS(cluster_issuer="letsencrypt", redirect_http=False))
    # THEN one Certificate: the issuer on <name>, the default Secret <name>-tls on both
    assert routes["ing"]["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert not [key for key in routes["ing-api"]["metadata"]["annotations"] if key.startswith("cert-manager.io")]
    assert {r["spec"]["tls"][0]["secretName"] for r in routes.values()} == {"ing-tls"}
    assert routes["ing"]["metadata"]["annotations"][f"{NGINX}/ssl-redirect"] == "false"
    # AND the HTTP-01 solver pods are named for the NetworkPolicies
    assert ingress.acme_solver_labels == {"acme.cert-manager.io/http01-solver": "true"}
    assert TaskoraIngress.ACME_SOLVER_PORT == 8089


def test_a_namespaced_issuer_uses_its_own_annotation():
    _, routes = build(tls=IngressTLS(issuer="local-ca", secret_name="cert"))
    annotations = routes["ing"]["metadata"]["annotations"]
    assert annotations["cert-manager.io/issuer"] == "local-ca" and "cert-manager.io/cluster-issuer" not in annotations


def test_gateway_routing_makes_one_httproute_and_no_ingress():
    gateway = GatewayRouting(parent_refs=(GatewayParentRef(name="public", namespace="gateways"),))
    ingress, routes = build(routing="gateway", gateway=gateway)
    assert list(routes) == ["ing"] and routes["ing"]["kind"] == "HTTPRoute"
    assert ingress.ingress is None and ingress.api_ingress is None and ingress.route is not None
    spec = routes["ing"]["spec"]
    assert spec["hostnames"] == ["taskora.local"]
    assert spec["parentRefs"][0]["name"] == "public" and spec["parentRefs"][0]["namespace"] == "gateways"
    # AND the API's rule strips the prefix, the frontend's takes the rest
    api_rule, web_rule = spec["rules"]
    assert api_rule["matches"][0]["path"] == {"type": "PathPrefix", "value": "/api"}
    assert api_rule["filters"][0]["urlRewrite"]["path"] == {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}
    assert (api_rule["backendRefs"][0]["name"], web_rule["backendRefs"][0]["name"]) == ("api", "web")
    # AND the Gateway's proxies are admitted from its namespace; the URL scheme is the listeners'
    assert ingress.gateway_namespaces == ("gateways",) and ingress.public_url == "https://taskora.local"


def test_gateway_namespaces_prefer_the_proxy_namespaces():
    refs = (GatewayParentRef(name="a", namespace="gw"), GatewayParentRef(name="b"), GatewayParentRef(name="c"))
    assert GatewayRouting(parent_refs=refs).namespaces("shop") == ("gw", "shop")
    assert GatewayRouting(parent_refs=refs, proxy_namespaces=("envoy-gateway-system",)).namespaces("shop") == (
        "envoy-gateway-system",)


def test_wrong_ingress_props_are_all_reported():
    problems = problems_of(lambda: TaskoraIngressProps(host="Not A Host", api_path_prefix="api/",
                                                       proxy_body_size="10 MB", proxy_read_timeout_seconds=0,
                                                       routing="mesh"))
    assert sorted(problems) == ["apiPathPrefix", "host", "proxyBodySize", "proxyReadTimeoutSeconds", "routing"]
    assert {p.where for p in problems.values()} == {"TaskoraIngressProps"}
    assert problems["apiPathPrefix"].fix == "write it like '/api'"
    assert problems["proxyBodySize"].rule == "must be an nginx size (digits with an optional k, m or g)"
    assert (problems["routing"].value, problems["routing"].rule) == ("mesh", "must be one of ingress, gateway")


def test_tls_hosts_must_be_the_routes_host():
    problems = problems_of(lambda: TaskoraIngressProps(host="shop.example.com", tls=IngressTLS(
        secret_name="cert", hosts=("shop.example.com", "other.example.com"))))
    assert list(problems) == ["tls.hosts[1]"]
    assert problems["tls.hosts[1]"].value == "other.example.com"
    assert "shop.example.com" in problems["tls.hosts[1]"].rule


def test_gateway_routing_needs_a_gateway_and_no_route_tls():
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraIngressProps(routing="gateway", tls=IngressTLS(secret_name="cert"))
    rules = [p.rule for p in raised.value.problems]
    assert [p.field for p in raised.value.problems] == ["routing", "routing"]
    assert rules[0] == "needs at least one Gateway in gateway.parentRefs"
    assert rules[1].startswith("needs tls off") and "certificateRefs" in rules[1]


def test_tls_needs_a_certificate_source_and_one_issuer():
    problems = problems_of(lambda: IngressTLS())
    assert list(problems) == ["secretName"] and "cert-manager" in problems["secretName"].fix
    problems = problems_of(lambda: IngressTLS(cluster_issuer="a", issuer="b", redirect_http="yes"))
    assert sorted(problems) == ["issuer", "redirectHttp"]
    assert problems["issuer"].rule.startswith("must not be set together with clusterIssuer")


def test_wrong_gateway_routing_is_reported():
    problems = problems_of(lambda: GatewayRouting(parent_refs=("public",), proxy_namespaces=("Bad_NS",), https=1))
    assert sorted(problems) == ["https", "parentRefs", "proxyNamespaces[0]"]
    assert problems["proxyNamespaces[0]"].value == "Bad_NS"
