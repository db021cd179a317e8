"""taskora_app/suggest.py: the "did you mean" of the loader's fixes, and the library's twin."""

import pytest

from taskora_app.suggest import closest
from taskora_constructs.core.errors import closest as library_closest


@pytest.mark.parametrize("find", [closest, library_closest], ids=["app", "library"])
def test_a_misspelling_gets_the_one_closest_name(find):
    # GIVEN names a misspelt key may have meant WHEN a near miss is looked up THEN one name comes back
    assert find("replcas", ["image", "replicas", "resources"]) == ["replicas"]
    # AND a name like none of them gets none, so the fix lists the names instead
    assert find("zzz", ["image", "replicas"]) == []


@pytest.mark.parametrize("find", [closest, library_closest], ids=["app", "library"])
def test_the_cutoff_decides_what_counts_as_a_misspelling(find):
    # GIVEN a pair whose difflib ratio is 0.69 (TASKORA_ENV vs TASKORA_DB_USER, as secrets.py compares)
    names = ["TASKORA_DB_USER"]
    # WHEN looked up at the default (0.6) and at the secrets' stricter 0.75 THEN only the first matches
    assert find("TASKORA_ENV", names) == names
    assert find("TASKORA_ENV", names, cutoff=0.75) == []
