#!/usr/bin/env python3
"""Export the app's synth as a Helm chart named ``taskora`` (``make helm``).

Usage: python scripts/helm_chart.py [--output helm/taskora] [--name taskora] [--app CMD] [--helm PATH]

Runs the pinned ``cdk8s synth --format helm`` with the chart version from ``pyproject.toml``
into a staging directory beside ``--output``, fixes what the CLI gets wrong for this app,
lints the result with the real ``helm lint --strict`` (the binary ``tools/helm/build.sh``
builds; ``--helm``) and swaps it in only when all of it succeeded (a failed export leaves the
previous chart as it was):

* **Chart name.** cdk8s-cli names the chart after the working directory (a clone in
  ``~/src/main`` would publish a chart called ``main``); ``Chart.yaml`` gets ``--name``.
* **Values.** The templates are plain manifests: nothing in them reads ``.Values``. The chart
  has a ``values.yaml`` that says so and a ``values.schema.json`` that refuses every value, so
  ``helm install --set replicas=3`` fails instead of being silently ignored.
* **The Namespace is not the release's.** Helm refuses to install an object that exists
  without its ownership labels, and ``helm uninstall`` deletes what the release owns: a
  Namespace in the templates would have to be created by Helm (so its Secrets could only come
  after the install) and would go, with the database's claims, on uninstall. The Namespace
  (with its Pod Security and deletion-protection labels) is written to ``namespace.yaml``
  beside ``Chart.yaml``, applied first with kubectl; then the Secrets; then ``helm install
  --namespace``. The README says so, in that order.
* **CRDs.** The CLI copies every CRD that ``cdk8s.yaml`` imports into ``crds/``, and Helm
  installs those cluster-wide before anything else. The app imports the Gateway API
  ``HTTPRoute`` bindings for apps that route through a Gateway but emits no ``HTTPRoute``
  itself, so a CRD is kept only if a template uses one of its kinds.
* **No secret in the chart.** A chart is a file anyone may read, copy or publish: it must
  take its secrets from an existing Secret, never embed them. The Taskora app is exported
  with ``secrets.existingSecret`` (and, for the StatefulSet engine, ``database.existingSecret``;
  CloudNativePG generates its own credentials) set in one more values layer over
  ``TASKORA_VALUES``, so it synthesizes no Secret and no checksum of one. The chart's README
  lists every Secret the templates read and nothing creates, with its keys, read off the
  templates. An export whose templates still hold a Secret with data (another ``--app``) is
  refused.
* **Kept on uninstall.** The CloudNativePG ``Cluster`` carries ``helm.sh/resource-policy: keep``:
  the deletion protection refuses its delete (its claims would go next), which would leave the
  release stuck in ``uninstalling``; kept, the next ``helm install`` adopts it.
* **Escaping.** Helm renders every template through Go's text/template, so a ``{{`` in the
  data (a password, a ConfigMap value) would be evaluated, or fail the install. The CLI
  writes the manifests verbatim; here each ``{{`` becomes ``{{"{{"}}``, an action whose
  output is the literal ``{{``, so ``helm template`` reproduces the synth it was made from
  exactly (tests/e2e/test_helm.py renders it with the real Helm).

``--app`` overrides the app command of ``cdk8s.yaml`` (the tests export other apps).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from taskora_app.atomic import staged_directory  # noqa: E402  (the same swap as main.py)

sys.path.insert(0, str(ROOT / "scripts"))  # scripts/ is not sys.path[0] when loaded by path (tests)
from helm_secrets import secret_commands, secrets_to_create  # noqa: E402

CDK8S = ROOT / "node_modules" / ".bin" / "cdk8s"
#: Where `make` links the pinned helm that tools/helm/build.sh builds.
HELM = ROOT / ".venv" / "bin" / "helm"
HELM_OPEN = "{{"
#: A text/template action that outputs ``{{``: what :func:`escape_template` writes for each ``{{``.
HELM_ESCAPED_OPEN = '{{"{{"}}'
EXIT_FAILED = 2
NAMESPACE_FILE = "namespace.yaml"
#: A document separator as cdk8s writes it between the objects of one file.
_SEPARATOR = "---\n"

VALUES_YAML = """\
# The {name} chart takes no values: its templates are the plain manifests of the Taskora
# cdk8s app (`make helm`), with nothing that reads .Values. values.schema.json refuses any
# value, so `--set` or `-f` fails instead of being ignored. To change the deployment, change
# the app's values files (config/*.yaml, TASKORA_ENV, TASKORA_VALUES) and run `make helm` again.
{{}}
"""
VALUES_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                 "title": "taskora chart values: none (configure the cdk8s app instead, then make helm)",
                 "type": "object", "additionalProperties": False}


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The distribution version in ``pyproject.toml``: the chart's version too."""
    return tomllib.loads(pyproject.read_text())["project"]["version"]


def escape_template(text: str) -> str:
    """``text`` with every ``{{`` written so that Helm outputs it literally."""
    return text.replace(HELM_OPEN, HELM_ESCAPED_OPEN)


def split_documents(text: str) -> list[str]:
    """The YAML documents of a file cdk8s wrote, each as its exact text."""
    return [doc if doc.endswith("\n") else doc + "\n" for doc in re.split(r"(?m)^---\n", text) if doc.strip()]


#: The annotation that makes ``helm uninstall`` leave an object: on the database's Cluster.
KEEP_ANNOTATION = "    helm.sh/resource-policy: keep\n"


def keep_on_uninstall(document: str) -> str:
    """``document`` (one object's text, as cdk8s wrote it) with ``helm.sh/resource-policy: keep``
    if it is a CloudNativePG Cluster (see the module doc), else unchanged. Inserted as text, so
    every other byte is the plain synth's."""
    obj = yaml.safe_load(document) or {}
    if obj.get("kind") != "Cluster" or not str(obj.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
        return document
    if "\nmetadata:\n  annotations:\n" in "\n" + document:
        kept = document.replace("metadata:\n  annotations:\n", "metadata:\n  annotations:\n" + KEEP_ANNOTATION, 1)
    else:
        kept = document.replace("metadata:\n", "metadata:\n  annotations:\n" + KEEP_ANNOTATION, 1)
    expected = {**obj, "metadata": {**obj["metadata"], "annotations": {
        **obj["metadata"].get("annotations", {}), "helm.sh/resource-policy": "keep"}}}
    assert yaml.safe_load(kept) == expected, "the keep annotation went elsewhere"
    return kept


def _app_message(output: str) -> str:
    """The app's own message from the CLI's output, without the CLI's Node stack trace."""
    lines = []
    for line in output.splitlines():
        if re.match(r"^Error: command .* returned a non-zero exit code", line):
            break
        if line != "Synthesizing application":
            lines.append(line)
    return "\n".join(lines).strip() or output.strip()


def _objects(templates: Path) -> list[dict]:
    return [o for path in sorted(templates.glob("*.yaml")) for o in yaml.safe_load_all(path.read_text()) if o]


def _prune_unused_crds(chart: Path) -> list[str]:
    """Delete the CRDs in ``crds/`` that no template uses; the names of the deleted files."""
    crds = chart / "crds"
    if not crds.is_dir():
        return []
    used = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in _objects(chart / "templates")}
    removed = []
    for path in sorted(crds.iterdir()):
        crd = yaml.safe_load(path.read_text())
        spec = crd.get("spec", {}) if isinstance(crd, dict) else {}
        if (spec.get("group"), spec.get("names", {}).get("kind")) not in used:
            path.unlink()
            removed.append(path.name)
    if not any(crds.iterdir()):
        crds.rmdir()
    return removed


def _move_namespaces_out(chart: Path) -> list[dict]:
    """Take every Namespace out of the templates into ``namespace.yaml`` (not the release's:
    see the module doc); the Namespaces moved."""
    moved: list[str] = []
    for path in sorted((chart / "templates").glob("*.yaml")):
        documents = split_documents(path.read_text())
        keep = [doc for doc in documents if (yaml.safe_load(doc) or {}).get("kind") != "Namespace"]
        moved += [doc for doc in documents if doc not in keep]
        if len(keep) != len(documents):
            if keep:
                path.write_text(_SEPARATOR.join(keep))
            else:
                path.unlink()
    if moved:
        (chart / NAMESPACE_FILE).write_text(_SEPARATOR.join(moved))
    return [yaml.safe_load(doc) for doc in moved]


def _write_chart_yaml(chart: Path, name: str, version: str) -> None:
    chart_yaml = chart / "Chart.yaml"
    meta = yaml.safe_load(chart_yaml.read_text())
    meta["name"] = name
    meta["version"] = version
    meta["description"] = (f"Taskora (Next.js frontend, FastAPI backend, PostgreSQL) as plain Kubernetes "
                           f"objects, generated by cdk8s with taskora-constructs {version}")
    chart_yaml.write_text(yaml.safe_dump(meta, sort_keys=False))


def readme_text(name: str, version: str, namespaces: list[dict] | None = None,
                secrets: dict[str, dict[str, Any]] | None = None, database_service: str = "<database Service>") -> str:
    """The chart's README.md: how it was made, and how to install it in an order Helm accepts."""
    namespaces, secrets = namespaces or [], secrets or {}
    release_namespace = namespaces[0]["metadata"]["name"] if namespaces else None
    text = (f"# {name} {version}\n\n"
            f"This Helm chart is generated by `make helm` (`scripts/helm_chart.py`, which runs\n"
            f"`cdk8s synth --format helm`) from the Taskora cdk8s app, version {version}, and linted\n"
            f"with `helm lint --strict`. Its templates are the plain manifests of `make synth`, with\n"
            f"the secrets taken from existing Secrets: no secret value is in the chart, and it takes no\n"
            f"values (`values.schema.json` refuses any `--set`).\n\n"
            f"Do not edit it: a manual change is lost on the next export. Change the app's values\n"
            f"instead (`config/*.yaml`, `TASKORA_ENV`, `TASKORA_VALUES`) and run `make helm` again.\n\n"
            f"## Install, in this order\n\n")
    step = 1
    if namespaces:
        text += (f"{step}. The Namespace, from `{NAMESPACE_FILE}` (with its Pod Security and deletion-protection\n"
                 f"   labels). It is not part of the release: Helm never deletes it, nor the database's\n"
                 f"   claims in it, on `helm uninstall` (a CloudNativePG Cluster is kept too:\n"
                 f"   `helm.sh/resource-policy: keep`; the next `helm install` adopts it). (`helm install\n"
                 f"   --create-namespace` would create it without those labels.)\n\n"
                 f"       kubectl apply -f {NAMESPACE_FILE}\n\n")
        step += 1
    if secrets:
        text += (f"{step}. The Secrets the templates read and nothing in the chart creates (keys as listed; the\n"
                 f"   pods start once they exist):\n\n")
        text += "".join(f"       {command}\n" for command in secret_commands(secrets)) + "\n"
        if any(key == "DATABASE_URL" for entry in secrets.values() for key in entry["keys"]):
            database = next((n for n in secrets if n.endswith("db-credentials")), None)
            text += ("   `DATABASE_URL` is `postgresql://<username>:<password, URL-encoded>@<database Service>:5432/"
                     "<database>`" + (f", with the username and password of `{database}`" if database else "")
                     + ". Pods do not roll when such a Secret changes: restart them, or use a reloader.\n\n")
        step += 1
    where = f" --namespace {release_namespace}" if release_namespace else ""
    text += f"{step}. The release:\n\n       helm install {name} <this directory>{where}\n"
    return text


# --- the export ----------------------------------------------------------------------------

def _last_value(layers: list[Path], *keys: str) -> Any:
    """The value the last layer that sets ``keys`` gives (the loader merges key by key)."""
    found = None
    for layer in layers:
        try:
            data = yaml.safe_load(layer.read_text())
        except (OSError, yaml.YAMLError):
            continue  # the app reports it, naming the file
        for key in keys:
            data = data.get(key) if isinstance(data, dict) else None
        if data is not None:
            found = data
    return found


def _existing_secrets_layer(staging: Path, environ: dict[str, str]) -> Path:
    """A values layer, after the user's ``TASKORA_VALUES`` layers, that takes the app's
    Secrets from existing ones (named as the app would name its own, unless the user named
    them). The user's files stay layers of their own, so a problem in them names them."""
    layers = [ROOT / "config" / f"{environ.get('TASKORA_ENV') or 'local'}.yaml"]
    layers += [Path(p) for p in (environ.get("TASKORA_VALUES") or "").split(os.pathsep) if p]
    app_name = _last_value(layers, "appName")
    app_name = app_name if isinstance(app_name, str) else "taskora"
    values: dict[str, dict[str, str]] = {
        "secrets": {"existingSecret": _last_value(layers, "secrets", "existingSecret") or f"{app_name}-secrets"}}
    if _last_value(layers, "database", "engine") != "cloudnative-pg":  # the operator makes its own
        values["database"] = {"existingSecret": _last_value(layers, "database", "existingSecret")
                              or f"{app_name}-db-credentials"}
    path = staging.parent / f".{staging.name}-existing-secrets.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def _refuse_embedded_secrets(templates: Path) -> None:
    for path in sorted(templates.glob("*.yaml")):
        for manifest in yaml.safe_load_all(path.read_text()):
            if manifest and manifest.get("kind") == "Secret" and (manifest.get("data") or manifest.get("stringData")):
                raise RuntimeError(f"{path.name}: Secret/{manifest['metadata']['name']} holds data: a Helm chart must "
                                   "take its secrets from an existing Secret, never embed them. Fix: reference "
                                   "an existing Secret in the app (e.g. existing_secret=...)")


def helm_environment(home: Path) -> dict[str, str]:
    """Helm's cache, configuration and data under ``home``: a run that reads nothing of the
    user's Helm set-up (repositories, plugins, registry logins) and writes nothing there."""
    return {"HELM_CACHE_HOME": str(home / "cache"), "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data")}


def lint(chart: Path, helm: Path = HELM) -> None:
    """``helm lint --strict``; raises :class:`RuntimeError` with Helm's findings."""
    if not helm.exists():
        raise RuntimeError(f"no helm at {helm}: run `make helm` (its set-up builds the pinned Helm, tools/helm/)")
    with tempfile.TemporaryDirectory(prefix="taskora-helm-") as home:  # no user's repositories or plugins
        result = subprocess.run([str(helm), "lint", "--strict", str(chart)], capture_output=True, text=True,
                                timeout=120, env={**os.environ, **helm_environment(Path(home))})
    if result.returncode != 0:
        raise RuntimeError(f"helm lint --strict refused the chart:\n{result.stdout}{result.stderr}".rstrip())


def export(output: Path, *, name: str = "taskora", app: str | None = None,
           version: str | None = None, helm: Path = HELM, environ: dict[str, str] | None = None) -> Path:
    """Write the Helm chart to ``output`` from the app run with ``environ`` (default: this
    process's environment); raises :class:`RuntimeError` with the CLI's or Helm's message."""
    version = version or project_version()
    output = output.resolve()
    with staged_directory(output) as staging:
        command = [str(CDK8S), "synth", "--format", "helm", "--chart-version", version, "--output", str(staging)]
        if app:
            command += ["--app", app]
        env = {**(os.environ if environ is None else environ), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK8S_CHECK_UPGRADE": "false"}
        layer = None
        if not app:  # the Taskora app: its Secrets come from existing ones
            layer = _existing_secrets_layer(staging, env)
            env["TASKORA_VALUES"] = os.pathsep.join(filter(None, [env.get("TASKORA_VALUES"), str(layer)]))
        try:
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        finally:
            if layer is not None:
                layer.unlink(missing_ok=True)
        if result.returncode != 0:
            # The app names the directory it was given: the staging one, not the user's.
            message = _app_message(result.stdout + result.stderr)
            raise RuntimeError(message.replace(str(staging), str(output)))
        templates = staging / "templates"
        _refuse_embedded_secrets(templates)
        _write_chart_yaml(staging, name, version)
        namespaces = _move_namespaces_out(staging)
        (staging / "values.yaml").write_text(VALUES_YAML.format(name=name))
        (staging / "values.schema.json").write_text(json.dumps(VALUES_SCHEMA, indent=2) + "\n")
        # the CLI's README names `--format helm`; this one says how to install
        objects = _objects(templates)
        database = next((o["metadata"]["name"] for o in objects if o["kind"] == "Service"
                         and any(p.get("port") == 5432 for p in o.get("spec", {}).get("ports", []))), None)
        (staging / "README.md").write_text(readme_text(name, version, namespaces, secrets_to_create(objects),
                                                       *([database] if database else [])))
        _prune_unused_crds(staging)
        for template in sorted(templates.iterdir()):
            documents = [keep_on_uninstall(doc) for doc in split_documents(template.read_text())]
            template.write_text(escape_template(_SEPARATOR.join(documents)))
        try:
            lint(staging, helm)
        except RuntimeError as error:
            raise RuntimeError(str(error).replace(str(staging), str(output))) from None
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="helm/taskora", help="chart directory (default: helm/taskora)")
    parser.add_argument("--name", default="taskora", help="chart name (default: taskora)")
    parser.add_argument("--app", help="app command (default: the one in cdk8s.yaml)")
    parser.add_argument("--helm", type=Path, default=HELM, help=f"the helm binary (default: {HELM.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        chart = export(Path(args.output), name=args.name, app=args.app, helm=args.helm)
    except RuntimeError as error:
        print(f"helm: export failed, {args.output}/ left as it was\n{error}", file=sys.stderr)
        return EXIT_FAILED
    templates = sorted((chart / "templates").iterdir())
    shown = os.path.relpath(chart) if chart.is_relative_to(Path.cwd()) else str(chart)
    namespace = yaml.safe_load((chart / NAMESPACE_FILE).read_text()) if (chart / NAMESPACE_FILE).exists() else None
    install = f"helm install {args.name} {shown}" + (f" --namespace {namespace['metadata']['name']}" if namespace else "")
    print(f"Wrote Helm chart {args.name} {project_version()} ({len(templates)} templates) to {shown}/, "
          f"linted (helm lint --strict); install: see {shown}/README.md, then {install}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
