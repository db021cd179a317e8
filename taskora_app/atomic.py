"""Replace an output directory all at once, so a failed run never leaves half of it."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def staged_directory(output: Path) -> Iterator[Path]:
    """Yield a fresh directory beside ``output``; when the block succeeds, it replaces
    ``output`` (the previous content is dropped only after the swap). When the block raises,
    ``output`` is left exactly as it was and the staging directory is removed."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output is an ordinary directory
    try:
        yield staging
        previous = output.with_name(f".{output.name}-previous")
        shutil.rmtree(previous, ignore_errors=True)
        if output.exists():
            output.rename(previous)
        staging.rename(output)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
