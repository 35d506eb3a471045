"""learned_locality's paper protocol end to end on tiny configurations, offline: beta-LASSO's S-FC on
CIFAR-10 through `tfds.testing.mock_data`, the eFCN of the image CNN on the scikit-learn digits."""

import json
import os
import subprocess
import sys

from launch_helper import ROOT

RUN = '''
import sys
import tensorflow_datasets as tfds
import launch
sys.argv = ['launch.py', '--experiment=learned_locality', '--protocol=paper', '--parts=efcn,beta_lasso',
            '--efcn_dataset=digits', '--n=24', '--efcn_steps=4', '--efcn_t=0,4', '--efcn_seeds=1',
            '--efcn_batch_size=8', '--lasso_steps=4', '--lasso_batch_size=8', '--num_seeds=1',
            '--workdir=' + sys.argv[1]]
with tfds.testing.mock_data(num_examples=30):
  launch.main()
'''


def test_the_paper_protocol_runs_on_mocked_cifar10(tmp_path):
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  done = subprocess.run([sys.executable, '-c', RUN, str(tmp_path)], cwd=ROOT, capture_output=True,
                        text=True, timeout=600, check=False, env=env)
  assert done.returncode == 0, done.stderr[-3000:]
  records = [json.loads(line) for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
  lasso = [r for r in records if r['part'] == 'beta_lasso']
  assert sorted(r.get('beta', -1) for r in lasso) == [-1, 0.0, 1.0, 50.0]  # -1: plain SGD
  assert all(r['config']['datasets']['beta_lasso'] == 'tfds:cifar10' for r in lasso)
  assert len(lasso[0]['rows']) == 16 and len(lasso[0]['rows'][0]) == 32  # S-FC unit maps, 32x32
  assert all(r['protocol']['batch_size'] == 8 and r['protocol']['optimizer'] == 'sgd' for r in records)
  cnn = [r for r in records if r['arch'] == 'efcn' and r['t'] == 4]
  assert cnn[0]['distance'] < 1e-5  # trained as the CNN all the way
  text = (tmp_path / 'summary.md').read_text()
  assert 'Protocol `paper`' in text and 'REDUCED' not in text
  assert (tmp_path / 'learned_locality.png').stat().st_size > 0
