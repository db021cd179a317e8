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
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional, cast

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


_UNLOADED = object()
_renameat2: object = _UNLOADED  # the C function once looked up; None where there is none


def _load_renameat2() -> Optional[Callable[..., int]]:
    import ctypes  # only when a swap happens: keeps the app's start-up lean
    import ctypes.util

    def libraries() -> Iterator[Optional[str]]:
        yield None  # the symbols already loaded into this process (libc among them)
        yield "libc.so.6"
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


@contextmanager
def staged_directory(output: Path) -> Iterator[Path]:
    """Yield a fresh directory beside ``output``, private to this run; when the block succeeds,
    it replaces ``output`` whole. When the block raises (or the process is killed), ``output``
    is left exactly as it was; the staging directory is removed (by the next run, if killed)."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(output)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-{os.getpid()}-", dir=output.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output is an ordinary directory
    try:
        yield staging
        if (output.exists() or output.is_symlink()) and exchange(staging, output):
            return  # ``staging`` now holds the previous output: removed below
        _rename_into_place(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _rename_into_place(staging: Path, output: Path) -> None:
    """Without the exchange: park whatever is at ``output`` under a name of this run, then
    rename ``staging`` to ``output`` (again if another run got there in between); on any
    other error the parked output is put back."""
    parked: list[Path] = []
    try:
        while True:
            if output.exists() or output.is_symlink():
                previous = output.with_name(f".{output.name}-{os.getpid()}-{secrets.token_hex(6)}")
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
