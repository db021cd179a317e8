"""GIVEN an output directory WHEN it is rebuilt through staged_directory THEN it is replaced
whole on success and left exactly as it was on failure or when the process is killed, with
no staging left behind by the next run, and concurrent runs never share a staging path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from taskora_app import atomic
from taskora_app.atomic import remove_stale_staging, staged_directory


@pytest.fixture(params=["exchange", "two renames"])
def mode(request, monkeypatch):
    """Every behaviour holds with the atomic exchange and with the portable fallback."""
    if request.param == "two renames":
        monkeypatch.setattr(atomic, "_renameat2", None)
    elif atomic._load_renameat2() is None:
        pytest.skip("renameat2 is not available here")
    return request.param


def tree(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in directory.iterdir()}


def test_success_replaces_the_output_whole(tmp_path, mode):
    output = tmp_path / "dist"
    output.mkdir()
    (output / "stale.yaml").write_text("old")
    with staged_directory(output) as staging:
        (staging / "new.yaml").write_text("new")
    assert tree(output) == {"new.yaml": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_success_creates_a_missing_output(tmp_path, mode):
    output = tmp_path / "dist"
    with staged_directory(output) as staging:
        (staging / "new.yaml").write_text("new")
    assert tree(output) == {"new.yaml": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_failure_leaves_the_previous_output_and_no_staging(tmp_path, mode):
    output = tmp_path / "dist"
    output.mkdir()
    (output / "kept.yaml").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_directory(output) as staging:
            (staging / "half.yaml").write_text("half")
            raise RuntimeError("synth failed half-way")
    assert tree(output) == {"kept.yaml": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_the_exchange_is_one_atomic_step_on_linux():
    if sys.platform.startswith("linux"):
        assert atomic._load_renameat2() is not None, "glibc's renameat2 should be there on Linux"


def test_concurrent_runs_stage_apart_and_the_output_is_one_of_them_whole(tmp_path, mode):
    # GIVEN an output and four runs that are all inside their staging block at the same moment
    output = tmp_path / "dist"
    output.mkdir()
    (output / "old.yaml").write_text("old")
    runs = 4
    barrier = threading.Barrier(runs)
    stagings: list[Path] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with staged_directory(output) as staging:
                stagings.append(staging)
                barrier.wait(timeout=30)
                for part in range(3):
                    (staging / f"{part}.yaml").write_text(f"run {i}")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every run succeeded in a staging directory of its own
    assert errors == []
    assert len(set(stagings)) == runs
    # AND the output is exactly one run's files, nothing mixed, nothing left beside it
    contents = set(tree(output).values())
    assert sorted(tree(output)) == ["0.yaml", "1.yaml", "2.yaml"] and len(contents) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


KILLED_INSIDE = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from taskora_app.atomic import staged_directory
with staged_directory(Path({output!r})) as staging:
    (staging / "half.yaml").write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_killed_while_staging_leaves_the_output_and_the_next_run_cleans_up(tmp_path):
    # GIVEN an output and a run killed (-9) in the middle of writing its staging directory
    output = tmp_path / "dist"
    output.mkdir()
    (output / "kept.yaml").write_text("old")
    script = KILLED_INSIDE.format(root=str(ROOT), output=str(output))
    result = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert result.returncode == -9
    # THEN the output is exactly as it was; only the dead run's staging is beside it
    assert tree(output) == {"kept.yaml": "old"}
    left = [p.name for p in tmp_path.iterdir() if p.name != "dist"]
    assert len(left) == 1 and left[0].startswith(".dist-")
    # WHEN the next run succeeds THEN it removed the dead run's staging too
    with staged_directory(output) as staging:
        (staging / "new.yaml").write_text("new")
    assert tree(output) == {"new.yaml": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_the_staging_of_a_live_run_is_never_removed(tmp_path):
    output = tmp_path / "dist"
    live = tmp_path / f".dist-{os.getpid()}-abc123"
    live.mkdir()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = tmp_path / f".dist-{finished.stdout.strip()}-abc123"
    dead.mkdir()
    unrelated = tmp_path / ".dist-notes"
    unrelated.mkdir()
    assert remove_stale_staging(output) == [dead]
    assert live.exists() and unrelated.exists() and not dead.exists()


APP_WITH_MARKER = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {root!r})
    import main
    sys.exit(main.main())
    """)


@pytest.mark.e2e
def test_python_main_killed_at_any_moment_leaves_a_whole_output(tmp_path):
    # GIVEN a previous output with a marker file
    app = tmp_path / "app.py"
    app.write_text(APP_WITH_MARKER.format(root=str(ROOT)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK8S_", "TASKORA_"))}
    subprocess.run([sys.executable, str(app)], cwd=tmp_path, env=env, check=True, timeout=300)
    output = tmp_path / "dist"
    new = tree(output)
    assert len(new) == 6
    (output / "marker").write_text("previous run")
    previous = tree(output)
    # WHEN main.py is killed (-9) at moments spread over its run
    for delay in (0.3, 0.5, 0.65, 0.8, 1.0, 1.4):
        process = subprocess.Popen([sys.executable, str(app)], cwd=tmp_path, env=env)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # THEN dist/ is always either the whole previous output or the whole new one
        assert tree(output) in (previous, new), delay
        if tree(output) == new:
            (output / "marker").write_text("previous run")
