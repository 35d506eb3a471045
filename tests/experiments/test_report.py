"""The report regenerates README blocks and figures from work directories, the same bytes twice;
reproduce runs an experiment through launch.py and records it. Work directories are written by the
engine's own writer (`results.Workdir`, `experiment.make_record`) and the experiments' own section
writer (`render.write`), with made-up accuracies: nothing trains here."""

import json

import numpy as np
import pytest

from launch_helper import launch
from lib.engine import experiment, results, training
from lib.report import catalogue, regenerate, render

TRAIN = training.TrainConfig(steps=4, eval_every=2)
README = '''# A paper

<!-- report:permutation -->
stale permutation table
<!-- /report:permutation -->

Prose that stays.

<!-- report:permutation/paper -->
<!-- /report:permutation/paper -->

<!-- report:sample_efficiency -->
<!-- /report:sample_efficiency -->

<!-- report:budget -->
the budget block, whose work directory is missing
<!-- /report:budget -->

<!-- report:shift_generalization -->
the shift block, whose run did not finish
<!-- /report:shift_generalization -->

<!-- report:experiments -->
<!-- /report:experiments -->
'''


def _write_sweep(workdir, config, runs) -> None:
  """Records `runs` (identity, final test accuracy) as the engine would, then the section."""
  with results.Workdir(workdir, config) as work:
    for run, accuracy in runs:
      metrics = {'train_loss': [1.0, 0.5], 'train_accuracy': [0.9, 1.0], 'test_loss': [1.2, 1.1],
                 'test_accuracy': [accuracy + 0.05, accuracy]}  # the best evaluation is not the last
      work.append(experiment.make_record(run, metrics, TRAIN, {'config': config}))


@pytest.fixture
def root(tmp_path):
  """A reproduction root: permutation (MNIST-1D) and its digits run, sample_efficiency, an unfinished
  shift_generalization; a reproduce.json that ran them."""
  root = tmp_path / 'root'
  for key, dataset in (('permutation', 'mnist1d'), ('permutation_digits', 'digits')):
    _write_sweep(root / key, {'experiment': 'permutation', 'dataset': dataset}, [
        ({'arch': arch, 'n': 40, 'seed': seed, 'permuted': permuted},
         0.9 - 0.3 * permuted * (arch == 'cnn') + 0.01 * seed)
        for arch in ('fc', 'cnn') for permuted in (False, True) for seed in (0, 1)])
    render.write('permutation', root / key)
  _write_sweep(root / 'sample_efficiency', {'experiment': 'sample_efficiency', 'dataset': 'mnist1d'},
               [({'arch': arch, 'n': n, 'seed': 0}, n / 100) for arch in ('fc', 'cnn')
                for n in (10, 40)])
  render.write('sample_efficiency', root / 'sample_efficiency')
  _write_sweep(root / 'shift_generalization', {'experiment': 'shift_generalization'}, [])
  ran = {'experiment': 'permutation', 'flags': [], 'status': 'done', 'returncode': 0,
         'wall_s': 125.4, 'attempts': 1, 'finished': '2026-05-01T10:00:00+00:00'}
  (root / 'reproduce.json').write_text(json.dumps({
      'machine': {'cpus': 2, 'system': 'Linux', 'machine': 'x86_64', 'python': '3.11.7'},
      'entries': {'permutation': ran, 'sample_efficiency': dict(ran, status='failed')}}))
  return root


def test_blocks_and_figures_regenerated_twice_byte_for_byte(root, tmp_path):
  readme, figures = tmp_path / 'README.md', tmp_path / 'figures'
  readme.write_text(README)
  outcome = regenerate.regenerate(root, readme, figures)
  text = readme.read_text()
  assert outcome.readme_changed
  assert sorted(outcome.blocks) == ['experiments', 'permutation', 'permutation/paper',
                                    'sample_efficiency']
  section = render.section('permutation', root / 'permutation')
  assert section.tables['summary'].strip() in text  # the table of summary.md, the same code
  assert section.tables['summary'] in (root / 'permutation' / 'summary.md').read_text()
  assert ('`python launch.py --experiment=permutation`: 2 min 05 s wall time in `launch.py '
          '--experiment=reproduce` (2 CPU cores, 2026-05-01).') in text
  assert '| fc | 40 | 2 | 100.0 +- 0.0 | 90.5 +- 0.5 | 100.0 +- 0.0 | 90.5 +- 0.5 | 0.0 |' in text
  assert ('| cnn | 2 | 90.5 +- 0.5 | 95.5 +- 0.5 | 94 | 92.3 | 60.5 +- 0.5 | 65.5 +- 0.5 | 56 | '
          '58.7 |') in text  # the best evaluation, not the last, and the paper's figures
  assert '`python launch.py --experiment=sample_efficiency`.' in text  # failed: no wall time
  assert '| cnn | 40 | 1 | 0 | 40.0 +- 0.0 | 100.0 +- 0.0 |' in text
  assert '| permutation | `python launch.py --experiment=permutation` |' in text
  assert '| permutation_digits | `python launch.py --experiment=permutation '\
         '--dataset=digits` |' in text and '2 min 05 s for the 1 entries done' in text
  assert 'Prose that stays.' in text and 'stale permutation table' not in text
  assert 'the budget block, whose work directory is missing' in text
  assert 'the shift block, whose run did not finish' in text
  assert sorted(p.name for p in figures.iterdir()) == ['permutation_digits.png',
                                                       'sample_efficiency.png']
  lines = '\n'.join(outcome.lines)
  assert f'missing: budget ({root / "budget"} does not exist)' in lines
  assert 'incomplete: shift_generalization' in lines and 'summary.md' in lines
  assert f'no marker: {readme} has no <!-- report:sample_efficiency/by_n -->' in lines
  assert 'has no <!-- report:permutation_digits -->' in lines  # its table's block
  drawn = {p.name: p.read_bytes() for p in figures.iterdir()}

  again = regenerate.regenerate(root, readme, figures)
  assert readme.read_text() == text and not again.readme_changed
  assert {p.name: p.read_bytes() for p in figures.iterdir()} == drawn
  assert again.lines[:-1] == outcome.lines[:-1] and again.lines[-1].endswith(
      f'4 blocks regenerated, no change; 2 figures drawn into {figures}')


def test_a_missing_workdir_changes_nothing_and_says_so(tmp_path):
  readme = tmp_path / 'README.md'
  readme.write_text(README)
  outcome = regenerate.regenerate(tmp_path / 'nothing', readme, tmp_path / 'figures')
  assert readme.read_text() == README and not (tmp_path / 'figures').exists()
  assert sum(line.startswith('missing: ') for line in outcome.lines) == len(catalogue.ENTRIES)
  assert any(line.startswith('no index: ') for line in outcome.lines)


def test_reproduce_runs_an_experiment_and_the_report(tmp_path):
  root, readme, figures = tmp_path / 'root', tmp_path / 'README.md', tmp_path / 'figures'
  readme.write_text('<!-- report:count -->\n<!-- /report:count -->\n')
  done = launch('reproduce', f'--root={root}', '--only=count', f'--readme={readme}',
                f'--figures={figures}', '--override=count:--model=mnist1d_lcn')
  assert done.returncode == 0, done.stderr[-3000:]
  assert '[reproduce 1/1] count: python launch.py --experiment=count' in done.stdout
  run = json.loads((root / 'reproduce.json').read_text())['entries']['count']
  assert run['status'] == 'done' and run['wall_s'] > 0 and run['flags'] == ['--model=mnist1d_lcn']
  text = readme.read_text()
  assert text.startswith('<!-- report:count -->\n\n`python launch.py --experiment=count '
                         '--model=mnist1d_lcn`: ')
  assert '| **total** |  | 32,610 |' in text  # the LCN twin's free parameters
  assert np.isclose(json.loads((root / 'count' / 'count.json').read_text())['in_shape'],
                    [40, 1]).all()
  regenerate.regenerate(root, readme, figures)
  assert readme.read_text() == text
