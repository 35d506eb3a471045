"""The dimension_scaling experiment end to end on a tiny grid, in a fresh process (launch.py)."""

import json

from launch_helper import launch


def test_tiny_grid_writes_tables_slopes_and_the_figure(tmp_path):
  workdir = tmp_path / 'ds'
  result = launch('dimension_scaling', f'--workdir={workdir}', '--tasks=dsd_k', '--archs=cnn',
                  '--dsd_k_sizes=2,3,4', '--dsd_d=4', '--sizes_n=4,8,16', '--num_seeds=2',
                  '--steps=4', '--batch_size=4', '--num_test=50', '--cpu_devices=0')
  assert result.returncode == 0, result.stderr[-3000:]
  for name in ('results.jsonl', 'summary.md', 'sample_complexity.json', 'dimension_scaling.png'):
    assert (workdir / name).stat().st_size > 0, name
  assert len((workdir / 'results.jsonl').read_text().splitlines()) == 3 * 3 * 2
  entry = json.loads((workdir / 'sample_complexity.json').read_text())['dsd_k paper_cnn']
  assert [p['size'] for p in entry['per_size']] == [2, 3, 4]
  # sigma^2 (k + d) with sigma^2 = sigma0^2 / k falls with k: the CNN's predicted slope is negative.
  assert entry['predicted']['upper'] < 0 and entry['predicted']['lower'] is None
  assert '| dsd_k | paper_cnn | 0.90 |' in (workdir / 'summary.md').read_text()
