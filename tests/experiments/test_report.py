"""The report writes the results page whole and redraws figures from work directories, the same bytes
twice; it publishes only a finished, whole grid made by the catalogue's flags; reproduce runs an
experiment through launch.py and records it. Work directories are written by the engine's own writer
(`results.Workdir`, `experiment.make_record`), launch.py's command record (`launched.write`) and the
experiments' own section writer (`render.write`), with made-up accuracies: nothing trains here."""

import json

import numpy as np
import pytest

from launch_helper import launch
from lib.engine import experiment, grid_file, launched, results, training
from lib.report import catalogue, page, regenerate, render

TRAIN = training.TrainConfig(steps=4, eval_every=2)
PREVIOUS = {'budget': 'the budget section, whose work directory is missing',
            'shift_generalization': 'the shift section, whose run did not finish',
            'retired': 'an entry no longer in the catalogue'}


def _write_sweep(workdir, config, runs, argv=(), grid=None) -> None:
  """Records `runs` (identity, final test accuracy) as the engine would, its grid and its command."""
  with results.Workdir(workdir, config) as work:
    for run, accuracy in runs:
      metrics = {'train_loss': [1.0, 0.5], 'train_accuracy': [0.9, 1.0], 'test_loss': [1.2, 1.1],
                 'test_accuracy': [accuracy + 0.05, accuracy]}  # the best evaluation is not the last
      work.append(experiment.make_record(run, metrics, TRAIN, {'config': config}))
  grid_file.write(workdir, grid if grid is not None else [run for run, _ in runs])
  launched.write(workdir, config['experiment'], [f"--experiment={config['experiment']}", *argv])


def _efficiency_runs():
  return [({'arch': arch, 'n': n, 'seed': 0}, n / 100) for arch in ('fc', 'cnn') for n in (10, 40)]


@pytest.fixture
def root(tmp_path):
  """A reproduction root: permutation (MNIST-1D) and its digits run, sample_efficiency, an unfinished
  shift_generalization; a reproduce.json that ran them."""
  root = tmp_path / 'root'
  for key, dataset, argv in (('permutation', 'mnist1d', ()),
                             ('permutation_digits', 'digits', ('--dataset=digits',))):
    _write_sweep(root / key, {'experiment': 'permutation', 'dataset': dataset}, [
        ({'arch': arch, 'n': 40, 'seed': seed, 'permuted': permuted},
         0.9 - 0.3 * permuted * (arch == 'cnn') + 0.01 * seed)
        for arch in ('fc', 'cnn') for permuted in (False, True) for seed in (0, 1)],
                 (*argv, '--chunk_size=2', f'--workdir={root / key}'))  # execution flags: ignored
    render.write('permutation', root / key)
  _write_sweep(root / 'sample_efficiency', {'experiment': 'sample_efficiency', 'dataset': 'mnist1d'},
               _efficiency_runs())
  render.write('sample_efficiency', root / 'sample_efficiency')
  _write_sweep(root / 'shift_generalization', {'experiment': 'shift_generalization'}, [])
  ran = {'experiment': 'permutation', 'flags': [], 'status': 'done', 'returncode': 0,
         'wall_s': 125.4, 'attempts': 1, 'finished': '2026-05-01T10:00:00+00:00'}
  (root / 'reproduce.json').write_text(json.dumps({
      'machine': {'cpus': 2, 'system': 'Linux', 'machine': 'x86_64', 'python': '3.11.7'},
      'entries': {'permutation': ran, 'sample_efficiency': dict(ran, status='failed')}}))
  return root


@pytest.fixture
def results_page(tmp_path):
  path = tmp_path / 'results.md'
  path.write_text(page.compose(PREVIOUS))
  return path


def test_page_and_figures_regenerated_twice_byte_for_byte(root, results_page, tmp_path):
  figures = tmp_path / 'figures'
  outcome = regenerate.regenerate(root, results_page, figures)
  text = results_page.read_text()
  assert outcome.page_changed and outcome.refused == ['shift_generalization']
  assert outcome.published == ['permutation', 'permutation_digits', 'sample_efficiency']
  assert list(page.blocks(text)) == [catalogue.INDEX] + [e.key for e in catalogue.ENTRIES]
  section = render.section('permutation', root / 'permutation')
  assert section.tables['summary'].strip() in text  # the table of summary.md, the same code
  assert section.tables['summary'] in (root / 'permutation' / 'summary.md').read_text()
  assert ('`python launch.py --experiment=permutation`: 02m05s wall time in `launch.py '
          '--experiment=reproduce` (2 CPU cores, 2026-05-01).') in text
  assert '| fc | 40 | 2 | 100.0 +- 0.0 | 90.5 +- 0.5 | 100.0 +- 0.0 | 90.5 +- 0.5 | 0.0 |' in text
  assert ('| cnn | 2 | 90.5 +- 0.5 | 95.5 +- 0.5 | 94 | 92.3 | 60.5 +- 0.5 | 65.5 +- 0.5 | 56 | '
          '58.7 |') in text  # the best evaluation, not the last, and the paper's figures
  assert '`python launch.py --experiment=sample_efficiency`.' in text  # failed: no wall time
  assert '| cnn | 40 | 1 | 0 | 40.0 +- 0.0 | 100.0 +- 0.0 |' in text
  assert '![sample_efficiency: sample_efficiency](figures/sample_efficiency.png)' in text
  assert '| permutation | `python launch.py --experiment=permutation` |' in text
  assert '| permutation_digits | `python launch.py --experiment=permutation '\
         '--dataset=digits` |' in text and '02m05s for the 1 entries done' in text
  assert PREVIOUS['budget'] in text and PREVIOUS['shift_generalization'] in text
  assert 'an entry no longer in the catalogue' not in text
  assert 'Not run yet: `python launch.py --experiment=count`.' in text
  assert sorted(p.name for p in figures.iterdir()) == ['permutation_digits.png',
                                                       'sample_efficiency.png']
  lines = '\n'.join(outcome.lines)
  assert f'missing: budget ({root / "budget"} does not exist)' in lines
  assert 'refused: shift_generalization' in lines and 'summary.md' in lines
  assert "dropped: ['retired']" in lines
  drawn = {p.name: p.read_bytes() for p in figures.iterdir()}

  again = regenerate.regenerate(root, results_page, figures)
  assert results_page.read_text() == text and not again.page_changed
  assert {p.name: p.read_bytes() for p in figures.iterdir()} == drawn
  assert again.lines[-1].endswith(
      f'3 of {len(catalogue.ENTRIES)} sections regenerated, no change; 2 figures drawn into {figures}')


def test_the_index_says_which_rows_keep_an_earlier_reproduction_s_times(tmp_path):
  entries = [e for e in catalogue.ENTRIES if e.key in ('budget', 'permutation')]
  previous = '| budget | `python launch.py --experiment=budget` | Budgets. | 02m14s | 0.9 GB |\n'
  state = {'machine': {'cpus': 2}, 'entries': {'permutation': {
      'flags': [], 'status': 'done', 'wall_s': 43.0, 'peak_rss_gb': 0.8}}}
  table = regenerate.index_table(entries, state, tmp_path, previous)
  assert previous.strip() in table and '| 00m43s | 0.8 GB |' in table
  assert '00m43s for the 1 entries done' in table
  assert 'The rows of the 1 entries this reproduction did not run keep the times' in table
  alone = regenerate.index_table(entries[1:], state, tmp_path, previous)
  assert 'did not run' not in alone


def test_a_workdir_made_by_other_flags_is_refused_and_its_section_kept(root, results_page, tmp_path):
  workdir = root / 'sample_efficiency'
  launched.write(workdir, 'sample_efficiency', ['--sizes=50,100', '--num_seeds=2', '--steps=200'])
  outcome = regenerate.regenerate(root, results_page, tmp_path / 'figures')
  assert 'sample_efficiency' in outcome.refused
  line = next(line for line in outcome.lines if line.startswith('refused: sample_efficiency'))
  assert ('produced by `python launch.py --experiment=sample_efficiency --num_seeds=2 '
          '--sizes=50,100 --steps=200`, not `python launch.py --experiment=sample_efficiency`') in line
  assert 'Not run yet: `python launch.py --experiment=sample_efficiency`.' in results_page.read_text()
  assert not (tmp_path / 'figures' / 'sample_efficiency.png').exists()


@pytest.mark.parametrize('argv, published', [('', True), (' --steps=4', False)])
def test_without_command_json_the_latest_record_names_the_command(root, results_page, tmp_path, argv,
                                                                   published):
  workdir = root / 'sample_efficiency'
  (workdir / launched.COMMAND_FILE).unlink()
  config = {'experiment': 'sample_efficiency', 'dataset': 'mnist1d'}
  with results.Workdir(workdir, config) as work:  # a later run, as recorded before command.json
    work.append(experiment.make_record(
        {'arch': 'fc', 'n': 90, 'seed': 0}, {k: [0.5, 0.5] for k in training.METRICS}, TRAIN,
        {'config': config, 'provenance': {'time': '2099-01-01T00:00:00+00:00', 'command':
         f'python launch.py --experiment=sample_efficiency --workdir={workdir}{argv}'}}))
  outcome = regenerate.regenerate(root, results_page, tmp_path / 'figures')
  assert ('sample_efficiency' in outcome.published) is published
  if not published:
    assert any('produced by `python launch.py --experiment=sample_efficiency --steps=4`' in line
               for line in outcome.lines)


def test_an_incomplete_grid_is_refused(root, results_page, tmp_path):
  grid = [run for run, _ in _efficiency_runs()] + [{'arch': 'lcn', 'n': 40, 'seed': 0}]
  grid_file.write(root / 'sample_efficiency', grid)
  outcome = regenerate.regenerate(root, results_page, tmp_path / 'figures')
  line = next(line for line in outcome.lines if line.startswith('refused: sample_efficiency'))
  assert 'Incomplete grid: 4 of 5 runs recorded; missing: arch=lcn, n=40, seed=0.' in line


def test_a_shrunk_grid_publishes_its_own_runs(root, results_page, tmp_path):
  grid_file.write(root / 'sample_efficiency', [{'arch': 'cnn', 'n': 40, 'seed': 0}])
  regenerate.regenerate(root, results_page, tmp_path / 'figures')
  body = page.blocks(results_page.read_text())['sample_efficiency']
  assert '| cnn | 40 | 1 | 0 | 40.0 +- 0.0 | 100.0 +- 0.0 |' in body and '| fc |' not in body


def test_a_root_that_does_not_exist_is_an_error(tmp_path):
  with pytest.raises(ValueError, match='is not a directory'):
    regenerate.regenerate(tmp_path / 'nothing', tmp_path / 'results.md', tmp_path / 'figures')
  done = launch('report', f'--root={tmp_path / "nothing"}', f'--page={tmp_path / "results.md"}')
  assert done.returncode == 2 and 'is not a directory' in done.stderr
  assert not (tmp_path / 'results.md').exists()


def test_reproduce_runs_an_experiment_and_the_report(tmp_path):
  root, results_page, figures = tmp_path / 'root', tmp_path / 'results.md', tmp_path / 'figures'
  done = launch('reproduce', f'--root={root}', '--only=count', f'--page={results_page}',
                f'--figures={figures}', '--override=count:--model=mnist1d_lcn')
  assert done.returncode == 0, done.stderr[-3000:]
  assert '[reproduce 1/1] count: python launch.py --experiment=count' in done.stdout
  run = json.loads((root / 'reproduce.json').read_text())['entries']['count']
  assert run['status'] == 'done' and run['wall_s'] > 0 and run['flags'] == ['--model=mnist1d_lcn']
  assert launched.read(root / 'count') == {'experiment': 'count', 'flags': ['--model=mnist1d_lcn']}
  body = page.blocks(results_page.read_text())['count']
  assert body.startswith('`python launch.py --experiment=count --model=mnist1d_lcn`: ')
  assert '| **total** |  | 32,610 |' in body  # the LCN twin's free parameters
  assert np.isclose(json.loads((root / 'count' / 'count.json').read_text())['in_shape'],
                    [40, 1]).all()
  text = results_page.read_text()
  regenerate.regenerate(root, results_page, figures)
  assert results_page.read_text() == text


def test_a_sweep_of_other_flags_is_refused_by_the_report_with_exit_1(tmp_path):
  """Issue 20, case 1: a 200-step 2 x 2 grid in ROOT/sample_efficiency was published under the
  default command's caption."""
  root, results_page = tmp_path / 'root', tmp_path / 'results.md'
  flags = ('--archs=fc', '--sizes=10', '--num_seeds=1', '--steps=4', '--eval_every=2',
           '--batch_size=8')
  trained = launch('sample_efficiency', f'--workdir={root / "sample_efficiency"}', *flags)
  assert trained.returncode == 0, trained.stderr[-3000:]
  assert launched.read(root / 'sample_efficiency')['flags'] == sorted(flags)
  done = launch('report', f'--root={root}', f'--page={results_page}',
                f'--figures={tmp_path / "figures"}')
  assert done.returncode == 1, done.stderr[-3000:]
  assert 'refused: sample_efficiency' in done.stdout and '--steps=4' in done.stdout
  assert 'refused to publish sample_efficiency' in done.stderr
  assert '--steps=4' not in results_page.read_text() and not (tmp_path / 'figures').exists()
