"""The Pod Security Standards' restricted level (baseline included), written field by field for what
a pod spec can carry, as the tests check the pods against it (the Pod Security and off-site backup
tests share it)."""

from __future__ import annotations

RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
VERSION = "v1.34"


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    """Every pod template's spec, by its workload."""
    found = {}
    for o in objects:
        spec = o.get("spec", {})
        template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template")
        if template is not None:
            found[f"{o['kind']}/{o['metadata']['name']}"] = template["spec"]
    return found


def restricted_violations(pod: dict) -> list[str]:
    """Why ``pod`` does not meet the restricted level (baseline included); empty if it does."""
    found = []
    pod_context = pod.get("securityContext", {})
    containers = [*pod.get("initContainers", []), *pod["containers"], *pod.get("ephemeralContainers", [])]
    # --- baseline ---
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(host):
            found.append(f"{host}: true")
    for sysctl in pod_context.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl['name']}")
    for context_of, context in [("pod", pod_context)] + [(c["name"], c.get("securityContext", {})) for c in containers]:
        if context.get("seLinuxOptions", {}).get("type") not in (None, "", "container_t", "container_init_t",
                                                                 "container_kvm_t", "container_engine_t"):
            found.append(f"{context_of}: seLinuxOptions.type")
        if {"user", "role"} & set(context.get("seLinuxOptions", {})):
            found.append(f"{context_of}: seLinuxOptions.user/role")
        if context.get("appArmorProfile", {}).get("type") == "Unconfined":
            found.append(f"{context_of}: appArmorProfile Unconfined")
        if context.get("seccompProfile", {}).get("type") not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{context_of}: seccompProfile {context['seccompProfile']['type']}")
        if context.get("runAsUser") == 0:
            found.append(f"{context_of}: runAsUser 0")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds - RESTRICTED_VOLUMES)}")
    for c in containers:
        context = c.get("securityContext", {})
        name = c["name"]
        if context.get("privileged"):
            found.append(f"{name}: privileged")
        if context.get("procMount", "Default") != "Default":
            found.append(f"{name}: procMount")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            found.append(f"{name}: hostPort")
        # --- restricted ---
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: capabilities.add beyond NET_BIND_SERVICE")
        if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot", False)):
            found.append(f"{name}: runAsNonRoot must be true (pod or container)")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost (pod or container)")
    return found
