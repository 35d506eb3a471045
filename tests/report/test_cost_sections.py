"""Finding-bearing tables show train accuracy beside test accuracy and mark unconverged runs."""

from lib.analysis import sample_complexity
from lib.report import cost_sections, theory_sections


def _run(arch, train, seed=0, **keys):
  return {'arch': arch, 'n': 10, 'seed': seed, 'diverged': False, 'converged': train >= 0.98,
          'test_accuracy': 0.5, 'train_accuracy': train, 'test_loss': 1.0, 'train_loss': 1.0, **keys}


def _budget_row(family, unconverged, train):
  return {'dataset': 'mnist1d', 'kind': 'params', 'shape': 'widest', 'budget': 1000,
          'family': family, 'depth': 2, 'width': 4, 'cost': 900, 'runs': 2, 'diverged': 0,
          'unconverged': unconverged, 'test_accuracy_mean': 0.5, 'test_accuracy_std': 0.01,
          'train_accuracy_mean': train, 'train_accuracy_std': 0.0}


def test_budget_tables_mark_unconverged_rows_beside_train_accuracy():
  text = cost_sections.budget_tables([_budget_row('cnn', 0, 1.0), _budget_row('fc', 2, 0.7)])
  assert '| widest | 1,000 | cnn | 2 | 4 | 900 | 2 | 50.0 +- 1.0 | 100.0 +- 0.0 |' in text
  assert '| widest | 1,000 | fc | 2 | 4 | 900 | 2 (2 unconverged*) | 50.0 +- 1.0 | 70.0 +- 0.0 |' in text
  assert 'not trained to convergence' in text
  converged = cost_sections.budget_tables([_budget_row('cnn', 0, 1.0)])
  assert '*' not in converged.replace('**', '')


def test_kernel_table_marks_the_trained_networks_that_did_not_fit():
  results = {'d': {'regression': {'fc': 0.4, 'cnn_gap': 0.6}}}
  text = theory_sections.kernel_accuracy_table(
      results, [_run('fc', 0.9, dataset='d'), _run('cnn_gap', 1.0, dataset='d')])
  assert '| d | fc | 40.0 | 1 (1 unconverged*) | 50.0 +- 0.0 | 90.0 +- 0.0 |' in text
  assert '| d | cnn_gap | 60.0 | 1 | 50.0 +- 0.0 | 100.0 +- 0.0 |' in text
  assert 'not trained to convergence' in text


def test_sample_complexity_counts_runs_below_the_threshold():
  tasks = sample_complexity.Tasks(sizes={'lza': (2, 4, 8)}, n_train=8, n_test=4, dsd_d=2, dsd_k=2,
                                  sigma0=0.5)
  records = [_run('paper_fc', 0.5 if (size, n) == (8, 8) else 1.0, seed=s, task='lza', size=size,
                  n=n) for size in (2, 4, 8) for n in (4, 8) for s in (0, 1)]
  for r in records:
    r['test_accuracy'] = 0.9 if r['n'] == 8 else 0.6
  entry = sample_complexity.analyse(records, tasks, ('lza',), (4, 8), (0, 1), {'lza': 0.8})['lza paper_fc']
  assert (entry['runs'], entry['unconverged'], entry['lowest_train_accuracy']) == (12, 2, 0.5)
  assert entry['predicted'] == {'lower': 2.0, 'upper': None}
  assert all(4 < p['median'] < 8 for p in entry['per_size'])  # interpolated between n = 4 and 8
  assert '2 of 12 (50.0)' in theory_sections.sample_complexity_table({'x': entry})
