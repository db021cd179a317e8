"""GIVEN the default umask WHEN `make synth` writes dist/ THEN the files holding a Secret, and
the directory, are readable by their owner only; the others stay ordinary files. AND while the
files are written (before their final modes), the staging directory is 0700 and every file in
it 0600: a run killed at any moment leaves nothing readable by anyone else."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.paths import ROOT


def test_files_with_secrets_are_private(observed_run):
    # GIVEN the observed run of main.py below (its observer only records, then sets the final
    # modes as main.py does) THEN the files that hold a Secret and the directory are private
    outdir, _ = observed_run
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in outdir.glob("*.yaml")}
    with_secret = {p.name for p in outdir.glob("*.yaml") if "\nkind: Secret\n" in p.read_text()}
    assert with_secret == {"0001-taskora-config.k8s.yaml", "0002-taskora-database.k8s.yaml"}
    assert {name: mode for name, mode in modes.items() if name in with_secret} == {n: 0o600 for n in with_secret}
    assert all(mode == 0o644 for name, mode in modes.items() if name not in with_secret)
    assert stat.S_IMODE(outdir.stat().st_mode) == 0o700


#: main.py run as `make synth` runs it, with a look at the staging directory just after every
#: manifest was written and before any final mode is set (protect_secrets is the first step).
OBSERVED = textwrap.dedent("""\
    import json, os, stat, sys
    sys.path.insert(0, {root!r})
    import main
    final_modes = main.protect_secrets
    def observe(staging):
        seen = {{p.name: stat.S_IMODE(p.stat().st_mode) for p in [staging, *staging.iterdir()]}}
        print(json.dumps(seen))
        final_modes(staging)
    main.protect_secrets = observe
    sys.exit(main.main())
    """)


@pytest.fixture(scope="module")
def observed_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """main.py run once as `make synth` runs it, under the default umask, observed (OBSERVED):
    the output directory and the run. Both tests read this one run."""
    tmp_path = tmp_path_factory.mktemp("observed")
    outdir = tmp_path / "dist"
    script = tmp_path / "observed.py"
    script.write_text(OBSERVED.format(root=str(ROOT)))
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CDK8S_OUTDIR": str(outdir)}, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    return outdir, result


def test_manifests_are_private_from_their_creation_until_their_final_modes(observed_run):
    outdir, result = observed_run
    seen = json.loads(result.stdout.splitlines()[-1])
    staging = [name for name in seen if name.startswith(".dist-")]
    assert len(staging) == 1 and seen.pop(staging[0]) == 0o700
    assert len(seen) == 6 and all(name.endswith(".k8s.yaml") for name in seen)
    assert seen == {name: 0o600 for name in seen}  # created under umask 077 by jsii's Node
    # AND the final modes are those of the test above (the user's umask for the others)
    assert stat.S_IMODE((outdir / "0000-taskora-namespace.k8s.yaml").stat().st_mode) == 0o644
