#!/usr/bin/env python3
"""The floor of ``make bench``: a minimal cdk8s Python app with one ConfigMap.

Everything a cdk8s Python synth pays before any app code - Python, jsii, the Node
process, the constructs and cdk8s assemblies, one chart written as YAML - and nothing
else. bench.py runs it with ``cdk8s synth -o <temporary directory>``.
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s  # noqa: E402

app = cdk8s.App()
chart = cdk8s.Chart(app, "floor", disable_resource_name_hashes=True)
config_map = cdk8s.ApiObject(chart, "config", api_version="v1", kind="ConfigMap",
                             metadata=cdk8s.ApiObjectMetadata(name="floor"))
config_map.add_json_patch(cdk8s.JsonPatch.add("/data", {"greeting": "hello"}))
app.synth()
