"""Policy-scan exceptions: checkov findings a workload is allowed to leave unmet, with why.

The test suite runs checkov's Kubernetes checks over the synthesized output and requires
zero failed checks. A check that must stay unmet (the model's ``:latest`` images loaded
into minikube, the images' documented uid 1001, ...) is suppressed on the object itself,
with checkov's skip annotation and a one-line reason::

    metadata:
      annotations:
        checkov.io/skip-ckv-k8s-40: CKV_K8S_40=runs as the image's own non-root user ...

The constructs take the exceptions as props (``policy_exceptions``) and write an annotation
only while the rendered workload really leaves the check unmet, as far as this module can
tell (:data:`EVALUATED`): pin the image by digest and the image exceptions disappear by
themselves. Exceptions for checks this module does not evaluate are always written.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping


#: checkov recognises any annotation key containing ``checkov.io/skip``.
ANNOTATION_PREFIX = "checkov.io/skip-"

# The checks behind the documented model's exceptions (checkov's names).
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


def skip_annotations(exceptions: Mapping[str, str], pod_spec: Mapping[str, Any],
                     library_containers: frozenset[str] | None = None,
                     documented_images: Iterable[str] = ()) -> dict[str, str]:
    """The skip annotations for ``exceptions`` that ``pod_spec`` needs, in check-id order.

    An exception is written only while the containers the library built
    (``library_containers``, default: all) leave the check unmet, and never while a
    caller's own container (a sidecar, an init container) leaves it unmet too: checkov skips
    per object, and a caller's finding must not be hidden behind the library's reason. One of
    the documented model's exceptions (:data:`DOCUMENTED`) is written only while the
    documented value it explains is in use: for an image exception, an image of the
    repositories ``documented_images`` (each preset's own default image; none: never).
    """
    repositories = frozenset(documented_images)
    containers = _containers(pod_spec)
    ours = [c for c in containers if library_containers is None or c.get("name") in library_containers]
    theirs = [c for c in containers if c not in ours]
    ours_spec = {**pod_spec, "containers": ours, "initContainers": []}
    theirs_spec = {**pod_spec, "containers": theirs, "initContainers": []}
    written: dict[str, str] = {}
    for check_id, reason in sorted(exceptions.items()):
        documented = DOCUMENTED.get(reason)
        if documented is not None and not all(documented(c, pod_spec, repositories) for c in ours):
            continue
        if unmet(check_id, ours_spec) and not (theirs and unmet(check_id, theirs_spec)):
            written[annotation_key(check_id)] = f"{check_id}={reason}"
    return written


# --- The documented model's exceptions (the props defaults) -------------------------------

_LOCAL_IMAGE = {
    IMAGE_TAG_FIXED: "documented local image: built into the node as :latest, never pulled",
    IMAGE_PULL_ALWAYS: "documented local image: loaded into the node, so IfNotPresent (Always would fail to pull)",
    IMAGE_DIGEST: "documented local image: loaded into the node, it has no registry digest",
}
_APP_USER = {HIGH_UID: "runs as the image's own non-root user, the documented uid 1001"}

def _uid(pod_spec: Mapping[str, Any], container: Mapping[str, Any]) -> Any:
    return (container.get("securityContext") or {}).get(
        "runAsUser", (pod_spec.get("securityContext") or {}).get("runAsUser"))


#: The documented model's exceptions hold only while the documented value they explain is in
#: use: reason -> "is it, for this container of the pod?". Another image or user, and the
#: finding is the caller's to meet or to excuse with a reason of their own.
#: An image exception names no image: the preset passes its own image's repository.
DOCUMENTED: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], frozenset[str]], bool]] = {
    **{reason: (lambda c, p, images: image_repository(c.get("image", "")) in images
                and _split_image(c.get("image", ""))[0] == "latest")
       for reason in _LOCAL_IMAGE.values()},
    _APP_USER[HIGH_UID]: lambda c, p, images: _uid(p, c) == 1001,
}

#: Frontend defaults: the model's image (``:latest``, IfNotPresent) and user (1001).
FRONTEND_EXCEPTIONS: Mapping[str, str] = {**_LOCAL_IMAGE, **_APP_USER}
#: Backend defaults: as the frontend, plus its documented environment contract.
BACKEND_EXCEPTIONS: Mapping[str, str] = {
    **_LOCAL_IMAGE, **_APP_USER,
    SECRETS_AS_FILES: "the app reads DATABASE_URL and its API keys from the environment (documented env)",
}
#: Postgres defaults: the model's upstream tag (IfNotPresent) and the alpine image's user.
POSTGRES_EXCEPTIONS: Mapping[str, str] = {
    IMAGE_PULL_ALWAYS: "documented upstream tag with IfNotPresent; pin a digest to meet it",
    IMAGE_DIGEST: "documented upstream tag; pin a digest to meet it",
    HIGH_UID: "runs as the image's own postgres user (uid 70 in the alpine image), which owns the data",
}
DOCUMENTED.update({
    **{POSTGRES_EXCEPTIONS[check]: (lambda c, p, images: image_repository(c.get("image", "")) in images
                                    and _split_image(c.get("image", ""))[0] != "")
       for check in (IMAGE_PULL_ALWAYS, IMAGE_DIGEST)},
    POSTGRES_EXCEPTIONS[HIGH_UID]: lambda c, p, images: _uid(p, c) == 70,
})
