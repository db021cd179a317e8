#!/usr/bin/env python3
"""The Taskora cdk8s app: ``make synth`` runs this directly (``cdk8s synth`` runs it too) to write ``dist/``.

A failed or killed synth writes nothing: manifests go to a directory of this run's own beside
the output directory and replace it, in one atomic step, only when every chart synthesized
(``taskora_app/atomic.py``). Run directly, the previous ``dist/`` is kept on failure;
``cdk8s synth`` deletes it before it starts the app. A configuration error prints
every problem found, one per line, and exits with status 2, without a traceback.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from taskora_app.node import use_pinned_node

# jsii runs on the Node LTS pinned in package.json (no end-of-life banner to hide): chosen
# before cdk8s (and so jsii's Node process) is imported.
use_pinned_node()

import cdk8s  # noqa: E402

from taskora_app.atomic import staged_directory  # noqa: E402
from taskora_app.values import load  # noqa: E402
from taskora_constructs import Taskora, TaskoraConfigError, TaskoraValidation, config_error_from_synth  # noqa: E402

EXIT_CONFIG_ERROR = 2


def build(outdir: str) -> cdk8s.App:
    """The app configured by TASKORA_ENV (default ``local``: the documented model) and
    TASKORA_VALUES, with secrets from the environment; writes to ``outdir``."""
    _, props = load()
    app = cdk8s.App(outdir=outdir)
    Taskora(app, "taskora", props)
    # This app owns every object in it: switch the whole-app reference lint on (opt-in).
    TaskoraValidation.of(app)
    return app


def synthesize(app: cdk8s.App) -> None:
    """``app.synth()``; a failed validation becomes one :class:`TaskoraConfigError` with every problem.

    cdk8s runs every ``node.add_validation`` check before it writes a file, and jsii raises
    their joined messages as a ``RuntimeError``. Any other error is a bug: it propagates
    with its traceback.
    """
    try:
        with TaskoraValidation.of(app).once():
            app.synth()
    except RuntimeError as error:
        config_error = config_error_from_synth(error, app)
        if config_error is None:
            raise
        raise config_error from None


def synth_atomically(outdir: Path) -> list[Path]:
    """Synthesize into a fresh directory, then swap it in place of ``outdir``."""
    with staged_directory(outdir) as staging:
        synthesize(build(str(staging)))
        protect_secrets(staging)
    return sorted(outdir.resolve().glob("*.k8s.yaml"))


#: A manifest holding a Secret: cdk8s writes ``kind: Secret`` at the start of a line.
_SECRET_KIND = re.compile(r"^kind: Secret$", re.M)


def protect_secrets(directory: Path) -> None:
    """Make the files that hold a Secret readable by their owner only (0600), and then the
    directory too (0700): under the usual umask they would be world-readable (0644, 0755)."""
    secret_files = [path for path in directory.glob("*.yaml") if _SECRET_KIND.search(path.read_text())]
    for path in secret_files:
        path.chmod(0o600)
    if secret_files:
        directory.chmod(0o700)


#: The directory ``cdk8s synth --stdout`` hands the app: ``mkdtemp(<tmpdir>/cdk8s-)`` (cdk8s-cli's util.js).
_CLI_STDOUT_STAGING = re.compile(r"cdk8s-[A-Za-z0-9]{6}")


def shown_destination(outdir: Path) -> str:
    """Where the user asked the manifests to go, as the error message names it.

    ``cdk8s synth --stdout`` synthesizes into a temporary directory of its own and prints the
    files from there: that directory is the CLI's staging, not a place the user chose, so the
    message names standard output instead. Any other ``outdir`` is the user's directory
    (``dist``, ``--output`` or ``CDK8S_OUTDIR``), shown as given."""
    if _CLI_STDOUT_STAGING.fullmatch(outdir.name) and outdir.is_absolute() \
            and outdir.parent.resolve() == Path(tempfile.gettempdir()).resolve():
        return "standard output"
    return str(outdir).rstrip("/") + "/"


def main() -> int:
    outdir = Path(os.environ.get("CDK8S_OUTDIR", "dist"))
    try:
        synth_atomically(outdir)
    except TaskoraConfigError as error:
        print(f"taskora: synth failed, nothing written to {shown_destination(outdir)}\n{error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
