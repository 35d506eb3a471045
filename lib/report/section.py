"""What an experiment's work directory shows: its tables and figures (a `Section`), and reading the
data files they are drawn from.

A section is built from the files the experiment wrote (results.jsonl, config.json and its summary
JSON files), never from a running experiment's memory, so that `launch.py --experiment=report`
redraws exactly what the experiment drew. An experiment passes the records of its own grid; the
report reads every record of the work directory.
"""

import dataclasses
import json
import pathlib
from typing import Any, Callable

from matplotlib.figure import Figure

from lib.engine import results


class MissingData(Exception):
  """A work directory lacks files (or records) that its section is drawn from."""

  def __init__(self, workdir: pathlib.Path, names: list[str]):
    self.workdir, self.names = workdir, names
    super().__init__(f'{workdir} has no {", ".join(names)}')


@dataclasses.dataclass
class Section:
  """The tables and figures of one work directory.

  Attributes:
    title: the heading of summary.md.
    tables: `{name: Markdown}` in order; the first is the experiment's main table. A table may hold
      `##` sub-headings and notes below it.
    figures: `{name: build}`; `build()` returns a new `matplotlib.figure.Figure`. The experiment
      writes it as `WORKDIR/NAME.png`.
    csv: rows for summary.csv, or None (the experiment writes none, or writes its own).
  """
  title: str
  tables: dict[str, str]
  figures: dict[str, Callable[[], Figure]] = dataclasses.field(default_factory=dict)
  csv: list[dict] | None = None

  def markdown(self) -> str:
    """summary.md: the title, then every table."""
    return f'# {self.title}\n\n' + '\n'.join(self.tables.values())


def require(workdir: pathlib.Path, *names: str) -> None:
  """Raises MissingData naming the files of `names` that `workdir` lacks."""
  missing = [name for name in names if not (workdir / name).is_file()]
  if missing:
    raise MissingData(workdir, missing)


def read_json(workdir: pathlib.Path, name: str) -> Any:
  """The JSON file `workdir/name`; MissingData if absent."""
  require(workdir, name)
  return json.loads((workdir / name).read_text(encoding='utf-8'))


def read_records(workdir: pathlib.Path) -> list[dict]:
  """Every finished run of a work directory in grid order (`results.in_grid_order`; read-only, no
  lock).

  Raises:
    MissingData: no config.json or results.jsonl, or no record in it.
  """
  config = read_json(workdir, results.CONFIG_FILE)
  require(workdir, results.RESULTS_FILE)
  with results.Workdir(workdir, config, writer=False) as work:
    records = results.in_grid_order(work.records())
  if not records:
    raise MissingData(workdir, [f'record in {results.RESULTS_FILE}'])
  return records
