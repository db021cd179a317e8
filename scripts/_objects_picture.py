"""The first picture of docs/deployment.md: the objects and the references between them.

Its own module because reading what each kind of object refers to (env, volumes, selectors,
routes, claims, scale targets, the operators' objects) is the bulk of ``scripts/diagram.py``'s
knowledge of Kubernetes; the page (diagram.py) only lays out what this returns.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from _netgraph import WORKLOAD_KINDS, describe_selector, pod_template  # scripts/ is sys.path[0], as for diagram.py
from _picture import Picture, group_of, node_id
from taskora_constructs.network.evaluate import selects

Json = dict[str, Any]
#: Drawn in the second picture, not the first.
NETWORK_KINDS = ("NetworkPolicy",)


def namespace_of(o: Json) -> str:
    return o["metadata"].get("namespace", "")


def autoscaled(objects: list[Json]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(namespace, kind, name) of each workload an autoscaler scales -> its (min, max) replicas."""
    return {(namespace_of(o), o["spec"]["scaleTargetRef"].get("kind", ""), o["spec"]["scaleTargetRef"].get("name", "")):
            (o["spec"].get("minReplicas", 1), o["spec"].get("maxReplicas", 1))
            for o in objects if o["kind"] == "HorizontalPodAutoscaler" and o.get("spec", {}).get("scaleTargetRef")}


def _replicas(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]]) -> str:
    """What runs: the autoscaler's range where one scales the workload (it owns the count then)."""
    scale = scaled.get((namespace_of(o), o["kind"], o["metadata"]["name"]))
    if scale is not None:
        return f"{scale[0]}-{scale[1]} replicas (autoscaled)"
    return f"{o.get('spec', {}).get('replicas', 1)} replica(s)"


def object_summary(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]] | None = None) -> str:
    """The facts of ``o`` a reader needs, one per line; images in full (a digest included)."""
    kind, spec = o["kind"], o.get("spec", {})
    if kind in ("Deployment", "StatefulSet"):
        images = [c["image"] for c in pod_template(o).get("spec", {}).get("containers", [])]
        return "\n".join([_replicas(o, scaled or {}), *images])
    if kind == "Cluster":  # CloudNativePG: the operator runs the instances and their Services
        name = o["metadata"]["name"]
        return "\n".join([f"{spec.get('instances', 1)} PostgreSQL instance(s), {spec.get('storage', {}).get('size', '?')}",
                          spec.get("imageName", ""),
                          f"the operator's Services {name}-rw, {name}-ro, {name}-r"])
    if kind == "Pooler":
        return (f"{spec.get('instances', 1)} PgBouncer instance(s), {spec.get('type', 'rw')}, "
                f"pool mode {spec.get('pgbouncer', {}).get('poolMode', 'session')}")
    if kind == "ScheduledBackup":
        return f"schedule {spec.get('schedule')}, {spec.get('method', 'barmanObjectStore')}"
    if kind == "ObjectStore":  # the Barman Cloud plugin's
        return (f"{spec.get('configuration', {}).get('destinationPath', '?')}, "
                f"retention {spec.get('retentionPolicy', 'none')}")
    if kind == "ExternalSecret":
        store = spec.get("secretStoreRef", {})
        return f"from {store.get('kind', 'SecretStore')} {store.get('name', '?')}, every {spec.get('refreshInterval', '1h')}"
    if kind == "CronJob":
        return f"schedule {spec.get('schedule')}"
    if kind == "Service":
        ports = ", ".join(f"{p['port']}" + (f"→{p['targetPort']}" if p.get("targetPort", p["port"]) != p["port"] else "")
                          for p in spec.get("ports", []))
        return ("headless, " if spec.get("clusterIP") == "None" else "") + f"port {ports}"
    if kind in ("ConfigMap", "Secret"):
        keys = len({*(o.get("data") or {}), *(o.get("stringData") or {})})
        return f"{keys} key(s)"
    if kind == "Ingress":
        return f"class {spec.get('ingressClassName', 'default')}"
    if kind == "PodDisruptionBudget":
        return " ".join(f"{k} {spec[k]}" for k in ("minAvailable", "maxUnavailable") if k in spec)
    if kind == "HorizontalPodAutoscaler":
        return f"{spec.get('minReplicas', 1)}-{spec.get('maxReplicas')} replicas"
    if kind == "NetworkPolicy":
        types = spec.get("policyTypes") or ["Ingress"]
        return f"{describe_selector(spec.get('podSelector'))}: {' and '.join(types)} allow-list"
    return ""


def _label(o: Json, scaled: dict[tuple[str, str, str], tuple[int, int]] | None = None) -> str:
    summary = object_summary(o, scaled)
    return f"{o['kind']} {o['metadata']['name']}" + (f"\n{summary}" if summary else "")


def _pod_references(spec: Json) -> list[tuple[str, str, str]]:
    """(kind, name, how) of every ConfigMap, Secret and claim a pod spec reads."""
    found = []
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for env in container.get("env", []):
            source = env.get("valueFrom", {})
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if key in source:
                    found.append((kind, source[key]["name"], "env"))
        for env_from in container.get("envFrom", []):
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if key in env_from:
                    found.append((kind, env_from[key]["name"], "envFrom"))
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            found.append(("Secret", volume["secret"]["secretName"], "volume"))
        if "configMap" in volume:
            found.append(("ConfigMap", volume["configMap"]["name"], "volume"))
        if "persistentVolumeClaim" in volume:
            found.append(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"], "volume"))
        for source in volume.get("projected", {}).get("sources", []):
            for key, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
                if key in source:
                    found.append((kind, source[key]["name"], "volume"))
    return found


def objects_picture(objects: list[Json]) -> Picture:
    picture = Picture()
    by_name = {(o["kind"], namespace_of(o), o["metadata"]["name"]): o for o in objects}
    claims: dict[tuple[str, str], str] = {}  # (namespace, claim name) -> node of its template
    scaled = autoscaled(objects)

    def ref(kind: str, namespace: str, name: str) -> str:
        if (kind, namespace, name) in by_name or (kind == "PersistentVolumeClaim" and (namespace, name) in claims):
            return claims.get((namespace, name)) or node_id(kind, name, namespace)
        return picture.node(group_of(namespace), node_id(kind, name, namespace),
                            f"{kind} {name}\n(not in these files)", outside=True)

    for o in objects:
        if o["kind"] in NETWORK_KINDS or o["kind"] == "Namespace":
            continue
        namespace = namespace_of(o)
        picture.node(group_of(namespace), node_id(o["kind"], o["metadata"]["name"], namespace), _label(o, scaled))
        if o["kind"] == "StatefulSet":
            replicas = o.get("spec", {}).get("replicas", 1)
            for template in o["spec"].get("volumeClaimTemplates", []):
                template_name = template["metadata"]["name"]
                names = [f"{template_name}-{o['metadata']['name']}-{i}" for i in range(replicas)]
                storage = template.get("spec", {}).get("resources", {}).get("requests", {}).get("storage", "")
                ident = picture.node(group_of(namespace), node_id("pvc", names[0], namespace),
                                     f"PersistentVolumeClaim {', '.join(names)}\n{storage}, from volumeClaimTemplate")
                claims.update({(namespace, n): ident for n in names})
        if o["kind"] == "Cluster":  # CloudNativePG writes the app's credentials itself
            secret = f"{o['metadata']['name']}-app"
            picture.node(group_of(namespace), node_id("Secret", secret, namespace),
                         f"Secret {secret}\n(written by the CloudNativePG operator)", outside=True)
    for o in objects:
        kind, name, namespace, spec = o["kind"], o["metadata"]["name"], namespace_of(o), o.get("spec", {})
        me = node_id(kind, name, namespace)
        if kind in WORKLOAD_KINDS:
            pod = pod_template(o).get("spec", {})
            hows: dict[str, list[str]] = defaultdict(list)
            for target_kind, target, how in _pod_references(pod):
                target_id = ref(target_kind, namespace, target)
                if how not in hows[target_id]:
                    hows[target_id].append(how)
            for target_id, how_list in hows.items():
                picture.edge(me, target_id, ", ".join(how_list))
            if pod.get("serviceAccountName"):
                picture.edge(me, ref("ServiceAccount", namespace, pod["serviceAccountName"]), "runs as")
            if kind == "StatefulSet":
                for template in spec.get("volumeClaimTemplates", []):
                    claim = f"{template['metadata']['name']}-{name}-0"
                    picture.edge(me, claims[(namespace, claim)], f"claims ({template['metadata']['name']})")
        elif kind == "Service" and spec.get("selector"):
            ports = ", ".join(str(p.get("targetPort", p["port"])) for p in spec.get("ports", []))
            for w in objects:
                if w["kind"] in WORKLOAD_KINDS and namespace_of(w) == namespace and w["kind"] != "CronJob" \
                        and selects({"matchLabels": spec["selector"]}, pod_template(w).get("metadata", {}).get("labels") or {}):
                    picture.edge(me, node_id(w["kind"], w["metadata"]["name"], namespace), f"selects, to port {ports}")
        elif kind == "Ingress":
            for host, path, service, port in _ingress_routes(o):
                picture.edge(me, ref("Service", namespace, service), f"{host}{path} → {port}")
        elif kind == "HTTPRoute":
            for host, path, service, port in _http_routes(o):
                picture.edge(me, ref("Service", namespace, service), f"{host}{path} → {port}")
        elif kind in ("PodDisruptionBudget",):
            for w in objects:
                if w["kind"] in ("Deployment", "StatefulSet") and namespace_of(w) == namespace \
                        and _selects(spec.get("selector"), pod_template(w)):
                    picture.edge(me, node_id(w["kind"], w["metadata"]["name"], namespace), "guards", dashed=True)
        elif kind == "HorizontalPodAutoscaler":
            target = spec.get("scaleTargetRef", {})
            picture.edge(me, ref(target.get("kind", "?"), namespace, target.get("name", "?")), "scales", dashed=True)
        elif kind == "Cluster":
            picture.edge(me, node_id("Secret", f"{name}-app", namespace), "writes (uri, username, password)")
            for plugin in spec.get("plugins", []):
                store = plugin.get("parameters", {}).get("barmanObjectName")
                if store:
                    picture.edge(me, ref("ObjectStore", namespace, store), "archives WAL and backups (plugin)")
        elif kind == "ObjectStore":
            credentials = spec.get("configuration", {}).get("s3Credentials", {})
            for secret in sorted({ref_["name"] for ref_ in credentials.values() if isinstance(ref_, dict) and "name" in ref_}):
                picture.edge(me, ref("Secret", namespace, secret), "backup credentials")
        elif kind == "ExternalSecret":
            picture.edge(me, ref("Secret", namespace, spec.get("target", {}).get("name", name)), "writes", dashed=True)
        elif kind in ("ScheduledBackup", "Pooler"):
            cluster = spec.get("cluster", {}).get("name", "?")
            picture.edge(me, ref("Cluster", namespace, cluster),
                         "backs up" if kind == "ScheduledBackup" else f"pools connections to ({spec.get('type', 'rw')})",
                         dashed=kind == "ScheduledBackup")
    return picture


def _selects(selector: Json | None, template: Json) -> bool:
    return selects(selector, template.get("metadata", {}).get("labels") or {})


def _ingress_routes(o: Json) -> list[tuple[str, str, str, str]]:
    routes = []
    default = o.get("spec", {}).get("defaultBackend", {}).get("service")
    if default:
        routes.append(("*", " (default)", default["name"], _port(default.get("port", {}))))
    for rule in o.get("spec", {}).get("rules", []):
        for path in rule.get("http", {}).get("paths", []):
            service = path.get("backend", {}).get("service")
            if service:
                routes.append((rule.get("host", "*"), path.get("path", "/"), service["name"], _port(service.get("port", {}))))
    return routes


def _http_routes(o: Json) -> list[tuple[str, str, str, str]]:
    routes = []
    hosts = ", ".join(o.get("spec", {}).get("hostnames", [])) or "*"
    for rule in o.get("spec", {}).get("rules", []):
        paths = ", ".join(m.get("path", {}).get("value", "/") for m in rule.get("matches", [])) or "/"
        for backend in rule.get("backendRefs", []):
            if backend.get("kind", "Service") == "Service":
                routes.append((hosts, paths, backend["name"], str(backend.get("port", ""))))
    return routes


def _port(port: Json) -> str:
    return str(port.get("number", port.get("name", "")))

