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


def test_difflib_loads_only_when_a_misspelling_is_looked_up():
    import subprocess
    import sys

    code = ("import sys, taskora_app.values; before = 'difflib' in sys.modules; "
            "from taskora_app.suggest import closest; closest('a', ['b']); print(before, 'difflib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
