#!/usr/bin/env python3
"""The Taskora cdk8s app: ``make synth`` runs this directly (``cdk8s synth`` runs it too) to write ``dist/``.

A failed or killed synth writes nothing: manifests go to a directory of this run's own beside
the output directory and replace it, in one atomic step, only when every chart synthesized
(``taskora_app/atomic.py``). Run directly, the previous ``dist/`` is kept on failure;
``cdk8s synth`` deletes it before it starts the app. A configuration error prints
every problem found, one per line, and exits with status 2, without a traceback.

Synth replaces nothing but its own previous output: an output path that is empty, a symlink,
an existing file, the current directory or the repository (or a directory holding either), or
a directory holding anything but this app's manifests is refused (exit 2), as is an output
that cannot be written (read-only or full file system, no permission, under ``/proc``).
Manifests are private while they are written: jsii's Node writes them under umask 077, into a
0700 staging directory; they get their final modes (:func:`protect_secrets`) just before the swap.
"""

from __future__ import annotations

import gc

# `python main.py` is one short process: Python's cyclic garbage collector ran ~80 times in its
# imports and synth (~10 ms of CPU, issue #22) and freed nothing the run needed back (max RSS
# 34 MB either way). Off for that run; importing this module (as the tests do) leaves it on.
if __name__ == "__main__":
    gc.disable()

import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from taskora_app.node import use_pinned_node  # noqa: E402

# jsii runs on the Node LTS pinned in package.json (no end-of-life banner to hide): chosen
# before cdk8s (and so jsii's Node process) is imported.
use_pinned_node()

# jsii's Node process starts when cdk8s is imported and writes every manifest: under umask 077
# each file is created 0600, never readable by anyone else, even for an instant. This process
# keeps the user's umask, which the final modes follow (protect_secrets).
_USER_UMASK = os.umask(0o077)
try:
    import cdk8s  # noqa: E402
finally:
    os.umask(_USER_UMASK)

import jsii  # noqa: E402  (loaded by cdk8s)

from taskora_app.atomic import OutputProblem, io_problem, staged_directory  # noqa: E402
from taskora_app.values import load  # noqa: E402
from taskora_constructs import Taskora, TaskoraConfigError, TaskoraValidation, config_error_from_synth  # noqa: E402

EXIT_CONFIG_ERROR = 2


def build(outdir: str) -> cdk8s.App:
    """The app configured by TASKORA_ENV (default ``local``: the documented model) and
    TASKORA_VALUES, with secrets from the environment; writes to ``outdir``."""
    _, props = load()
    app = new_app(outdir)
    Taskora(app, "taskora", props)
    # This app owns every object in it: switch the whole-app reference lint on (opt-in).
    TaskoraValidation.of(app)
    return app


def new_app(outdir: str) -> cdk8s.App:
    """``cdk8s.App(outdir=outdir)`` without jsii's runtime type checks of the five ``AppProps``
    (``outdir`` is a str here): a process's first check imports typeguard, importlib.metadata,
    asyncio and unittest.mock, ~28 ms of start-up (issue #22). The props go as the plain map
    jsii sends a struct as, as ``App.__init__`` sends them once it has checked them."""
    app = cdk8s.App.__new__(cdk8s.App)
    jsii.create(cdk8s.App, app, [{"outdir": outdir}])
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


#: The repository: never replaced by the output, nor is any directory holding it.
ROOT = Path(__file__).resolve().parent

#: What this app writes into its output directory (cdk8s names a chart's file ``NNNN-<chart>.k8s.yaml``;
#: ``construct-metadata.json`` when CDK8S_RECORD_CONSTRUCT_METADATA is on): its own previous output.
_OWN_FILE = re.compile(r"\d{4}-taskora-[a-z0-9-]+\.k8s\.yaml|construct-metadata\.json")


def owns(entry: Path) -> bool:
    """Whether ``entry`` of an existing output directory is one this app writes (a regular file)."""
    return bool(_OWN_FILE.fullmatch(entry.name)) and entry.is_file() and not entry.is_symlink()


# Patterns kept as text (not re.compile) are compiled, and cached, by re on first use:
# a default synth checks none of them (issue #22).
#: A failed write in jsii's Node process, raised as ``Error: ENOSPC: no space left on device, write``.
_NODE_IO_ERROR = r"(?:Error: )?(E[A-Z]+): ([^,\n]+)"


def synth_atomically(outdir: Path, *, given: str | None = None) -> list[Path]:
    """Synthesize into a fresh directory, then swap it in place of ``outdir``; an output that may
    not be replaced or cannot be written raises :class:`OutputProblem`."""
    given = str(outdir) if given is None else given
    with staged_directory(outdir, owns=owns, protected={"the current directory": Path.cwd(), "the repository": ROOT}, final_mode=directory_mode,
                          variable="CDK8S_OUTDIR", given=given) as staging:
        try:
            synthesize(build(str(staging)))
        except RuntimeError as error:
            failed_write = re.match(_NODE_IO_ERROR, str(error))
            if failed_write is None:
                raise
            raise OutputProblem([io_problem(outdir, failed_write[1], failed_write[2], variable="CDK8S_OUTDIR",
                                            given=given)]) from None
        protect_secrets(staging)
    return sorted(outdir.resolve().glob("*.k8s.yaml"))


#: A manifest holding a Secret: cdk8s writes ``kind: Secret`` at the start of a line.
_SECRET_KIND = re.compile(r"^kind: Secret$", re.M)


def _has_secret(path: Path) -> bool:
    return bool(_SECRET_KIND.search(path.read_text()))


def protect_secrets(directory: Path) -> None:
    """The final file modes: the files that hold a Secret readable by their owner only (0600),
    the others ordinary files under the user's umask (0644 under 022). Set in the private
    staging directory, before :func:`directory_mode` opens it."""
    for path in directory.glob("*.yaml"):
        path.chmod(0o600 if _has_secret(path) else 0o666 & ~_USER_UMASK)


def directory_mode(directory: Path) -> int:
    """The output directory's final mode: 0700 when a file in it holds a Secret, else an
    ordinary directory under the user's umask (0755 under 022)."""
    return 0o700 if any(_has_secret(path) for path in directory.glob("*.yaml")) else 0o777 & ~_USER_UMASK


#: The directory ``cdk8s synth --stdout`` hands the app: ``mkdtemp(<tmpdir>/cdk8s-)`` (cdk8s-cli's util.js).
_CLI_STDOUT_STAGING = r"cdk8s-[A-Za-z0-9]{6}"


def shown_destination(outdir: Path) -> str:
    """Where the user asked the manifests to go, as the error message names it.

    ``cdk8s synth --stdout`` synthesizes into a temporary directory of its own and prints the
    files from there: that directory is the CLI's staging, not a place the user chose, so the
    message names standard output instead. Any other ``outdir`` is the user's directory
    (``dist``, ``--output`` or ``CDK8S_OUTDIR``), shown as given."""
    if re.fullmatch(_CLI_STDOUT_STAGING, outdir.name) and outdir.is_absolute() \
            and outdir.parent.resolve() == Path(tempfile.gettempdir()).resolve():
        return "standard output"
    return str(outdir).rstrip("/") + "/"


#: A manifest's object: cdk8s writes each one's ``kind:`` at the start of a line.
_KIND = re.compile(r"^kind:", re.M)


def summary(written: list[Path], given: str) -> str:
    """The one line ``make synth`` prints: how many objects in how many files, and how to apply them."""
    objects = sum(len(_KIND.findall(path.read_text())) for path in written)
    return f"Wrote {objects} objects in {len(written)} files to {given}/ (apply: kubectl apply -f {given}/)"


def main(argv: list[str] | None = None) -> int:
    """Synthesize into CDK8S_OUTDIR (default ``dist``); ``--summary`` (make synth) prints what was
    written, in-process: a shell, grep and ls after the run would cost as much as the app's own work."""
    args = sys.argv[1:] if argv is None else argv
    given = os.environ.get("CDK8S_OUTDIR", "dist")
    outdir = Path(given)
    try:
        written = synth_atomically(outdir, given=given)
    except TaskoraConfigError as error:
        print(f"taskora: synth failed, nothing written to {shown_destination(outdir)}\n{error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except OutputProblem as error:
        # make synth passes DIST as CDK8S_OUTDIR: the message names both.
        where = shown_destination(outdir) if given.strip() else "the current directory"
        print(f"taskora: synth failed, nothing written to or deleted from {where} (the output directory: "
              f"CDK8S_OUTDIR, or make synth DIST=...)\n{error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if "--summary" in args:
        print(summary(written, given))
    return 0


if __name__ == "__main__":
    sys.exit(main())
