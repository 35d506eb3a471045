"""Smoke tests of receptive_field, budget and learned_locality end to end, each in its own process,
with tiny configs (lib.analysis.dense_cost is tested in-process: its experiment is flag glue)."""

import json

from launch_helper import launch


def test_receptive_field_end_to_end(tmp_path):
  done = launch('receptive_field', f'--workdir={tmp_path}', '--depths=2,3', '--num_seeds=2',
                '--init_seeds=2', '--steps=2', '--eval_every=2', '--batch_size=8',
                '--erf_examples=8', '--n=20', '--width=2', '--cpu_devices=0')
  assert done.returncode == 0, done.stderr[-2000:]
  records = [json.loads(line) for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
  assert sorted((r['arch'], r['depth']) for r in records) == [('cnn', 2)] * 2 + [('cnn', 3)] * 2 + [
      ('fc', 2)] * 2
  fields = [r['erf'] for r in records if r['arch'] == 'cnn']
  assert all(len(f) == 40 and min(f) >= 0 for f in fields)
  assert all(len(r['unit_maps']) == 100 for r in records if r['arch'] == 'fc')
  text = (tmp_path / 'summary.md').read_text()
  assert '| 2 | 5 | 5 |' in text and '| 3 | 7 | 7 |' in text
  assert 'from depth 20 (closed form: 20)' in text
  for name in ('summary.csv', 'init_fields.json', 'receptive_field.png'):
    assert (tmp_path / name).stat().st_size > 0, name


def test_budget_end_to_end(tmp_path):
  done = launch('budget', f'--workdir={tmp_path}', '--datasets=mnist1d', '--kinds=params',
                '--shapes=widest', '--param_budgets=300', '--num_seeds=1',
                '--steps=2', '--batch_size=8', '--n=20', '--cpu_devices=0')
  assert done.returncode == 0, done.stderr[-2000:]
  text = (tmp_path / 'summary.md').read_text()
  assert '## mnist1d, budget of params' in text
  # Only FC fits 300 parameters (a CNN's flatten readout alone takes 400).
  assert '| widest | 300 | lcn | - | - | - | 0 | does not fit |' in text
  assert '| widest | 300 | cnn | - | - | - | 0 | does not fit |' in text
  assert '| widest | 300 | fc | 2 | 5 | 295 | 1 |' in text
  records = [json.loads(line) for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
  assert [(r['arch'], r['depth'], r['width']) for r in records] == [('fc', 2, 5)]
  assert (tmp_path / 'budget.png').stat().st_size > 0


def test_learned_locality_end_to_end(tmp_path):
  done = launch('learned_locality', f'--workdir={tmp_path}', '--sizes=20', '--num_seeds=1',
                '--steps=4', '--eval_every=2', '--batch_size=8', '--efcn_t=0,4', '--efcn_n=20',
                '--efcn_steps=4', '--efcn_seeds=1',
                '--lasso_steps=2,4', '--cpu_devices=0')
  assert done.returncode == 0, done.stderr[-2000:]
  records = [json.loads(line) for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
  parts = sorted((r['part'], r['arch']) for r in records)
  assert parts == sorted([('locality', 'fc')] * 2 + [('efcn', 'efcn')] * 2 + [('efcn', 'fc_dense')]
                         + [('beta_lasso', 'fc_beta_lasso')] * 2 + [('beta_lasso', 'fc_sgd')])
  cnn = [r for r in records if r['arch'] == 'efcn' and r['t'] == 4]
  assert cnn[0]['distance'] < 1e-5  # projected all the way: still a CNN
  assert all(0 <= r['locality'] <= 1 for r in records)
  text = (tmp_path / 'summary.md').read_text()
  for part in ('## locality', '## efcn', '## beta_lasso'):
    assert part in text
  assert (tmp_path / 'learned_locality.png').stat().st_size > 0
