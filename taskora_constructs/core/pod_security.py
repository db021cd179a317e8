"""The Pod Security Standards (v1.34) as named rules a workload runs on the pod it builds.

The Namespace's ``pod-security.kubernetes.io/enforce`` label makes the API server refuse a
pod that breaks its level, but only when the controller creates the pod: the Deployment or
StatefulSet applies, and then no pod ever starts. A construct of this library checks the
pod it builds, its own containers and a caller's sidecars, init containers and volumes,
against the level of its namespace (:func:`level_for`), and refuses at synth naming the
control (https://kubernetes.io/docs/concepts/security/pod-security-standards/).

Each control is one :class:`~taskora_constructs.core.api_rules.Rule` (id ``PSS-...``); its
compliant and non-compliant cases are in tests/core/test_api_rules.py (beside the API server's rules).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Mapping

from constructs import Construct

from . import tree
from .api_rules import Rule
from .errors import Problem

LEVELS = ("privileged", "baseline", "restricted")
_BY = "Pod Security admission ({level})"

_RULE_DOCS = {
    "PSS-HOST-PROCESS": ("baseline", "no Windows HostProcess containers"),
    "PSS-HOST-NAMESPACES": ("baseline", "no hostNetwork, hostPID or hostIPC"),
    "PSS-PRIVILEGED": ("baseline", "no privileged containers"),
    "PSS-CAPABILITIES-BASELINE": ("baseline", "capabilities added only from the default set"),
    "PSS-HOST-PATH": ("baseline", "no hostPath volumes"),
    "PSS-HOST-PORTS": ("baseline", "no hostPort"),
    "PSS-APPARMOR": ("baseline", "AppArmor not Unconfined"),
    "PSS-SELINUX": ("baseline", "SELinux type only container_t and its peers; no user or role"),
    "PSS-PROC-MOUNT": ("baseline", "procMount Default"),
    "PSS-SECCOMP-BASELINE": ("baseline", "seccomp not Unconfined"),
    "PSS-SYSCTLS": ("baseline", "only the safe sysctls"),
    "PSS-VOLUME-TYPES": ("restricted", "volumes only configMap, csi, downwardAPI, emptyDir, ephemeral, "
                                       "persistentVolumeClaim, projected, secret"),
    "PSS-PRIVILEGE-ESCALATION": ("restricted", "allowPrivilegeEscalation false in every container"),
    "PSS-RUN-AS-NON-ROOT": ("restricted", "runAsNonRoot true (pod, or every container)"),
    "PSS-RUN-AS-USER": ("restricted", "runAsUser never 0"),
    "PSS-SECCOMP": ("restricted", "seccomp RuntimeDefault or Localhost (pod, or every container)"),
    "PSS-CAPABILITIES": ("restricted", "capabilities drop ALL; add at most NET_BIND_SERVICE"),
}
#: Every control by id.
RULES: dict[str, Rule] = {rule_id: Rule(rule_id, doc, _BY.format(level=level))
                          for rule_id, (level, doc) in _RULE_DOCS.items()}
#: The level each control belongs to.
LEVEL_OF = {rule_id: level for rule_id, (level, _) in _RULE_DOCS.items()}

_BASELINE_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                                    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
_RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                 "persistentVolumeClaim", "projected", "secret"})
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_SAFE_SYSCTLS = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                           "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                           "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                           "net.ipv4.tcp_keepalive_probes"})

_FIX = {
    "PSS-HOST-PROCESS": "drop windowsOptions.hostProcess",
    "PSS-HOST-NAMESPACES": "drop it: the pod must not share the node's namespaces",
    "PSS-PRIVILEGED": "drop securityContext.privileged (or set it false)",
    "PSS-CAPABILITIES-BASELINE": "add only capabilities of the default set, or none",
    "PSS-HOST-PATH": "use an emptyDir, a configMap/secret or a persistentVolumeClaim instead",
    "PSS-HOST-PORTS": "drop hostPort: reach the container through its Service",
    "PSS-APPARMOR": "use RuntimeDefault or a Localhost profile",
    "PSS-SELINUX": "drop seLinuxOptions, or use type container_t",
    "PSS-PROC-MOUNT": "drop procMount (Default)",
    "PSS-SECCOMP-BASELINE": "use seccompProfile type RuntimeDefault",
    "PSS-SYSCTLS": "set only the safe sysctls",
    "PSS-VOLUME-TYPES": "use an emptyDir, configMap, secret, projected or persistentVolumeClaim volume",
    "PSS-PRIVILEGE-ESCALATION": "set securityContext.allowPrivilegeEscalation: false",
    "PSS-RUN-AS-NON-ROOT": "set securityContext.runAsNonRoot: true (or drop runAsNonRoot: false)",
    "PSS-RUN-AS-USER": "run as a non-zero uid",
    "PSS-SECCOMP": "set seccompProfile type RuntimeDefault",
    "PSS-CAPABILITIES": "set securityContext.capabilities.drop: [ALL] (add at most NET_BIND_SERVICE)",
}


def _applies(rule_id: str, level: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(LEVEL_OF[rule_id])


def check_pod(where: str, level: str | None, spec: Mapping[str, Any],
              rename: Callable[[str], str] = lambda path: path) -> list[Problem]:
    """The controls of ``level`` the pod ``spec`` breaks; ``rename`` maps a pod-spec path
    (``containers[1].securityContext``) to the caller's field (``sidecars[0].securityContext``)."""
    if level is None or level == "privileged":
        return []
    found: list[Problem] = []

    def fail(rule_id: str, path: str, value: Any, detail: str) -> None:
        if _applies(rule_id, level):
            found.append(RULES[rule_id].problem(where, rename(path), value, f"{detail}: the namespace enforces "
                                                f"Pod Security level {level!r}, which refuses the pod",
                                                _FIX[rule_id]))

    pod_sc: Mapping[str, Any] = spec.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            fail("PSS-HOST-NAMESPACES", key, spec[key], f"{key} shares the node's namespace")
    if (pod_sc.get("windowsOptions") or {}).get("hostProcess"):
        fail("PSS-HOST-PROCESS", "securityContext.windowsOptions.hostProcess", True, "a HostProcess pod")
    for i, sysctl in enumerate(pod_sc.get("sysctls") or []):
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            fail("PSS-SYSCTLS", f"securityContext.sysctls[{i}].name", sysctl.get("name"), "an unsafe sysctl")
    _context_rules(fail, "securityContext", pod_sc)
    if pod_sc.get("runAsUser") == 0:
        fail("PSS-RUN-AS-USER", "securityContext.runAsUser", 0, "the pod runs as root (uid 0)")
    for i, volume in enumerate(spec.get("volumes") or []):
        kind = next((k for k in volume if k != "name"), None)
        if kind == "hostPath":
            fail("PSS-HOST-PATH", f"volumes[{i}].hostPath", volume["hostPath"].get("path"), "a hostPath volume")
        elif kind not in _RESTRICTED_VOLUMES:
            fail("PSS-VOLUME-TYPES", f"volumes[{i}]", kind, f"a {kind} volume")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for i, container in enumerate(spec.get(group) or []):
            path = f"{group}[{i}]"
            sc: Mapping[str, Any] = container.get("securityContext") or {}
            _context_rules(fail, f"{path}.securityContext", sc)
            if sc.get("privileged"):
                fail("PSS-PRIVILEGED", f"{path}.securityContext.privileged", True, "a privileged container")
            if (sc.get("windowsOptions") or {}).get("hostProcess"):
                fail("PSS-HOST-PROCESS", f"{path}.securityContext.windowsOptions.hostProcess", True,
                     "a HostProcess container")
            if sc.get("procMount") not in (None, "Default"):
                fail("PSS-PROC-MOUNT", f"{path}.securityContext.procMount", sc["procMount"], "a non-default procMount")
            for j, port in enumerate(container.get("ports") or []):
                if port.get("hostPort"):
                    fail("PSS-HOST-PORTS", f"{path}.ports[{j}].hostPort", port["hostPort"], "a host port")
            added = list((sc.get("capabilities") or {}).get("add") or [])
            dropped = list((sc.get("capabilities") or {}).get("drop") or [])
            beyond = [c for c in added if c not in _BASELINE_CAPABILITIES]
            if beyond:
                fail("PSS-CAPABILITIES-BASELINE", f"{path}.securityContext.capabilities.add", beyond,
                     "capabilities beyond the default set")
            elif [c for c in added if c != "NET_BIND_SERVICE"] or "ALL" not in dropped:
                fail("PSS-CAPABILITIES", f"{path}.securityContext.capabilities", sc.get("capabilities"),
                     "capabilities not dropped to none (drop ALL, add at most NET_BIND_SERVICE)")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail("PSS-PRIVILEGE-ESCALATION", f"{path}.securityContext.allowPrivilegeEscalation",
                     sc.get("allowPrivilegeEscalation"), "privilege escalation not turned off")
            if sc.get("runAsNonRoot") is False or (not pod_non_root and sc.get("runAsNonRoot") is not True):
                fail("PSS-RUN-AS-NON-ROOT", f"{path}.securityContext.runAsNonRoot", sc.get("runAsNonRoot"),
                     "may run as root")
            if sc.get("runAsUser") == 0:
                fail("PSS-RUN-AS-USER", f"{path}.securityContext.runAsUser", 0, "runs as root (uid 0)")
            seccomp = (sc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost") and not (seccomp is None and pod_seccomp):
                if seccomp != "Unconfined":  # Unconfined is the baseline control's
                    fail("PSS-SECCOMP", f"{path}.securityContext.seccompProfile", seccomp,
                         "no seccomp profile (RuntimeDefault or Localhost) for the container or the pod")
    return found


def _context_rules(fail: Callable[[str, str, Any, str], None], path: str, sc: Mapping[str, Any]) -> None:
    """The controls a pod's and a container's securityContext share."""
    seccomp = (sc.get("seccompProfile") or {}).get("type")
    if seccomp == "Unconfined":
        fail("PSS-SECCOMP-BASELINE", f"{path}.seccompProfile.type", seccomp, "seccomp Unconfined")
    if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        fail("PSS-APPARMOR", f"{path}.appArmorProfile.type", "Unconfined", "AppArmor Unconfined")
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type", "") not in _SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
        fail("PSS-SELINUX", f"{path}.seLinuxOptions", dict(selinux), "a custom SELinux type, user or role")


# --- the level of a namespace --------------------------------------------------------------

#: The level each namespace of an app enforces, as the library's Namespace constructs declare
#: it (keyed by the app's root construct, so two apps never mix).
_DECLARED: "weakref.WeakKeyDictionary[Any, dict[str, str | None]]" = weakref.WeakKeyDictionary()
#: The context key that names the enforced level for namespaces this library did not create.
CONTEXT_KEY = "taskora:podSecurityLevel"


def declare_level(scope: Construct, namespace: str, level: str | None) -> None:
    """Record that ``namespace`` (created by a construct under ``scope``'s root) enforces ``level``."""
    _DECLARED.setdefault(tree.root_of(scope), {})[namespace] = level


def level_for(scope: Construct, namespace: str | None) -> str | None:
    """The level the pods of ``scope`` in ``namespace`` must meet: the one its Namespace construct
    declared, else the app's context ``taskora:podSecurityLevel``, else ``restricted`` (the
    strictest, which the library's own pods meet); ``None``: not checked."""
    declared = _DECLARED.get(tree.root_of(scope), {})
    if namespace is not None and namespace in declared:
        return declared[namespace]
    context = scope.node.try_get_context(CONTEXT_KEY)
    return context if context in LEVELS else "restricted"
