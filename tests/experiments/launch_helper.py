"""Runs an experiment through launch.py in a fresh process (experiments may share flag names, so
they cannot all be imported into one test process)."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def launch(experiment: str, *flags: str) -> subprocess.CompletedProcess:
  """`python launch.py --experiment=EXPERIMENT FLAGS...` from the repository root; output captured.

  XLA's optimizations are off (`JAX_DISABLE_MOST_OPTIMIZATIONS`): tiny programs compile faster.
  """
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  return subprocess.run([sys.executable, 'launch.py', f'--experiment={experiment}', *flags],
                        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env=env)
