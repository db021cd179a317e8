"""The backup CronJob (taskora_constructs/database/backup.py) runs the database's image, so its
exceptions are checked against the Postgres preset's documented ones (POSTGRES_EXCEPTIONS, from
PostgresProps' own defaults). GIVEN the documented image (or uid) in the job WHEN synthesized
THEN a documented reason in ``PostgresBackup.policy_exceptions`` is written; GIVEN another
image or uid that leaves the check unmet THEN it is not, the finding is the caller's."""

from __future__ import annotations

import cdk8s
import pytest

from taskora_constructs import PostgresBackup, PostgresDatabase
from taskora_constructs.core import policy
from taskora_constructs.database.postgres_props import POSTGRES_EXCEPTIONS

#: The job's uid is a high one by default (10070): the documented uid case runs it as 70.
DOCUMENTED_VALUE = {policy.IMAGE_PULL_ALWAYS: ({}, {}), policy.IMAGE_DIGEST: ({}, {}),
                    policy.HIGH_UID: ({}, {"run_as_user": 70})}
#: Another value of what each exception explains, leaving the check unmet all the same.
OTHER_VALUE = {policy.IMAGE_PULL_ALWAYS: ({"image": "registry.example/shop/pg:15"}, {}),
               policy.IMAGE_DIGEST: ({"image": "registry.example/shop/pg:15"}, {}),
               policy.HIGH_UID: ({}, {"run_as_user": 999})}


def cronjob_annotation(check: str, database: dict, backup: dict) -> str | None:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "shop", namespace="shop")
    PostgresDatabase(chart, "db", password="pw", **database,
                     backup=PostgresBackup(policy_exceptions={check: POSTGRES_EXCEPTIONS[check]}, **backup))
    job = next(o for o in cdk8s.Testing.synth(chart) if o["kind"] == "CronJob")
    assert policy.unmet(check, job["spec"]["jobTemplate"]["spec"]["template"]["spec"])  # left unmet
    return job["metadata"].get("annotations", {}).get(policy.annotation_key(check))


def test_every_documented_exception_of_the_database_is_one_the_job_may_take():
    assert set(DOCUMENTED_VALUE) == set(OTHER_VALUE) == set(POSTGRES_EXCEPTIONS)


@pytest.mark.parametrize("check", sorted(POSTGRES_EXCEPTIONS))
def test_a_documented_exception_of_the_job_is_written_while_its_documented_value_is_in_use(check):
    # GIVEN the job on the model's postgres:15-alpine (or as uid 70) WHEN synthesized
    # THEN the database's documented reason excuses the unmet check on the CronJob
    assert cronjob_annotation(check, *DOCUMENTED_VALUE[check]) == f"{check}={POSTGRES_EXCEPTIONS[check]}"


@pytest.mark.parametrize("check", sorted(POSTGRES_EXCEPTIONS))
def test_a_documented_exception_of_the_job_is_not_written_for_another_value(check):
    # GIVEN another image (or uid) that leaves the same check unmet
    # THEN the documented reason does not explain it: not written, checkov reports the finding
    assert cronjob_annotation(check, *OTHER_VALUE[check]) is None
