"""The grid a work directory was last asked for: `WORKDIR/grid.json`, the identities of its runs.

The engine writes it when a sweep starts. Grid axes (sizes, seeds, architectures) are not part of a
work directory's identity: a grown grid trains only its new runs and a shrunk one reads a subset, so
which runs a summary should show, and whether they are all recorded, is read from here.
"""

import json
import pathlib

from lib.engine import results

GRID_FILE = results.GRID_FILE


def _key(run: dict) -> tuple:
  return tuple(sorted(run.items()))


def write(workdir: pathlib.Path, runs) -> None:
  """Stores the identities of `runs` (dicts of JSON scalars), in grid order."""
  text = json.dumps([dict(run) for run in runs], sort_keys=True)
  results.write_atomically(pathlib.Path(workdir) / GRID_FILE, text + '\n')


def read(workdir: pathlib.Path) -> list[dict] | None:
  """The stored grid's run identities, or None if `workdir` has no grid file."""
  path = pathlib.Path(workdir) / GRID_FILE
  return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None


def identity(record: dict) -> dict:
  """A record's run identity: the fields its `identity` names."""
  return {k: record[k] for k in record['identity']}


def in_grid(grid: list[dict], records: list[dict]) -> list[dict]:
  """The records of the grid's runs, in grid order."""
  position = {_key(run): i for i, run in enumerate(grid)}
  mine = [r for r in records if _key(identity(r)) in position]
  return sorted(mine, key=lambda r: position[_key(identity(r))])


def missing(grid: list[dict], records: list[dict]) -> list[dict]:
  """The grid's runs that no record holds."""
  recorded = {_key(identity(r)) for r in records}
  return [run for run in grid if _key(run) not in recorded]


def describe(grid: list[dict], records: list[dict], most: int = 4) -> str | None:
  """One line saying that the grid is incomplete (expected, recorded, which missing), or None."""
  absent = missing(grid, records)
  if not absent:
    return None
  named = '; '.join(', '.join(f'{k}={v}' for k, v in run.items()) for run in absent[:most])
  more = f'; and {len(absent) - most} more' if len(absent) > most else ''
  return (f'Incomplete grid: {len(grid) - len(absent)} of {len(grid)} runs recorded; missing: '
          f'{named}{more}.')
