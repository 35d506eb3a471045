"""The permutation experiment: FC training is exactly equivariant to a pixel permutation; smoke test."""

import json

import jax
import numpy as np
import pytest

from lib.core import models
from lib.engine import training
from lib.data import fixed_permutation, permute_positions
from launch_helper import launch


def _train(model, params, optimizer, x, y, batches):
  """A few full steps of `optimizer` on the given minibatch indices; returns the final params."""
  state = optimizer.init(params)

  def loss(p, xb, yb):
    logits = model.apply(p, xb)
    return -jax.nn.log_softmax(logits)[np.arange(len(yb)), yb].mean()

  for rows in batches:
    grads = jax.grad(loss)(params, x[rows], y[rows])
    updates, state = optimizer.update(grads, state, params)
    params = jax.tree.map(lambda p, u: p + u, params, updates)
  return params


@pytest.mark.parametrize('optimizer', ['adam', 'sgd'])
def test_fc_is_equivariant_to_pixel_permutation(optimizer):
  """Permuting the pixels and the first layer's input rows alike gives the same network throughout
  training: Adam and SGD act elementwise, so the gradients stay permuted the same way."""
  rng = np.random.default_rng(0)
  x = rng.random((40, 5, 5, 1), dtype=np.float32)
  y = rng.integers(0, 10, 40).astype(np.int32)
  perm = fixed_permutation(25, seed=3)
  model = models.by_name('fc')
  _, params = model.init(jax.random.key(0), (5, 5, 1))
  permuted = list(params)
  first = dict(params[1])
  first['kernel'] = first['kernel'][perm]  # Flatten then Dense: kernel [25 * 1, 512], rows = pixels
  permuted[1] = first
  opt = training.make_optimizer(training.TrainConfig(optimizer=optimizer, learning_rate=1e-2))
  batches = [rng.integers(0, 40, 8) for _ in range(5)]
  trained = _train(model, params, opt, x, y, batches)
  x_perm = permute_positions(x, perm)
  trained_perm = _train(model, tuple(permuted), opt, x_perm, y, batches)
  logits = model.apply(trained, x)
  np.testing.assert_allclose(model.apply(trained_perm, x_perm), logits, atol=1e-5)
  assert not np.allclose(model.apply(trained, x_perm), logits, atol=1e-3)  # the test has teeth


def test_tiny_run_writes_every_file(tmp_path):
  workdir = tmp_path / 'perm'
  done = launch('permutation', f'--workdir={workdir}', '--dataset=digits', '--archs=fc,cnn',
                '--sizes=20', '--num_seeds=1', '--steps=4', '--eval_every=2', '--batch_size=8')
  assert done.returncode == 0, done.stderr[-3000:]
  for name in ('summary.csv', 'summary.md', 'permutation.png', 'results.jsonl'):
    assert (workdir / name).stat().st_size > 0, name
  records = [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]
  assert sorted(r['permuted'] for r in records) == [False, False, True, True]
  assert records[0]['config']['dataset'] == 'digits'
  table = (workdir / 'summary.md').read_text()
  assert '| fc | 20 | 1 |' in table and '| cnn | 20 | 1 |' in table
  assert 'unconverged*' in table and 'not trained to convergence' in table  # 4 steps: marked


def test_arch_of_other_dataset_refused(tmp_path):
  done = launch('permutation', f'--workdir={tmp_path / "w"}', '--dataset=mnist1d',
                '--archs=cnn_gap')
  assert done.returncode != 0
  assert "archs: arch='cnn_gap' is unknown for dataset='mnist1d'" in done.stderr
  assert not (tmp_path / 'w').exists()
