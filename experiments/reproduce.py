"""Reproduce: runs every experiment of the reproduction catalogue into one root, then the report.

Each catalogue entry (`lib/report/catalogue.py`: every experiment's default run, and the non-default
runs README reports) runs in a process of its own, `python launch.py --experiment=E --workdir=ROOT/KEY
FLAGS`, in sequence, with a progress line and an ETA before each. `--root/reproduce.json` records every
entry's command, exit status and wall time, after each entry; `--root/logs/KEY.log` keeps its output.
Running the same command again resumes: entries recorded as done are skipped, an unfinished one
resumes from its work directory. A failed entry is reported and the rest go on; Ctrl-C stops the
running entry (it keeps what it finished) and exits with status 130. Then `--experiment=report` runs
on the root (see experiments/report.py).
"""

import sys

from absl import flags

from lib.report import catalogue, regenerate, reproduce, state

_ROOT = flags.DEFINE_string('root', 'runs/reproduce', 'Root directory: a work directory per key, '
                            'reproduce.json and logs/.')
_ONLY = flags.DEFINE_multi_string('only', [], 'Run only this catalogue key (repeatable).')
_SKIP = flags.DEFINE_multi_string('skip', [], 'Do not run this catalogue key (repeatable).')
_OVERRIDE = flags.DEFINE_multi_string('override', [], 'KEY:FLAGS, extra flags appended to an '
                                      'entry\'s (repeatable), e.g. "count:--model=mnist1d_lcn".')
_PAGE = flags.DEFINE_string('page', str(state.REPOSITORY / 'experiments' / 'results.md'),
                            'The results page the report writes.')
_FIGURES = flags.DEFINE_string('figures', str(state.REPOSITORY / 'experiments' / 'figures'),
                               'Where the report writes the committed figures.')


def selected(only, skip) -> list[catalogue.Entry]:
  """The catalogue entries that --only and --skip keep, in catalogue order."""
  keys = catalogue.by_key()
  for name, values in (('only', only), ('skip', skip)):
    for value in values:
      if value not in keys:
        raise ValueError(f'--{name}={value!r}: not a catalogue key; expected one of {sorted(keys)}')
  return [e for key, e in keys.items() if (not only or key in only) and key not in skip]


def main(argv):
  del argv
  for flag in (_ROOT, _PAGE, _FIGURES):
    if not flag.value.strip():
      raise ValueError(f'--{flag.name} is empty')
  entries = selected(_ONLY.value, _SKIP.value)
  if not entries:
    raise ValueError(f'--only={_ONLY.value} and --skip={_SKIP.value} leave no entry to run')
  overrides = reproduce.parse_overrides(_OVERRIDE.value, catalogue.by_key())
  recorded = reproduce.reproduce(entries, _ROOT.value, overrides)
  outcome = regenerate.regenerate(_ROOT.value, _PAGE.value, _FIGURES.value)
  print('\n'.join(outcome.lines))
  failed = [e.key for e in entries if recorded['entries'][e.key]['status'] == 'failed']
  if failed:
    print(f'reproduce: {len(failed)} entries failed: {", ".join(failed)}', file=sys.stderr)
  if outcome.refused:
    print(f'reproduce: the report refused {", ".join(outcome.refused)}', file=sys.stderr)
  if failed or outcome.refused:
    sys.exit(1)
