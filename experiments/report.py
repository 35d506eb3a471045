"""Report: writes the results page and redraws experiments/figures/ from the reproduction's work directories.

For every entry of the reproduction catalogue (`lib/report/catalogue.py`) whose work directory
`--root/KEY` is its finished, whole run, made with the entry's flags, the results page
(`experiments/results.md`, written whole) gets the entry's tables under the command that produced them
and its wall time from `--root/reproduce.json`, and its committed figures are redrawn into --figures.
An entry without a work directory keeps its section as it was; one that is refused (unfinished, runs
missing from its grid, other flags) keeps it too, and the report names it, says why and exits with
status 1. Running it twice on the same work directories leaves the page byte for byte the same.
"""

import sys

from absl import flags

from lib.report import regenerate, state

_ROOT = flags.DEFINE_string('root', 'runs/reproduce', 'The reproduction\'s root: one work directory '
                            'per catalogue key, and reproduce.json. It must exist.')
_PAGE = flags.DEFINE_string('page', str(state.REPOSITORY / 'experiments' / 'results.md'),
                            'The results page, written whole.')
_FIGURES = flags.DEFINE_string('figures', str(state.REPOSITORY / 'experiments' / 'figures'),
                               'Where the committed figures are written.')


def main(argv):
  del argv
  for flag in (_ROOT, _PAGE, _FIGURES):
    if not flag.value.strip():
      raise ValueError(f'--{flag.name} is empty')
  outcome = regenerate.regenerate(_ROOT.value, _PAGE.value, _FIGURES.value)
  print('\n'.join(outcome.lines))
  if outcome.refused:
    print(f'report: refused to publish {", ".join(outcome.refused)} (see above)', file=sys.stderr)
    sys.exit(1)
