"""The Namespace every Taskora object lives in (model section 1), its Pod Security Admission
labels, and the deletion protection that keeps ``kubectl delete -f dist/`` from taking the
database with it (issue 11, docs/decisions.md)."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from ..core.frozen import frozen_props
from .._generated import k8s_types as k8s
from ..core import tree
from ..core.manifest import emit, object_metadata
from ..core.errors import Problem
import cdk8s

from ..core.pod_security import declare_level
from ..core.resource import MAIN_ID, TaskoraResource
from ..core.scope import chart_namespace
from .names import DEFAULT_NAMES

#: Written as the ``app.kubernetes.io/managed-by`` label. The model says ``helm``, which is
#: no longer true: these manifests come from cdk8s (deviation D1).
MANAGED_BY = "cdk8s"

#: The Namespace label that switches the deletion protection on (value :data:`PROTECTION_ON`).
#: Remove it (``kubectl label namespace <ns> taskora.io/deletion-protection-``) to tear down.
PROTECTION_LABEL = "taskora.io/deletion-protection"
PROTECTION_ON = "enabled"

#: The oldest Kubernetes the app supports: the oldest release its objects are tested on against a
#: real API server (make cluster-test CLUSTER_MODULE=cluster/k8s-1.34; README, "Minimum
#: Kubernetes version"). What the objects need is older (the deletion protection's
#: ValidatingAdmissionPolicy is GA from 1.30), but no test runs on 1.30-1.33.
MIN_KUBERNETES_VERSION = "1.34"

#: Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
#: The version of the Pod Security Standards the labels pin: the minimum supported Kubernetes.
POD_SECURITY_VERSION = f"v{MIN_KUBERNETES_VERSION}"

#: The cluster-wide deletion protection (:func:`deletion_protection_policy`): one
#: ValidatingAdmissionPolicy and binding for every namespace labelled :data:`PROTECTION_LABEL`.
#: They are not in dist/ (``kubectl delete -f dist/`` would delete them before what they protect):
#: ``make protection`` writes them to build/protection/ for a cluster admin to apply once.
PROTECTION_POLICY = "taskora-deletion-protection"
#: The users whose PersistentVolumeClaim deletes the protection lets through: the CloudNativePG
#: operator's service account in its release manifest (cnpg-system/cnpg-manager), which deletes
#: the claims of a replica it scales away (``instances`` lowered) or, with ``reusePVC: false``,
#: of an instance in node maintenance. Never the garbage collector or a user.
OPERATOR_USERS = ("system:serviceaccount:cnpg-system:cnpg-manager",)
#: The CEL that allows a DELETE the policy matches: only the operator's own claim deletes.
CEL_ALLOWED = "request.resource.resource == 'persistentvolumeclaims' && request.userInfo.username in {users}"


def deletion_protection_policy(operator_users: tuple[str, ...] = OPERATOR_USERS) -> list[dict]:
    """The ValidatingAdmissionPolicy and binding that refuse, in every namespace labelled
    ``taskora.io/deletion-protection=enabled``, the DELETE of the Namespace itself, of its
    PersistentVolumeClaims (except by ``operator_users``) and of its CloudNativePG Clusters
    (whose claims the garbage collector would delete next). Cluster-scoped and shared by every
    Taskora instance: applied once per cluster, outside dist/ (``make protection``).
    tests/cluster/test_cluster_deletion.py proves it on a real API server."""
    labels = {"app.kubernetes.io/name": "taskora", "app.kubernetes.io/managed-by": MANAGED_BY}
    users = "[" + ", ".join(f"'{user}'" for user in operator_users) + "]"
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": PROTECTION_POLICY, "labels": labels},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                # For a Namespace's own DELETE the selector reads the Namespace's labels.
                "namespaceSelector": {"matchLabels": {PROTECTION_LABEL: PROTECTION_ON}},
                "resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["DELETE"],
                     "resources": ["namespaces", "persistentvolumeclaims"]},
                    {"apiGroups": ["postgresql.cnpg.io"], "apiVersions": ["*"], "operations": ["DELETE"],
                     "resources": ["clusters"]},
                ]},
            "validations": [{
                "expression": CEL_ALLOWED.format(users=users),
                "reason": "Forbidden",
                "messageExpression": (
                    "'deletion protection: ' + request.resource.resource + ' ' + request.name + ' in namespace '"
                    " + (request.resource.resource == 'namespaces' ? request.name : request.namespace)"
                    f" + ' cannot be deleted while the namespace is labelled {PROTECTION_LABEL}={PROTECTION_ON}"
                    " (they hold the database). To tear down on purpose: kubectl label namespace '"
                    " + (request.resource.resource == 'namespaces' ? request.name : request.namespace)"
                    f" + ' {PROTECTION_LABEL}- (see the README, Teardown)'"),
            }],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": PROTECTION_POLICY, "labels": labels},
        "spec": {"policyName": PROTECTION_POLICY, "validationActions": ["Deny"]},
    }
    return [policy, binding]


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


@frozen_props
class TaskoraNamespaceProps:
    """What a :class:`TaskoraNamespace` enforces; every default is the app's.

    Attributes:
        app_name: its ``app.kubernetes.io/name`` label (default ``taskora``).
        deletion_protection: carry the deletion protection label (default true).
        pod_security: the Pod Security Standards level it enforces (default ``restricted``;
            ``None``: no Pod Security labels).
    """

    app_name: str = DEFAULT_NAMES.app
    deletion_protection: bool = True
    pod_security: str | None = "restricted"


class TaskoraNamespace(TaskoraResource):
    """A Namespace labelled ``app.kubernetes.io/name=<app>``, with Pod Security Admission
    labels and, by default, deletion protection.

    **Pod Security** (``pod_security``, default ``restricted``): the Namespace enforces that
    Pod Security Standards level (audit and warn are always ``restricted``), pinned to
    :data:`POD_SECURITY_VERSION`. Every pod the library builds meets ``restricted``
    (tested); a caller who adds a container that does not sets ``baseline``. ``None``: no
    Pod Security labels.

    **Deletion protection** (``deletion_protection``, default on): the
    Namespace carries the label ``taskora.io/deletion-protection=enabled``; the cluster-wide
    ValidatingAdmissionPolicy of :func:`deletion_protection_policy` (applied once per cluster
    from ``make protection``, never from dist/: ``kubectl delete -f dist/`` would delete it
    first) then refuses every DELETE of that Namespace, of its claims and of its CloudNativePG
    Clusters while the label is there. Deleting the namespace would delete every claim in it,
    the database's data among them. Deliberate teardown: remove the label first (README, Teardown).

    ``TaskoraNamespace(scope, id, props)`` or the fields of :class:`TaskoraNamespaceProps` as
    keywords; the Namespace's name is the id's unless ``name`` is given.

    Attributes:
        name / namespace_name: the Namespace's name, for every namespaced object of the instance.
        namespace: always ``None`` (a Namespace is cluster-scoped), as for every construct.
        namespace_object: the Namespace's ``cdk8s.ApiObject`` (also ``api_object``).
    """

    CLUSTER_SCOPED = True

    def __init__(self, scope: Construct, construct_id: str, props: TaskoraNamespaceProps | None = None, *,
                 name: str | None = None, **props_fields: Any) -> None:
        super().__init__(scope, construct_id, name=name)
        props = self._props(TaskoraNamespaceProps, props, props_fields)
        name, app_name = self.name, props.app_name
        deletion_protection, pod_security = props.deletion_protection, props.pod_security
        self._check(namespace_option_problems(tree.path_of(self), deletion_protection, pod_security))
        self._claim([("Namespace", name)])
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
        self.namespace_object = emit(self, MAIN_ID, namespace)
        # The workloads in it check their pods against the level it enforces (core/pod_security).
        declare_level(self, name, pod_security)
        self._expose(self.namespace_object)
        if chart_namespace(self) is not None:
            # cdk8s stamps the enclosing Chart's namespace on every object; a Namespace has none.
            self.namespace_object.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
        #: Kept for compatibility, always ``None``: the policy is cluster-wide and outside dist/
        #: (:func:`deletion_protection_policy`, ``make protection``).
        self.deletion_policy: cdk8s.ApiObject | None = None
        self.deletion_policy_binding: cdk8s.ApiObject | None = None
