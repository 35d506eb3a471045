"""make_train: validation, metric shapes, determinism, independence from batch composition."""

import chex
import jax
import numpy as np
import pytest

from lib.core import models
from lib.engine import training

TINY = training.TrainConfig(steps=6, eval_every=3, batch_size=8)


def _data(d):
  return {'x_train': d.x_train, 'y_train': d.y_train, 'x_test': d.x_test, 'y_test': d.y_test}


def _train_many(data, seeds, ns, config=TINY, arch='mnist1d_mlp'):
  train = training.make_train(models.by_name(arch), config, training.identity_tag(arch))
  width = 50
  subsets = np.stack([np.pad(np.arange(n, dtype=np.int32), (0, width - n)) for n in ns])
  fn = jax.jit(jax.vmap(train, in_axes=(0, 0, 0, None)))
  out = fn(np.array(seeds, np.int32), np.array(ns, np.int32), subsets, _data(data))
  return jax.tree.map(np.asarray, out)


@pytest.mark.parametrize('field, value', [
    ('optimizer', 'lbfgs'), ('learning_rate', 0.0), ('learning_rate', -1e-3), ('batch_size', 0),
    ('steps', 0), ('steps', -5), ('eval_every', 0), ('eval_every', 4), ('weight_decay', -0.1),
    ('schedule', 'linear')])
def test_invalid_config_names_field_and_value(field, value):
  config = training.TrainConfig(**{**vars(TINY), field: value})
  with pytest.raises(ValueError, match=f'{field}={value!r}'):
    training.make_train(models.by_name('mnist1d_mlp'), config)


@pytest.mark.parametrize('optimizer, weight_decay', [('adam', 0.0), ('adam', 1e-3), ('adamw', 1e-2),
                                                     ('sgd', 0.0)])
def test_each_optimizer_builds(optimizer, weight_decay):
  config = training.TrainConfig(optimizer=optimizer, weight_decay=weight_decay)
  params = {'w': np.ones(3, np.float32)}
  opt = training.make_optimizer(config)
  updates, _ = opt.update(params, opt.init(params), params)
  chex.assert_trees_all_equal_shapes(updates, params)


def test_cosine_schedule_decays_the_step_to_zero_over_the_run():
  config = training.TrainConfig(optimizer='sgd', learning_rate=0.5, steps=4, schedule='cosine')
  opt = training.make_optimizer(config)
  params, grads = {'w': np.zeros(1, np.float32)}, {'w': np.ones(1, np.float32)}
  state, rates = opt.init(params), []
  for _ in range(config.steps + 1):
    updates, state = opt.update(grads, state, params)
    rates.append(-float(updates['w'][0]))
  expected = [0.5 * 0.5 * (1 + np.cos(np.pi * t / 4)) for t in range(4)] + [0.0]
  np.testing.assert_allclose(rates, expected, atol=1e-7)


def test_metrics_shapes_and_ranges(small_data):
  out = _train_many(small_data, [0, 1], [20, 50])
  assert set(out) == set(training.METRICS)
  for value in out.values():
    chex.assert_shape(value, (2, TINY.num_evals))
    chex.assert_tree_all_finite(value)
  assert np.all((out['test_accuracy'] >= 0) & (out['test_accuracy'] <= 1))


def test_same_seed_same_metrics(small_data):
  first = _train_many(small_data, [3, 4], [30, 30])
  second = _train_many(small_data, [3, 4], [30, 30])
  chex.assert_trees_all_equal(first, second)


def test_run_does_not_depend_on_its_batch_mates(small_data):
  alone = _train_many(small_data, [7], [40])
  together = _train_many(small_data, [1, 7, 2], [20, 40, 50])
  chex.assert_trees_all_close(jax.tree.map(lambda v: v[0], alone),
                              jax.tree.map(lambda v: v[1], together), atol=1e-5, rtol=0)


def test_run_keys_differ_by_identity():
  keys = [training.run_key(s, training.identity_tag(a), n)
          for s, a, n in [(0, 'a', 10), (1, 'a', 10), (0, 'b', 10), (0, 'a', 20)]]
  data = {tuple(np.asarray(jax.random.key_data(k)).tolist()) for k in keys}
  assert len(data) == 4
