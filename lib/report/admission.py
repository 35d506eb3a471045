"""Whether the report may publish a work directory under a catalogue entry's command.

A work directory is published only if its run finished (its experiment's done file), every run of
the grid it was last asked for is recorded (`WORKDIR/grid.json`), and the flags that produced it
(`WORKDIR/command.json`, written by launch.py; for a directory made before that file existed, the
command its latest record's provenance names) are the ones the entry's command names: the catalogue's
flags, plus any `--override` the reproduction recorded for it.
"""

import pathlib

from lib.engine import grid_file, launched, results
from lib.report import catalogue, render
from lib.report.section import MissingData, read_records


class Refused(Exception):
  """The work directory cannot be published under the entry; the message says why."""


def expected_flags(entry: catalogue.Entry, state: dict | None) -> list[str]:
  """The entry's flags as the reproduction ran them (`ROOT/reproduce.json`), else the catalogue's."""
  run = (state or {}).get('entries', {}).get(entry.key)
  return list(run['flags']) if run else list(entry.flags)


def check(entry: catalogue.Entry, workdir: pathlib.Path, flags) -> None:
  """Raises Refused, with a one-line reason, unless `workdir` is `entry`'s finished, whole run.

  Args:
    entry: the catalogue entry.
    workdir: its work directory.
    flags: the flags it should have been run with (`expected_flags`).
  """
  done = render.done_file(entry.experiment)
  if not (workdir / done).is_file():
    raise Refused(f'{workdir} has no {done}: its run has not finished; run its command again to '
                  'resume it')
  ran = launched.read(workdir) or recorded_command(workdir)
  if ran is None:
    raise Refused(f'{workdir} has no {launched.COMMAND_FILE} and no record naming its command: '
                  'nothing says which command produced it; run the entry again through launch.py')
  wanted = launched.result_flags(flags)
  if ran['experiment'] != entry.experiment or ran['flags'] != wanted:
    raise Refused(f"{workdir} was produced by `{catalogue.command(ran['experiment'], ran['flags'])}`,"
                  f' not `{catalogue.command(entry.experiment, wanted)}`')
  grid = grid_file.read(workdir)
  if grid is not None:
    line = grid_file.describe(grid, read_records(workdir))
    if line:
      raise Refused(f'{workdir}: {line}')


def recorded_command(workdir: pathlib.Path) -> dict | None:
  """`{'experiment', 'flags'}` of the launch.py command that recorded the work directory's latest run
  (its record's provenance), for a directory made before launch.py wrote command.json; else None."""
  if not (workdir / results.RESULTS_FILE).is_file():
    return None
  try:
    records = read_records(workdir)
  except MissingData:
    return None
  latest = max(records, key=lambda r: r.get('provenance', {}).get('time') or '')
  argv = (latest.get('provenance', {}).get('command') or '').split()
  launchers = [i for i, token in enumerate(argv) if token.endswith('launch.py')]
  if not launchers:
    return None
  argv = argv[launchers[0] + 1:]
  experiment = [t.split('=', 1)[1] for t in argv if t.startswith('--experiment=')]
  return {'experiment': experiment[0], 'flags': launched.result_flags(argv)} if experiment else None


def grid_records(workdir: pathlib.Path) -> list[dict] | None:
  """The records of the grid `workdir` was last asked for, or None (read every record) if it has no
  grid file."""
  grid = grid_file.read(workdir)
  return None if grid is None else grid_file.in_grid(grid, read_records(workdir))
