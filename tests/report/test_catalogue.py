"""The reproduction catalogue covers every experiment's default run and every committed figure; the
committed results page has a section for every entry and no other."""

import launch
from lib.report import catalogue, page, render
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


def test_keys_and_commands():
  entries = catalogue.by_key()
  assert len(entries) == len(catalogue.ENTRIES)
  digits = entries['permutation_digits']
  assert catalogue.command(digits.experiment, digits.flags) == (
      'python launch.py --experiment=permutation --dataset=digits')


def test_results_page_sections_are_catalogue_entries_in_order():
  # An entry added to the catalogue gets its section at the next report (`Not run yet` until its
  # work directory exists); a section of an entry no longer in the catalogue is dropped then.
  text = (REPOSITORY / 'experiments' / 'results.md').read_text(encoding='utf-8')
  order = [catalogue.INDEX] + [e.key for e in catalogue.ENTRIES]
  found = list(page.blocks(text))
  assert found == [key for key in order if key in found]
  assert text.startswith(page.HEADER)
