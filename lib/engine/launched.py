"""The command that produced a work directory: `WORKDIR/command.json`, written by launch.py when an
experiment finishes.

It holds the experiment's name and the flags that can change a result, as they were typed (each a
`--name=value` token). Flags that only choose where and how fast the work runs (`EXECUTION_FLAGS`)
are left out, so a run with another chunk size or memory budget is still the same command. The report
compares these flags with the catalogue entry it publishes the directory under.
"""

import json
import pathlib

from lib.engine import results

COMMAND_FILE = 'command.json'
EXECUTION_FLAGS = frozenset({
    'experiment', 'workdir', 'chunk_size', 'memory_budget_gb', 'eval_batch_size', 'overwrite',
    'compilation_cache',
    'cpu_devices', 'distributed', 'coordinator_address', 'num_processes', 'process_id', 'data_dir',
    'logtostderr', 'alsologtostderr', 'verbosity', 'v', 'stderrthreshold', 'log_dir'})


def _name(token: str) -> str:
  return token.lstrip('-').split('=', 1)[0]


def result_flags(argv) -> list[str]:
  """The flag tokens of `argv` that can change a result, sorted (execution flags dropped).

  Args:
    argv: command-line tokens after the program name, e.g. `['--experiment=count', '--model=x']`.
  """
  return sorted(t for t in argv if t.startswith('--') and _name(t) not in EXECUTION_FLAGS)


def write(workdir: pathlib.Path, experiment: str, argv) -> None:
  """Records in `workdir` (if it exists) the experiment and the result flags of `argv`."""
  workdir = pathlib.Path(workdir)
  if workdir.is_dir():
    record = {'experiment': experiment, 'flags': result_flags(argv)}
    results.write_atomically(workdir / COMMAND_FILE, json.dumps(record, indent=1) + '\n')


def read(workdir: pathlib.Path) -> dict | None:
  """The recorded `{'experiment', 'flags'}` of `workdir`, or None if it has none."""
  path = pathlib.Path(workdir) / COMMAND_FILE
  return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None
