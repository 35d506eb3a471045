"""Every experiment's section, by experiment name, and writing one into its work directory.

    section = render.section('permutation', pathlib.Path('runs/permutation'))
    section.tables['summary']          # Markdown
    section.figures['permutation']()   # a matplotlib Figure (shown inline in a notebook)

An experiment ends with `render.write(NAME, workdir, records)`: summary.md, summary.csv and its figures
come from the same code that `launch.py --experiment=report` runs on the work directory later.
"""

import importlib
import pathlib

from lib.analysis import plotting
from lib.engine import grid_file, summary
from lib.report.section import Section, read_records

# Experiment name -> 'module:function' under lib/report/, imported when first asked for (a module's
# imports are only paid for by the experiments that use it).
SECTIONS = {
    'budget': 'cost_sections:budget',
    'count': 'cost_sections:count',
    'dense_cost': 'cost_sections:dense_cost_section',
    'dimension_scaling': 'theory_sections:dimension_scaling',
    'emergence': 'emergence_section:emergence',
    'kernels': 'theory_sections:kernels',
    'layer_speed': 'speed_sections:layer_speed',
    'learned_locality': 'locality_section:learned_locality',
    'permutation': 'training_sections:permutation',
    'receptive_field': 'field_sections:receptive_field',
    'sample_efficiency': 'training_sections:sample_efficiency',
    'scale': 'speed_sections:scale',
    'shift_generalization': 'training_sections:shift_generalization',
    'sweep_speed': 'speed_sections:sweep_speed',
}
# The file an experiment writes last: its work directory is complete once it exists.
DONE_FILE = {'layer_speed': 'layer_speed.json', 'scale': 'scale.json',
             'sweep_speed': 'sweep_speed.json'}


def done_file(experiment: str) -> str:
  """The file whose presence says that an experiment's run finished (default summary.md)."""
  return DONE_FILE.get(experiment, 'summary.md')


def section(experiment: str, workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The section of an experiment's work directory.

  Args:
    experiment: a key of SECTIONS.
    workdir: the work directory.
    records: the runs to show (an experiment passes its grid's); None reads every record.

  Raises:
    KeyError: no section for `experiment`.
    lib.report.section.MissingData: the work directory lacks a file the section is drawn from.
  """
  module, _, function = SECTIONS[experiment].partition(':')
  build = getattr(importlib.import_module(f'lib.report.{module}'), function)
  return build(pathlib.Path(workdir), records)


def write(experiment: str, workdir: pathlib.Path, records: list[dict] | None = None) -> str:
  """Writes summary.md, summary.csv (if the section has rows) and every figure as NAME.png into
  `workdir`; returns the Markdown. If runs of the grid the work directory was asked for
  (`lib.engine.grid_file`) are not recorded, summary.md ends saying so."""
  workdir = pathlib.Path(workdir)
  drawn = section(experiment, workdir, records)
  text = drawn.markdown()
  grid = grid_file.read(workdir)
  incomplete = grid and grid_file.describe(grid, read_records(workdir) if records is None else records)
  if incomplete:
    text = f'{text.rstrip()}\n\n**{incomplete}**\n'
  if drawn.csv is not None:
    summary.write_csv(drawn.csv, workdir / 'summary.csv')
  for name, build in drawn.figures.items():
    plotting.save(build(), workdir / f'{name}.png')
  (workdir / 'summary.md').write_text(text, encoding='utf-8')
  return text
