"""The kernels experiment end to end on a tiny configuration, in a fresh process (launch.py)."""

import json

import numpy as np

from launch_helper import launch


def test_tiny_run_writes_differences_accuracies_and_the_figure(tmp_path):
  workdir = tmp_path / 'k'
  result = launch('kernels', f'--workdir={workdir}', '--datasets=mnist1d', '--widths=2,4',
                  '--num_samples=2', '--num_train=20', '--num_test=10', '--num_probe=10', '--depth=1',
                  '--train_width=2', '--train_archs=cnn_gap', '--num_seeds=1', '--steps=2',
                  '--batch_size=4', '--cpu_devices=0')
  assert result.returncode == 0, result.stderr[-3000:]
  for name in ('kernels.json', 'summary.md', 'kernel_difference.png', 'trained/results.jsonl'):
    assert (workdir / name).stat().st_size > 0, name
  sweep = json.loads((workdir / 'kernels.json').read_text())['mnist1d']['sweep']
  assert sweep['widths'] == [2, 4]
  assert sweep['flatten_exact_difference'] < 1e-5  # one Gaussian process without pooling
  assert sweep['gap_exact_difference'] > 0.1
  assert np.all(np.isfinite(sweep['flatten_difference']))
  table = (workdir / 'summary.md').read_text()
  assert '| mnist1d | cnn_flatten vs lcn_flatten |' in table
  assert '| mnist1d | lcn_flatten |' in table and 'not trained' in table
