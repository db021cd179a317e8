"""TaskoraConfig and TaskoraSettings (taskora_constructs/taskora/config.py): GIVEN a chart WHEN the
ConfigMap is created THEN it holds API_BASE_URL and the settings as strings, consumers reference
only keys it defines, and its checksum changes with the entries it covers; wrong settings name
the key, rule and fix."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import TaskoraConfig, TaskoraConfigError, TaskoraConfigProps, TaskoraSettings

URL = "http://api.shop.svc:8000"


def build(**kwargs) -> tuple[TaskoraConfig, dict]:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    config = TaskoraConfig(chart, "app-config", **kwargs)
    [config_map] = cdk8s.Testing.synth(chart)
    return config, config_map


def test_the_default_settings_are_the_models():
    # GIVEN a chart WHEN the ConfigMap is created with only the backend URL
    config, config_map = build(api_base_url=URL)
    # THEN it holds the URL and the model's settings, each a string
    assert config_map["kind"] == "ConfigMap" and config_map["metadata"]["name"] == config.config_map_name
    assert config_map["metadata"]["labels"] == {"app": "app-config"}
    assert config_map["data"] == {"API_BASE_URL": URL, "APP_ENV": "production", "LOG_LEVEL": "info",
                                  "ENABLE_METRICS": "true", "MAX_CONVERSATION_HISTORY": "20",
                                  "CHAT_RATE_LIMIT": "30"}
    assert config.data == config_map["data"]


def test_given_settings_reach_the_configmap():
    settings = TaskoraSettings(app_env="staging", log_level="debug", enable_metrics=False,
                               max_conversation_history=5, chat_rate_limit=120)
    config, config_map = build(props=TaskoraConfigProps(api_base_url=URL, settings=settings), name="cfg",
                               app_name="shop")
    assert config_map["metadata"]["name"] == "cfg" and config_map["metadata"]["labels"] == {"app": "shop"}
    assert {k: v for k, v in config_map["data"].items() if k != "API_BASE_URL"} == {
        "APP_ENV": "staging", "LOG_LEVEL": "debug", "ENABLE_METRICS": "false",
        "MAX_CONVERSATION_HISTORY": "5", "CHAT_RATE_LIMIT": "120"}
    assert config.settings is settings


def test_key_ref_names_the_configmap_and_refuses_an_undefined_key():
    config, _ = build(api_base_url=URL)
    assert config.key_ref(TaskoraConfig.LOG_LEVEL) == {"configMapKeyRef": {"name": "app-config", "key": "LOG_LEVEL"}}
    with pytest.raises(TaskoraConfigError) as raised:
        config.key_ref("LOG_LEVLE")
    [problem] = raised.value.problems
    assert (problem.where, problem.field, problem.value) == ("shop/app-config", "configMapKeyRef.key", "LOG_LEVLE")
    assert problem.rule.startswith("must be a key of ConfigMap 'app-config' (API_BASE_URL, APP_ENV, LOG_LEVEL")
    assert problem.fix == "reference one of the defined keys"


def test_the_checksum_follows_only_the_entries_it_covers():
    base, _ = build(api_base_url=URL)
    other_level, _ = build(api_base_url=URL, settings=TaskoraSettings(log_level="error"))
    keys = [TaskoraConfig.API_BASE_URL, TaskoraConfig.LOG_LEVEL]
    assert base.checksum(keys) == build(api_base_url=URL)[0].checksum(keys)  # stable
    assert base.checksum(keys) != other_level.checksum(keys)  # a covered entry changed: consumers roll
    assert base.checksum([TaskoraConfig.API_BASE_URL]) == other_level.checksum([TaskoraConfig.API_BASE_URL])


def test_every_wrong_setting_is_reported_by_its_configmap_key():
    with pytest.raises(TaskoraConfigError) as raised:
        TaskoraSettings(app_env="Production!", log_level="verbose", enable_metrics="yes",
                        max_conversation_history=0, chat_rate_limit=-3)
    problems = {p.field: p for p in raised.value.problems}
    assert sorted(problems) == ["APP_ENV", "CHAT_RATE_LIMIT", "ENABLE_METRICS", "LOG_LEVEL",
                                "MAX_CONVERSATION_HISTORY"]
    assert {p.where for p in problems.values()} == {"TaskoraSettings"}
    assert problems["LOG_LEVEL"].rule == "must be one of debug, info, warning, error, critical"
    assert problems["LOG_LEVEL"].fix == "use 'info'"
    assert (problems["ENABLE_METRICS"].value, problems["ENABLE_METRICS"].fix) == ("yes", "write true or false")
    assert problems["APP_ENV"].value == "Production!"


def test_each_log_level_is_accepted():
    for level in ("debug", "info", "warning", "error", "critical"):
        assert TaskoraSettings(log_level=level).log_level == level


def test_an_invalid_configmap_name_is_refused():
    with pytest.raises(TaskoraConfigError) as raised:
        build(api_base_url=URL, name="App_Config")
    assert [(p.value, p.rule.split(":")[0]) for p in raised.value.problems] == [
        ("App_Config", "must be a DNS-1123 subdomain")]
