"""The library's ``HttpRoute`` props and rules (taskora_constructs/routing/httproute.py).

GIVEN a route's sequences as lists or tuples, or a cdk8s-plus Service as a backend, WHEN the
props or a rule are built THEN they are accepted as written, and a wrong item is named with a
fix that fits it. GIVEN another team's chart and services WHEN routed THEN the HTTPRoute takes
the chart's namespace and its name from the id, passes the vendored CRD's schema strictly and
the reference lint; props the Gateway would misroute, and a second route of one name, are refused.
"""

from __future__ import annotations

import dataclasses

import cdk8s
import pytest

from taskora_constructs import (GatewayParentRef, HttpRoute, HttpRouteProps, HttpRouteRule, WebWorkload,
                                check_manifests)
from taskora_constructs.core.errors import TaskoraConfigError
from tests.support.gateway_schema import schema_errors


def test_route_props_take_lists_as_well_as_tuples_and_keep_tuples():
    # GIVEN the route's sequences written as lists (as YAML or JSON gives them)
    props = HttpRouteProps(parent_refs=[GatewayParentRef(name="g")], rules=[HttpRouteRule(service_name="a", port=1)],
                           hostnames=["shop.example.com"])
    # THEN they are accepted, kept as tuples, and equal to the props written with tuples
    assert props == HttpRouteProps(parent_refs=(GatewayParentRef(name="g"),),
                                   rules=(HttpRouteRule(service_name="a", port=1),), hostnames=("shop.example.com",))
    assert isinstance(props.rules, tuple) and hash(props) == hash(dataclasses.replace(props))


def test_route_props_name_the_wrong_item_and_a_fix_that_fits_it():
    gateway = [GatewayParentRef(name="g")]
    # WHEN one item is not a rule THEN that item is named, not "give at least one"
    with pytest.raises(TaskoraConfigError) as raised:
        HttpRouteProps(parent_refs=gateway, rules=[HttpRouteRule(service_name="a", port=1), "web"])
    [problem] = raised.value.problems
    assert (problem.field, problem.value, problem.rule) == ("rules[1]", "str", "must be a HttpRouteRule")
    assert "HttpRouteRule.for_workload" in problem.fix
    # WHEN a single ref is given bare THEN the fix says to write a list
    with pytest.raises(TaskoraConfigError, match=r"parentRefs=.*must be a list or tuple of GatewayParentRef"):
        HttpRouteProps(parent_refs=GatewayParentRef(name="g"), rules=[HttpRouteRule(service_name="a", port=1)])
    # WHEN a hostname list is too long THEN the limit is the rule, and splitting the fix
    with pytest.raises(TaskoraConfigError, match=r"hostnames='17 items': must hold at most 16.*split"):
        HttpRouteProps(parent_refs=gateway, rules=[HttpRouteRule(service_name="a", port=1)],
                       hostnames=[f"h{i}.example.com" for i in range(17)])


def test_a_rule_routes_to_a_cdk8s_plus_service_by_its_name_and_port():
    import cdk8s_plus_28 as kplus

    # GIVEN a cdk8s-plus Service of another team's chart
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "shop", namespace="shop")
    service = kplus.Service(chart, "catalog", ports=[kplus.ServicePort(port=8080, target_port=80)])
    # WHEN a rule is built for it
    rule = HttpRouteRule.for_workload(service, path_prefix="/catalog")
    # THEN it sends to the Service's generated name and its port
    assert (rule.service_name, rule.port, rule.path_prefix) == (service.name, 8080, "/catalog")
    HttpRoute(chart, "route", parent_refs=[GatewayParentRef(name="g")], rules=[rule])
    [written] = [o for o in cdk8s.Testing.synth(chart) if o["kind"] == "HTTPRoute"]
    assert written["spec"]["rules"][0]["backendRefs"] == [{"name": service.name, "port": 8080}]
    # AND a Service without ports is one configuration error naming it, not a JavaScript TypeError
    portless = kplus.Service(chart, "portless")
    with pytest.raises(TaskoraConfigError, match=r"shop/portless: ports=\[\]: must hold a port"):
        HttpRouteRule.for_workload(portless)


# --- the construct, for another team's services ---------------------------------------------

def test_another_team_routes_its_own_services_through_a_gateway():
    # GIVEN a team's chart with a namespace and two workloads
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "shop", namespace="shop")
    web = WebWorkload(chart, "web", image="registry.example/shop/web:1.2.0", port=8080)
    api = WebWorkload(chart, "api", image="registry.example/shop/api:1.2.0", port=9000, service_port=80)
    # WHEN routed by an HttpRoute (props as keyword arguments)
    route = HttpRoute(chart, "shop-route", parent_refs=(GatewayParentRef(name="public", namespace="edge"),),
                      hostnames=("shop.example.com",),
                      rules=(HttpRouteRule.for_workload(api, path_prefix="/v1", rewrite_prefix="/"),
                             HttpRouteRule.for_workload(web)))
    objects = cdk8s.Testing.synth(chart)
    [written] = [o for o in objects if o["kind"] == "HTTPRoute"]
    # THEN it takes the chart's namespace and its name from the id, and routes to the Service ports
    assert written["metadata"] == {"name": "shop-route", "namespace": "shop", "labels": {"app": "shop-route"}}
    assert [r["backendRefs"] for r in written["spec"]["rules"]] == [[{"name": "api", "port": 80}],
                                                                    [{"name": "web", "port": 8080}]]
    assert written["spec"]["parentRefs"] == [{"name": "public", "namespace": "edge"}]
    assert schema_errors(written) == [] and check_manifests(objects) == []
    # AND it exposes its object as cdk8s constructs do
    assert route.api_object is route.route and cdk8s.ApiObject.of(route) is route.route
    assert (route.route_name, route.namespace, route.hostnames) == ("shop-route", "shop", ("shop.example.com",))



def test_a_route_without_hostnames_or_rewrite_is_minimal_and_valid():
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "c")
    HttpRoute(chart, "r", HttpRouteProps(parent_refs=(GatewayParentRef(name="g"),),
                                         rules=(HttpRouteRule(service_name="svc", port=80),)))
    [written] = cdk8s.Testing.synth(chart)
    assert written["spec"] == {"parentRefs": [{"name": "g"}],
                               "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                          "backendRefs": [{"name": "svc", "port": 80}]}]}
    assert "namespace" not in written["metadata"] and schema_errors(written) == []



def test_route_props_refuse_what_the_gateway_would_misroute():
    gateway = (GatewayParentRef(name="g"),)
    with pytest.raises(TaskoraConfigError) as raised:
        HttpRouteProps(parent_refs=(), rules=())
    assert [p.field for p in raised.value.problems] == ["parentRefs", "rules"]
    with pytest.raises(TaskoraConfigError, match=r"rules=\['/'\]: must route each path prefix once"):
        HttpRouteProps(parent_refs=gateway, rules=(HttpRouteRule(service_name="a", port=1),
                                                   HttpRouteRule(service_name="b", port=2)))
    with pytest.raises(TaskoraConfigError, match=r"hostnames\[0\]='Shop.Example.com'"):
        HttpRouteProps(parent_refs=gateway, rules=(HttpRouteRule(service_name="a", port=1),),
                       hostnames=("Shop.Example.com",))
    with pytest.raises(TaskoraConfigError) as raised:
        HttpRouteRule(service_name="a", port=0, path_prefix="/api(/|$)", rewrite_prefix="x")
    assert [p.field for p in raised.value.problems] == ["port", "pathPrefix", "rewritePrefix"]



def test_two_routes_of_one_name_and_namespace_are_refused():
    app = cdk8s.Testing.app()
    props = HttpRouteProps(parent_refs=(GatewayParentRef(name="g"),), rules=(HttpRouteRule(service_name="a", port=1),))
    HttpRoute(cdk8s.Chart(app, "a", namespace="x"), "route", props)
    with pytest.raises(TaskoraConfigError, match="HTTPRoute x/route is already created by a/route"):
        HttpRoute(cdk8s.Chart(app, "b", namespace="x"), "route", props)
