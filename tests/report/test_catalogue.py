"""The reproduction catalogue covers every experiment's default run and every committed figure."""

import launch
from lib.report import catalogue, readme, render
from lib.report.state import REPOSITORY

NOT_REPRODUCED = {'report', 'reproduce'}  # they run the others


def test_every_experiment_has_its_default_run():
  defaults = {e.experiment for e in catalogue.ENTRIES if not e.flags}
  assert defaults == set(launch.available()) - NOT_REPRODUCED
  assert {e.experiment for e in catalogue.ENTRIES} <= set(render.SECTIONS)


def test_every_committed_figure_is_redrawn_by_one_entry():
  files = [file for e in catalogue.ENTRIES for file in e.figures.values()]
  committed = sorted(p.name for p in (REPOSITORY / 'experiments' / 'figures').glob('*.png'))
  assert sorted(files) == committed


def test_keys_markers_and_commands():
  entries = catalogue.by_key()
  assert len(entries) == len(catalogue.ENTRIES)
  digits = entries['permutation_digits']
  assert catalogue.command(digits.experiment, digits.flags) == (
      'python launch.py --experiment=permutation --dataset=digits')
  kernels = entries['kernels']
  assert [kernels.marker(t) for t in kernels.tables] == ['kernels', 'kernels/accuracies']


def test_readme_has_a_block_for_every_table_and_no_other():
  text = (REPOSITORY / 'README.md').read_text(encoding='utf-8')
  wanted = {e.marker(t) for e in catalogue.ENTRIES for t in e.tables} | {catalogue.INDEX}
  assert set(readme.blocks(text)) == wanted
