"""The examples' installed environments (their ``.venv`` and ``node_modules``), kept between runs.

An example's README installs it with three commands (``python3 -m venv``, ``pip install`` from
the wheels directory, ``npm ci``), offline: what they install is a function of their inputs
alone, and they were most of each example module's time (about 19 s of 23 s). So each example's
checkout lives in a directory of its own outside the repository (the tests prove the team
imports the installed wheel, not this checkout), keyed by a content hash of exactly what the
install reads: the README's commands, every file of the example, every file the wheel is built
from and the tools that build it, the wheelhouse's wheels, and the Python, Node and npm that run
the commands. A run whose key matches, and whose environment is file for file what the install
left (a fingerprint of every path, size, mode and mtime, symlinks by target; bytecode caches
apart), reuses it: the checkout is made a fresh copy of the example again around the two
environments and the README's other commands run as written (the example's tests, the team's
``npx cdk8s synth``). Any other run deletes the checkout and runs every command, installs
included, then records the key and the fingerprint.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import ROOT

#: What an install leaves in the checkout, kept between runs; everything else is the example's copy.
ENVIRONMENTS = (".venv", "node_modules")
#: The README lines that install (a venv, pip from the wheels, npm ci); the others run every time.
INSTALL_COMMAND = re.compile(r"^\s*(python3 -m venv |\.venv/bin/pip install |npm ci\b)")
#: Kept outside the repository (a checkout inside it would find its pytest.ini and its code),
#: one directory per repository checkout so two worktrees never share one.
CACHE = Path(tempfile.gettempdir()) / f"taskora-example-environments-{os.getuid()}" / \
    hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]


def slot(name: str) -> Path:
    """The directory holding ``name``'s checkout (``slot / name``), its key and fingerprint."""
    return CACHE / name


def without_install_commands(script: str) -> str:
    """``script`` without the lines that install: what a run with a proven environment runs."""
    return "".join(line for line in script.splitlines(keepends=True) if not INSTALL_COMMAND.match(line))


def _hash_file(digest: "hashlib._Hash", label: str, path: Path) -> None:
    digest.update(f"{label}\0{path.stat().st_size}\0".encode())
    digest.update(path.read_bytes())


def _tool(name: str, path: str) -> str:
    """Where ``name`` resolves on ``path``, with its size and mtime (None: not found)."""
    found = shutil.which(name, path=path)
    if found is None:
        return f"{name}: none"
    real = Path(found).resolve()
    stat = real.stat()
    return f"{name}: {real} {stat.st_size} {stat.st_mtime_ns}"


@functools.cache
def _python3(path: str) -> str:
    """Which interpreter ``python3`` on ``path`` is (the README's venv is made from it)."""
    python = subprocess.run(["python3", "-c", "import sys; print(sys.version, sys.base_prefix, sys.executable)"],
                            env={**os.environ, "PATH": path}, capture_output=True, text=True, timeout=60)
    return f"{python.returncode} {python.stdout}"


def install_key(example: Path, script: str, wheel_sources: list[Path], wheelhouse: Path,
                environment: dict[str, str], *, procedure: str) -> str:
    """The content hash of exactly what the README's install commands read (``procedure``: the
    source of the code that runs them)."""
    digest = hashlib.sha256()
    digest.update(script.encode())
    digest.update(procedure.encode())
    for path in sorted(p for p in example.rglob("*") if p.is_file() and not {
            "__pycache__", ".venv", "dist", "node_modules", ".pytest_cache"} & set(p.relative_to(example).parts)):
        _hash_file(digest, f"example/{path.relative_to(example)}", path)
    for relative in wheel_sources:
        _hash_file(digest, f"wheel/{relative}", ROOT / relative)
    for wheel in sorted(wheelhouse.glob("*.whl")):
        _hash_file(digest, f"wheelhouse/{wheel.name}", wheel)
    # the wheel's builders (this venv's pip and setuptools), and how the install is driven
    for tool in ("pip", "setuptools"):
        digest.update(f"{tool}=={importlib.metadata.version(tool)}\0".encode())
    _hash_file(digest, "tests/support/example_environments.py", Path(__file__))
    digest.update(f"python3: {_python3(environment['PATH'])}\0".encode())
    for tool in ("node", "npm"):
        digest.update(f"{_tool(tool, environment['PATH'])}\0".encode())
    digest.update(f"{sys.version}\0".encode())
    return digest.hexdigest()


def fingerprint(root: Path) -> str:
    """Every path under ``root``'s environments with its size, mode and mtime (a symlink: its
    target), bytecode caches apart (Python checks those against their sources itself)."""
    entries = []
    for name in ENVIRONMENTS:
        for directory, dirs, files in os.walk(root / name):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for entry in sorted(files) + dirs:
                path = Path(directory) / entry
                stat = path.lstat()
                detail = os.readlink(path) if path.is_symlink() else \
                    "dir" if path.is_dir() else f"{stat.st_size} {stat.st_mode:o} {stat.st_mtime_ns}"
                entries.append(f"{path.relative_to(root)}\0{detail}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


@contextlib.contextmanager
def locked(name: str) -> Iterator[Path]:
    """``name``'s slot, held for the caller alone (another pytest run of this checkout waits)."""
    directory = slot(name)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield directory


def proven(directory: Path, root: Path, key: str) -> bool:
    """True when ``root``'s environments are the ones an install with ``key`` left."""
    record = directory / "installed.json"
    if not record.is_file():
        return False
    recorded = json.loads(record.read_text())
    return recorded.get("key") == key and all((root / name).is_dir() for name in ENVIRONMENTS) \
        and recorded.get("fingerprint") == fingerprint(root)


def record(directory: Path, root: Path, key: str) -> None:
    (directory / "installed.json.tmp").write_text(json.dumps({"key": key, "fingerprint": fingerprint(root)}))
    (directory / "installed.json.tmp").replace(directory / "installed.json")


def forget(directory: Path, root: Path) -> None:
    """Delete the record and the checkout: the next run installs from scratch."""
    (directory / "installed.json").unlink(missing_ok=True)
    shutil.rmtree(root, ignore_errors=True)


def fresh_copy(example: Path, root: Path) -> None:
    """Make ``root`` a fresh copy of ``example`` around the kept environments: every other
    file (the previous run's dist/, caches, copies) is deleted first."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name in ENVIRONMENTS:
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    shutil.copytree(example, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        "__pycache__", *ENVIRONMENTS, "dist", ".pytest_cache"))
