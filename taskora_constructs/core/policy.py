"""Policy-scan exceptions: checkov findings a workload is allowed to leave unmet, with why.

The test suite runs checkov's Kubernetes checks over the synthesized output and requires
zero failed checks. A check that must stay unmet (an image loaded into the node as
``:latest``, an image's own low uid, ...) is suppressed on the object itself, with checkov's
skip annotation and a one-line reason::

    metadata:
      annotations:
        checkov.io/skip-ckv-k8s-40: CKV_K8S_40=runs as the image's own non-root user ...

The constructs take the exceptions as props (``policy_exceptions``) and write an annotation
only while the rendered workload really leaves the check unmet, as far as this module can
tell (:data:`EVALUATED`): pin the image by digest and the image exceptions disappear by
themselves. Exceptions for checks this module does not evaluate are always written.

This module is generic: it knows checkov's checks, not a workload. Each preset keeps its
documented exceptions beside itself and says, from its own props, which documented value
each one explains (:func:`image_in_use`, :func:`user_in_use`).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping


#: checkov recognises any annotation key containing ``checkov.io/skip``.
ANNOTATION_PREFIX = "checkov.io/skip-"

# checkov's Kubernetes checks this module evaluates (checkov's names).
IMAGE_TAG_FIXED = "CKV_K8S_14"          # Image Tag should be fixed - not latest or blank
IMAGE_PULL_ALWAYS = "CKV_K8S_15"        # Image Pull Policy should be Always
SECRETS_AS_FILES = "CKV_K8S_35"         # Prefer using secrets as files over secrets as environment variables
HIGH_UID = "CKV_K8S_40"                 # Containers should run as a high UID to avoid host conflict
IMAGE_DIGEST = "CKV_K8S_43"             # Image should use digest

#: checkov's threshold for CKV_K8S_40.
HIGH_UID_MIN = 10000


def annotation_key(check_id: str) -> str:
    """The annotation key of one exception: stable per check, so a diff names the check."""
    return ANNOTATION_PREFIX + check_id.lower().replace("_", "-")


def _containers(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for group in ("containers", "initContainers") for c in pod_spec.get(group, ())]


def _split_image(image: str) -> tuple[str, str | None]:
    """``(tag, digest)`` of an image reference; the tag is ``''`` when absent."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    last = image.rsplit("/", 1)[-1]
    return (last.rsplit(":", 1)[1] if ":" in last else ""), digest


def _latest_or_blank(container: Mapping[str, Any]) -> bool:
    tag, digest = _split_image(container.get("image", ""))
    return digest is None and tag in ("", "latest")


def _pulled_without_digest_or_always(container: Mapping[str, Any]) -> bool:
    _, digest = _split_image(container.get("image", ""))
    return digest is None and container.get("imagePullPolicy") != "Always"


def _no_digest(container: Mapping[str, Any]) -> bool:
    return _split_image(container.get("image", ""))[1] is None


def _secret_in_env(container: Mapping[str, Any]) -> bool:
    return (any("secretKeyRef" in (e.get("valueFrom") or {}) for e in container.get("env", ()))
            or any("secretRef" in e for e in container.get("envFrom", ())))


def _low_uid(pod_spec: Mapping[str, Any]) -> bool:
    if pod_spec.get("hostUsers") is False:  # a user namespace: container uids are not host uids
        return False
    pod_uid = (pod_spec.get("securityContext") or {}).get("runAsUser")
    for container in pod_spec.get("containers", ()):
        uid = (container.get("securityContext") or {}).get("runAsUser", pod_uid)
        if not isinstance(uid, int) or uid < HIGH_UID_MIN:
            return True
    return False


def _any_container(predicate: Callable[[Mapping[str, Any]], bool]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda pod_spec: any(predicate(c) for c in _containers(pod_spec))


#: The checks this module can evaluate on a pod spec: check id -> "is it unmet?".
EVALUATED: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    IMAGE_TAG_FIXED: _any_container(_latest_or_blank),
    IMAGE_PULL_ALWAYS: _any_container(_pulled_without_digest_or_always),
    SECRETS_AS_FILES: _any_container(_secret_in_env),
    HIGH_UID: _low_uid,
    IMAGE_DIGEST: _any_container(_no_digest),
}


def unmet(check_id: str, pod_spec: Mapping[str, Any]) -> bool:
    """Whether ``pod_spec`` leaves ``check_id`` unmet (``True`` for a check not evaluated here)."""
    predicate = EVALUATED.get(check_id)
    return True if predicate is None else predicate(pod_spec)


def image_repository(image: str) -> str:
    """``registry.example/shop/api`` of ``registry.example/shop/api:1.2@sha256:...`` (tag and digest dropped)."""
    image = image.split("@", 1)[0]
    head, _, last = image.rpartition("/")
    return (head + "/" if head else "") + last.split(":", 1)[0]


#: "Is the documented value an exception explains in use?", asked of one container of the
#: pod (``(container, pod_spec)``: a user may be the container's or the pod's).
InUse = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


def image_in_use(image: str, *, any_tag: bool = False) -> InUse:
    """In use while the container runs ``image``'s repository at ``image``'s tag (with
    ``any_tag``: at any tag, but not without one); a preset passes its props' default image."""
    repository, tag = image_repository(image), _split_image(image)[0]

    def in_use(container: Mapping[str, Any], pod_spec: Mapping[str, Any]) -> bool:
        running = container.get("image", "")
        running_tag = _split_image(running)[0]
        return image_repository(running) == repository and (running_tag != "" if any_tag else running_tag == tag)
    return in_use


def user_in_use(uid: int) -> InUse:
    """In use while the container runs as ``uid`` (its own ``runAsUser``, else the pod's); a
    preset passes its props' default user."""
    def in_use(container: Mapping[str, Any], pod_spec: Mapping[str, Any]) -> bool:
        return bool(_uid(pod_spec, container) == uid)
    return in_use


def _uid(pod_spec: Mapping[str, Any], container: Mapping[str, Any]) -> Any:
    return (container.get("securityContext") or {}).get(
        "runAsUser", (pod_spec.get("securityContext") or {}).get("runAsUser"))


def skip_annotations(exceptions: Mapping[str, str], pod_spec: Mapping[str, Any],
                     library_containers: frozenset[str] | None = None,
                     documented: Mapping[str, InUse] | None = None) -> dict[str, str]:
    """The skip annotations for ``exceptions`` that ``pod_spec`` needs, in check-id order.

    An exception is written only while the containers the library built
    (``library_containers``, default: all) leave the check unmet, and never while a
    caller's own container (a sidecar, an init container) leaves it unmet too: checkov skips
    per object, and a caller's finding must not be hidden behind the library's reason. An
    exception whose reason a preset documents (``documented``: reason -> :data:`InUse`, from
    the preset's own props) is written only while the documented value it explains is in
    use in every container the library built; another image or user, and the finding is the
    caller's to meet or to excuse with a reason of their own. Any other reason is the
    caller's own words, written while the check is unmet.
    """
    documented = documented or {}
    containers = _containers(pod_spec)
    ours = [c for c in containers if library_containers is None or c.get("name") in library_containers]
    theirs = [c for c in containers if c not in ours]
    ours_spec = {**pod_spec, "containers": ours, "initContainers": []}
    theirs_spec = {**pod_spec, "containers": theirs, "initContainers": []}
    written: dict[str, str] = {}
    for check_id, reason in sorted(exceptions.items()):
        in_use = documented.get(reason)
        if in_use is not None and not all(in_use(c, pod_spec) for c in ours):
            continue
        if unmet(check_id, ours_spec) and not (theirs and unmet(check_id, theirs_spec)):
            written[annotation_key(check_id)] = f"{check_id}={reason}"
    return written
