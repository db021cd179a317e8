"""`make helm` exports the synth as a Helm chart named `taskora` (scripts/helm_chart.py).

GIVEN the app WHEN exported with `make helm` THEN Chart.yaml names the chart `taskora` (not
the working directory, as cdk8s-cli would) at pyproject's version, the chart carries no CRD
that no template uses, and its templates, as Helm renders them, are byte for byte the plain
synth. A `{{` in the data is escaped, so Helm writes it instead of evaluating it.

No Helm binary is available offline, so rendering is checked with the subset of Go's
text/template the export may produce: text outside actions is copied verbatim, and the only
action allowed is a string constant (`{{"{{"}}`), which outputs the string.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from test_packaging import VERSION

_spec = importlib.util.spec_from_file_location("helm_chart", ROOT / "scripts" / "helm_chart.py")
helm_chart = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helm_chart)

#: A text/template action that is a Go string constant; Helm outputs the string.
_STRING_ACTION = re.compile(r'\{\{"((?:[^"\\]|\\.)*)"\}\}')


def helm_render(text: str) -> str:
    """What Helm writes for ``text``; fails on any action other than a string constant."""
    out, position = [], 0
    while (start := text.find("{{", position)) != -1:
        out.append(text[position:start])
        action = _STRING_ACTION.match(text, start)
        assert action, f"Helm would evaluate {text[start:start + 60]!r}"
        out.append(action.group(1).replace('\\"', '"').replace("\\\\", "\\"))
        position = action.end()
    return "".join(out) + text[position:]


def cli_env() -> dict[str, str]:
    return {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK8S_CHECK_UPGRADE": "false"}


def plain_synth(outdir: Path, app: str | None = None) -> dict[str, str]:
    """The plain synth, file name -> text: what `make synth` writes (main.py run directly, as
    `make synth` runs it; tests/test_cli_synth.py proves `cdk8s synth` writes the same bytes),
    or what ``app`` writes into ``CDK8S_OUTDIR``."""
    command = shlex.split(app) if app else [sys.executable, "main.py"]
    result = subprocess.run(command, cwd=ROOT, env={**cli_env(), "CDK8S_OUTDIR": str(outdir)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return {p.name: p.read_text() for p in sorted(outdir.iterdir())}


def chart_files(chart: Path) -> list[str]:
    return sorted(p.relative_to(chart).as_posix() for p in chart.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """`make helm` into a temporary directory, and the plain synth to compare with."""
    base = tmp_path_factory.mktemp("helm")
    chart = base / "out" / "taskora"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_"))}
    result = subprocess.run(["make", "--no-print-directory", "helm", f"HELM_DIR={chart}"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, chart, synth_with_existing_secrets(base / "plain")


def synth_with_existing_secrets(outdir: Path) -> dict[str, str]:
    """What `make synth` writes when both Secrets are existing ones: what the chart must hold."""
    layer = outdir.parent / "existing-secrets.yaml"
    layer.write_text("secrets: {existingSecret: taskora-secrets}\ndatabase: {existingSecret: taskora-db-credentials}\n")
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**cli_env(), "CDK8S_OUTDIR": str(outdir), "TASKORA_VALUES": str(layer)})
    assert result.returncode == 0, result.stdout + result.stderr
    return {p.name: p.read_text() for p in sorted(outdir.iterdir())}


# --- escaping ------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    "plain", "{{ .Values.password }}", "{{- fail \"boom\" -}}", "{{{x}}}", "a}}b{{c", '{{"{{"}}',
    "{{/* comment */}}", "{{", "x{", "{x{{", "{{{{",
])
def test_escaping_makes_helm_write_any_text_literally(data):
    # GIVEN text with template delimiters WHEN escaped and rendered THEN it comes back unchanged
    assert helm_render(helm_chart.escape_template(data)) == data


def test_the_check_refuses_an_unescaped_action():
    # GIVEN a template with a real action THEN the rendering check says Helm would evaluate it
    with pytest.raises(AssertionError, match="Helm would evaluate"):
        helm_render("password: {{ .Values.password }}")


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
TEMPLATED_DATA = {"greeting": "Hello {{ .Release.Name }}", "braces": "{{{x}}}", "trim": "{{- . -}}"}


@pytest.mark.e2e
def test_data_with_template_delimiters_survives_the_helm_export(tmp_path):
    # GIVEN an app whose Secrets and a ConfigMap hold `{{`
    app_file = tmp_path / "templated_app.py"
    app_file.write_text(f"DATA = {TEMPLATED_DATA!r}\n{TEMPLATED_APP}")
    app = f"{sys.executable} {app_file}"
    # WHEN it is exported as a Helm chart
    chart = helm_chart.export(tmp_path / "helm" / "taskora", app=app)
    templates = {p.name: p.read_text() for p in sorted((chart / "templates").iterdir())}
    # THEN the only actions are escapes, and Helm's output is the plain synth of the same app
    assert any('{{"{{"}}' in text for text in templates.values())
    plain = plain_synth(tmp_path / "plain", app)
    assert {name: helm_render(text) for name, text in templates.items()} == plain
    # AND the values come out exactly as written
    objects = [o for text in plain.values() for o in yaml.safe_load_all(text) if o]
    config_map = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "templated")
    assert config_map["data"] == TEMPLATED_DATA
    assert not any(o["kind"] == "Secret" for o in objects)  # a chart never embeds one (below)


# --- the chart `make helm` writes ----------------------------------------------------------

@pytest.mark.e2e
def test_make_helm_prints_one_line_naming_the_chart(exported):
    result, chart, _ = exported
    assert result.stdout.splitlines() == [
        f"Wrote Helm chart taskora {VERSION} (6 templates) to {chart}/ (install: helm install taskora {chart})"]
    assert result.stderr == ""


@pytest.mark.e2e
def test_chart_yaml_names_the_chart_taskora_at_the_library_version(exported):
    _, chart, _ = exported
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert list(meta) == ["apiVersion", "name", "version", "description", "type"]
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "taskora"
    assert meta["version"] == VERSION == helm_chart.project_version()
    assert meta["type"] == "application"
    assert "Taskora" in meta["description"] and ROOT.name not in meta["description"].split()


@pytest.mark.e2e
def test_the_chart_holds_the_templates_and_no_unused_crd(exported):
    # cdk8s-cli copies the Gateway API CRD that cdk8s.yaml imports; no template uses it
    _, chart, plain = exported
    assert chart_files(chart) == ["Chart.yaml", "README.md", *[f"templates/{name}" for name in plain]]


@pytest.mark.e2e
def test_the_templates_as_helm_renders_them_are_the_plain_synth(exported):
    _, chart, plain = exported
    templates = {p.name: p.read_text() for p in sorted((chart / "templates").iterdir())}
    assert list(templates) == list(plain)
    assert {name: helm_render(text) for name, text in templates.items()} == plain


@pytest.mark.e2e
def test_a_failed_export_leaves_the_previous_chart(exported, tmp_path):
    # GIVEN an exported chart WHEN an export into the same place fails THEN the chart is untouched
    _, chart, _ = exported
    before = {name: (chart / name).read_bytes() for name in chart_files(chart)}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "helm_chart.py"), "--output", str(chart),
                             "--app", f"{sys.executable} -c 'raise SystemExit(\"boom: bad app\")'"],
                            cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == helm_chart.EXIT_FAILED
    assert "boom: bad app" in result.stderr and "    at " not in result.stderr
    assert {name: (chart / name).read_bytes() for name in chart_files(chart)} == before
    assert sorted(p.name for p in chart.parent.iterdir()) == ["taskora"]


# --- no secret in a chart ----------------------------------------------------------------------

@pytest.mark.e2e
def test_the_chart_takes_its_secrets_from_existing_secrets_and_says_which(exported):
    # GIVEN the chart `make helm` wrote WHEN read THEN it holds no Secret, no secret value and no
    # digest of one, and its README lists the Secrets to create first, with their keys
    _, chart, _ = exported
    text = "".join((chart / name).read_text() for name in chart_files(chart))
    assert "kind: Secret" not in text and "checksum/secrets" not in text and "checksum/credentials" not in text
    assert "your-secure-password" not in text and "your-cohere-api-key" not in text
    readme = (chart / "README.md").read_text()
    assert ("kubectl create secret generic taskora-secrets --from-literal=DATABASE_URL=... "
            "--from-literal=COHERE_API_KEY=...") in readme
    assert "kubectl create secret generic taskora-db-credentials --from-literal=username=..." in readme


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

