"""Where a construct's objects go and who owns a name (taskora_constructs/core/scope.py): GIVEN a
construct in a Chart WHEN it is given no namespace THEN it takes the Chart's, or writes none as
cdk8s does; WHEN a second construct claims a name already created in its namespace THEN it is
refused naming both construct paths (the same name elsewhere, or in another App, is fine)."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresDatabase, Taskora, TaskoraConfigError, TaskoraSecretValues

SECRETS = TaskoraSecretValues.development_placeholders()


def test_a_construct_takes_the_namespace_of_its_chart():
    # GIVEN a chart with a namespace WHEN a database is added without one
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "billing", namespace="billing")
    db = PostgresDatabase(chart, "db", password="sentinel-db-5e1c")
    # THEN every object of it lives there, and wiring attributes say so
    objects = cdk8s.Testing.synth(chart)
    assert {o["metadata"]["namespace"] for o in objects} == {"billing"}
    assert db.namespace == "billing" and db.host_for("shop") == "db.billing.svc"



def test_a_construct_in_a_chart_without_a_namespace_writes_none_as_cdk8s_does():
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "plain")
    PostgresDatabase(chart, "db", password="sentinel-db-5e1c")
    assert all("namespace" not in o["metadata"] for o in cdk8s.Testing.synth(chart))



def test_a_clash_is_refused_naming_both_construct_paths():
    # GIVEN two databases of the same name in one namespace, in two charts
    app = cdk8s.Testing.app()
    PostgresDatabase(cdk8s.Chart(app, "a", namespace="data"), "db", password="sentinel-db-5e1c")
    with pytest.raises(TaskoraConfigError) as raised:
        PostgresDatabase(cdk8s.Chart(app, "b", namespace="data"), "db", password="sentinel-db-5e1c")
    # THEN the second is refused, naming the first
    message = str(raised.value)
    assert "b/db: name='db': StatefulSet data/db is already created by a/db" in message
    assert "sentinel" not in message
    # AND the same name in another namespace, or in another App, is fine
    PostgresDatabase(cdk8s.Chart(app, "c", namespace="other"), "db", password="sentinel-db-5e1c")
    PostgresDatabase(cdk8s.Chart(cdk8s.Testing.app(), "a", namespace="data"), "db", password="pw-5e1c")



def test_two_taskora_instances_in_one_namespace_are_refused():
    app = cdk8s.Testing.app()
    Taskora(app, "blue", secrets=SECRETS)
    with pytest.raises(TaskoraConfigError, match="Namespace taskora is already created by blue-namespace/namespace"):
        Taskora(app, "green", secrets=SECRETS)
