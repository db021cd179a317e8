"""The Namespace every Taskora object lives in (model section 1), its Pod Security Admission
labels, and the deletion protection that keeps ``kubectl delete -f dist/`` from taking the
database with it (issue 11, docs/decisions.md)."""

from __future__ import annotations

from constructs import Construct

from ..core import rules
from .._generated import k8s_types as k8s
from ..core.manifest import emit, object_metadata
from ..core.errors import Problem, raise_if_any
import cdk8s

from ..core.pod_security import declare_level
from ..core.scope import chart_namespace, claim
from .names import DEFAULT_NAMES

#: Written as the ``app.kubernetes.io/managed-by`` label. The model says ``helm``, which is
#: no longer true: these manifests come from cdk8s (deviation D1).
MANAGED_BY = "cdk8s"

#: The Namespace label that switches the deletion protection on (value :data:`PROTECTION_ON`).
#: Remove it (``kubectl label namespace <ns> taskora.io/deletion-protection-``) to tear down.
PROTECTION_LABEL = "taskora.io/deletion-protection"
PROTECTION_ON = "enabled"

#: The oldest Kubernetes the deletion protection works on: ValidatingAdmissionPolicy
#: (admissionregistration.k8s.io/v1) is GA, served and enabled by default from 1.30.
MIN_KUBERNETES_VERSION = "1.30"

#: Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
#: The version of the Pod Security Standards the labels pin: the minimum supported Kubernetes.
POD_SECURITY_VERSION = f"v{MIN_KUBERNETES_VERSION}"

#: The CEL of the deletion protection. ``oldObject`` is the object being deleted (a DELETE has
#: no ``object``); for a claim the protected namespace is its own (``namespaceObject``).
#: tests/test_teardown.py evaluates exactly these expressions in Python.
CEL_NAMESPACE = "request.resource.resource == 'namespaces' ? oldObject : namespaceObject"
CEL_PROTECTED = ("variables.namespace.metadata.name == '{namespace}' && has(variables.namespace.metadata.labels) "
                 f"&& '{PROTECTION_LABEL}' in variables.namespace.metadata.labels "
                 f"&& variables.namespace.metadata.labels['{PROTECTION_LABEL}'] == '{PROTECTION_ON}'")
CEL_ALLOWED = "!variables.protected"


def namespace_option_problems(where: str, deletion_protection: object, pod_security: object) -> list[Problem]:
    """The rules of the Namespace's options (here, and for ``TaskoraProps`` when it is built)."""
    problems = []
    if not isinstance(deletion_protection, bool):
        problems.append(Problem(where=where, field="deletionProtection", value=deletion_protection,
                                rule="must be a boolean", fix="write true or false"))
    if pod_security is not None and pod_security not in POD_SECURITY_LEVELS:
        problems.append(Problem(where=where, field="podSecurity", value=pod_security,
                                rule=f"must be one of {', '.join(POD_SECURITY_LEVELS)} (or None)",
                                fix="use 'restricted' unless a container needs more (then 'baseline')"))
    return problems


def pod_security_labels(level: str, version: str = POD_SECURITY_VERSION) -> dict[str, str]:
    """The Pod Security Admission labels: enforce ``level``; audit and warn ``restricted``
    (so a ``baseline`` namespace still reports what keeps it from ``restricted``); every
    mode pinned to ``version``."""
    labels: dict[str, str] = {}
    for mode, mode_level in (("enforce", level), ("audit", "restricted"), ("warn", "restricted")):
        labels[f"pod-security.kubernetes.io/{mode}"] = mode_level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


class TaskoraNamespace(Construct):
    """A Namespace labelled ``app.kubernetes.io/name=<app>``, with Pod Security Admission
    labels and, by default, deletion protection.

    **Pod Security** (``pod_security``, default ``restricted``): the Namespace enforces that
    Pod Security Standards level (audit and warn are always ``restricted``), pinned to
    :data:`POD_SECURITY_VERSION`. Every pod the library builds meets ``restricted``
    (tested); a caller who adds a container that does not sets ``baseline``. ``None``: no
    Pod Security labels.

    **Deletion protection** (``deletion_protection``, default on; Kubernetes 1.30+): the
    Namespace carries the label ``taskora.io/deletion-protection=enabled``, and a
    ValidatingAdmissionPolicy ``<namespace>-deletion-protection`` with its binding refuses
    every DELETE of that Namespace and of the PersistentVolumeClaims in it while the label
    is there. Deleting the namespace would delete every claim in it, the database's data
    among them; ``kubectl delete -f dist/`` would do exactly that. The policy and binding
    come after the Namespace (file order is delete order): the Namespace's delete is refused
    before they go. Deliberate teardown: remove the label first (README, Teardown).

    Attributes:
        namespace_name: the Namespace's name, for every namespaced object of the instance.
        namespace: the Namespace's ``cdk8s.ApiObject`` (also ``api_object``).
        deletion_policy / deletion_policy_binding: the ValidatingAdmissionPolicy and its
            binding (``None`` without deletion protection).
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str = DEFAULT_NAMES.namespace,
                 app_name: str = DEFAULT_NAMES.app, deletion_protection: bool = True,
                 pod_security: str | None = "restricted") -> None:
        super().__init__(scope, construct_id)
        where = self.node.path
        problems = rules.check_dns_label(where, "namespace", name)
        problems += namespace_option_problems(where, deletion_protection, pod_security)
        raise_if_any(problems)
        policy_name = f"{name}-deletion-protection"
        owned: list[tuple[str, str | None, str]] = [("Namespace", None, name)]
        if deletion_protection:
            owned += [("ValidatingAdmissionPolicy", None, policy_name),
                      ("ValidatingAdmissionPolicyBinding", None, policy_name)]
        claim(self, owned)
        self.namespace_name = name
        #: The label keys and values that switch the deletion protection on (empty when off).
        self.protection_labels = {PROTECTION_LABEL: PROTECTION_ON} if deletion_protection else {}
        labels = {
            "app.kubernetes.io/name": app_name,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            **self.protection_labels,
            **(pod_security_labels(pod_security) if pod_security is not None else {}),
        }
        namespace: k8s.Namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            # No metadata.namespace: a Namespace is cluster-scoped.
            "metadata": object_metadata(name=name, namespace=None, labels=labels),
        }
        self.namespace = emit(self, "namespace", namespace)
        # The workloads in it check their pods against the level it enforces (core/pod_security).
        declare_level(self, name, pod_security)
        self.api_object = self.namespace
        self.node.default_child = self.namespace  # cdk8s.ApiObject.of(construct) finds it
        if chart_namespace(self) is not None:
            # cdk8s stamps the enclosing Chart's namespace on every object; a Namespace has none.
            self.namespace.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
        self.deletion_policy: cdk8s.ApiObject | None = None
        self.deletion_policy_binding: cdk8s.ApiObject | None = None
        if deletion_protection:
            self._deletion_protection(policy_name, app_name)

    def _deletion_protection(self, policy_name: str, app_name: str) -> None:
        name = self.namespace_name
        labels = {"app.kubernetes.io/name": app_name, "app.kubernetes.io/managed-by": MANAGED_BY}
        policy: k8s.ValidatingAdmissionPolicy = {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": object_metadata(name=policy_name, namespace=None, labels=labels),
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["DELETE"],
                     "resources": ["namespaces"], "resourceNames": [name]},
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["DELETE"],
                     "resources": ["persistentvolumeclaims"]},
                ]},
                "variables": [
                    {"name": "namespace", "expression": CEL_NAMESPACE},
                    {"name": "protected", "expression": CEL_PROTECTED.format(namespace=name)},
                ],
                "validations": [{
                    "expression": CEL_ALLOWED,
                    "reason": "Forbidden",
                    "message": (f"deletion protection: namespace {name} and its PersistentVolumeClaims (the "
                                f"database's data) cannot be deleted while the namespace is labelled "
                                f"{PROTECTION_LABEL}={PROTECTION_ON}. To tear down on purpose: kubectl label "
                                f"namespace {name} {PROTECTION_LABEL}- (see the README, Teardown)"),
                }],
            },
        }
        binding: k8s.ValidatingAdmissionPolicyBinding = {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": object_metadata(name=policy_name, namespace=None, labels=labels),
            "spec": {"policyName": policy_name, "validationActions": ["Deny"]},
        }
        self.deletion_policy = emit(self, "deletion-policy", policy)
        self.deletion_policy_binding = emit(self, "deletion-policy-binding", binding)
        if chart_namespace(self) is not None:  # cluster-scoped, like the Namespace
            for api_object in (self.deletion_policy, self.deletion_policy_binding):
                api_object.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
