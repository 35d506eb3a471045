"""Smoke tests of dense_cost and receptive_field end to end, each in its own process, tiny configs."""

import json

import pytest

from launch_helper import launch


@pytest.fixture(autouse=True)
def _fast_compiles(monkeypatch):
  """Tiny programs in the child processes: XLA's optimizations cost more than they save."""
  monkeypatch.setenv('JAX_DISABLE_MOST_OPTIMIZATIONS', '1')


def test_dense_cost_writes_counts_and_the_figure(tmp_path):
  done = launch('dense_cost', f'--workdir={tmp_path}', '--models=mnist1d_cnn', '--batch=2',
                '--timing_budget_s=0.01', '--dense_limit_gb=0.0004')
  assert done.returncode == 0, done.stderr[-2000:]
  record = json.loads((tmp_path / 'results.jsonl').read_text())
  assert (record['params'], record['dense_entries'], record['nonzero_entries']) == (5210, 170250,
                                                                                    29850)
  assert record['factored_fits'] and not record['materialized_fits']
  assert 'does not fit' in (tmp_path / 'summary.md').read_text()
  assert (tmp_path / 'dense_matrices.png').stat().st_size > 10_000


def test_dense_cost_refuses_an_unknown_model(tmp_path):
  done = launch('dense_cost', f'--workdir={tmp_path}', '--models=vgg16')
  assert done.returncode != 0 and "model='vgg16'" in done.stderr
  assert not (tmp_path / 'results.jsonl').exists()


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
