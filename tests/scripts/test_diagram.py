"""`make diagram` (scripts/diagram.py, scripts/_netgraph.py): docs/deployment.md pictures the
synthesized objects and the NetworkPolicy graph (issue #14).

GIVEN the default synth THEN the committed page and its SVGs are exactly what the generator
writes from it, and name every workload, Service and allowed path. GIVEN other objects (a
values file, production, hand-made policies) THEN the picture follows them.
"""

from __future__ import annotations

import shutil
import sys
import xml.etree.ElementTree as ET

import cdk8s
import pytest

from tests.support.paths import ROOT
from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, SECRETS, STATEFULSET_PROFILE, written_profile
from taskora_app.values import load as load_values
from taskora_constructs import Taskora

sys.path.insert(0, str(ROOT / "scripts"))

import diagram  # noqa: E402
from _netgraph import Graph, describe_ports  # noqa: E402

PAGE = ROOT / "docs" / "deployment.md"


def page_of(objects: list[dict]) -> str:
    return diagram.render(objects, "dist/", "deployment")[0]


def paths(objects: list[dict]) -> set[tuple[str, str, str]]:
    graph = Graph(objects)
    dns = diagram.dns_peers(graph)
    return {(diagram.peer_name(p.source, dns), diagram.peer_name(p.destination, dns), describe_ports(p.ports))
            for p in graph.sorted_paths()}


def test_the_committed_page_and_svgs_are_the_default_synths(capsys):
    status = diagram.main([str(written_profile("local")), "--check", "--output", str(PAGE)])
    assert status == 0, capsys.readouterr().err + " (run make diagram)"


def test_the_page_names_every_workload_service_and_allowed_path():
    objects = diagram.load(written_profile("local"))
    page = PAGE.read_text()
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet", "Service", "Ingress", "ConfigMap", "Secret"):
            assert f"{o['kind']} {o['metadata']['name']}" in page, o["metadata"]["name"]
    for source, destination, ports in paths(objects):
        assert f"| {source} | {destination} | {ports} |" in page
    assert paths(objects) == {
        ("Deployment taskora-frontend", "Deployment taskora-backend", "TCP 8000"),
        ("Deployment taskora-backend", "StatefulSet taskora-db", "TCP 5432"),
        ("all pods in namespace ingress-nginx", "Deployment taskora-frontend", "TCP 3000"),
        ("all pods in namespace ingress-nginx", "Deployment taskora-backend", "TCP 8000"),
        ("Deployment taskora-backend", "internet: 0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
                                       "169.254.0.0/16, 100.64.0.0/10", "TCP 443"),
        ("Deployment taskora-backend", "internet: ::/0 except fc00::/7, fe80::/10", "TCP 443"),
        *{(workload, "DNS: k8s-app=kube-dns in namespace kube-system", "TCP 53, UDP 53")
          for workload in ("Deployment taskora-frontend", "Deployment taskora-backend", "StatefulSet taskora-db")},
    }  # and nothing else: the frontend never reaches Postgres


def test_the_references_are_drawn():
    page = PAGE.read_text()
    for edge in ('deployment_taskora_taskora_backend -->|"env"| secret_taskora_taskora_secrets',
                 'deployment_taskora_taskora_frontend -->|"env"| configmap_taskora_taskora_config',
                 'statefulset_taskora_taskora_db -->|"volume"| secret_taskora_taskora_db_credentials',
                 'service_taskora_taskora_db -->|"selects, to port 5432"| statefulset_taskora_taskora_db',
                 'statefulset_taskora_taskora_db -->|"claims (data)"| pvc_taskora_data_taskora_db_0',
                 'ingress_taskora_taskora_ingress -->|"taskora.local/ → 3000"| service_taskora_taskora_frontend',
                 'ingress_taskora_taskora_ingress_api -->|"taskora.local/api(/#124;$)(.*) → 8000"| '
                 'service_taskora_taskora_backend'):
        assert edge in page


def test_a_values_file_gets_its_own_picture(tmp_path):
    if shutil.which("dot") is None:  # as the picture tests do (tests/scripts/test_diagram_render.py)
        pytest.skip("Graphviz dot is not installed: `make deps-debian` (run by `make test`) installs it")
    values = tmp_path / "mine.yaml"
    values.write_text("backend:\n  replicas: 5\nnetworkPolicy:\n  enabled: false\n")
    props = load_values({"TASKORA_ENV": "local", "TASKORA_VALUES": str(values)}, secrets_file=NO_SECRETS_FILE)[1]
    app = cdk8s.App(outdir=str(tmp_path / "dist"))
    Taskora(app, "taskora", props)
    app.synth()
    output = tmp_path / "out" / "mine.md"
    output.parent.mkdir()
    assert diagram.main([str(tmp_path / "dist"), "--output", str(output)]) == 0
    page = output.read_text()
    assert "Deployment taskora-backend<br/>5 replica(s)" in page
    assert "No NetworkPolicy in these files: every pod may reach every pod, and the internet." in page
    assert sorted(p.name for p in output.parent.iterdir()) == ["mine-objects.svg", "mine.md"]
    svg = (output.parent / "mine-objects.svg").read_text()
    assert svg.startswith("<!-- drawn by make diagram (Graphviz dot)") and "foreignObject" not in svg
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg[svg.index("<svg"):]).iter("{http://www.w3.org/2000/svg}text")]
    assert "Deployment taskora-backend" in texts and "5 replica(s)" in texts


def test_production_pictures_the_backup_and_the_autoscalers():
    page = page_of(diagram.load(written_profile(STATEFULSET_PROFILE)))
    assert 'cronjob_taskora_taskora_db_backup -->|"volume"| pvc_taskora_backup_taskora_db_0' in page
    assert 'horizontalpodautoscaler_taskora_taskora_backend -.->|"scales"| deployment_taskora_taskora_backend' in page
    assert "| CronJob taskora-db-backup | StatefulSet taskora-db | TCP 5432 |" in page
    assert "| CronJob taskora-db-backup | DNS: k8s-app=kube-dns in namespace kube-system | TCP 53, UDP 53 |" in page


def test_a_reference_to_an_object_outside_the_files_is_dashed():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"},
                  "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                      {"name": "web", "image": "web:1", "envFrom": [{"secretRef": {"name": "external"}}]}]}}}}
    page = page_of([deployment])
    assert 'secret_a_external["Secret external<br/>(not in these files)"]:::outside' in page
    assert 'deployment_a_web -->|"envFrom"| secret_a_external' in page


def _pod(name: str, ports: list[dict] | None = None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "n"},
            "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                {"name": name, "image": "x", "ports": ports or []}]}}}}


def _policy(name: str, selector: dict, **spec) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "n"},
            "spec": {"podSelector": selector, **spec}}


def test_policies_allow_what_both_ends_allow_on_common_ports():
    objects = [
        _pod("a"), _pod("b", [{"name": "http", "containerPort": 8080}]), _pod("c"),
        # b accepts a on its named port http and on 9000; a may send to b on 8080 only; c is not isolated
        _policy("b", {"matchLabels": {"app": "b"}}, policyTypes=["Ingress"], ingress=[
            {"from": [{"podSelector": {"matchLabels": {"app": "a"}}}], "ports": [{"port": "http"}, {"port": 9000}]}]),
        _policy("a", {"matchLabels": {"app": "a"}}, policyTypes=["Egress"], egress=[
            {"to": [{"podSelector": {"matchLabels": {"app": "b"}}}], "ports": [{"port": 8080}]}]),
    ]
    found = paths(objects)
    assert ("Deployment a", "Deployment b", "TCP 8080") in found
    assert ("Deployment a", "Deployment c", "any port") not in found  # a's egress is isolated
    assert ("Deployment c", "Deployment a", "any port") in found  # a's ingress is not
    assert ("Deployment c", "Deployment b", "any port") not in found  # b admits only a
    assert ("anywhere", "Deployment c", "any port") in found and ("Deployment c", "anywhere", "any port") in found


def test_a_selector_matching_no_workload_is_shown_as_such():
    objects = [_pod("a"), _policy("a", {}, policyTypes=["Egress"], egress=[
        {"to": [{"podSelector": {"matchLabels": {"app": "typo"}}}], "ports": [{"port": 80}]}])]
    assert ("Deployment a", "app=typo in namespace n (no workload of these files)", "TCP 80") in paths(objects)


def test_the_page_holds_each_picture_once_and_stays_short():
    page = PAGE.read_text()
    assert page.count("```mermaid") == 2
    assert len(page.splitlines()) < 400


def test_production_shows_the_autoscaled_ranges_the_full_images_and_the_database_cluster():
    # GIVEN production (autoscalers, images by digest, a CloudNativePG Cluster) WHEN pictured
    objects = diagram.load(written_profile("production"))
    page = page_of(objects)
    backend = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "taskora-backend")
    image = backend["spec"]["template"]["spec"]["containers"][0]["image"]
    # THEN a workload under an autoscaler shows the autoscaler's range, and its image in full
    assert f"Deployment taskora-backend<br/>4-10 replicas (autoscaled)<br/>{image}" in page
    assert "@sha256:" in image and "Deployment taskora-frontend<br/>3-6 replicas (autoscaled)" in page
    # AND the Cluster is connected: the credentials it writes, which the backend reads; its backups
    assert 'cluster_taskora_taskora_db -->|"writes (uri, username, password)"| secret_taskora_taskora_db_app' in page
    assert 'deployment_taskora_taskora_backend -->|"env"| secret_taskora_taskora_db_app' in page
    assert 'scheduledbackup_taskora_taskora_db -.->|"backs up"| cluster_taskora_taskora_db' in page
    # (through the Barman Cloud plugin's ObjectStore, which names the credentials)
    assert ('cluster_taskora_taskora_db -->|"archives WAL and backups (plugin)"| '
            'objectstore_taskora_taskora_db_store') in page
    assert 'objectstore_taskora_taskora_db_store -->|"backup credentials"| secret_taskora_taskora_backup_s3' in page
    # AND who may reach it: the backend, on 5432; the instances each other; never the frontend
    assert "| Deployment taskora-backend | Cluster taskora-db (primary) | TCP 5432 |" in page
    assert "| Cluster taskora-db (replica) | Cluster taskora-db (primary) | TCP 5432, TCP 8000 |" in page
    assert "| Deployment taskora-frontend | Cluster" not in page


def test_a_pooler_is_pictured_between_the_backend_and_the_primary(tmp_path):
    layer = tmp_path / "pooler.yaml"
    layer.write_text("database:\n  cloudnativePg: {pooler: {enabled: true, instances: 2}}\n")
    (tmp_path / "release.yaml").write_text(DIGESTS_LAYER)
    props = load_values({"TASKORA_ENV": "production", "TASKORA_VALUES": f"{tmp_path / 'release.yaml'}:{layer}", **SECRETS},
                        secrets_file=NO_SECRETS_FILE)[1]
    app = cdk8s.App(outdir=str(tmp_path / "dist"))
    Taskora(app, "taskora", props)
    app.synth()
    page = page_of(diagram.load(tmp_path / "dist"))
    assert 'pooler_taskora_taskora_db_pooler_rw -->|"pools connections to (rw)"| cluster_taskora_taskora_db' in page
    assert "Pooler taskora-db-pooler-rw<br/>2 PgBouncer instance(s), rw, pool mode session" in page
    assert "| Deployment taskora-backend | Pooler taskora-db-pooler-rw | TCP 5432 |" in page
    assert "| Pooler taskora-db-pooler-rw | Cluster taskora-db (primary) | TCP 5432 |" in page
    assert "| Deployment taskora-backend | Cluster taskora-db (primary) |" not in page  # through the pooler only
