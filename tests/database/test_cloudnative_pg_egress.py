"""The CloudNativePG pods' egress to the Kubernetes API (issue 20, "the production database").

GIVEN production (engine cloudnative-pg) WHEN synthesized THEN the instances' NetworkPolicy opens
the API server's ports to the private ranges only (not every address, not link-local, where the
cloud metadata endpoint is); a values layer narrows it to the API server's own address; a bad or
empty list is refused at load (exit 2 from main.py) naming the file, the key and the value.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from tests.support.paths import ROOT
from tests.support.profiles import DIGESTS_LAYER, NO_SECRETS_FILE, SECRETS, by_id, objects_of
from taskora_app.values import load
from taskora_constructs import CloudNativePgOptions, TaskoraConfigError

PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]


def api_server_rule(policy: dict) -> dict:
    [rule] = [r for r in policy["spec"]["egress"] if sorted(p["port"] for p in r["ports"]) == [443, 6443]]
    return rule


def allows(rule: dict, address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(peer["ipBlock"]["cidr"])
               and not any(ip in ipaddress.ip_network(e) for e in peer["ipBlock"].get("except", []))
               for peer in rule["to"])


def test_production_opens_the_api_server_ports_to_the_private_ranges_only():
    rule = api_server_rule(by_id(objects_of("production"))["NetworkPolicy/taskora-db"])
    assert [peer["ipBlock"]["cidr"] for peer in rule["to"]] == PRIVATE
    # the ClusterIP, a kubeadm control plane, an EKS ENI, an IPv6 ULA: open
    for address in ("10.96.0.1", "172.18.0.2", "192.168.49.2", "100.64.0.1", "fd00::1"):
        assert allows(rule, address), address
    # any public address and the metadata endpoint: closed (the old default opened both on 443)
    for address in ("142.250.74.10", "2a00:1450:4001:82b::200a", "169.254.169.254", "fe80::1"):
        assert not allows(rule, address), address


def _load(tmp_path, layer: str):
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER)
    (tmp_path / "api.yaml").write_text(layer)
    return load({"TASKORA_ENV": "production", **SECRETS,
                 "TASKORA_VALUES": f"{release}:{tmp_path / 'api.yaml'}"}, secrets_file=NO_SECRETS_FILE)[1]


def test_a_values_layer_narrows_it_to_the_api_servers_address(tmp_path):
    props = _load(tmp_path, "database:\n  cloudnativePg:\n    apiServerCidrs: [10.0.0.10/32]\n"
                            "    apiServerPorts: [6443]\n")
    assert props.database.cloudnative_pg.api_server_cidrs == ("10.0.0.10/32",)
    assert props.database.cloudnative_pg.api_server_ports == (6443,)


@pytest.mark.parametrize("cidrs, ports, bad", [
    ('["10.0.0.1/8"]', "[443]", "apiServerCidrs[0]"),     # host bits set
    ('["10.0.0.10"]', "[443]", "apiServerCidrs[0]"),      # no prefix length: the API server refuses it
    ("[10]", "[443]", "apiServerCidrs[0]"),               # an integer (ipaddress would read 0.0.0.10/32)
    ('["10.0.0.0/33"]', "[443]", "apiServerCidrs[0]"),
    ("[]", "[443]", "apiServerCidrs"),                    # an empty `to` would allow every address
    ('"10.0.0.0/8"', "[443]", "apiServerCidrs"),          # not a list
    ('["10.0.0.0/8"]', "[]", "apiServerPorts"),           # empty `ports` would allow every port
    ('["10.0.0.0/8"]', "[0]", "apiServerPorts[0]"),
])
def test_bad_or_empty_lists_are_refused_naming_file_key_and_value(tmp_path, cidrs, ports, bad):
    with pytest.raises(TaskoraConfigError) as raised:
        _load(tmp_path, f"database:\n  cloudnativePg:\n    apiServerCidrs: {cidrs}\n    apiServerPorts: {ports}\n")
    [problem] = raised.value.problems
    assert problem.field == f"database.cloudnativePg.{bad}"
    assert problem.where.split(":")[0].endswith("api.yaml") and problem.fix


def test_the_construct_refuses_empty_lists_too():
    with pytest.raises(TaskoraConfigError) as raised:
        CloudNativePgOptions(api_server_cidrs=())
    assert [p.field for p in raised.value.problems] == ["apiServerCidrs"]
    assert "allow every address" in raised.value.problems[0].rule


@pytest.mark.e2e
def test_main_exits_2_on_a_bad_cidr_without_a_traceback(tmp_path):
    release = tmp_path / "release.yaml"
    release.write_text(DIGESTS_LAYER)
    layer = tmp_path / "api.yaml"
    layer.write_text("database:\n  cloudnativePg:\n    apiServerCidrs: [10.0.0.1/8]\n")
    out = tmp_path / "dist"
    env = {**os.environ, "TASKORA_ENV": "production", **SECRETS, "TASKORA_VALUES": f"{release}:{layer}",
           "CDK8S_OUTDIR": str(out)}
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 2, result.stderr
    text = result.stdout + result.stderr
    assert "api.yaml" in text and "database.cloudnativePg.apiServerCidrs[0]" in text and "10.0.0.1/8" in text
    assert "Traceback" not in text and not out.exists()
