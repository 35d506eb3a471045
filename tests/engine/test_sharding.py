"""The run axis over 8 CPU host devices gives the metrics of 1 device (within 1e-5).

JAX fixes its device count when it initialises, so the 8-device sweep runs in a subprocess started
with XLA_FLAGS=--xla_force_host_platform_device_count=8.
"""

import json
import os
import subprocess
import sys

import numpy as np

from lib.data import load_dataset
from lib.engine import experiment, grids, sharding, training

CHILD = """
import json, sys
import jax
from lib.data import load_dataset
from lib.engine import experiment, grids, training
assert jax.device_count() == 8, jax.devices()
jax.config.update('jax_disable_most_optimizations', True)  # as in the parent (conftest)
groups = grids.standard_groups(load_dataset('mnist1d'), 'mnist1d', ['fc'], [10, 40], [0, 1, 2],
                               training.TrainConfig(steps=4, eval_every=2, batch_size=8))
records = experiment.run(groups, sys.argv[1], {}, experiment.Options(chunk_size=4))
print(json.dumps([[r['n'], r['seed'], r['provenance']['num_devices'], r['curves']]
                  for r in records]))
"""


def _by_run(rows):
  return {(n, seed): curves for n, seed, _, curves in rows}


def test_eight_devices_match_one(tmp_path):
  groups = grids.standard_groups(load_dataset('mnist1d'), 'mnist1d', ['fc'], [10, 40], [0, 1, 2],
                                 training.TrainConfig(steps=4, eval_every=2, batch_size=8))
  ours = experiment.run(groups, tmp_path / 'one', {}, experiment.Options(chunk_size=4))
  assert ours[0]['provenance']['num_devices'] == 1
  env = {**os.environ, 'XLA_FLAGS': '--xla_force_host_platform_device_count=8',
         'JAX_PLATFORMS': 'cpu'}
  child = subprocess.run([sys.executable, '-c', CHILD, str(tmp_path / 'eight')], env=env,
                         capture_output=True, text=True, check=False, cwd=os.getcwd(), timeout=300)
  assert child.returncode == 0, child.stderr[-3000:]
  theirs = json.loads(child.stdout.strip().splitlines()[-1])
  assert {row[2] for row in theirs} == {8}
  mine = _by_run([[r['n'], r['seed'], 1, r['curves']] for r in ours])
  theirs = _by_run(theirs)
  assert mine.keys() == theirs.keys()
  for run, curves in mine.items():
    for metric in training.METRICS:
      np.testing.assert_allclose(curves[metric], theirs[run][metric], atol=1e-5, rtol=0,
                                 err_msg=f'{run} {metric}')


def test_pad_runs_repeats_the_last_entry():
  padded = sharding.pad_runs(np.array([[1, 2], [3, 4]]), 4)
  np.testing.assert_array_equal(padded, [[1, 2], [3, 4], [3, 4], [3, 4]])
  mesh = sharding.run_mesh()
  assert sharding.padded_size(5, mesh) % mesh.devices.size == 0


def test_chunks_are_even():
  for runs, width in [(21, 16), (5, 16), (16, 16), (33, 8)]:
    chunks = experiment._chunks(list(range(runs)), width)
    assert len(chunks) == -(-runs // width) and max(map(len, chunks)) <= width
    assert max(map(len, chunks)) - min(map(len, chunks)) <= 1 or len(chunks) == 1
    assert sum(chunks, []) == list(range(runs))
