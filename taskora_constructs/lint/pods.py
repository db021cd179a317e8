"""Rules for objects and the pods they run: names and labels, requests and probes, the
references a pod makes (Secrets, ConfigMaps, volumes, ServiceAccounts), StatefulSet storage."""

from __future__ import annotations

from typing import Any, Mapping

from ..core import rules
from ..core.errors import Problem
from ..network.evaluate import selects
from typing import TYPE_CHECKING

from .model import (CLUSTER_SCOPED_KINDS, DNS_LABEL_NAMED_KINDS, LONG_RUNNING_KINDS, MIN_STORAGE, NAMESPACED_KINDS,
                    _QUANTITY_EXAMPLES, _dict, _labels, _list, _names, _Obj, _PodSpec, _str)

if TYPE_CHECKING:
    from .index import _Index


def _check_metadata(obj: _Obj, index: _Index) -> list[Problem]:
    where, metadata = obj.where, _dict(obj.manifest.get("metadata"))
    name = metadata.get("name")
    if obj.kind in DNS_LABEL_NAMED_KINDS:
        found = rules.check_dns_label(where, "metadata.name", name)
    else:
        found = rules.check_dns_subdomain(where, "metadata.name", name)
    found += rules.check_labels(where, "metadata.labels", metadata.get("labels"))
    namespace = metadata.get("namespace")
    allowed = index.app_namespaces
    if obj.kind in CLUSTER_SCOPED_KINDS:
        return found
    if namespace is None:
        if obj.kind in NAMESPACED_KINDS:
            found.append(Problem(
                where=where, field="metadata.namespace", value=None,
                rule=f"must be set: a {obj.kind} without a namespace lands in whatever namespace "
                     "kubectl's context points at",
                fix=f"set it to the app's namespace ({_names(allowed) or 'e.g. taskora'})"))
    elif namespace not in allowed:
        found.append(Problem(
            where=where, field="metadata.namespace", value=namespace,
            rule=f"must be the app's namespace ({_names(allowed)}): objects live in the app's "
                 "namespace unless declared cross-namespace",
            fix=f"move the object into {_names(allowed, ' or ')}, or declare the namespace with "
                f"TaskoraValidation.of(app).allow_namespace({namespace!r})"))
    return found


def _check_workload(obj: _Obj) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    if bool(obj.managed) and obj.kind != "DaemonSet" and "replicas" in spec:
        found += rules.check_replicas(where, "spec.replicas", spec["replicas"])
    template_labels = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
    found += rules.check_labels(where, "spec.template.metadata.labels", template_labels)
    match_labels = _dict(spec.get("selector")).get("matchLabels")
    label_problems = rules.check_labels(where, "spec.selector.matchLabels", match_labels)
    found += label_problems
    if not label_problems and not (_dict(match_labels) and selects(_dict(spec.get("selector")), template_labels)):
        found.append(Problem(
            where=where, field="spec.selector.matchLabels", value=match_labels,
            rule=f"must be non-empty and match the pod template's labels ({_labels(template_labels)})",
            fix="select on labels every pod of the template carries, e.g. its 'app' label"))
    return found


def _check_pod(pod: _PodSpec, index: _Index) -> list[Problem]:
    where, namespace = pod.owner.where, pod.owner.namespace
    # The model's requests-and-probes rule binds the Taskora workloads, not a caller's own.
    long_running = pod.owner.kind in LONG_RUNNING_KINDS and bool(pod.owner.managed)
    found: list[Problem] = []
    for path, container in pod.containers():
        cname = _str(container.get("name")) or "?"
        is_main = path.startswith(f"{pod.path}.containers[") and pod.owner.builds(cname)
        found += rules.check_dns_label(where, f"{path}.name", container.get("name"))
        found += rules.check_image(where, f"{path}.image", container.get("image"))
        if "imagePullPolicy" in container:
            found += rules.check_pull_policy(where, f"{path}.imagePullPolicy", container["imagePullPolicy"])
        for i, port in enumerate(_list(container.get("ports"))):
            port = _dict(port)
            found += rules.check_port(where, f"{path}.ports[{i}].containerPort", port.get("containerPort"))
            if "name" in port:
                found += rules.check_port_name(where, f"{path}.ports[{i}].name", port["name"])
        found += _check_resources(where, path, cname, container, required=long_running and is_main)
        for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = container.get(probe_name)
            if probe is None:
                if long_running and is_main and probe_name != "startupProbe":
                    kind = "liveness" if probe_name == "livenessProbe" else "readiness"
                    found.append(Problem(
                        where=where, field=f"{path}.{probe_name}", value=None,
                        rule=f"must be defined: every container of a {pod.owner.kind} needs a {kind} "
                             "probe (model, section 11)",
                        fix=f"add a {probe_name} (httpGet on a health path, or exec) to container {cname!r}"))
                continue
            found += _check_probe_port(where, f"{path}.{probe_name}", cname, _dict(probe), container)
        for i, env in enumerate(_list(container.get("env"))):
            value_from = _dict(_dict(env).get("valueFrom"))
            env_name = _str(_dict(env).get("name")) or "?"
            for ref_kind, ref_field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if ref_field in value_from:
                    found += _check_key_ref(where, f"{path}.env[{i}].valueFrom.{ref_field}", namespace,
                                            ref_kind, _dict(value_from[ref_field]), index,
                                            f"environment variable {env_name}")
        for i, source in enumerate(_list(container.get("envFrom"))):
            source = _dict(source)
            for ref_kind, ref_field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                if ref_field in source:
                    found += _check_object_ref(where, f"{path}.envFrom[{i}].{ref_field}.name", namespace,
                                               ref_kind, _dict(source[ref_field]), index)
    account = pod.spec.get("serviceAccountName")
    if account is not None and account != "default" \
            and (namespace, account) not in index.by_kind.get("ServiceAccount", {}) \
            and ("ServiceAccount", namespace, account) not in index.external_objects:
        known = sorted(n for ns, n in index.by_kind.get("ServiceAccount", {}) if ns == namespace)
        found.append(Problem(
            where=where, field=f"{pod.path}.serviceAccountName", value=account,
            rule=f"must name a ServiceAccount the app defines in namespace {namespace!r} (the pods would "
                 "never be created: 'serviceaccount not found')",
            fix=f"name one of the app's ServiceAccounts ({', '.join(known) or 'none'}), or declare one managed "
                "outside the app with TaskoraValidation.of(app).declare_external(kind='ServiceAccount', ...)"))
    for i, volume in enumerate(_list(pod.spec.get("volumes"))):
        volume, vpath = _dict(volume), f"{pod.path}.volumes[{i}]"
        found += _check_volume_source(where, vpath, namespace, volume, index)
        if "persistentVolumeClaim" in volume:
            claim = _dict(volume["persistentVolumeClaim"]).get("claimName")
            if (namespace, claim) not in index.by_kind.get("PersistentVolumeClaim", {}) \
                    and (namespace, claim) not in index.template_claims \
                    and ("PersistentVolumeClaim", namespace, claim) not in index.external_objects:
                known = sorted({n for ns, n in index.by_kind.get("PersistentVolumeClaim", {}) if ns == namespace}
                               | {n for ns, n in index.template_claims if ns == namespace})
                found.append(Problem(
                    where=where, field=f"{vpath}.persistentVolumeClaim.claimName", value=claim,
                    rule=f"must name a claim of the app in namespace {namespace!r}: a PersistentVolumeClaim, or "
                         "one a StatefulSet's volumeClaimTemplate creates (<template>-<statefulset>-<ordinal>); "
                         "the pod would stay Pending",
                    fix=f"name one of them ({', '.join(known) or 'none'}), or declare a claim made outside the "
                        "app with TaskoraValidation.of(app).declare_external(kind='PersistentVolumeClaim', ...)"))
        for j, source in enumerate(_list(_dict(volume.get("projected")).get("sources"))):
            found += _check_volume_source(where, f"{vpath}.projected.sources[{j}]", namespace, _dict(source), index)
    return found


def _check_resources(where: str, path: str, cname: str, container: Mapping[str, Any], *,
                     required: bool) -> list[Problem]:
    resources = _dict(container.get("resources"))
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    found: list[Problem] = []
    if required:
        missing = [r for r in ("cpu", "memory") if r not in requests]
        if missing:
            found.append(Problem(
                where=where, field=f"{path}.resources.requests", value=dict(requests) or None,
                rule=f"must be defined, with cpu and memory (missing: {', '.join(missing)}): the "
                     "scheduler places pods by their requests (model, section 11)",
                fix=f"set resources.requests of container {cname!r}, e.g. {{'cpu': '100m', 'memory': '128Mi'}}"))
    valid: dict[tuple[str, str], Any] = {}
    for group, values in (("requests", requests), ("limits", limits)):
        for resource, quantity in values.items():
            example = _QUANTITY_EXAMPLES.get(resource, "1")
            problems = rules.check_quantity(where, f"{path}.resources.{group}.{resource}", quantity, example=example,
                                            props=False)
            found += problems
            if not problems:
                valid[group, resource] = rules.parse_quantity(quantity)
    for resource, request in requests.items():
        if ("requests", resource) in valid and ("limits", resource) in valid \
                and valid["requests", resource] > valid["limits", resource]:
            found.append(Problem(
                where=where, field=f"{path}.resources.requests.{resource}", value=request,
                rule=f"must be <= resources.limits.{resource} ({limits[resource]}): the API server "
                     "refuses a request above its limit",
                fix=f"lower the request or raise the limit to at least {request}"))
    return found


def _container_ports(container: Mapping[str, Any]) -> tuple[set[int], set[str], str]:
    numbers: set[int] = set()
    names: set[str] = set()
    shown: list[str] = []
    for port in _list(container.get("ports")):
        port = _dict(port)
        number, name = port.get("containerPort"), port.get("name")
        if isinstance(number, int):
            numbers.add(number)
        if isinstance(name, str):
            names.add(name)
        shown.append(f"{number}/{name}" if name else f"{number}")
    return numbers, names, ", ".join(shown) or "none"


def _has_port(container: Mapping[str, Any], port: Any) -> bool:
    numbers, names, _ = _container_ports(container)
    return port in numbers if isinstance(port, int) and not isinstance(port, bool) else port in names


def _check_probe_port(where: str, path: str, cname: str, probe: Mapping[str, Any],
                      container: Mapping[str, Any]) -> list[Problem]:
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if handler in probe and "port" in _dict(probe[handler]):
            port = _dict(probe[handler])["port"]
            if not _has_port(container, port):
                _, _, shown = _container_ports(container)
                return [Problem(
                    where=where, field=f"{path}.{handler}.port", value=port,
                    rule=f"must be a port of container {cname!r}, by number or by name (it declares: {shown})",
                    fix="probe a declared containerPort, or declare the port on the container")]
    return []


def _check_object_ref(where: str, field: str, namespace: str | None, kind: str, ref: Mapping[str, Any],
                      index: _Index) -> list[Problem]:
    """An ``envFrom`` source or a volume: the object must exist (keys are not checked)."""
    if ref.get("optional") is True:
        return []
    name = ref.get("name") if "name" in ref else ref.get("secretName")
    if kind == "Secret" and ((namespace, name) in index.secrets or (namespace, name) in index.external_secrets):
        return []
    if kind == "ConfigMap" and (namespace, name) in index.config_maps:
        return []
    return [_dangling(where, field, name, kind, namespace, index)]


def _dangling(where: str, field: str, name: Any, kind: str, namespace: str | None, index: _Index) -> Problem:
    known = sorted(n for ns, n in (index.secrets if kind == "Secret" else index.config_maps) if ns == namespace)
    fix = f"name one of the app's {kind}s in {namespace!r} ({', '.join(known) or 'none'})"
    if kind == "Secret":
        fix += (", or declare a Secret managed outside the app with "
                "TaskoraValidation.of(app).declare_external_secret(name=..., namespace=..., keys=[...])")
    return Problem(where=where, field=field, value=name,
                   rule=f"must name a {kind} the app defines in namespace {namespace!r}"
                        + (" or one declared as managed outside the app" if kind == "Secret" else "")
                        + " (the pod would fail with CreateContainerConfigError)",
                   fix=fix)


def _check_key_ref(where: str, field: str, namespace: str | None, kind: str, ref: Mapping[str, Any],
                   index: _Index, user: str) -> list[Problem]:
    if ref.get("optional") is True:
        return []
    name, key = _str(ref.get("name")), ref.get("key")
    keys: set[str] | None
    if kind == "Secret":
        external = index.external_secrets.get((namespace or "", name))
        keys = index.secrets.get((namespace, name), set(external.keys) if external else None)
    else:
        keys = index.config_maps.get((namespace, name))
    if keys is None:
        return [_dangling(where, f"{field}.name", name, kind, namespace, index)]
    if key not in keys:
        return [Problem(where=where, field=f"{field}.key", value=key,
                        rule=f"must be a key of {kind} {name!r} (it holds: {', '.join(sorted(keys)) or 'none'}); "
                             f"{user} would fail with CreateContainerConfigError",
                        fix=f"reference one of its keys, or add {key!r} to the {kind}")]
    return []


def _check_volume_source(where: str, path: str, namespace: str | None, volume: Mapping[str, Any],
                         index: _Index) -> list[Problem]:
    found: list[Problem] = []
    for kind, source_field, name_field in (("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name")):
        if source_field not in volume:
            continue
        source = _dict(volume[source_field])
        if source.get("optional") is True:
            continue
        name = source.get(name_field)
        problems = _check_object_ref(where, f"{path}.{source_field}.{name_field}", namespace, kind,
                                     {"name": name}, index)
        found += problems
        if problems:
            continue
        for j, item in enumerate(_list(source.get("items"))):
            found += _check_key_ref(where, f"{path}.{source_field}.items[{j}]", namespace, kind,
                                    {"name": name, "key": _dict(item).get("key")}, index, "the volume")
    return found


def _check_storage(obj: _Obj, field: str, resources: Mapping[str, Any]) -> list[Problem]:
    storage = _dict(resources.get("requests")).get("storage")
    if storage is None:
        return [Problem(where=obj.where, field=field, value=None, rule="must be set",
                        fix=f"request at least {MIN_STORAGE}, e.g. '10Gi'")]
    return (rules.check_quantity(obj.where, field, storage, example="10Gi", props=False)
            or (rules.check_min_quantity(obj.where, field, storage, MIN_STORAGE) if bool(obj.managed) else []))


def _check_statefulset(obj: _Obj, index: _Index) -> list[Problem]:
    where, spec = obj.where, _dict(obj.manifest.get("spec"))
    found: list[Problem] = []
    service_name = spec.get("serviceName")
    service = index.services.get((obj.namespace, _str(service_name)))
    headless = [n for (ns, n), s in index.services.items()
                if ns == obj.namespace and _dict(s.manifest.get("spec")).get("clusterIP") == "None"]
    if service is None or _dict(service.manifest.get("spec")).get("clusterIP") != "None":
        found.append(Problem(
            where=where, field="spec.serviceName", value=service_name,
            rule=(f"must name a headless Service (clusterIP: None) in namespace {obj.namespace!r}: "
                  + (f"Service {service_name!r} is not headless" if service is not None
                     else "the app defines no Service of that name"))
                 + "; the pods' stable DNS names come from it",
            fix=(f"set spec.clusterIP: None on Service {service_name!r}" if service is not None
                 else f"add a headless Service named {service_name!r}")
                + (f", or name a headless Service of the app ({', '.join(headless)})" if headless else "")))
    for i, template in enumerate(_list(spec.get("volumeClaimTemplates"))):
        found += _check_storage(obj, f"spec.volumeClaimTemplates[{i}].spec.resources.requests.storage",
                                _dict(_dict(_dict(template).get("spec")).get("resources")))
    return found
