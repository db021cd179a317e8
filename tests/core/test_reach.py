"""Whether code outside the library reached its constructs across jsii (taskora_constructs/core/reach.py,
issue 22): GIVEN an App with a Taskora instance WHEN the library alone built it THEN the App is not
reached; WHEN a caller reads a construct across jsii, hands one to jsii, adds a construct under one
or subclasses one THEN it is; and the composite's main object, handed to Node only once something
reaches the composite, is what ``cdk8s.ApiObject.of`` finds however it is asked."""

from __future__ import annotations

from typing import Callable

import cdk8s
import constructs
import pytest

from taskora_constructs import Taskora, TaskoraConfig, TaskoraSecretValues, WebWorkload
from taskora_constructs.core import reach

SECRETS = TaskoraSecretValues.development_placeholders()


def instance() -> tuple[cdk8s.App, Taskora]:
    app = cdk8s.Testing.app()
    return app, Taskora(app, "taskora", secrets=SECRETS)


class MyWorkload(WebWorkload):
    """A caller's subclass: its constructor is the caller's code."""


def test_an_app_the_library_alone_built_is_not_reached():
    # GIVEN an instance, and more of the library's constructs added to one of its charts by a caller
    app, taskora = instance()
    TaskoraConfig(taskora.charts["config"], "more", api_base_url="http://more:8000")
    # WHEN nothing else happens THEN the App is not reached (its charts list their objects in Python)
    assert not reach.reached(app)
    # AND Python-only attributes reach nothing either
    assert taskora.backend.api_object is not None and taskora.names.backend == "taskora-backend"
    assert not reach.reached(app)


@pytest.mark.parametrize("touch", [
    lambda app, taskora: taskora.backend.node.path,
    lambda app, taskora: taskora.backend.api_object.metadata,
    lambda app, taskora: cdk8s.ApiObject.of(taskora.frontend),
    lambda app, taskora: constructs.Node.of(taskora.charts["ingress"]),
    lambda app, taskora: constructs.Construct(taskora.backend, "mine"),
    lambda app, taskora: MyWorkload(taskora.charts["backend"], "mine", image="registry.example/mine:1.0.0"),
], ids=["node", "metadata", "ApiObject.of", "Node.of", "a construct of the caller's inside", "a subclass"])
def test_what_a_caller_does_across_jsii_reaches_the_app(touch: Callable[[cdk8s.App, Taskora], object]):
    # GIVEN an instance WHEN the caller reaches one of its constructs across jsii
    app, taskora = instance()
    touch(app, taskora)
    # THEN the App is reached (its charts ask Node for their order)
    assert reach.reached(app)


@pytest.mark.parametrize("find", [
    lambda taskora: cdk8s.ApiObject.of(taskora),
    lambda taskora: taskora.node.default_child,
    lambda taskora: constructs.Node.of(taskora).default_child,
], ids=["ApiObject.of", "node.default_child", "Node.of"])
def test_the_composites_main_object_is_found_however_it_is_asked(find: Callable[[Taskora], object]):
    # GIVEN an instance at the App root (its main object, the Namespace, is in a chart of its own)
    app, taskora = instance()
    # WHEN the caller asks Node for it THEN it is the Namespace object
    assert find(taskora) is taskora.namespace_construct.namespace_object is taskora.api_object
