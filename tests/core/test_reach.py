"""What the library hands Node only once code outside it reaches a construct across jsii
(taskora_constructs/core/reach.py, issue 22): GIVEN an App with a Taskora instance WHEN the
library alone built it THEN the composite's main object is not handed to Node yet; WHEN a caller
reads the composite across jsii or hands it to jsii THEN it is, before the caller's own request;
and it is what ``cdk8s.ApiObject.of`` finds however it is asked."""

from __future__ import annotations

from typing import Callable

import cdk8s
import constructs
import pytest

from taskora_constructs import Taskora, TaskoraConfig, TaskoraSecretValues
from taskora_constructs.core import reach

SECRETS = TaskoraSecretValues.development_placeholders()


def instance() -> tuple[cdk8s.App, Taskora]:
    app = cdk8s.Testing.app()
    return app, Taskora(app, "taskora", secrets=SECRETS)


def test_an_instance_the_library_alone_built_has_not_handed_its_main_object_to_node():
    # GIVEN an instance, and more of the library's constructs added to one of its charts by a caller
    app, taskora = instance()
    TaskoraConfig(taskora.charts["config"], "more", api_base_url="http://more:8000")
    # WHEN nothing else happens THEN node.default_child is still to be set (two jsii calls saved)
    assert taskora in reach._PENDING
    # AND Python-only attributes reach nothing either
    assert taskora.backend.api_object is not None and taskora.names.backend == "taskora-backend"
    assert taskora in reach._PENDING


@pytest.mark.parametrize("touch", [
    lambda taskora: taskora.node.path,
    lambda taskora: cdk8s.ApiObject.of(taskora),
    lambda taskora: constructs.Node.of(taskora),
    lambda taskora: constructs.Construct(taskora, "mine"),
], ids=["node", "ApiObject.of", "Node.of", "a construct of the caller's inside"])
def test_what_a_caller_does_across_jsii_hands_the_main_object_over_first(touch: Callable[[Taskora], object]):
    # GIVEN an instance WHEN the caller reaches the composite across jsii
    app, taskora = instance()
    touch(taskora)
    # THEN its main object was handed to Node (before the caller's request: see the test below)
    assert taskora not in reach._PENDING
    assert taskora.node.default_child is taskora.api_object


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
