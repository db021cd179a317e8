"""GIVEN an output directory WHEN it is rebuilt through staged_directory THEN it is replaced
whole on success and left exactly as it was on failure or when the process is killed, with
no staging left behind by the next run, and concurrent runs never share a staging path."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.support.paths import ROOT
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
    # GIVEN a previous output, one of its files marked
    app = tmp_path / "app.py"
    app.write_text(APP_WITH_MARKER.format(root=str(ROOT)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK8S_", "TASKORA_"))}
    subprocess.run([sys.executable, str(app)], cwd=tmp_path, env=env, check=True, timeout=300)
    output = tmp_path / "dist"
    new = tree(output)
    assert len(new) == 6
    marked = output / "0000-taskora-namespace.k8s.yaml"  # a file synth writes: dist/ stays its own
    marked.write_text(marked.read_text() + "# previous run\n")
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
            marked.write_text(marked.read_text() + "# previous run\n")
    # AND a run left alone writes the new output over the marked one (its own previous output)
    subprocess.run([sys.executable, str(app)], cwd=tmp_path, env=env, check=True, timeout=300)
    assert tree(output) == new


# --- Synth replaces nothing but its own previous output (issue 20) ----------------------------

def own(entry: Path) -> bool:
    """The caller's own previous output: regular ``*.k8s.yaml`` files."""
    return entry.name.endswith(".k8s.yaml") and entry.is_file() and not entry.is_symlink()


def snapshot(directory: Path) -> dict[str, tuple[str, bool]]:
    """Every path under ``directory`` (links not followed): its kind and content."""
    return {str(p.relative_to(directory)): (os.readlink(p) if p.is_symlink() else p.read_text() if p.is_file() else "dir",
                                            p.is_symlink()) for p in sorted(directory.rglob("*"))}


def refused(output: Path, **options) -> str:
    with pytest.raises(atomic.OutputProblem) as caught:
        with staged_directory(output, owns=own, variable="CDK8S_OUTDIR", **options) as staging:
            (staging / "new.k8s.yaml").write_text("new")
    return str(caught.value)


def test_a_symlinked_output_is_refused_and_the_folder_it_points_to_keeps_its_files(tmp_path, mode):
    # GIVEN dist -> a folder of the user's holding a sentinel file
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "sentinel.txt").write_text("keep me")
    (tmp_path / "dist").symlink_to(folder)
    before = snapshot(tmp_path)
    # WHEN synth writes to dist THEN it is refused, naming the link and its target
    message = refused(tmp_path / "dist")
    assert f"{tmp_path / 'dist'}: CDK8S_OUTDIR=" in message and "is a symlink" in message and str(folder) in message
    # AND nothing changed: the link, the folder, the sentinel; no staging left
    assert snapshot(tmp_path) == before


def test_an_existing_file_as_output_is_refused_and_kept(tmp_path, mode):
    (tmp_path / "dist").write_text("my notes")
    before = snapshot(tmp_path)
    assert "is an existing file, not a directory" in refused(tmp_path / "dist")
    assert snapshot(tmp_path) == before


def test_a_directory_holding_files_synth_never_writes_is_refused_and_kept(tmp_path, mode):
    output = tmp_path / "dist"
    output.mkdir()
    (output / "0000-old.k8s.yaml").write_text("old")
    (output / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    message = refused(output)
    assert "holds 1 entry synth never writes (notes.txt)" in message and "Fix: " in message
    assert snapshot(tmp_path) == before


def test_an_empty_directory_and_the_own_previous_output_are_replaced(tmp_path, mode):
    output = tmp_path / "dist"
    output.mkdir()
    with staged_directory(output, owns=own) as staging:
        (staging / "a.k8s.yaml").write_text("first")
    with staged_directory(output, owns=own) as staging:
        (staging / "b.k8s.yaml").write_text("second")
    assert tree(output) == {"b.k8s.yaml": "second"}


@pytest.mark.parametrize("given", ["", " ", "."])
def test_an_empty_output_path_or_the_current_directory_is_refused(tmp_path, monkeypatch, given):
    # GIVEN a working tree (with .git) as the current directory
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "README.md").write_text("mine")
    before = snapshot(tmp_path)
    message = refused(Path(given), given=given, protected={"the current directory": tmp_path})
    assert f"CDK8S_OUTDIR={given!r}" in message and "Fix: " in message
    assert snapshot(tmp_path) == before


def test_a_directory_holding_the_repository_is_refused(tmp_path, monkeypatch):
    repository = tmp_path / "work" / "repo"
    repository.mkdir(parents=True)
    (repository / "README.md").write_text("mine")
    monkeypatch.chdir(repository)
    before = snapshot(tmp_path)
    for given in ("..", str(tmp_path), "/"):
        message = refused(Path(given), given=given, protected={"the repository": repository})
        assert f"holds the repository ({repository})" in message, given
    assert snapshot(tmp_path) == before


def test_entries_appearing_while_staging_are_refused_before_the_swap(tmp_path, mode):
    output = tmp_path / "dist"
    output.mkdir()
    with pytest.raises(atomic.OutputProblem, match="notes.txt"):
        with staged_directory(output, owns=own) as staging:
            (staging / "new.k8s.yaml").write_text("new")
            (output / "notes.txt").write_text("written meanwhile")
    assert tree(output) == {"notes.txt": "written meanwhile"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_an_output_under_proc_or_under_a_file_is_a_problem_not_a_traceback(tmp_path):
    (tmp_path / "file").write_text("x")
    assert "(ENOENT)" in refused(Path("/proc/taskora-dist")) and "/proc/taskora-dist" in refused(Path("/proc/taskora-dist"))
    assert f"is under {tmp_path / 'file'}, which is a file" in refused(tmp_path / "file" / "dist")
    assert (tmp_path / "file").read_text() == "x"


def test_a_read_only_file_system_is_a_problem_naming_the_path_and_the_previous_output_stays(tmp_path, monkeypatch):
    # GIVEN a previous output on a file system that refuses new entries (root ignores modes: the
    # system call is made to fail as a read-only mount fails it)
    output = tmp_path / "dist"
    output.mkdir()
    (output / "0000-old.k8s.yaml").write_text("old")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", read_only)
    message = refused(output)
    assert f"{output}: CDK8S_OUTDIR='{output}': cannot be written: Read-only file system (EROFS)" in message
    assert "Fix: the file system is read-only: choose a directory on a writable one" in message
    assert tree(output) == {"0000-old.k8s.yaml": "old"}


def test_a_full_file_system_while_writing_is_a_problem_and_the_previous_output_stays(tmp_path, mode):
    # GIVEN a previous output WHEN a write into the staging directory hits a full device (/dev/full)
    output = tmp_path / "dist"
    output.mkdir()
    (output / "0000-old.k8s.yaml").write_text("old")
    with pytest.raises(atomic.OutputProblem) as caught:
        with staged_directory(output, owns=own, variable="CDK8S_OUTDIR") as staging:
            (staging / "0001-new.k8s.yaml").symlink_to("/dev/full")
            (staging / "0001-new.k8s.yaml").write_text("new" * 10000)
    # THEN the problem names the output and the cause, and the previous output is as it was
    assert "cannot be written: No space left on device (ENOSPC)" in str(caught.value)
    assert str(output) in str(caught.value) and "staging" not in str(caught.value)
    assert tree(output) == {"0000-old.k8s.yaml": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_the_staging_directory_is_private_while_written_and_gets_its_final_mode_at_the_swap(tmp_path, mode):
    output = tmp_path / "dist"
    with staged_directory(output, final_mode=lambda _: 0o750) as staging:
        assert stat.S_IMODE(staging.stat().st_mode) == 0o700
        (staging / "a.k8s.yaml").write_text("a")
    assert stat.S_IMODE(output.stat().st_mode) == 0o750


def test_main_turns_a_full_file_system_in_jsiis_node_into_a_problem(tmp_path, monkeypatch, capsys):
    # GIVEN a previous dist/ WHEN jsii's Node process writes a manifest onto a full device
    import main

    output = tmp_path / "dist"
    output.mkdir()
    (output / "0000-taskora-namespace.k8s.yaml").write_text("previous")
    make_staging = atomic.tempfile.mkdtemp

    def staging_on_a_full_device(*args, **kwargs):
        staging = make_staging(*args, **kwargs)
        Path(staging, "0000-taskora-namespace.k8s.yaml").symlink_to("/dev/full")
        return staging

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", staging_on_a_full_device)
    monkeypatch.setenv("CDK8S_OUTDIR", str(output))
    # THEN main exits 2 naming the output and the cause, without a traceback; dist/ is as it was
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.startswith(f"taskora: synth failed, nothing written to or deleted from {output}/"), err
    assert f"  - {output}: CDK8S_OUTDIR='{output}': cannot be written: no space left on device (ENOSPC). Fix: " in err
    assert "Traceback" not in err and ".dist-" not in err
    assert tree(output) == {"0000-taskora-namespace.k8s.yaml": "previous"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_an_output_renamed_away_and_back_meanwhile_is_never_called_a_file(tmp_path):
    # GIVEN an output that another run keeps parking and putting back (the two-renames swap)
    output = tmp_path / "dist"
    output.mkdir()
    (output / "0.yaml").write_text("run")
    parked = tmp_path / ".dist-parked"
    done = threading.Event()

    def park_and_restore() -> None:
        while not done.is_set():
            output.rename(parked)
            parked.rename(output)

    mover = threading.Thread(target=park_and_restore)
    mover.start()
    try:
        # WHEN this run checks the output many times meanwhile
        seen = [atomic.output_problems(str(output), variable="output", owns=lambda entry: True)
                for _ in range(3000)]
    finally:
        done.set()
        mover.join()
    # THEN it only ever sees a directory or nothing: never "an existing file", never an I/O error
    assert [problems for problems in seen if problems] == []
