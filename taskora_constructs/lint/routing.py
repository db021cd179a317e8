"""Rules for what routes and guards traffic and capacity: Services, Ingresses, HTTPRoutes,
Secrets' required keys, NetworkPolicies, disruption budgets and autoscalers."""

from __future__ import annotations

import ipaddress
from typing import Any, Mapping, Sequence

from ..core import rules
from ..core.errors import Problem
from ..network.evaluate import selects
from typing import TYPE_CHECKING

from .model import LONG_RUNNING_KINDS, _dict, _labels, _list, _Obj, _pod_spec, _PodSpec, _str
from .pods import _container_ports, _has_port

if TYPE_CHECKING:
    from .index import _Index


def _check_service(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    ports = [_dict(p) for p in _list(spec.get("ports"))]
    for i, port in enumerate(ports):
        found += rules.check_port(where, f"spec.ports[{i}].port", port.get("port"))
        if "name" in port:
            found += rules.check_port_name(where, f"spec.ports[{i}].name", port["name"])
    selector = spec.get("selector")
    if spec.get("type") == "ExternalName" or not selector:
        return found  # no selector: endpoints are managed by hand, nothing to match
    label_problems = rules.check_labels(where, "spec.selector", selector)
    if label_problems:
        return found + label_problems
    selected = [pod for pod in index.pods
                if pod.owner.namespace == obj.namespace and selects({"matchLabels": _dict(selector)}, pod.labels)]
    if not selected:
        candidates = [f"{p.owner.label} ({_labels(p.labels)})" for p in index.pods
                      if p.owner.namespace == obj.namespace]
        found.append(Problem(
            where=where, field="spec.selector", value=dict(_dict(selector)),
            rule=f"must match the pod labels of a workload of the app in namespace {obj.namespace!r} "
                 f"(an orphaned Service routes nowhere; pods there: {'; '.join(candidates) or 'none'})",
            fix="select on labels the target pods carry, e.g. the workload's spec.selector.matchLabels"))
        return found
    for i, port in enumerate(ports):
        target = port.get("targetPort", port.get("port"))
        for pod in selected:
            containers = [c for _, c in pod.containers(init=False)]
            if not any(_has_port(c, target) for c in containers):
                shown = "; ".join(f"{_str(c.get('name')) or '?'}: {_container_ports(c)[2]}" for c in containers)
                found.append(Problem(
                    where=where, field=f"spec.ports[{i}].targetPort", value=target,
                    rule=f"must be a container port of the pods it selects, by number or by name "
                         f"({pod.owner.label} declares {shown})",
                    fix="target a declared containerPort, or declare the port on the container"))
    return found


def _check_service_backend(where: str, namespace: str | None, index: _Index, *, name_field: str, name: Any,
                           port_field: str, port: Any, by_name: bool) -> list[Problem]:
    """A route to a Service (Ingress backend, HTTPRoute backendRef): Service and port must exist."""
    service = index.services.get((namespace, name))
    if service is None:
        known = sorted(n for ns, n in index.services if ns == namespace)
        return [Problem(where=where, field=name_field, value=name,
                        rule=f"must name a Service the app defines in namespace {namespace!r}",
                        fix=f"route to one of the app's Services ({', '.join(known) or 'none'})")]
    ports = [_dict(p) for p in _list(_dict(service.manifest.get("spec")).get("ports"))]
    if any((p.get("name") if by_name else p.get("port")) == port for p in ports):
        return []
    shown = ", ".join(f"{p.get('port')}/{p['name']}" if "name" in p else f"{p.get('port')}" for p in ports)
    return [Problem(where=where, field=port_field, value=port,
                    rule=f"must be a port of Service {name!r}, by number or by name (it has: {shown or 'none'})",
                    fix="use one of the Service's ports")]


def _check_ingress(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    backends: list[tuple[str, Mapping[str, Any]]] = []
    if "defaultBackend" in spec:
        backends.append(("spec.defaultBackend", _dict(spec["defaultBackend"])))
    for i, rule in enumerate(_list(spec.get("rules"))):
        rule = _dict(rule)
        if "host" in rule:
            found += rules.check_host(where, f"spec.rules[{i}].host", rule["host"])
        for j, path in enumerate(_list(_dict(rule.get("http")).get("paths"))):
            backends.append((f"spec.rules[{i}].http.paths[{j}].backend", _dict(_dict(path).get("backend"))))
    for path, backend in backends:
        if "service" not in backend:
            continue  # a resource backend: not a Service
        service = _dict(backend["service"])
        port = _dict(service.get("port"))
        by_name = "name" in port
        found += _check_service_backend(
            where, obj.namespace, index, name_field=f"{path}.service.name", name=service.get("name"),
            port_field=f"{path}.service.port.{'name' if by_name else 'number'}",
            port=port.get("name") if by_name else port.get("number"), by_name=by_name)
    return found


def _check_http_route(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    for i, hostname in enumerate(_list(spec.get("hostnames"))):
        found += rules.check_host(where, f"spec.hostnames[{i}]", hostname)
    for i, rule in enumerate(_list(spec.get("rules"))):
        for j, ref in enumerate(_list(_dict(rule).get("backendRefs"))):
            ref = _dict(ref)
            if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "" \
                    or ref.get("namespace", obj.namespace) != obj.namespace:
                continue  # another kind, or explicitly cross-namespace (a ReferenceGrant's business)
            ref_path = f"spec.rules[{i}].backendRefs[{j}]"
            found += _check_service_backend(
                where, obj.namespace, index, name_field=f"{ref_path}.name", name=ref.get("name"),
                port_field=f"{ref_path}.port", port=ref.get("port"), by_name=False)
    return found


def _check_secret(obj: _Obj, index: _Index) -> list[Problem]:
    where = obj.where
    values = {**_dict(obj.manifest.get("data")), **_dict(obj.manifest.get("stringData"))}
    found: list[Problem] = []
    for required in index.declarations.required_secret_keys:
        if (required.namespace, required.name) != (obj.namespace, obj.name):
            continue
        missing = [key for key in required.keys if key not in values]
        if missing:
            found.append(Problem(
                where=where, field="stringData", value=sorted(values),
                rule=f"must hold every required key (missing: {', '.join(missing)})"
                     + (f"; required by {required.required_by}" if required.required_by else ""),
                fix=f"add {', '.join(missing)} to the Secret"))
        for key in required.keys:
            if key in values:
                source = "stringData" if key in _dict(obj.manifest.get("stringData")) else "data"
                found += rules.check_non_empty(where, f"{source}.{key}", values[key])
    return found


def _check_declarations(index: _Index) -> list[Problem]:
    where = index.declarations.where
    found: list[Problem] = []
    for key, external in index.external_secrets.items():
        if key in index.secrets:
            found.append(Problem(
                where=where, field="externalSecrets", value=f"{external.namespace}/{external.name}",
                rule="must not be a Secret the app defines too: applying the app would overwrite the "
                     "Secret managed outside it",
                fix="either declare the Secret external or define it in the app, not both"))
        for required in index.declarations.required_secret_keys:
            if (required.namespace, required.name) == key:
                missing = [k for k in required.keys if k not in external.keys]
                if missing:
                    found.append(Problem(
                        where=where, field=f"externalSecrets[{external.namespace}/{external.name}].keys",
                        value=list(external.keys),
                        rule=f"must include every required key (missing: {', '.join(missing)})",
                        fix=f"make sure the Secret holds {', '.join(missing)} and declare them"))
    return found


# --- NetworkPolicies, disruption budgets, autoscalers --------------------------------------

def _port_of_pods(port: Any, pods: Sequence[_PodSpec]) -> bool:
    """Whether every pod template in ``pods`` has a container with ``port`` (number or name)."""
    return all(any(_has_port(c, port) for _, c in pod.containers(init=False)) for pod in pods)


def _pods_ports(pods: Sequence[_PodSpec]) -> str:
    return "; ".join(f"{pod.owner.label}: " + ", ".join(_container_ports(c)[2] for _, c in pod.containers(init=False))
                     for pod in pods)


def _check_peer(where: str, path: str, peer: Mapping[str, Any], namespace: str | None,
                index: _Index) -> tuple[list[Problem], list[_PodSpec] | None]:
    """One ``from``/``to`` peer: its problems, and the app pods it stands for (``None``: not
    only pods of this namespace)."""
    found: list[Problem] = []
    if "ipBlock" in peer:
        block = _dict(peer["ipBlock"])
        found += rules.check_cidr(where, f"{path}.ipBlock.cidr", block.get("cidr"))
        for j, excepted in enumerate(_list(block.get("except"))):
            problems = rules.check_cidr(where, f"{path}.ipBlock.except[{j}]", excepted)
            found += problems
            if not problems and not found:
                outer, inner = ipaddress.ip_network(block["cidr"]), ipaddress.ip_network(excepted)
                if not _inside(inner, outer):
                    found.append(Problem(where=where, field=f"{path}.ipBlock.except[{j}]", value=excepted,
                                         rule=f"must lie inside the block's cidr ({block['cidr']})",
                                         fix="except only ranges inside the cidr"))
        return found, None
    if "namespaceSelector" in peer:
        namespace_selector = _dict(_dict(peer["namespaceSelector"]).get("matchLabels"))
        found += rules.check_labels(where, f"{path}.namespaceSelector.matchLabels", namespace_selector)
        found += rules.check_labels(where, f"{path}.podSelector.matchLabels",
                                    _dict(_dict(peer.get("podSelector")).get("matchLabels")))
        return found, None
    selector = _dict(_dict(peer.get("podSelector")).get("matchLabels"))
    label_problems = rules.check_labels(where, f"{path}.podSelector.matchLabels", selector)
    if label_problems or not selector:
        return label_problems, None if not selector else []
    pods = index.pods_selected(namespace, _dict(peer.get("podSelector")))
    if not pods:
        found.append(Problem(
            where=where, field=f"{path}.podSelector.matchLabels", value=dict(selector),
            rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a peer that "
                 f"selects nothing allows nothing; pods there: {index.pods_in(namespace)})",
            fix="select on a workload's selector labels"))
    return found, pods


def _check_network_policy(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    found: list[Problem] = []
    selector = _dict(_dict(spec.get("podSelector")).get("matchLabels"))
    found += rules.check_labels(where, "spec.podSelector.matchLabels", selector)
    targets: list[_PodSpec] | None = None
    if selector and not found:
        targets = index.pods_selected(namespace, _dict(spec.get("podSelector")))
        if not targets:
            found.append(Problem(
                where=where, field="spec.podSelector.matchLabels", value=dict(selector),
                rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a policy "
                     f"that selects nothing protects nothing; pods there: {index.pods_in(namespace)})",
                fix="select on the workload's selector labels"))
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_list(spec.get(direction))):
            rule = _dict(rule)
            peer_pods: list[_PodSpec] = []
            only_app_pods = bool(_list(rule.get(peers_field)))
            for j, peer in enumerate(_list(rule.get(peers_field))):
                problems, pods = _check_peer(where, f"spec.{direction}[{i}].{peers_field}[{j}]", _dict(peer),
                                             namespace, index)
                found += problems
                if pods is None:
                    only_app_pods = False
                else:
                    peer_pods += pods
            # The ports must be open on the pods the traffic goes to: the policy's own pods for
            # ingress, the peers for egress (when they are all pods of the app).
            receivers = targets if direction == "ingress" else (peer_pods if only_app_pods else None)
            for k, port in enumerate(_list(rule.get("ports"))):
                number = _dict(port).get("port")
                if number is None or not receivers or isinstance(number, int) and "endPort" in _dict(port):
                    continue
                if not _port_of_pods(number, receivers):
                    found.append(Problem(
                        where=where, field=f"spec.{direction}[{i}].ports[{k}].port", value=number,
                        rule=f"must be a container port of the pods the traffic goes to, by number or by name "
                             f"({_pods_ports(receivers)}); a policy for another port lets nothing through",
                        fix="use the workload's containerPort"))
    return found


def _workloads_selected(namespace: str | None, selector: Mapping[str, Any], index: _Index) -> list[_Obj]:
    return [pod.owner for pod in index.pods_selected(namespace, selector) if pod.owner.kind in LONG_RUNNING_KINDS]


def _check_disruption_budget(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    selector = _dict(_dict(spec.get("selector")).get("matchLabels"))
    found = rules.check_labels(where, "spec.selector.matchLabels", selector)
    if found:
        return found
    workloads = _workloads_selected(namespace, _dict(spec.get("selector")), index) if selector else []
    if not workloads:
        found.append(Problem(
            where=where, field="spec.selector.matchLabels", value=dict(selector),
            rule=f"must match the pod labels of a workload of the app in namespace {namespace!r} (a budget "
                 f"that selects nothing protects nothing; pods there: {index.pods_in(namespace)})",
            fix="select on the workload's selector labels"))
        return found
    if "minAvailable" in spec and "maxUnavailable" in spec:
        found.append(Problem(where=where, field="spec", value={k: spec[k] for k in ("minAvailable", "maxUnavailable")},
                             rule="must set minAvailable or maxUnavailable, not both (the API server refuses it)",
                             fix="keep one of them"))
    if spec.get("maxUnavailable") == 0:
        found.append(Problem(where=where, field="spec.maxUnavailable", value=0,
                             rule="must be >= 1: 0 blocks every voluntary eviction, so node drains hang",
                             fix="set maxUnavailable: 1"))
    minimum = spec.get("minAvailable")
    if isinstance(minimum, int) and not isinstance(minimum, bool):
        replicas = 0
        for workload in workloads:
            floor = index.autoscaled.get((namespace, workload.kind, workload.name))
            count = floor if floor is not None else _dict(workload.manifest.get("spec")).get("replicas", 1)
            replicas += count if isinstance(count, int) else 0
        if minimum >= replicas:
            found.append(Problem(
                where=where, field="spec.minAvailable", value=minimum,
                rule=f"must be below the selected pods' replica count ({replicas}): otherwise no pod may ever "
                     "be evicted and node drains hang",
                fix=f"set minAvailable to at most {replicas - 1}, or use maxUnavailable: 1"))
    return found


def _check_autoscaler(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec, namespace = obj.where, _dict(obj.manifest.get("spec")), obj.namespace
    found: list[Problem] = []
    target = _dict(spec.get("scaleTargetRef"))
    kind, name = target.get("kind"), target.get("name")
    workload = index.by_kind.get(_str(kind), {}).get((namespace, _str(name))) \
        if kind in ("Deployment", "StatefulSet", "ReplicaSet") else None
    if workload is None:
        known = sorted(f"{o.kind}/{o.name}" for k in ("Deployment", "StatefulSet")
                       for (ns, _), o in index.by_kind.get(k, {}).items() if ns == namespace)
        found.append(Problem(
            where=where, field="spec.scaleTargetRef", value=dict(target),
            rule=f"must name a Deployment or StatefulSet of the app in namespace {namespace!r} "
                 "(the autoscaler would scale nothing)",
            fix=f"target one of {', '.join(known) or 'none'}"))
    minimum, maximum = spec.get("minReplicas", 1), spec.get("maxReplicas")
    found += rules.check_replicas(where, "spec.minReplicas", minimum)
    found += rules.check_replicas(where, "spec.maxReplicas", maximum)
    if not found and maximum < minimum:
        found.append(Problem(where=where, field="spec.maxReplicas", value=maximum,
                             rule=f"must be >= spec.minReplicas ({minimum})", fix=f"raise it to at least {minimum}"))
    if workload is None:
        return found
    pod = _pod_spec(workload)
    for i, metric in enumerate(_list(spec.get("metrics"))):
        resource = _dict(_dict(metric).get("resource"))
        name = resource.get("name")
        if _dict(metric).get("type") != "Resource" or pod is None:
            continue
        for path, container in pod.containers(init=False):
            if name not in _dict(_dict(container.get("resources")).get("requests")):
                found.append(Problem(
                    where=where, field=f"spec.metrics[{i}].resource.name", value=name,
                    rule=f"needs a {name} request on every container of {workload.label} (utilization is a share "
                         f"of the request; container {_str(container.get('name'))!r} has none)",
                    fix=f"set resources.requests.{name} of the container"))
    return found


def _inside(inner: ipaddress.IPv4Network | ipaddress.IPv6Network,
            outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Whether ``inner`` lies inside ``outer`` (of the same IP version)."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False
