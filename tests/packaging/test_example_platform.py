"""A second team mixes the library with cdk8s-plus-28 and cdk8s-redis (examples/platform/).

GIVEN the wheel built from this repository and the example app examples/platform/, copied
outside the repository WHEN the wheel (with its ``plus`` extra) and the example's pinned
requirements are installed offline into a fresh virtual environment (from the wheelhouse
`make deps` fills) and the pinned cdk8s CLI synthesizes the example THEN every object is
valid Kubernetes 1.28 and 1.37 in strict mode, each chart's objects live in the chart's own
namespace, the NetworkPolicies admit exactly the intended peers, the escape-hatch patch is
in the output, the database password is in the Secret and nowhere else, and the example's
own tests pass.

The helpers (clean environment, offline install, the CLI) are tests/support/example_team.py's,
shared with tests/packaging/test_example_orders.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.support.paths import ROOT
from tests.support.example_team import Team, example_tests_summary, install_team, installed_library, run, strict_errors
from tests.support.packaging import DISTRIBUTION, VERSION
from taskora_constructs import check_manifests

EXAMPLE = ROOT / "examples" / "platform"
#: Not a secret: a marker the tests look for in every file written.
SENTINEL = "sentinel-platform-db-password-not-a-secret"
SECRETS = {"PLATFORM_DB_PASSWORD": SENTINEL}
FILES = ["0000-namespaces.k8s.yaml", "0001-data.k8s.yaml", "0002-shop.k8s.yaml", "0003-cache.k8s.yaml"]
#: The namespace of every object in each chart file (None: the chart of cluster-scoped Namespaces).
CHART_NAMESPACES = {"0000-namespaces.k8s.yaml": None, "0001-data.k8s.yaml": "data",
                    "0002-shop.k8s.yaml": "shop", "0003-cache.k8s.yaml": "cache"}
NAME_LABEL = "kubernetes.io/metadata.name"
ADDR = "cdk8s.io/metadata.addr"


def in_namespace(namespace: str, labels: dict[str, str]) -> dict:
    return {"namespaceSelector": {"matchLabels": {NAME_LABEL: namespace}}, "podSelector": {"matchLabels": labels}}


def requirement_pins(path: Path) -> dict[str, Requirement]:
    """The requirements of ``path`` by normalized name, following ``-r`` includes."""
    pins: dict[str, Requirement] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("-r "):
            pins.update(requirement_pins(path.parent / line[3:].strip()))
        elif line and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name.lower().replace("_", "-")] = requirement
    return pins


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Iterator[Team]:
    """The platform team's checkout outside the repository, its venv installed offline: once per module."""
    with install_team(tmp_path_factory, EXAMPLE, "platform", SECRETS) as installed:
        yield installed


@pytest.fixture(scope="module")
def synthesized(team) -> tuple[subprocess.CompletedProcess, dict[str, list[dict]]]:
    """The README's run (its last command is the CLI's synth), and the objects of each file it wrote."""
    result = team.readme_run
    files = {path.name: [o for o in yaml.safe_load_all(path.read_text()) if o]
             for path in sorted((team.root / "dist").glob("*.yaml"))}
    return result, files


@pytest.fixture(scope="module")
def objects(synthesized) -> list[dict]:
    return [o for found in synthesized[1].values() for o in found]


def by_kind_name(objects: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objects}


def test_the_example_pins_this_library_and_the_repositorys_versions():
    # GIVEN the example's requirements THEN the library at exactly the version pyproject.toml
    # builds, with its plus extra, and both construct libraries
    pins = requirement_pins(EXAMPLE / "requirements-dev.txt")
    assert str(pins[DISTRIBUTION]) == f"{DISTRIBUTION}[plus]=={VERSION}", \
        "bump examples/platform/requirements.txt with the version in pyproject.toml"
    assert {"cdk8s-plus-28", "cdk8s-redis"} <= set(pins)
    # AND every other pin, transitive ones included, is exactly the repository's
    ours = requirement_pins(ROOT / "requirements-dev.txt")
    del pins[DISTRIBUTION]
    assert {name: str(r.specifier) for name, r in pins.items()} == \
        {name: str(ours[name].specifier) for name in pins if name in ours}
    assert all(str(r.specifier).startswith("==") for r in pins.values())


@pytest.mark.e2e
def test_the_wheel_and_the_pins_install_offline_into_a_fresh_environment(team):
    # WHEN the team's Python imports the library THEN it is the installed wheel, not this checkout,
    # every installed distribution's requirements are met
    installed_library(team)
    # AND exactly the pinned ones are installed
    freeze = run([sys.executable, "-m", "pip", "--python", str(team.python), "freeze", "--all", "--exclude", "pip"],
                 cwd=team.root)
    installed = {Requirement(line).name.lower().replace("_", "-") for line in freeze.stdout.splitlines()}
    assert installed - {"setuptools"} == set(requirement_pins(EXAMPLE / "requirements-dev.txt"))


@pytest.mark.e2e
def test_the_cdk8s_cli_synthesizes_one_file_per_chart_in_apply_order(synthesized, objects):
    result, files = synthesized
    assert result.returncode == 0, result.stdout + result.stderr
    assert "command not found" not in result.stderr and "    at " not in result.stderr, result.stderr
    assert list(files) == FILES
    kinds = {name: sorted(o["kind"] for o in found) for name, found in files.items()}
    assert kinds == {
        "0000-namespaces.k8s.yaml": ["Namespace"] * 3,
        "0001-data.k8s.yaml": ["Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy",
                               "PodDisruptionBudget", "Secret", "Service", "Service", "ServiceAccount",
                               "ServiceAccount", "StatefulSet"],
        "0002-shop.k8s.yaml": ["Deployment", "NetworkPolicy", "NetworkPolicy", "Service"],
        "0003-cache.k8s.yaml": ["Deployment", "Deployment", "Service", "Service"],
    }


@pytest.mark.e2e
@pytest.mark.parametrize("version", ["1.28.0", "1.37.0"])  # cdk8s-plus-28's version, and the newest schema
def test_every_object_is_valid_in_strict_mode(objects, version):
    errors = strict_errors(objects, version)
    assert objects and not errors, "\n".join(errors)


@pytest.mark.e2e
def test_each_charts_objects_are_in_its_own_namespace(synthesized):
    _, files = synthesized
    for name, namespace in CHART_NAMESPACES.items():
        assert {o["metadata"].get("namespace") for o in files[name]} == {namespace}, name
    assert [o["metadata"]["name"] for o in files["0000-namespaces.k8s.yaml"]] == ["shop", "data", "cache"]
    # AND the library's objects are named after their construct ids, in the chart's namespace
    library = {(o["kind"], o["metadata"]["name"]) for o in files["0001-data.k8s.yaml"]}
    assert {("StatefulSet", "inventory-db"), ("Secret", "inventory-db-credentials"),
            ("Deployment", "inventory-api"), ("Service", "inventory-api"),
            ("NetworkPolicy", "default-deny")} <= library


@pytest.mark.e2e
def test_the_network_policies_admit_exactly_the_intended_peers(objects):
    found = by_kind_name(objects)
    storefront = found[("Deployment", "shop", "shop-storefront")]
    storefront_labels = storefront["spec"]["selector"]["matchLabels"]
    assert list(storefront_labels) == [ADDR]  # cdk8s-plus's own selector label
    policies = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]
                for o in objects if o["kind"] == "NetworkPolicy"}
    tcp = [{"protocol": "TCP", "port": 8080}]
    postgres = [{"protocol": "TCP", "port": 5432}]
    data_policies = {name: spec for (namespace, name), spec in policies.items() if namespace == "data"}
    assert data_policies == {
        # data: nothing in, nothing out but DNS ...
        "default-deny": {
            "podSelector": {}, "policyTypes": ["Ingress", "Egress"],
            "egress": [{"to": [in_namespace("kube-system", {"k8s-app": "kube-dns"})],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]},
        # ... Postgres accepts the API's pods only (the edge db.connections.allow_from(api)) ...
        "inventory-db-ingress": {
            "podSelector": {"matchLabels": {"app": "inventory-db"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "inventory-api"}}}], "ports": postgres}]},
        # ... the API opens connections to Postgres (the same edge's other side) ...
        "inventory-api-egress": {
            "podSelector": {"matchLabels": {"app": "inventory-api"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "inventory-db"}}}], "ports": postgres}]},
        # ... and accepts the cdk8s-plus storefront from shop (api.connections.allow_from(storefront))
        "inventory-api-ingress": {
            "podSelector": {"matchLabels": {"app": "inventory-api"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [in_namespace("shop", storefront_labels)], "ports": tcp}]},
    }
    # AND the storefront's own egress: the API's pods in data (the library's edge), DNS (cdk8s-plus's)
    shop_policies = sorted((spec for (namespace, _), spec in policies.items() if namespace == "shop"),
                           key=lambda spec: spec["egress"][0]["ports"][0]["port"])
    assert shop_policies == [
        {"podSelector": {"matchLabels": storefront_labels}, "policyTypes": ["Egress"],
         "egress": [{"to": [in_namespace("kube-system", {"k8s-app": "kube-dns"})],
                     "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]},
        {"podSelector": {"matchLabels": storefront_labels}, "policyTypes": ["Egress"],
         "egress": [{"to": [in_namespace("data", {"app": "inventory-api"})], "ports": tcp}]},
    ]
    # AND the peers select real pods: the API's and the database's pod templates carry those labels
    api = found[("Deployment", "data", "inventory-api")]
    assert api["spec"]["template"]["metadata"]["labels"]["app"] == "inventory-api"
    assert found[("StatefulSet", "data", "inventory-db")]["spec"]["template"]["metadata"]["labels"]["app"] == \
        "inventory-db"
    assert storefront["spec"]["template"]["metadata"]["labels"][ADDR] == storefront_labels[ADDR]
    # AND nothing in cache is restricted (no library and no policy there)
    assert not [key for key in policies if key[0] == "cache"]


@pytest.mark.e2e
def test_the_api_is_the_teams_workload_wired_to_the_database(objects):
    api = by_kind_name(objects)[("Deployment", "data", "inventory-api")]
    pod = api["spec"]["template"]["spec"]
    main, sidecar = pod["containers"]
    assert main["image"] == "registry.example/platform/inventory-api:3.0.1"
    assert main["ports"][0]["containerPort"] == 8080
    assert main["readinessProbe"]["httpGet"]["path"] == "/ready"
    env = {e["name"]: e for e in main["env"]}
    assert env["DB_HOST"] == {"name": "DB_HOST", "value": "inventory-db"}
    assert env["DB_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "inventory-db-credentials",
                                                                "key": "password"}}
    assert sidecar["name"] == "log-shipper"
    assert pod["nodeSelector"] == {"pool": "platform"}
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "platform",
                                   "effect": "NoSchedule"}]
    # AND the escape-hatch JSON patch (api.deployment.add_json_patch) survived synth
    assert api["spec"]["revisionHistoryLimit"] == 3


@pytest.mark.e2e
def test_the_password_is_in_the_secret_and_nowhere_else(team, synthesized):
    result, files = synthesized
    holders = [(name, o["kind"], o["metadata"]["name"]) for name, found in files.items() for o in found
               if SENTINEL in yaml.safe_dump(o)]
    assert holders == [("0001-data.k8s.yaml", "Secret", "inventory-db-credentials")]
    [secret] = [o for o in files["0001-data.k8s.yaml"] if o["kind"] == "Secret"]
    assert secret["stringData"]["password"] == SENTINEL
    # AND not in any other file the synth left, nor in the CLI's output
    written = [path for path in team.root.rglob("*") if path.is_file() and ".venv" not in path.parts
               and SENTINEL.encode() in path.read_bytes()]
    assert written == [team.root / "dist" / "0001-data.k8s.yaml"]
    assert SENTINEL not in result.stdout + result.stderr


@pytest.mark.e2e
def test_the_output_passes_the_reference_integrity_rules(synthesized):
    # GIVEN every object, the cdk8s-plus and cdk8s-redis ones included, each marked with the
    # containers the library built (as the in-app lint knows them: the model's policy rules
    # bind only those; the API's log-shipper sidecar and the other libraries' are the team's)
    _, files = synthesized
    marked = []
    for name, found in files.items():
        for o in found:
            built: bool | frozenset[str] = name == "0001-data.k8s.yaml"
            if (o["kind"], o["metadata"]["name"]) == ("Deployment", "inventory-api"):
                built = frozenset({"inventory-api"})
            marked.append((f"{name}: {o['kind']}/{o['metadata']['name']}", o, built))
    # THEN the library's opt-in cross-object rules find nothing
    assert marked and [str(p) for p in check_manifests(marked)] == []
    # AND they are not vacuous: the sidecar held to the model's rules lacks probes
    strict = [(where, o, True) for where, o, _ in marked]
    assert any("log-shipper" in str(p) for p in check_manifests(strict))


@pytest.mark.e2e
def test_the_examples_own_tests_pass_in_its_environment(team):
    # GIVEN the README's run (its `.venv/bin/python -m pytest` line: the team's environment)
    # THEN the example's own tests ran and all passed
    assert example_tests_summary(team) is not None
