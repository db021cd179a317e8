"""GIVEN the Taskora ingress over HTTPS from cert-manager WHEN synthesized THEN the two Ingresses are
the reviewed snapshot (__snapshots__/test_ingress_snapshot.ambr): hosts, paths, the API's rewrite
(deviation D2), TLS, the redirect and the issuer, read in review as ingress-nginx reads them."""

from __future__ import annotations

import cdk8s

from taskora_constructs import IngressTLS, TaskoraIngress, WebWorkload
from tests.support.synth import rendered_yaml


def test_two_ingresses_over_https_match_the_snapshot(snapshot):
    # GIVEN a chart with a frontend and a backend WHEN the ingress serves them over HTTPS
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    frontend = WebWorkload(chart, "web", image="registry.example/web:1.0.0", port=3000)
    backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    TaskoraIngress(chart, "ing", frontend=frontend, backend=backend, host="shop.example.com",
                   tls=IngressTLS(cluster_issuer="letsencrypt"))
    ingresses = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "Ingress"]
    # THEN the frontend's and the API's Ingress, both over the one certificate Secret
    assert [i["metadata"]["name"] for i in ingresses] == ["ing", "ing-api"]
    assert len({i["spec"]["tls"][0]["secretName"] for i in ingresses}) == 1
    assert rendered_yaml(ingresses) == snapshot
