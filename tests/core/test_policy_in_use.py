"""The generic policy module (taskora_constructs/core/policy.py): GIVEN the value a preset says
one of its exceptions explains WHEN a container of the rendered pod is asked THEN it is in use
exactly when the container runs that image (or user); the presets' own tables are tested
beside them (tests/taskora/test_frontend_exceptions.py, test_backend_exceptions.py, tests/database/test_postgres.py, test_backup_exceptions.py)."""

from __future__ import annotations

from taskora_constructs.core import policy

DIGEST = "@sha256:" + "c" * 64


def test_an_image_is_in_use_at_its_repository_and_tag():
    in_use = policy.image_in_use("shop/web:latest")
    assert in_use({"image": "shop/web:latest"}, {}) and in_use({"image": "shop/web:latest" + DIGEST}, {})
    # another tag, another registry's repository of that name, no tag: another image
    assert not any(in_use({"image": image}, {}) for image in ("shop/web:1.0", "registry.example/shop/web:latest",
                                                              "shop/web"))


def test_with_any_tag_an_image_is_in_use_at_any_tag_of_its_repository_but_not_without_one():
    in_use = policy.image_in_use("shop/db:15", any_tag=True)
    assert in_use({"image": "shop/db:16"}, {}) and in_use({"image": "shop/db:15" + DIGEST}, {})
    assert not in_use({"image": "shop/db"}, {}) and not in_use({"image": "other/db:15"}, {})


def test_a_user_is_in_use_as_the_containers_own_else_the_pods():
    in_use, pod = policy.user_in_use(2000), {"securityContext": {"runAsUser": 2000}}
    assert in_use({}, pod) and in_use({"securityContext": {"runAsUser": 2000}}, {})
    # the container's own runAsUser wins over the pod's; none at all is not the user
    assert not in_use({"securityContext": {"runAsUser": 3000}}, pod) and not in_use({}, {})
