"""`make helm` exports the synth as a Helm chart named `taskora` (scripts/helm_chart.py), checked
with the real Helm: the pinned CLI that tools/helm/build.sh builds (set-up links it at
.venv/bin/helm).

GIVEN each values profile WHEN exported THEN `helm lint --strict` passes, `helm template`
renders exactly the documents of the plain synth (the Namespace apart: it is `namespace.yaml`,
applied before the release, see the chart's README), the chart carries no secret and no
unused CRD, refuses every value, and its README names the Secrets the templates read. A `{{`
in the data is escaped, so Helm writes it instead of evaluating it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from taskora_app import values as values_module
from tests.support.paths import ROOT
from tests.support.profiles import DIGESTS_LAYER, STATEFULSET_LAYER
from tests.support.packaging import VERSION

import main  # noqa: E402  (the app: ROOT is on sys.path, conftest)

_spec = importlib.util.spec_from_file_location("helm_chart", ROOT / "scripts" / "helm_chart.py")
helm_chart = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helm_chart)

HELM = helm_chart.HELM
#: The exact Helm `tools/helm/go.mod` pins.
HELM_VERSION = "v4.3.1"
APP_SECRET = "taskora-secrets"
DB_SECRET = "taskora-db-credentials"
#: Each profile: (TASKORA_ENV, TASKORA_VALUES layers' text, the existing Secrets the chart
#: reads: the layer `make helm` adds, written out here as the test expects it).
PROFILES = {
    "local": ("local", [], {"secrets": {"existingSecret": APP_SECRET}, "database": {"existingSecret": DB_SECRET}}),
    "gateway": ("local", [(ROOT / "examples" / "values" / "gateway.yaml").read_text()],
                {"secrets": {"existingSecret": APP_SECRET}, "database": {"existingSecret": DB_SECRET}}),
    # CloudNativePG writes the database credentials itself (Secret taskora-db-app)
    "production": ("production", [DIGESTS_LAYER], {"secrets": {"existingSecret": APP_SECRET}}),
    "production-statefulset": ("production", [DIGESTS_LAYER, STATEFULSET_LAYER],
                               {"secrets": {"existingSecret": APP_SECRET}, "database": {"existingSecret": DB_SECRET}}),
}


def helm(*args: str, check: bool = True, tmp: Path) -> subprocess.CompletedProcess:
    if not HELM.exists():
        pytest.fail(f"no helm at {HELM}: run `make test` (its set-up builds the pinned Helm, tools/helm/build.sh)")
    result = subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **helm_chart.helm_environment(tmp)})
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def rendered(chart: Path, tmp: Path) -> dict[str, Counter]:
    """`helm template`'s output: template file name -> its documents' texts (Helm orders the
    documents by kind, so each file's are compared as a multiset)."""
    out = helm("template", "taskora", str(chart), "--namespace", "taskora", tmp=tmp).stdout
    files: dict[str, Counter] = {}
    for document in re.split(r"(?m)^---\n", out):
        if not document.strip():
            continue
        source, _, body = document.partition("\n")
        name = re.fullmatch(r"# Source: taskora/templates/(.+)", source)
        assert name, f"unexpected document header {source!r}"
        # Helm ends each document with one newline more than the file had: its framing, not data
        files.setdefault(name.group(1), Counter())[body.rstrip("\n") + "\n"] += 1
    return files


def cli_env() -> dict[str, str]:
    return {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK8S_CHECK_UPGRADE": "false"}


def plain_synth(outdir: Path, app: str | None = None, **environ: str) -> dict[str, str]:
    """The plain synth, file name -> text: what `make synth` writes (main.py's synth, run in this
    process with ``environ`` as its TASKORA_* variables: what `python main.py` runs; tests/
    e2e/test_cli_synth.py proves `cdk8s synth` writes the same bytes), or what ``app`` writes into
    ``CDK8S_OUTDIR`` (run as a subprocess)."""
    if app:
        result = subprocess.run(shlex.split(app), cwd=ROOT, env={**cli_env(), "CDK8S_OUTDIR": str(outdir), **environ},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert all(name.startswith("TASKORA_") for name in environ), environ
        assert not [name for name in environ if name in os.environ], environ  # none to overwrite (conftest)
        os.environ.update(environ)
        try:
            main.synth_atomically(outdir)
        finally:
            for name in environ:
                del os.environ[name]
    return {p.name: p.read_text() for p in sorted(outdir.iterdir())}


def chart_files(chart: Path) -> list[str]:
    return sorted(p.relative_to(chart).as_posix() for p in chart.rglob("*") if p.is_file())


def layers(directory: Path, texts: list[str], name: str) -> str:
    paths = []
    for i, text in enumerate(texts):
        path = directory / f"{name}-{i}.yaml"
        path.write_text(text)
        paths.append(str(path))
    return os.pathsep.join(paths)


class Exported:
    def __init__(self, chart: Path, plain: dict[str, str], tmp: Path) -> None:
        self.chart, self.plain, self.tmp = chart, plain, tmp

    def plain_objects(self) -> list[dict]:
        return [o for text in self.plain.values() for o in yaml.safe_load_all(text) if o]


#: Each profile exported once per module run (the chart, its plain synth, and for local the run of
#: `make helm` that wrote it): every test of a profile, and the tests that need any exported
#: chart, read the same export.
_EXPORTS: dict[str, tuple[Exported, subprocess.CompletedProcess | None]] = {}


def export_profile(profile: str, tmp_path_factory, request) -> tuple[Exported, subprocess.CompletedProcess | None]:
    """The profile exported as a chart, and its plain synth with the same existing Secrets. The
    local profile (the default one: taskora_app/values.py) is the chart `make helm` writes as a
    user runs it (conftest's default_helm_chart); the others are exported by helm_chart.export
    with their values layers."""
    if profile in _EXPORTS:
        return _EXPORTS[profile]
    env, texts, existing = PROFILES[profile]
    base = tmp_path_factory.mktemp(f"helm-{profile}")
    values = layers(base, texts, "layer")
    environ = {"TASKORA_ENV": env, **({"TASKORA_VALUES": values} if values else {})}
    made = None
    if profile == "local":
        assert values_module.DEFAULT_ENV == env and not values
        chart, made = request.getfixturevalue("default_helm_chart")
        assert made.returncode == 0, made.stdout + made.stderr
    else:
        chart = helm_chart.export(base / "out" / "taskora", environ={**os.environ, **environ})
    (base / "existing.yaml").write_text(yaml.safe_dump(existing))
    environ["TASKORA_VALUES"] = os.pathsep.join(filter(None, [values, str(base / "existing.yaml")]))
    _EXPORTS[profile] = Exported(chart, plain_synth(base / "plain", **environ), base), made
    return _EXPORTS[profile]


@pytest.fixture(scope="module", params=list(PROFILES))
def exported(request, tmp_path_factory) -> Exported:
    """The profile exported as a chart, and its plain synth with the same existing Secrets."""
    return export_profile(request.param, tmp_path_factory, request)[0]


# --- the chart, as Helm sees it ----------------------------------------------------------------

@pytest.mark.e2e
def test_the_pinned_helm_is_the_real_one():
    result = subprocess.run([str(HELM), "version", "--short"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(HELM_VERSION + "+") or \
        result.stdout.strip() == HELM_VERSION, result.stdout + result.stderr
    assert f"helm.sh/helm/v4 {HELM_VERSION}" in (ROOT / "tools" / "helm" / "go.mod").read_text()


@pytest.mark.e2e
def test_helm_lint_strict_passes(exported):
    result = helm("lint", "--strict", str(exported.chart), tmp=exported.tmp)
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


@pytest.mark.e2e
def test_helm_template_renders_exactly_the_plain_synth(exported):
    # GIVEN the chart WHEN Helm renders it THEN each template holds the documents of the
    # plain synth's file of the same name, byte for byte; the Namespace is namespace.yaml; the
    # CloudNativePG Cluster carries helm.sh/resource-policy: keep, nothing else differs
    plain = {name: Counter(helm_chart.keep_on_uninstall(d) for d in helm_chart.split_documents(text))
             for name, text in exported.plain.items()}
    namespaces = Counter({doc: n for docs in plain.values() for doc, n in docs.items()
                          if yaml.safe_load(doc)["kind"] == "Namespace"})
    without = {name: Counter({d: n for d, n in docs.items() if d not in namespaces}) for name, docs in plain.items()}
    assert rendered(exported.chart, exported.tmp) == {name: docs for name, docs in without.items() if docs}
    assert Counter(helm_chart.split_documents((exported.chart / "namespace.yaml").read_text())) == namespaces
    assert len(namespaces) == 1


def test_only_the_cloudnative_pg_cluster_is_kept_on_uninstall():
    cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  annotations:\n    a: b\n  name: db\n"
    kept = helm_chart.keep_on_uninstall(cluster)
    assert yaml.safe_load(kept)["metadata"]["annotations"] == {"a": "b", "helm.sh/resource-policy": "keep"}
    bare = helm_chart.keep_on_uninstall("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n")
    assert yaml.safe_load(bare)["metadata"] == {"annotations": {"helm.sh/resource-policy": "keep"}, "name": "db"}
    other = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n"
    assert helm_chart.keep_on_uninstall(other) == other


@pytest.mark.e2e
def test_the_chart_refuses_any_value(exported):
    # GIVEN a value that nothing in the templates reads WHEN rendered THEN Helm refuses it
    result = helm("template", "taskora", str(exported.chart), "--set", "backend.replicas=3", check=False,
                  tmp=exported.tmp)
    assert result.returncode != 0
    assert "additional properties 'backend' not allowed" in result.stderr


@pytest.mark.e2e
def test_the_chart_holds_its_files_and_no_unused_crd(exported):
    # cdk8s-cli copies the Gateway API CRD that cdk8s.yaml imports: kept only where a template
    # routes through a Gateway (Helm installs crds/ before the templates)
    names = [f"templates/{name}" for name, text in exported.plain.items()
             if any(o["kind"] != "Namespace" for o in yaml.safe_load_all(text) if o)]
    crds = ["crds/gateway.networking.k8s.io_httproutes.yaml"] if any(
        o["kind"] == "HTTPRoute" for o in exported.plain_objects()) else []
    assert chart_files(exported.chart) == sorted(["Chart.yaml", "README.md", "namespace.yaml", "values.schema.json",
                                                  "values.yaml", *names, *crds])


@pytest.mark.e2e
def test_chart_yaml_names_the_chart_taskora_at_the_library_version(exported):
    meta = yaml.safe_load((exported.chart / "Chart.yaml").read_text())
    assert list(meta) == ["apiVersion", "name", "version", "description", "type"]
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "taskora"
    assert meta["version"] == VERSION == helm_chart.project_version()
    assert meta["type"] == "application"
    assert "Taskora" in meta["description"] and ROOT.name not in meta["description"].split()


@pytest.mark.e2e
def test_the_readme_names_every_secret_the_templates_read_in_install_order(exported):
    # GIVEN the chart WHEN read THEN it holds no Secret, no secret value and no digest of one,
    # and its README creates, after the Namespace and before the release, each Secret a
    # template reads that nothing creates, with the keys read
    text = "".join((exported.chart / name).read_text() for name in chart_files(exported.chart))
    assert "kind: Secret" not in text and "checksum/secrets" not in text and "checksum/credentials" not in text
    assert "your-secure-password" not in text and "your-cohere-api-key" not in text
    readme = (exported.chart / "README.md").read_text()
    objects = exported.plain_objects()
    read: dict[str, set[str]] = {}
    for o in objects:
        for ref in re.findall(r"secretKeyRef: \{key: (\S+), name: (\S+)\}", yaml.safe_dump(o, default_flow_style=None)):
            read.setdefault(ref[1], set()).add(ref[0])
    cluster = [o["metadata"]["name"] for o in objects if o["kind"] == "Cluster"]
    for name, keys in read.items():
        if cluster and name == f"{cluster[0]}-app":
            assert name not in readme  # the operator writes it
            continue
        line = next(line for line in readme.splitlines() if f"create secret generic {name} " in line)
        assert {k for k in re.findall(r"--from-literal=([^=]+)=\.\.\.", line)} >= keys
    steps = [readme.index("kubectl apply -f namespace.yaml"), readme.index("create secret generic taskora-secrets"),
             readme.index("helm install taskora <this directory> --namespace taskora")]
    assert steps == sorted(steps)


def test_the_secrets_to_create_are_read_off_the_objects():
    # GIVEN objects that read Secrets in every way the app does THEN each Secret nothing makes
    # is listed with its keys; an operator's and cert-manager's are not
    pod = {"containers": [{"name": "c", "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "A"}}}],
                           "envFrom": [{"secretRef": {"name": "whole"}}]}],
           "volumes": [{"name": "v", "secret": {"secretName": "x-db-credentials"}}]}
    objects = [
        {"kind": "Deployment", "metadata": {"name": "d", "namespace": "n"}, "spec": {"template": {"spec": pod}}},
        {"kind": "Cluster", "metadata": {"name": "db", "namespace": "n"}, "spec": {"backup": {"barmanObjectStore": {
            "s3Credentials": {"accessKeyId": {"name": "s3", "key": "ID"}, "secretAccessKey": {"name": "s3", "key": "KEY"}}}},
            "x": {"secretKeyRef": {"name": "db-app", "key": "uri"}}}},
        {"kind": "Ingress", "metadata": {"name": "i", "namespace": "n", "annotations": {"cert-manager.io/cluster-issuer": "le"}},
         "spec": {"tls": [{"secretName": "issued"}]}},
        {"kind": "Ingress", "metadata": {"name": "j", "namespace": "n"}, "spec": {"tls": [{"secretName": "mine"}]}},
    ]
    assert helm_chart.secrets_to_create(objects) == {
        "mine": {"namespace": "n", "keys": ["tls.crt", "tls.key"], "type": "tls"},
        "s": {"namespace": "n", "keys": ["A"], "type": "generic"},
        "s3": {"namespace": "n", "keys": ["ID", "KEY"], "type": "generic"},
        "whole": {"namespace": "n", "keys": [], "type": "generic"},
        "x-db-credentials": {"namespace": "n", "keys": ["password", "username"], "type": "generic"},
    }


# --- make helm ---------------------------------------------------------------------------------

@pytest.mark.e2e
def test_make_helm_writes_a_linted_chart_and_prints_one_line(default_helm_chart):
    # GIVEN `make helm` run as a user runs it (the local profile's export: the tests of that
    # profile check the chart it wrote) THEN it succeeds and prints one line
    chart, result = default_helm_chart
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"Wrote Helm chart taskora {VERSION} (6 templates) to {chart}/, linted (helm lint --strict); install: see "
        f"{chart}/README.md, then helm install taskora {chart} --namespace taskora"]
    assert result.stderr == ""


@pytest.mark.e2e
def test_a_chart_helm_lint_refuses_is_not_written(tmp_path):
    # GIVEN an app whose chart Helm only warns about (an object without a name) WHEN exported
    # THEN --strict makes the warning fail the export, with Helm's finding, and nothing is written
    app_file = tmp_path / "nameless.py"
    app_file.write_text("import cdk8s\napp = cdk8s.App()\nchart = cdk8s.Chart(app, 'c')\n"
                        "cdk8s.ApiObject(chart, 'cm', api_version='v1', kind='ConfigMap', "
                        "metadata=cdk8s.ApiObjectMetadata(name=''))\napp.synth()\n")
    with pytest.raises(RuntimeError, match=r"helm lint --strict refused the chart:[\s\S]*\[WARNING\] "
                                             r"templates/c.k8s.yaml: object name does not conform") as raised:
        helm_chart.export(tmp_path / "helm" / "c", app=f"{sys.executable} {app_file}")
    assert f"Linting {tmp_path / 'helm' / 'c'}\n" in str(raised.value)  # named as the user's directory
    assert not (tmp_path / "helm" / "c").exists()


@pytest.mark.e2e
def test_a_failed_export_leaves_the_previous_chart(tmp_path, default_helm_chart):
    # GIVEN an exported chart (a copy of the one `make helm` wrote, byte for byte) WHEN an export
    # into the same place fails THEN the chart is untouched
    chart = tmp_path / "taskora"
    shutil.copytree(default_helm_chart[0], chart)
    before = {name: (chart / name).read_bytes() for name in chart_files(chart)}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "helm_chart.py"), "--output", str(chart),
                             "--app", f"{sys.executable} -c 'raise SystemExit(\"boom: bad app\")'"],
                            cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == helm_chart.EXIT_FAILED
    assert "boom: bad app" in result.stderr and "    at " not in result.stderr
    assert {name: (chart / name).read_bytes() for name in chart_files(chart)} == before
    assert sorted(p.name for p in chart.parent.iterdir()) == ["taskora"]


# --- escaping, and no secret in a chart ---------------------------------------------------------

TEMPLATED_APP = '''
import cdk8s
from taskora_constructs import Taskora, TaskoraProps, TaskoraSecretValues

app = cdk8s.App()
Taskora(app, "taskora", TaskoraProps(secrets=TaskoraSecretValues(
    existing_secret="app-secrets", database_existing_secret="db-credentials")))
chart = cdk8s.Chart(app, "templated", disable_resource_name_hashes=True)
config_map = cdk8s.ApiObject(chart, "cm", api_version="v1", kind="ConfigMap",
                             metadata=cdk8s.ApiObjectMetadata(name="templated", namespace="taskora"))
config_map.add_json_patch(cdk8s.JsonPatch.add("/data", DATA))
app.synth()
'''
TEMPLATED_DATA = {"greeting": "Hello {{ .Release.Name }}", "braces": "{{{x}}}", "trim": "{{- . -}}",
                  "fail": '{{ fail "boom" }}', "comment": "{{/* c */}}", "open": "{{", "escaped": '{{"{{"}}',
                  "mixed": "a}}b{{c{{{{"}


@pytest.mark.e2e
def test_data_with_template_delimiters_survives_helm(tmp_path):
    # GIVEN an app whose ConfigMap holds every kind of `{{`
    app_file = tmp_path / "templated_app.py"
    app_file.write_text(f"DATA = {TEMPLATED_DATA!r}\n{TEMPLATED_APP}")
    app = f"{sys.executable} {app_file}"
    # WHEN it is exported as a Helm chart and Helm renders it
    chart = helm_chart.export(tmp_path / "helm" / "taskora", app=app)
    templates = {p.name: p.read_text() for p in sorted((chart / "templates").iterdir())}
    assert any('{{"{{"}}' in text for text in templates.values())
    documents = rendered(chart, tmp_path)
    # THEN Helm writes the plain synth of the same app, and the values exactly as written
    plain = plain_synth(tmp_path / "plain", app)
    assert documents["0006-templated.k8s.yaml"] == Counter(helm_chart.split_documents(plain["0006-templated.k8s.yaml"]))
    [config_map] = [yaml.safe_load(d) for d in documents["0006-templated.k8s.yaml"]]
    assert config_map["data"] == TEMPLATED_DATA


@pytest.mark.e2e
def test_an_app_that_would_embed_secret_data_is_refused(tmp_path):
    app_file = tmp_path / "secret_app.py"
    app_file.write_text("import cdk8s\napp = cdk8s.App()\nchart = cdk8s.Chart(app, 's')\n"
                        "s = cdk8s.ApiObject(chart, 's', api_version='v1', kind='Secret', "
                        "metadata=cdk8s.ApiObjectMetadata(name='leak'))\n"
                        "s.add_json_patch(cdk8s.JsonPatch.add('/stringData', {'password': 'sentinel-7c1e'}))\n"
                        "app.synth()\n")
    with pytest.raises(RuntimeError, match="Secret/leak holds data: a Helm chart must take its secrets from an "
                                           "existing Secret") as raised:
        helm_chart.export(tmp_path / "helm" / "leak", app=f"{sys.executable} {app_file}")
    assert "sentinel-7c1e" not in str(raised.value)
    assert not (tmp_path / "helm" / "leak").exists()


@pytest.mark.e2e
def test_a_warm_helm_build_builds_nothing_and_is_keyed_by_version_and_go_sum():
    # GIVEN the set-up's build WHEN build.sh runs again, with the module proxy switched off
    # THEN it prints the cached binary at once, keyed by Helm's version and go.mod+go.sum
    module = ROOT / "tools" / "helm"
    result = subprocess.run(["bash", str(module / "build.sh")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "GOPROXY": "off"})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    key = hashlib.sha256((module / "go.mod").read_bytes() + (module / "go.sum").read_bytes()).hexdigest()[:12]
    path = Path(result.stdout.strip())
    assert path.parent.parent.name == f"helm-{HELM_VERSION}-{key}" and path == HELM.resolve()
