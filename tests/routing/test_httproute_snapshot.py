"""GIVEN another team's two services routed through a Gateway WHEN synthesized THEN the HTTPRoute is
the reviewed snapshot (__snapshots__/test_httproute_snapshot.ambr): hosts, prefixes, the rewrite
and the backends, read in review as the Gateway reads them."""

from __future__ import annotations

import cdk8s

from taskora_constructs import GatewayParentRef, HttpRoute, HttpRouteRule, WebWorkload
from tests.support.synth import rendered_yaml


def test_a_route_to_two_services_matches_the_snapshot(snapshot):
    # GIVEN a team's web and API WHEN routed by host, the API's prefix rewritten away
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    web = WebWorkload(chart, "web", image="registry.example/shop/web:1.2.0", port=8080)
    api = WebWorkload(chart, "api", image="registry.example/shop/api:1.2.0", port=9000, service_port=80)
    HttpRoute(chart, "shop-route", parent_refs=(GatewayParentRef(name="public", namespace="edge"),),
              hostnames=("shop.example.com",),
              rules=(HttpRouteRule.for_workload(api, path_prefix="/v1", rewrite_prefix="/"),
                     HttpRouteRule.for_workload(web)))
    [route] = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "HTTPRoute"]
    # THEN one route, the API's rule first (the longer prefix), each to its Service port
    assert [r["backendRefs"] for r in route["spec"]["rules"]] == [[{"name": "api", "port": 80}],
                                                                  [{"name": "web", "port": 8080}]]
    assert rendered_yaml([route]) == snapshot
