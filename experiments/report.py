"""Report: regenerates README's tables and experiments/figures/ from the reproduction's work directories.

For every entry of the reproduction catalogue (`lib/report/catalogue.py`) whose work directory
`--root/KEY` is complete, fills README's blocks `<!-- report:KEY -->` ... `<!-- /report:KEY -->` (and
`report:KEY/TABLE` for an entry's further tables) with its tables, the command that produced them and
its wall time from `--root/reproduce.json`, and redraws its committed figures into --figures from the
work directory's data files. The block `report:experiments` lists every entry. A missing work
directory or marker is reported in one line and changes nothing; running it twice on the same work
directories leaves README byte for byte the same.
"""

from absl import flags

from lib.report import regenerate, state

_ROOT = flags.DEFINE_string('root', 'runs/reproduce', 'The reproduction\'s root: one work directory '
                            'per catalogue key, and reproduce.json.')
_README = flags.DEFINE_string('readme', str(state.REPOSITORY / 'README.md'),
                              'The README to update.')
_FIGURES = flags.DEFINE_string('figures', str(state.REPOSITORY / 'experiments' / 'figures'),
                               'Where the committed figures are written.')


def main(argv):
  del argv
  for flag in (_ROOT, _README, _FIGURES):
    if not flag.value.strip():
      raise ValueError(f'--{flag.name} is empty')
  outcome = regenerate.regenerate(_ROOT.value, _README.value, _FIGURES.value)
  print('\n'.join(outcome.lines))
