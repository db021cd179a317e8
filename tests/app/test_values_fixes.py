"""Every suggested fix is valid where it is suggested (issue 21, item 3): GIVEN a broken values
layer (or secrets.local.yaml) WHEN it is loaded THEN its one problem's ``Fix:`` names what the
corrected layer does, AND WHEN the layer is changed as the fix says THEN it is accepted.

Each case pairs the broken layer with the corrected one and the words of the fix that tie them:
a fix that names something else, or one that, applied, is refused again, fails its case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, SECRETS, STATEFULSET_SECRETS
from taskora_app.values import load
from taskora_constructs import TaskoraConfigError


@dataclass(frozen=True, kw_only=True)
class Case:
    """``broken`` refused with one problem on ``key`` whose fix says ``said``; ``fixed`` (the layer
    as that fix tells the user to change it) accepted. ``{layer}`` stands for the layer's path."""

    id: str
    key: str
    broken: str
    said: str
    fixed: str
    env: str = "local"
    secrets: tuple[tuple[str, str], ...] = ()


PRODUCTION = {"env": "production", "secrets": tuple(SECRETS.items())}

CASES = (
    # --- misspelt keys: did-you-mean names the key the corrected layer writes
    Case(id="misspelt-top-level-key", key="backnd", broken="backnd:\n  replicas: 2\n",
         said="did you mean 'backend'?", fixed="backend:\n  replicas: 2\n"),
    Case(id="misspelt-section-key", key="backend.replcas", broken="backend:\n  replcas: 2\n",
         said="did you mean 'backend.replicas'?", fixed="backend:\n  replicas: 2\n"),
    Case(id="misspelt-nested-key", key="ingress.tls.enabeld", broken="ingress:\n  tls: {enabeld: true, clusterIssuer: letsencrypt}\n",
         said="did you mean 'ingress.tls.enabled'?", fixed="ingress:\n  tls: {enabled: true, clusterIssuer: letsencrypt}\n"),
    # A section's key one level too high: "remove it" would drop the TLS the user asked for.
    Case(id="tls-at-the-top-level", key="tls", broken="tls: {enabled: true, clusterIssuer: letsencrypt}\n",
         said="did you mean 'ingress.tls'?", fixed="ingress:\n  tls: {enabled: true, clusterIssuer: letsencrypt}\n"),
    Case(id="replicas-at-the-top-level", key="replicas", broken="replicas: 3\n",
         said="did you mean 'frontend.replicas' or 'backend.replicas'?", fixed="backend:\n  replicas: 3\n"),
    # --- quantities, counts and names: the example the fix gives is the value written
    Case(id="storage-not-a-quantity", key="database.storage", broken="database:\n  storage: 50GB\n",
         said="write it like '10Gi'", fixed="database:\n  storage: 10Gi\n"),
    Case(id="cpu-not-a-quantity", key="backend.resources.requests.cpu",
         broken="backend:\n  resources:\n    requests: {cpu: 2 cores}\n",
         said="write it like '250m'", fixed="backend:\n  resources:\n    requests: {cpu: 250m}\n"),
    Case(id="memory-not-a-quantity", key="backend.resources.limits.memory",
         broken="backend:\n  resources:\n    limits: {memory: 2GB}\n",
         said="write it like '256Mi'", fixed="backend:\n  resources:\n    limits: {memory: 256Mi}\n"),
    Case(id="negative-replicas", key="backend.replicas", broken="backend:\n  replicas: -1\n",
         said="set at least 1 replica", fixed="backend:\n  replicas: 1\n"),
    Case(id="namespace-not-a-label", key="namespace", broken="namespace: Taskora_NS\n",
         said="use a name like 'taskora-staging'", fixed="namespace: taskora-staging\n"),
    Case(id="app-name-not-a-label", key="appName", broken="appName: Taskora\n",
         said="use a name like 'taskora-staging'", fixed="appName: taskora-staging\n"),
    # --- YAML 1.1 forms: both readings the fix offers are accepted
    Case(id="leading-zero-replicas", key="backend.replicas", broken="backend:\n  replicas: 017\n",
         said="write 17, or 15 if you meant octal", fixed="backend:\n  replicas: 17\n"),
    Case(id="leading-zero-replicas-as-octal", key="backend.replicas", broken="backend:\n  replicas: 017\n",
         said="or 15 if you meant octal", fixed="backend:\n  replicas: 15\n"),
    Case(id="yes-as-a-boolean", key="networkPolicy.enabled", broken="networkPolicy:\n  enabled: yes\n",
         said="write true or false", fixed="networkPolicy:\n  enabled: true\n"),
    Case(id="on-as-a-boolean", key="ingress.tls.enabled", broken="ingress:\n  tls: {enabled: on, clusterIssuer: letsencrypt}\n",
         said="write true or false", fixed="ingress:\n  tls: {enabled: true, clusterIssuer: letsencrypt}\n"),
    # --- networks
    Case(id="cidr-out-of-range", key="networkPolicy.httpsEgressCidrs",
         broken="networkPolicy:\n  httpsEgressCidrs: [10.0.0.300/8]\n",
         said="write it like '10.0.0.0/8'", fixed="networkPolicy:\n  httpsEgressCidrs: [10.0.0.0/8]\n"),
    Case(id="cidr-with-host-bits", key="networkPolicy.dnsCidrs", broken="networkPolicy:\n  dnsCidrs: [10.0.0.1/8]\n",
         said="write it like '10.0.0.0/8'", fixed="networkPolicy:\n  dnsCidrs: [10.0.0.0/8]\n"),
    # --- routing and the Gateway API
    Case(id="routing-misspelt", key="ingress.routing", broken="ingress:\n  routing: gatway\n",
         said="write ingress (ingress-nginx, the model) or gateway", fixed="ingress:\n  routing: ingress\n"),
    Case(id="gateway-without-parent", key="ingress.routing", broken="ingress:\n  routing: gateway\n",
         said="add gateway.parentRefs: [{name: <gateway>, namespace: <its namespace>}]",
         fixed="ingress:\n  routing: gateway\n  gateway:\n    parentRefs: [{name: public, namespace: gateway-system}]\n"),
    Case(id="gateway-name-not-a-subdomain", key="ingress.gateway.parentRefs[0].name",
         broken="ingress:\n  routing: gateway\n  gateway:\n    parentRefs: [{name: Public_GW}]\n",
         said="use a name like 'taskora.local'",
         fixed="ingress:\n  routing: gateway\n  gateway:\n    parentRefs: [{name: taskora.local}]\n"),
    # --- production: digests, and downgrades the layer must accept by name
    Case(id="digest-too-short", key="frontend.imageDigest", **PRODUCTION,
         broken="frontend:\n  imageDigest: sha256:abc\n",
         said="copy the digest your registry reported", fixed="frontend:\n  imageDigest: sha256:" + "1" * 64 + "\n"),
    Case(id="production-without-network-policies", key="networkPolicy.enabled", **PRODUCTION,
         broken="networkPolicy:\n  enabled: false\n",
         said="add 'acceptRisks: [no-network-policies]' to {layer}",
         fixed="networkPolicy:\n  enabled: false\nacceptRisks: [no-network-policies]\n"),
    Case(id="production-baseline-pod-security", key="podSecurity", **PRODUCTION, broken="podSecurity: baseline\n",
         said="add 'acceptRisks: [weaker-pod-security]' to {layer}",
         fixed="podSecurity: baseline\nacceptRisks: [weaker-pod-security]\n"),
    Case(id="production-without-deletion-protection", key="deletionProtection", **PRODUCTION,
         broken="deletionProtection: false\n", said="or keep deletionProtection: true",
         fixed="deletionProtection: true\n"),
    Case(id="production-plain-http-gateway", key="ingress.gateway.https", **PRODUCTION,
         broken="ingress:\n  gateway:\n    https: false\n", said="add 'acceptRisks: [no-tls]' to {layer}",
         fixed="ingress:\n  gateway:\n    https: false\nacceptRisks: [no-tls]\n"),
    Case(id="production-ingress-without-tls", key="ingress.routing", **PRODUCTION,
         broken="ingress:\n  routing: ingress\n", said="keep ingress.tls on with redirectHttp (routing ingress)",
         fixed="ingress:\n  routing: ingress\n  tls: {enabled: true, redirectHttp: true}\n"),
    Case(id="production-without-backups", key="database.cloudnativePg.backup.enabled", **PRODUCTION,
         broken="database:\n  cloudnativePg:\n    backup: {enabled: false}\n",
         said="add 'acceptRisks: [no-backups]' to {layer}",
         fixed="database:\n  cloudnativePg:\n    backup: {enabled: false}\nacceptRisks: [no-backups]\n"),
    Case(id="misspelt-risk-name", key="acceptRisks[0]", **PRODUCTION, broken="acceptRisks: [no-tsl]\n",
         said="did you mean 'no-tls'?", fixed="acceptRisks: [no-tls]\n"),
    Case(id="risks-not-a-list", key="acceptRisks", **PRODUCTION, broken="acceptRisks: no-tls\n",
         said="write it like [no-tls]", fixed="acceptRisks: [no-tls]\n"),
)


def _environ(case: Case, tmp_path: Path, text: str) -> tuple[dict[str, str], Path]:
    """The environment loading ``text`` as a TASKORA_VALUES layer (production: after the release
    pipeline's digests, in a layer of their own, with the app's secrets)."""
    layer = tmp_path / f"{case.id}.yaml"
    layer.write_text(text)
    layers = [layer]
    if case.env == "production":
        digests = tmp_path / "release.yaml"
        digests.write_text(DIGESTS_LAYER)
        layers.insert(0, digests)
    return {"TASKORA_ENV": case.env, **dict(case.secrets), "TASKORA_VALUES": ":".join(map(str, layers))}, layer


def _fixes(environ: dict[str, str], secrets_file: Path = NO_SECRETS_FILE) -> list[tuple[str, str]]:
    with pytest.raises(TaskoraConfigError) as raised:
        load(environ, secrets_file=secrets_file)
    return [(problem.field, problem.fix) for problem in raised.value.problems]


def test_the_table_covers_at_least_fifteen_distinct_fixes():
    assert len({case.said for case in CASES}) >= 15
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_fix_names_the_corrected_layer_and_applied_it_is_accepted(case, tmp_path):
    # GIVEN the broken layer WHEN loaded THEN its one problem is on the key, its fix says what the corrected layer does
    environ, layer = _environ(case, tmp_path, case.broken)
    ((field, fix),) = _fixes(environ)
    assert field == case.key
    assert case.said.replace("{layer}", str(layer)) in fix
    # WHEN the layer is changed as the fix says THEN it is accepted
    environ, _ = _environ(case, tmp_path, case.fixed)
    load(environ, secrets_file=NO_SECRETS_FILE)


def test_a_misspelt_secrets_file_name_is_fixed_as_suggested(tmp_path):
    # GIVEN secrets.local.yaml with a misspelt variable WHEN loaded THEN the fix names the right one
    secrets_file = tmp_path / "secrets.local.yaml"
    secrets_file.write_text('TASKORA_DB_PASSWRD: "sentinel-db-5c1e09a7"\n')
    ((field, fix),) = _fixes({"TASKORA_ENV": "local"}, secrets_file)
    assert field == "TASKORA_DB_PASSWRD" and fix == "did you mean 'TASKORA_DB_PASSWORD'?"
    # WHEN renamed as the fix says THEN the file is accepted and its value is the database's password
    secrets_file.write_text('TASKORA_DB_PASSWORD: "sentinel-db-5c1e09a7"\n')
    _, props = load({"TASKORA_ENV": "local"}, secrets_file=secrets_file)
    assert props.secrets.database_password == "sentinel-db-5c1e09a7"


def test_a_secret_value_in_a_values_file_is_fixed_by_moving_it_to_the_environment(tmp_path):
    # GIVEN a secret value under secrets: WHEN loaded THEN the fix says to export TASKORA_* variables
    case = Case(id="secret-in-values", key="secrets", env="production", secrets=tuple(SECRETS.items()),
                broken='secrets:\n  cohereApiKey: "sentinel-cohere-5c1e"\n', said="", fixed="")
    environ, _ = _environ(case, tmp_path, case.broken)
    ((field, fix),) = _fixes(environ)
    assert field == "secrets" and fix.startswith("export TASKORA_* variables")
    # WHEN the layer leaves it out and the variable is exported (as SECRETS does) THEN it is accepted
    environ, _ = _environ(case, tmp_path, "{}\n")
    _, props = load(environ, secrets_file=NO_SECRETS_FILE)
    assert props.secrets.cohere_api_key == SECRETS["TASKORA_COHERE_API_KEY"]


def test_a_statefulset_without_its_password_is_fixed_by_exporting_it(tmp_path):
    # GIVEN production on the StatefulSet engine without TASKORA_DB_PASSWORD WHEN loaded THEN the fix names it
    layer = "database:\n  engine: statefulset\n  image: postgres:15.8-alpine\n  backup: {enabled: true}\n"
    case = Case(id="statefulset", key="", broken=layer, said="", fixed="", **PRODUCTION)
    environ, _ = _environ(case, tmp_path, layer)
    fixes = _fixes(environ)
    assert [field for field, _ in fixes] == ["TASKORA_DB_PASSWORD"], fixes
    assert "TASKORA_DB_PASSWORD" in fixes[0][1]
    # WHEN it is exported THEN production on the StatefulSet is accepted
    load({**environ, **STATEFULSET_SECRETS}, secrets_file=NO_SECRETS_FILE)
