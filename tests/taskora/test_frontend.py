"""TaskoraFrontend and TaskoraFrontendProps (taskora_constructs/taskora/frontend.py): GIVEN a chart with the
application ConfigMap and a backend WHEN the frontend is created THEN it is the model's Next.js
workload (section 2.1) reading the API's URL from the ConfigMap and rolling when that entry
changes; a ConfigMap whose URL is not the backend's is refused naming the key, rule and fix."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import TaskoraBackend, TaskoraConfig, TaskoraConfigError, TaskoraFrontend, WebWorkload


def shop() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")


def deployment_of(chart: cdk8s.Chart, name: str) -> dict:
    [deployment] = [o for o in cdk8s.Testing.synth(chart)
                    if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    return deployment


def test_the_default_frontend_is_the_models_and_reads_the_api_url_from_the_config_map():
    # GIVEN a backend and a ConfigMap holding its URL WHEN the frontend is created with defaults
    chart = shop()
    backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    config = TaskoraConfig(chart, "config", api_base_url=backend.url)
    TaskoraFrontend(chart, "web", config=config, backend=backend)
    deployment = deployment_of(chart, "web")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    # THEN the model's replicas, image, port and probe path
    assert deployment["spec"]["replicas"] == 2
    assert container["image"] == "taskora/frontend:latest"
    assert container["ports"] == [{"containerPort": 3000, "name": "http", "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/api/health", "port": 3000}
    assert container["readinessProbe"]["initialDelaySeconds"] == 5
    # AND NEXT_PUBLIC_API_URL is the ConfigMap's API_BASE_URL, by key reference
    assert container["env"] == [{"name": "NEXT_PUBLIC_API_URL", "valueFrom": {
        "configMapKeyRef": {"name": "config", "key": "API_BASE_URL"}}}]
    # AND the pods roll when that entry (and only it) changes
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["checksum/config"] == config.checksum([TaskoraConfig.API_BASE_URL])


def test_the_checksum_follows_the_api_url():
    # GIVEN two apps whose ConfigMaps differ only by the backend's URL WHEN each frontend is built
    def checksum(port: int) -> str:
        chart = shop()
        backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=port)
        TaskoraFrontend(chart, "web", config=TaskoraConfig(chart, "config", api_base_url=backend.url), backend=backend)
        return deployment_of(chart, "web")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    # THEN their pod annotations differ, so a changed URL rolls the frontend
    assert checksum(8000) != checksum(9000)


def test_a_config_map_pointing_elsewhere_than_the_backend_is_refused():
    # GIVEN a ConfigMap whose API_BASE_URL is typed by hand, not the backend's URL
    chart = shop()
    backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    config = TaskoraConfig(chart, "config", api_base_url="http://other:8000")
    # WHEN the frontend is created THEN it is refused naming the key, the rule and the fix
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraFrontend(chart, "web", config=config, backend=backend)
    [problem] = raised.value.problems
    assert (problem.field, problem.value) == ("config.API_BASE_URL", "http://other:8000")
    assert problem.rule == "must be the backend's URL (http://api:8000)"
    assert "api_base_url=backend.url" in problem.fix and "TaskoraBackend.url_for" in problem.fix
    assert problem.where.endswith("web")


def test_props_fields_as_keywords_override_the_model():
    # GIVEN the frontend's fields as keywords WHEN created THEN they replace the model's values
    chart = shop()
    backend = WebWorkload(chart, "api", image="registry.example/api:1.0.0", port=8000)
    TaskoraFrontend(chart, "web", config=TaskoraConfig(chart, "config", api_base_url=TaskoraBackend.url_for("api")),
                    backend=backend, replicas=4, image="registry.example/web:2.0.0")
    deployment = deployment_of(chart, "web")
    assert deployment["spec"]["replicas"] == 4
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/web:2.0.0"
