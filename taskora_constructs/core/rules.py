"""The validation rules, written once.

Each ``check_*`` function returns a list of :class:`~taskora_constructs.errors.Problem`
(empty when the value is fine), so callers can collect every problem before raising.
Props objects call them in ``__post_init__``; cross-construct checks call them from
``node.add_validation``; the values-file loader reaches them through the props.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation

from .api_rules import check_host_name
from .errors import Problem

# Kubernetes resource.Quantity grammar (k8s.io/apimachinery/pkg/api/resource). Each character
# has one way to match (no ``\d+\.?\d*``, which backtracks quadratically on a long run of
# digits), and the length is bounded before matching.
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_IMAGE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::\d+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
#: Model rule (section 11): no volume claim below this (the database props and the lint).
MIN_STORAGE = "1Gi"
#: Longest quantity accepted: ``123456789012345678901234567890Gi`` is 32; nothing real comes near.
MAX_QUANTITY_LENGTH = 64


def parse_quantity(text: str) -> Decimal | None:
    """The value of a Kubernetes quantity string, or ``None`` if it is not one."""
    if not isinstance(text, str) or len(text) > MAX_QUANTITY_LENGTH:
        return None
    match = _QUANTITY.fullmatch(text)
    if not match:
        return None
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


def check_quantity(where: str, field: str, value: object, *, example: str, props: bool = True) -> list[Problem]:
    """``value`` must be a Kubernetes quantity such as ``500m`` or ``512Mi``.

    For props (the library's own requests, limits and sizes, ``props=True``) also above zero
    and without an exponent: ``0`` or ``-1`` CPU is no request, and ``1e3`` memory is a
    kilobyte, never what was meant. The opt-in lint checks others' objects with ``props=False``:
    the API server's grammar only.
    """
    parsed = parse_quantity(value)  # type: ignore[arg-type]
    if parsed is None:
        return [Problem(where=where, field=field, value=value,
                        rule="must be a Kubernetes quantity (a number with an optional suffix "
                             f"such as m, Mi or Gi, at most {MAX_QUANTITY_LENGTH} characters)",
                        fix=f"write it like {example!r}")]
    if props and (parsed <= 0 or "e" in str(value).lower()):
        return [Problem(where=where, field=field, value=value,
                        rule="must be above zero, written without an exponent",
                        fix=f"write it like {example!r}")]
    return []


#: The largest integer a Kubernetes int32 field (replicas, ports, seconds, ids) holds.
INT32_MAX = 2**31 - 1


def check_replicas(where: str, field: str, value: object) -> list[Problem]:
    """Model rule: ``replicas >= 1`` and an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        return [Problem(where=where, field=field, value=value, rule="must be an integer",
                        fix="write a whole number such as 2")]
    if value < 1:
        return [Problem(where=where, field=field, value=value, rule="must be >= 1",
                        fix="set at least 1 replica")]
    if value > INT32_MAX:
        return [Problem(where=where, field=field, value=value, rule=f"must be <= {INT32_MAX} (an int32)",
                        fix="set a realistic replica count")]
    return []


def check_port(where: str, field: str, value: object) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return [Problem(where=where, field=field, value=value,
                        rule="must be a port number between 1 and 65535",
                        fix="use an integer port such as 8000")]
    return []


def check_positive_int(where: str, field: str, value: object, *, minimum: int = 1) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= INT32_MAX:
        return [Problem(where=where, field=field, value=value,
                        rule=f"must be an integer from {minimum} to {INT32_MAX} (an int32)",
                        fix=f"use a whole number of at least {minimum}")]
    return []


def check_dns_label(where: str, field: str, value: object) -> list[Problem]:
    """Names of Services, Namespaces and containers: RFC 1123 labels, at most 63 chars."""
    if not isinstance(value, str) or len(value) > 63 or not DNS1123_LABEL.fullmatch(value):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a DNS-1123 label: at most 63 characters of lower-case "
                             "letters, digits and '-', starting and ending with a letter or digit",
                        fix="use a name like 'taskora-staging'")]
    return []


#: Namespaces of the cluster itself: a Taskora instance (its default-deny NetworkPolicy, its
#: Pod Security labels) there would break the cluster, or be broken by it.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def check_app_namespace(where: str, field: str, value: object) -> list[Problem]:
    """A namespace an application instance may own: a DNS label, not a system namespace."""
    found = check_dns_label(where, field, value)
    if not found and value in SYSTEM_NAMESPACES:
        found.append(Problem(where=where, field=field, value=value,
                             rule=f"must not be a system namespace ({', '.join(SYSTEM_NAMESPACES)}): the "
                                  "instance's default-deny policy would cut off what runs there",
                             fix="use a namespace of its own, e.g. 'taskora'"))
    return found


def check_dns_subdomain(where: str, field: str, value: object) -> list[Problem]:
    """Object names and hosts: RFC 1123 subdomains, at most 253 chars."""
    if not isinstance(value, str) or len(value) > 253 or not DNS1123_SUBDOMAIN.fullmatch(value):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a DNS-1123 subdomain: lower-case letters, digits, '-' and "
                             "'.', each dot-separated part starting and ending with a letter or digit",
                        fix="use a name like 'taskora.local'")]
    return []


def check_image(where: str, field: str, value: object) -> list[Problem]:
    match = _IMAGE.fullmatch(value) if isinstance(value, str) else None
    # "sha256:<hex>" alone parses as repository "sha256" with a tag: a digest without its image.
    if match is None or match["path"].rsplit("/", 1)[-1] == "sha256":
        return [Problem(where=where, field=field, value=value,
                        rule="must be an image reference [registry/]repository[:tag][@digest]",
                        fix="write it like 'taskora/backend:1.4.2'")]
    return []


def check_pull_policy(where: str, field: str, value: object) -> list[Problem]:
    if value not in PULL_POLICIES:
        return [Problem(where=where, field=field, value=value,
                        rule=f"must be one of {', '.join(PULL_POLICIES)}",
                        fix="use IfNotPresent for local images, Always for a mutable registry tag")]
    return []


def check_min_quantity(where: str, field: str, value: str, minimum: str) -> list[Problem]:
    """``value`` (already a valid quantity) must be at least ``minimum``."""
    parsed = parse_quantity(value)
    if parsed is not None and parsed < parse_quantity(minimum):  # type: ignore[operator]
        return [Problem(where=where, field=field, value=value, rule=f"must be >= {minimum}",
                        fix=f"request at least {minimum}")]
    return []


_POSTGRES_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def check_postgres_name(where: str, field: str, value: object, what: str) -> list[Problem]:
    """A PostgreSQL ``what`` (identifier, role name): letters, digits and '_', at most 63."""
    if not isinstance(value, str) or not _POSTGRES_NAME.fullmatch(value):
        return [Problem(where=where, field=field, value=value,
                        rule=f"must be a PostgreSQL {what} (letters, digits, '_', at most 63)",
                        fix="use a name like 'taskora'")]
    return []


def check_non_empty(where: str, field: str, value: object) -> list[Problem]:
    if not isinstance(value, str) or value == "":
        # Never show a secret value: only an empty or missing one is shown as it is.
        return [Problem(where=where, field=field, value=value if value in (None, "") else "<redacted>",
                        rule="must be a non-empty string",
                        fix="provide a value (see README: Secrets)")]
    return []


# --- Labels, port names, hosts, Secret keys: the API server's own name rules -------------

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
_CONFIG_KEY = r"^[-._a-zA-Z0-9]+$"


def check_label_key(where: str, field: str, value: object) -> list[Problem]:
    """A label key: ``[prefix/]name``, prefix a DNS subdomain, name at most 63 characters."""
    ok = False
    if isinstance(value, str):
        prefix, _, name = value.rpartition("/")
        ok = (len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))
              and (prefix == "" and "/" not in value
                   or len(prefix) <= 253 and bool(DNS1123_SUBDOMAIN.fullmatch(prefix))))
    if not ok:
        return [Problem(where=where, field=field, value=value,
                        rule="must be a label key: an optional DNS-subdomain prefix and '/', then at "
                             "most 63 letters, digits, '-', '_' or '.', starting and ending with a "
                             "letter or digit",
                        fix="use a key like 'app' or 'app.kubernetes.io/name'")]
    return []


def check_label_value(where: str, field: str, value: object) -> list[Problem]:
    """A label value: empty, or at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends."""
    if not isinstance(value, str) or len(value) > 63 or (value and not _LABEL_NAME.fullmatch(value)):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a label value: at most 63 letters, digits, '-', '_' or '.', "
                             "starting and ending with a letter or digit",
                        fix="use a value like 'taskora-backend'")]
    return []


def check_labels(where: str, field: str, labels: object) -> list[Problem]:
    """Every key and value of a label map (``metadata.labels``, a selector)."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [Problem(where=where, field=field, value=labels, rule="must be a map of label keys to values",
                        fix="write it like {'app': 'taskora-backend'}")]
    found: list[Problem] = []
    for key, value in labels.items():
        found += check_label_key(where, f"{field}.{key}", key)
        found += check_label_value(where, f"{field}.{key}", value)
    return found


def check_port_name(where: str, field: str, value: object) -> list[Problem]:
    """A named port (IANA_SVC_NAME): at most 15 of a-z, 0-9, '-', with a letter, no '--'."""
    if (not isinstance(value, str) or len(value) > 15 or not _PORT_NAME.fullmatch(value)
            or "--" in value or not any(c.isalpha() for c in value)):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a port name: at most 15 lower-case letters, digits and '-', "
                             "with at least one letter and no '--'",
                        fix="use a name like 'http'")]
    return []


def check_host(where: str, field: str, value: object) -> list[Problem]:
    """An Ingress host: a DNS-1123 subdomain, optionally with a leading ``*.`` wildcard."""
    host = value[2:] if isinstance(value, str) and value.startswith("*.") else value
    if not isinstance(host, str) or len(host) > 253 or not DNS1123_SUBDOMAIN.fullmatch(host):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a DNS name: lower-case letters, digits, '-' and '.', each "
                             "dot-separated part starting and ending with a letter or digit "
                             "(a leading '*.' wildcard is allowed)",
                        fix="use a host like 'taskora.local' or 'tasks.example.com'")]
    return check_host_name(where, field, host)  # not an IP, labels of at most 63 (the API's rules)


def check_config_key(where: str, field: str, value: object) -> list[Problem]:
    """A ConfigMap or Secret key: letters, digits, '-', '_' and '.'."""
    if not isinstance(value, str) or len(value) > 253 or not re.fullmatch(_CONFIG_KEY, value):
        return [Problem(where=where, field=field, value=value,
                        rule="must be a ConfigMap/Secret key: letters, digits, '-', '_' and '.'",
                        fix="use a key like 'DATABASE_URL'")]
    return []


# --- Hardening props: writable paths, seccomp, policy exceptions, schedules, CIDRs ----------

SECCOMP_PROFILES = ("RuntimeDefault", "Unconfined")
_ABSOLUTE_PATH = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
_CHECK_ID = re.compile(r"^CKV2?_K8S_\d+$")
_CRON_FIELD = r"^[0-9*/,-]+$|^[A-Za-z]{3}([,-][A-Za-z]{3})*$"


def check_writable_paths(where: str, field: str, paths: object) -> list[Problem]:
    """Absolute, distinct paths (each becomes an emptyDir mount)."""
    if isinstance(paths, str) or not isinstance(paths, (tuple, list)):
        return [Problem(where=where, field=field, value=paths, rule="must be a list of absolute paths",
                        fix="write it like ['/tmp']")]
    found: list[Problem] = []
    for path in paths:
        if not isinstance(path, str) or not _ABSOLUTE_PATH.fullmatch(path) or "/.." in path or path == "/":
            found.append(Problem(where=where, field=field, value=path,
                                 rule="must be an absolute path of letters, digits, '.', '_' and '-'",
                                 fix="write it like '/tmp'"))
    if not found and len(set(paths)) != len(paths):
        found.append(Problem(where=where, field=field, value=list(paths), rule="must not repeat a path",
                             fix="list each path once"))
    return found


def check_policy_exceptions(where: str, field: str, exceptions: object) -> list[Problem]:
    """checkov check ids mapped to a one-line reason (the value of a skip annotation)."""
    if not isinstance(exceptions, dict) and not hasattr(exceptions, "items"):
        return [Problem(where=where, field=field, value=exceptions, rule="must map check ids to reasons",
                        fix="write it like {'CKV_K8S_40': 'runs as the image user 1001'}")]
    found: list[Problem] = []
    for check_id, reason in exceptions.items():
        if not isinstance(check_id, str) or not _CHECK_ID.fullmatch(check_id):
            found.append(Problem(where=where, field=f"{field}.{check_id}", value=check_id,
                                 rule="must be a checkov Kubernetes check id",
                                 fix="write it like 'CKV_K8S_40'"))
        if (not isinstance(reason, str) or not reason.strip() or "=" in reason or "\n" in reason
                or len(reason) > 160):
            found.append(Problem(where=where, field=f"{field}.{check_id}", value=reason,
                                 rule="must be a one-line reason of at most 160 characters without '=' "
                                      "(checkov splits its skip annotation there)",
                                 fix="say in a few words why the check must stay unmet"))
    return found


def check_cron_schedule(where: str, field: str, value: object) -> list[Problem]:
    """A five-field cron schedule (minute hour day-of-month month day-of-week) or a macro."""
    ok = isinstance(value, str) and value == " ".join(value.split()) and (
        value in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
        or (len(value.split()) == 5 and all(re.fullmatch(_CRON_FIELD, part) for part in value.split())))
    if not ok:
        return [Problem(where=where, field=field, value=value,
                        rule="must be a cron schedule: minute hour day-of-month month day-of-week",
                        fix="write it like '0 3 * * *' (03:00 every day)")]
    return []


def check_cidr(where: str, field: str, value: object) -> list[Problem]:
    # Text with a prefix length only: ip_network also takes an int (10 -> 0.0.0.10/32) and a bare
    # address, which the API server refuses in an ipBlock.
    try:
        if not isinstance(value, str) or "/" not in value:
            raise ValueError(value)
        ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        return [Problem(where=where, field=field, value=value,
                        rule="must be an IPv4 or IPv6 network in CIDR notation, host bits zero",
                        fix="write it like '10.0.0.0/8' or '::/0'")]
    return []
