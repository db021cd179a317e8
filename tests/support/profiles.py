"""The two values profiles (config/local.yaml, config/production.yaml) as the hardening tests
see them: typed props, synthesized objects, and the files `make synth` would write.

Production needs secret values and image digests; both are made up here, as a release
pipeline would supply them (a TASKORA_VALUES layer with the digests, TASKORA_* secrets).
"""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import tempfile
from pathlib import Path

import cdk8s

from tests.support.paths import ROOT
from tests.support.synth import synth_app
from taskora_app.values import load
from taskora_constructs import Taskora, TaskoraProps

PROFILES = ("local", "production")
NO_SECRETS_FILE = Path("/nonexistent/secrets.local.yaml")
#: The app's secrets: what production (CloudNativePG generates the database's password) needs.
SECRETS = {"TASKORA_COHERE_API_KEY": "test-cohere-5c1e09a7d3b2", "TASKORA_BETTER_AUTH_SECRET":
           "test-auth-5c1e09a7d3b2f4e6a8c0b1d3e5f7", "TASKORA_GEMINI_API_KEY": "test-gemini-5c1e09a7d3b2"}
#: The database password too: what the StatefulSet engine needs (set with CloudNativePG, it is refused as unused).
STATEFULSET_SECRETS = {**SECRETS, "TASKORA_DB_PASSWORD": "test-db-password-5c1e09a7"}
#: What a release pipeline writes for production: the digests of the pushed images.
DIGESTS = {part: f"sha256:{str(n) * 64}" for n, part in enumerate(("frontend", "backend", "database"), start=1)}
DIGESTS_LAYER = "".join(f"{part}:\n  imageDigest: {digest}\n" for part, digest in DIGESTS.items())


#: production with the documented StatefulSet instead of CloudNativePG (``database.engine:
#: statefulset``): the hardened StatefulSet and its pg_dump backup, as production had them
#: before issue #15 and as a production without the operator still runs them.
STATEFULSET_PROFILE = "production-statefulset"
STATEFULSET_LAYER = """database:
  engine: statefulset
  image: postgres:15.8-alpine
  runAsUser: 10070
  runAsGroup: 70
  fsGroup: 70
  backup: {enabled: true, schedule: "0 3 * * *", timeZone: Etc/UTC, retention: 14, storage: 50Gi}
  policyExceptions: {}
"""


#: production with every secret from the External Secrets Operator (``secrets.external``, README,
#: "Secrets"): no TASKORA_* value, ExternalSecret objects in place of the Secrets.
EXTERNAL_PROFILE = "production-external-secrets"
EXTERNAL_LAYER = """secrets:
  external:
    storeRef: {kind: ClusterSecretStore, name: platform-secrets}
    refreshInterval: 15m
    app: {remoteKey: taskora/production/app}
    database: {remoteKey: taskora/production/database, properties: {password: db-password}}
"""


#: production routed through ingress-nginx again (examples/values/ingress-nginx.yaml), as it was
#: before ingress-nginx's retirement made the Gateway API production's default: two Ingresses
#: over HTTPS from cert-manager's certificate.
INGRESS_NGINX_PROFILE = "production-ingress-nginx"
INGRESS_NGINX_LAYER = ROOT / "examples" / "values" / "ingress-nginx.yaml"


def release_layer(directory: Path) -> Path:
    """A TASKORA_VALUES file with :data:`DIGESTS`, in ``directory``."""
    path = directory / "release.yaml"
    path.write_text(DIGESTS_LAYER)
    return path


_LAYER_DIR = Path(tempfile.mkdtemp(prefix="taskora-release-"))
atexit.register(shutil.rmtree, _LAYER_DIR, True)


@functools.cache
def props_of(profile: str) -> TaskoraProps:
    """The typed props of ``config/<profile>.yaml`` (production: with secrets and digests)."""
    environ = {"TASKORA_ENV": profile}
    if profile == STATEFULSET_PROFILE:
        layer = _LAYER_DIR / "production-statefulset.yaml"
        layer.write_text(STATEFULSET_LAYER.replace("database:\n", f"database:\n  imageDigest: {DIGESTS['database']}\n")
                         + "".join(f"{part}:\n  imageDigest: {DIGESTS[part]}\n" for part in ("frontend", "backend")))
        environ = {"TASKORA_ENV": "production", **STATEFULSET_SECRETS, "TASKORA_VALUES": str(layer)}
    elif profile == EXTERNAL_PROFILE:  # no TASKORA_* secret at all
        layer = _LAYER_DIR / "production-external-secrets.yaml"
        layer.write_text(EXTERNAL_LAYER)
        environ |= {"TASKORA_ENV": "production",
                    "TASKORA_VALUES": f"{release_layer(_LAYER_DIR)}:{layer}"}
    elif profile == INGRESS_NGINX_PROFILE:
        environ |= {**SECRETS, "TASKORA_ENV": "production",
                    "TASKORA_VALUES": f"{release_layer(_LAYER_DIR)}:{INGRESS_NGINX_LAYER}"}
    elif profile != "local":
        environ |= {**SECRETS, "TASKORA_VALUES": str(release_layer(_LAYER_DIR))}
    return load(environ, secrets_file=NO_SECRETS_FILE)[1]


@functools.cache
def _objects(profile: str) -> tuple[dict, ...]:
    app = cdk8s.Testing.app()
    Taskora(app, "taskora", props_of(profile))
    return tuple(synth_app(app))


def objects_of(profile: str) -> list[dict]:
    """The profile's objects, chart by chart (a copy: mutate freely)."""
    return copy.deepcopy(list(_objects(profile)))


@functools.cache
def written_profile(profile: str) -> Path:
    """The profile synthesized once per session as `make synth` does (validation included),
    into a directory of its own: the output directory. Read it, do not change it."""
    outdir = _LAYER_DIR / profile / "dist"
    app = cdk8s.App(outdir=str(outdir))
    Taskora(app, "taskora", props_of(profile))
    app.synth()
    return outdir


def written_files(profile: str) -> list[Path]:
    return sorted(written_profile(profile).glob("*.k8s.yaml"))


def by_id(objects: list[dict]) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}
