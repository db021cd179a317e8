"""The library's ``HttpRoute`` props and rules (taskora_constructs/routing/httproute.py).

GIVEN a route's sequences as lists or tuples, or a cdk8s-plus Service as a backend, WHEN the
props or a rule are built THEN they are accepted as written, and a wrong item is named with a
fix that fits it.
"""

from __future__ import annotations

import dataclasses

import cdk8s
import pytest

from taskora_constructs import GatewayParentRef, HttpRoute, HttpRouteProps, HttpRouteRule
from taskora_constructs.core.errors import TaskoraConfigError


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
