"""Runs several experiments end to end, each as `launch.py --experiment=NAME FLAGS...` would, sharing
one import of the library and one generation of MNIST-1D.

`python tests/experiments/smoke_driver.py REPORT.json SPEC.json`. SPEC is a JSON list of
`{"name": EXPERIMENT, "flags": [...]}`; REPORT gets one `{"name", "exit", "stderr", "cpu_s"}` per entry. The
driver imports lib/ and generates MNIST-1D (before JAX initialises), then forks one child per
experiment, so the experiments' flags of the same name never meet and each child starts from a JAX
that has not initialised.
"""

import json
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# pylint: disable=g-import-not-at-top,wrong-import-position,unused-import
import launch
from lib.analysis import cost_figures  # imported once, before forking: every child shares them
from lib.data import load_dataset
from lib.engine import experiment


def run_one(name: str, argv: list[str]) -> dict:
  """Forks a child that runs launch.py's main on `argv`; returns its exit status and stderr."""
  with tempfile.TemporaryFile() as err:
    pid = os.fork()
    if pid == 0:
      code = 1
      try:
        os.dup2(err.fileno(), 2)
        sys.argv = ['launch.py', f'--experiment={name}', *argv]
        launch.main()
        code = 0
      except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
      finally:
        sys.stderr.flush()
        os._exit(code)  # pylint: disable=protected-access
    _, status, usage = os.wait4(pid, 0)
    err.seek(0)
    stderr = err.read().decode(errors='replace')
  return {'name': name, 'exit': os.waitstatus_to_exitcode(status), 'stderr': stderr[-3000:],
          'cpu_s': round(usage.ru_utime + usage.ru_stime, 1)}


def main(report_path: str, spec_path: str) -> None:
  load_dataset('mnist1d')  # cached: every child shares it
  spec = json.loads(pathlib.Path(spec_path).read_text())
  report = [run_one(entry['name'], entry['flags']) for entry in spec]
  pathlib.Path(report_path).write_text(json.dumps(report, indent=1))


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2])
