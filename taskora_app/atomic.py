"""Replace an output directory all at once, so a failed or killed run never leaves half of it.

Each run stages into a directory of its own beside the output (``.<name>-<pid>-<random>``),
so concurrent runs never share a path. On success the staging directory and the output are
exchanged in one ``renameat2(RENAME_EXCHANGE)`` system call (Linux 3.15+): at every instant
``<name>`` is either the whole previous output or the whole new one, even under ``kill -9``.
Where the exchange is not available (another OS, a file system without it) two renames
are used instead, with the previous output parked under this run's own unique name, and put
back if the second rename fails.

A run killed before it finished leaves its staging directory behind; the next run removes
the staging directories of processes that no longer exist.

The staging directory is private (0700, as ``mkdtemp`` creates it) until the swap: nothing
written into it is readable by anyone else while it is written, whatever the file modes.
Its final mode is set just before the swap, so the new output appears with it.

Nothing but the previous output is ever replaced (:func:`output_problems`): an output that
is a symlink, an existing non-directory, the current directory or the repository (or a
directory holding either), or a directory holding an entry the caller does not own is
refused before anything is written, and again just before the swap. A system call that
fails on the output (read-only or full file system, no permission, a path under ``/proc``)
becomes an :class:`OutputProblem` naming the path and a fix.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Mapping, Optional, cast

from taskora_constructs import Problem

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


_UNLOADED = object()
_renameat2: object = _UNLOADED  # the C function once looked up; None where there is none


def _load_renameat2() -> Optional[Callable[..., int]]:
    import ctypes  # only when a swap happens: keeps the app's start-up lean

    def libraries() -> Iterator[Optional[str]]:
        yield None  # the symbols already loaded into this process (libc among them)
        yield "libc.so.6"
        import ctypes.util  # only if neither has it: ~0.4 ms of every synth otherwise (issue #22)
        yield ctypes.util.find_library("c")  # slower: may run ldconfig

    for name in libraries():
        try:
            function = ctypes.CDLL(name, use_errno=True).renameat2  # glibc 2.28+
        except (OSError, AttributeError, TypeError):
            continue
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        function.restype = ctypes.c_int
        return function
    return None


def exchange(left: Path, right: Path) -> bool:
    """Swap two existing paths in one atomic step; False when the system cannot (nothing changed)."""
    global _renameat2
    if _renameat2 is _UNLOADED:
        _renameat2 = _load_renameat2()
    if _renameat2 is None:
        return False
    import ctypes

    if cast(Callable[..., int], _renameat2)(_AT_FDCWD, os.fsencode(left), _AT_FDCWD, os.fsencode(right), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(left), None, str(right))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(output: Path) -> list[Path]:
    """Remove the staging directories beside ``output`` left by runs whose process is gone."""
    pattern = re.compile(rf"^\.{re.escape(output.name)}-(\d+)-[A-Za-z0-9_]+$")
    removed = []
    for candidate in output.parent.iterdir():
        match = pattern.match(candidate.name)
        if match and candidate.is_dir() and not candidate.is_symlink() and not _pid_alive(int(match.group(1))):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


class OutputProblem(RuntimeError):
    """The output cannot be written, or may not be replaced: nothing was written or deleted."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(f"  - {problem}" for problem in self.problems))


#: What to do when a system call on the output fails with this error (``errno`` name).
_IO_FIXES = {
    "EROFS": "the file system is read-only: choose a directory on a writable one",
    "ENOSPC": "free space on that file system, or choose a directory on another one",
    "EDQUOT": "free space within your quota on that file system, or choose a directory on another one",
    "EACCES": "choose a directory you may write to, or get write permission on it and its parent",
    "EPERM": "choose a directory you may write to (not under /sys or /proc)",
    "ENOENT": "choose a directory that can be created (not under /proc or /sys)",
    "ENOTDIR": "choose a path whose parents are directories, not files",
}


def io_problem(output: Path, code: str, detail: str, *, variable: str, given: str) -> Problem:
    """The problem a failed system call (``code``, e.g. ``ENOSPC``) on ``output`` is to the user."""
    return Problem(where=str(output), field=variable, value=given, rule=f"cannot be written: {detail} ({code})",
                   fix=_IO_FIXES.get(code, "choose another output directory"))


def output_problems(given: str, *, variable: str, owns: Optional[Callable[[Path], bool]],
                    protected: Mapping[str, Path] = MappingProxyType({})) -> list[Problem]:
    """Why the output ``given`` (as the user wrote it) may not be replaced; empty when it may.

    ``owns(entry)`` says whether an entry of an existing output is one the caller writes (its
    own previous output); ``None`` accepts any. ``protected`` names directories that must never
    be replaced, nor anything holding them (``{"the current directory": Path.cwd()}``)."""
    def problem(rule: str, fix: str, where: str = "") -> list[Problem]:
        return [Problem(where=where or str(output), field=variable, value=given, rule=rule, fix=fix)]

    if not given.strip():
        return problem("is empty, which would mean the current directory and replace everything in it",
                       f"name the output directory, e.g. {variable}=dist, or leave {variable} unset (dist)",
                       where="output directory")
    output = Path(os.path.abspath(given))  # ".." removed, symlinks kept: the last one is the user's
    try:
        if output.is_symlink():
            return problem(f"is a symlink (to {os.readlink(output)}): replacing it would act on the "
                           "directory it points to", "name a real directory: a new one, or the previous "
                           "output itself")
        resolved = output.resolve()
        for name, directory in protected.items():
            directory = directory.resolve()
            if resolved == directory or resolved in directory.parents:
                relation = "is" if resolved == directory else "holds"
                return problem(f"{relation} {name} ({directory}): synth replaces the whole output directory",
                               "name a directory of its own for the output, e.g. dist")
        above = next((parent for parent in output.parents if parent.exists() or parent.is_symlink()), None)
        if above is not None and not above.is_dir():
            return problem(f"is under {above}, which is a file, not a directory",
                           "choose a path whose parents are directories")
        # One stat, and a directory gone before it is listed counts as missing: a concurrent run
        # renames the output away and back between any two system calls made here.
        try:
            is_directory = stat.S_ISDIR(os.stat(output).st_mode)
        except FileNotFoundError:
            is_directory = None
        if is_directory is False:
            return problem("is an existing file, not a directory: synth replaces only a directory",
                           "name a new directory, or move that file away first")
        if owns is not None and is_directory:
            try:
                entries = list(output.iterdir())
            except FileNotFoundError:
                entries = []
            foreign = sorted(entry.name for entry in entries if not owns(entry))
            if foreign:
                shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
                return problem(f"holds {len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} synth never "
                               f"writes ({shown}): synth replaces only its own previous output",
                               "name a new or empty directory, or move those entries away first")
    except OSError as error:
        return [io_problem(output, errno.errorcode.get(error.errno or 0, "EIO"), error.strerror or str(error),
                           variable=variable, given=given)]
    return []


def _ordinary_mode(_: Path) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


@contextmanager
def staged_directory(output: Path, *, owns: Optional[Callable[[Path], bool]] = None,
                     protected: Mapping[str, Path] = MappingProxyType({}), final_mode: Callable[[Path], int] = _ordinary_mode,
                     variable: str = "output", given: Optional[str] = None) -> Iterator[Path]:
    """Yield a fresh directory beside ``output``, private to this run (0700); when the block
    succeeds, it gets ``final_mode(staging)`` (default: an ordinary directory under the umask)
    and replaces ``output`` whole. When the block raises (or the process is killed), ``output``
    is left exactly as it was; the staging directory is removed (by the next run, if killed).

    An ``output`` :func:`output_problems` refuses raises :class:`OutputProblem` before anything
    is written, and again just before the swap; so does a failed system call on the output, or
    an ``OSError`` of the block on a path in the staging directory. ``variable`` and ``given``
    name the setting and its value in those problems."""
    given = str(output) if given is None else given

    def refuse_if_any() -> None:
        problems = output_problems(given, variable=variable, owns=owns, protected=protected)
        if problems:
            raise OutputProblem(problems)

    refuse_if_any()
    output = Path(os.path.abspath(output))
    with _problem_on_os_error(output, variable, given):
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(output)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-{os.getpid()}-", dir=output.parent))
    try:
        try:
            yield staging
        except OSError as error:
            if not _on_staging(error, staging):
                raise  # not the output's: a bug or another file's problem, with its traceback
            raise _as_problem(error, output, variable, given) from None
        refuse_if_any()
        with _problem_on_os_error(output, variable, given):
            staging.chmod(final_mode(staging))
            if (output.exists() or output.is_symlink()) and exchange(staging, output):
                return  # ``staging`` now holds the previous output: removed below
            _rename_into_place(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _problem_on_os_error(output: Path, variable: str, given: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise _as_problem(error, output, variable, given) from None


#: Errors of a write to an open file, which names no path: the file system written is the output's.
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _on_staging(error: OSError, staging: Path) -> bool:
    if error.filename is None:
        return error.errno in _WRITE_ERRORS
    return Path(os.fsdecode(error.filename)) == staging or staging in Path(os.fsdecode(error.filename)).parents


def _as_problem(error: OSError, output: Path, variable: str, given: str) -> OutputProblem:
    code = errno.errorcode.get(error.errno or 0, "EIO")
    return OutputProblem([io_problem(output, code, error.strerror or str(error), variable=variable, given=given)])


def _rename_into_place(staging: Path, output: Path) -> None:
    """Without the exchange: park whatever is at ``output`` under a name of this run, then
    rename ``staging`` to ``output`` (again if another run got there in between); on any
    other error the parked output is put back."""
    parked: list[Path] = []
    try:
        while True:
            if output.exists() or output.is_symlink():
                # secrets.token_hex(6) is exactly this; the secrets module (hmac) is not loaded for it.
                previous = output.with_name(f".{output.name}-{os.getpid()}-{os.urandom(6).hex()}")
                try:
                    output.rename(previous)
                    parked.append(previous)
                except FileNotFoundError:
                    pass  # another run moved it meanwhile
            try:
                staging.rename(output)
                return
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    if parked and not (output.exists() or output.is_symlink()):
                        parked.pop().rename(output)
                    raise
    finally:
        for previous in parked:
            shutil.rmtree(previous, ignore_errors=True)
