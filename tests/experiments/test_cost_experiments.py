"""Smoke tests of receptive_field, budget, learned_locality, sweep_speed and layer_speed end to end with
tiny configs, run by one driver process (smoke_driver.py: one import of the library, a forked child
per experiment).
lib.analysis.dense_cost is tested in-process: its experiment is flag glue."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from launch_helper import ROOT

TINY = ['--batch_size=8', '--cpu_devices=0']
SPEC = {
    'receptive_field': ['--num_seeds=2', '--depths=2,3', '--lengths=2,4', '--eval_every=2',
                        '--erf_examples=8', '--n=20', '--width=2'],
    'budget': ['--num_seeds=1', '--datasets=mnist1d', '--kinds=params', '--shapes=widest',
               '--param_budgets=300', '--steps=2', '--n=20'],
    # The locality part adds an MLP group with an in-program circular shift (shift_eval) to these.
    'learned_locality': ['--num_seeds=1', '--parts=efcn,beta_lasso', '--steps=4', '--eval_every=2',
                         '--efcn_t=4', '--n=20', '--efcn_steps=4', '--efcn_seeds=1',
                         '--lasso_steps=4'],
    'sweep_speed': ['--steps=4', '--runs=2', '--repeats=1'],
}
# Benchmarks of single layers: no training flags.
LAYER_SPEC = {'layer_speed': ['--scales=mnist1d', '--nodense', '--budget_s=0.01', '--scan_steps=1']}


@pytest.fixture(scope='module')
def workdirs(tmp_path_factory) -> dict:
  """Runs every experiment of SPEC once; `{name: its workdir}`."""
  root = tmp_path_factory.mktemp('smoke')
  dirs = {name: root / name for name in {**SPEC, **LAYER_SPEC}}
  spec = [{'name': name, 'flags': [f'--workdir={dirs[name]}', *TINY, *flags]}
          for name, flags in SPEC.items()]
  spec += [{'name': name, 'flags': [f'--workdir={dirs[name]}', *flags]}
           for name, flags in LAYER_SPEC.items()]
  (root / 'spec.json').write_text(json.dumps(spec))
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  done = subprocess.run([sys.executable, str(ROOT / 'tests' / 'experiments' / 'smoke_driver.py'),
                         str(root / 'report.json'), str(root / 'spec.json')], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  for entry in json.loads((root / 'report.json').read_text()):
    assert entry['exit'] == 0, f"{entry['name']}: {entry['stderr']}"
  return dirs


def _records(workdir):
  return [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]


def test_receptive_field_end_to_end(workdirs):
  workdir = workdirs['receptive_field']
  records = _records(workdir)
  assert sorted({(r['arch'], r['depth'], r['steps']) for r in records}) == [
      ('cnn', 2, 2), ('cnn', 2, 4), ('cnn', 3, 2), ('cnn', 3, 4), ('fc', 2, 2), ('fc', 2, 4)]
  assert len(records) == 12
  assert all(len(r['erf']) == 40 and min(r['erf']) >= 0 for r in records if r['arch'] == 'cnn')
  assert all(len(r['unit_maps']) == 100 for r in records if r['arch'] == 'fc')
  text = (workdir / 'summary.md').read_text()
  assert '| 2 | 5 | 5 |' in text and '| 3 | 7 | 7 |' in text
  assert 'from depth 20 (closed form: 20)' in text
  # 20 examples, 4 steps: no run fits its data, and the table says so beside train accuracy.
  assert 'train accuracy (%)' in text and 'unconverged*' in text
  assert 'after 2 steps' in text and 'after 4 steps' in text
  init = json.loads((workdir / 'init_fields.json').read_text())
  assert np.asarray(init['fields']['3']).shape == (2, 40)
  for name in ('summary.csv', 'init_fields.json', 'receptive_field.png'):
    assert (workdir / name).stat().st_size > 0, name


def test_budget_end_to_end(workdirs):
  workdir = workdirs['budget']
  text = (workdir / 'summary.md').read_text()
  # Only FC fits 300 parameters (a CNN's flatten readout alone takes 400).
  assert '| widest | 300 | lcn | - | - | - | 0 | does not fit |' in text
  assert '| widest | 300 | cnn | - | - | - | 0 | does not fit |' in text
  assert '| widest | 300 | fc | 2 | 5 | 295 | 1 (1 unconverged*) |' in text  # 2 steps: not fitted
  assert 'train accuracy (%)' in text and 'does not fit | - |' in text
  assert [(r['arch'], r['depth'], r['width']) for r in _records(workdir)] == [('fc', 2, 5)]
  assert (workdir / 'budget.png').stat().st_size > 0


def test_learned_locality_end_to_end(workdirs):
  workdir = workdirs['learned_locality']
  records = _records(workdir)
  assert sorted((r['part'], r['arch']) for r in records) == sorted(
      [('efcn', 'efcn'), ('efcn', 'fc_dense'), ('beta_lasso', 'fc_beta_lasso'),
       ('beta_lasso', 'fc_sgd')])
  cnn = [r for r in records if r['arch'] == 'efcn']
  assert cnn[0]['distance'] < 1e-5  # projected all the way: still a CNN
  assert all(0 <= r['locality'] <= 1 for r in records)
  assert len(_records(workdir)[-1]['rows']) == 100  # beta_lasso's first-layer rows, for the picture
  text = (workdir / 'summary.md').read_text()
  for part in ('## efcn', '## beta_lasso'):
    assert part in text
  assert (workdir / 'learned_locality.png').stat().st_size > 0


def test_sweep_speed_reports_rates_against_the_matmul_peak(workdirs):
  workdir = workdirs['sweep_speed']
  report = json.loads((workdir / 'sweep_speed.json').read_text())
  loops = {'ours', 'flax', 'flax_vmap'}
  assert set(report['jit_loop']) == loops and set(report['ratio']) == loops
  vmapped = report['jit_loop']['flax_vmap']
  assert vmapped['runs'] == 2 and len(vmapped['test_accuracy']) == 2
  assert 'loop of `jax.vmap` over the runs, `flax.linen.Conv` | 2 |' in (workdir / 'summary.md').read_text()
  for rate in (report['engine'], *report['jit_loop'].values()):
    assert rate['gflops'] > 0
    assert rate['peak_fraction'] == pytest.approx(rate['gflops'] / max(report['matmul_gflops']))
  assert report['engine']['runs'] == 2 and len(report['engine']['test_accuracy']) == 2
  gemms = report['gemms_alone']
  assert gemms['runs'] == 2 and gemms['gflops'] > 0
  assert gemms['peak_fraction'] == pytest.approx(gemms['gflops'] / max(report['matmul_gflops']))
  text = (workdir / 'summary.md').read_text()
  assert 'of matmul peak' in text and 'The GEMMs of one engine step by themselves (2 runs' in text


def test_layer_speed_times_every_case_and_each_family_s_gemms_alone(workdirs):
  workdir = workdirs['layer_speed']
  report = json.loads((workdir / 'layer_speed.json').read_text())
  rows = {(r['family'], r['case']): r for r in report['rows']}
  for family, reference in (('conv', 'lax.conv_general_dilated'), ('lcn', 'flax.linen.ConvLocal')):
    assert rows[family, reference]['median_ratio'] == 1.0
    gemms = rows[family, 'its GEMMs alone, patches given']
    auto = [r for (f, case), r in rows.items() if f == family and case.endswith(', auto)')]
    assert len(auto) == 1 and gemms['gflop'] == auto[0]['gflop']  # the same multiply-adds
    assert gemms['median_s'] > 0 and gemms['scan_step_s'] > 0
  assert 0 < report['summary']['mnist1d']['lcn_cnn_scan_rate_ratio']
  assert 'its GEMMs alone, patches given' in (workdir / 'summary.md').read_text()
