"""The tied, masked subspace: a CNN inside its dense-equivalent FC net, and projected training.

Oracles: `contraction.dense_matrix` (the library's materialized W, itself tested against lax) for the
embedding, and plain numpy loops over the pattern's mask for the tie sums.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lib.core import contraction, layers, patterns, projection

IN_SHAPE = (12, 2)


def _cnn():
  """Strided, padded, dilated: two convolutions and a dense readout."""
  return layers.serial(layers.Conv(3, 3, 2, 1), layers.Relu, layers.Conv(4, 2, 1, 'VALID', 2),
                       layers.Relu, layers.Flatten, layers.Dense(3))


def _fc(cnn):
  d = projection.dense_layers(cnn, IN_SHAPE)
  return layers.serial(d[0], layers.Relu, d[1], layers.Relu, layers.Flatten, d[2])


def _random_params(model, seed):
  """Normal parameters of the model's shapes, drawn on the host (nothing to compile)."""
  shapes = jax.eval_shape(lambda k: model.init(k, IN_SHAPE)[1], jax.random.key(0))
  rng = np.random.default_rng(seed)
  return jax.tree_util.tree_map(
      lambda s: (0.3 * rng.normal(size=s.shape)).astype(np.float32), shapes)


@pytest.fixture(scope='module')
def nets():
  cnn = _cnn()
  fc = _fc(cnn)
  return cnn, fc, projection.embedding(cnn, fc, IN_SHAPE)


def test_to_dense_is_the_dense_matrix_and_computes_the_same_function(nets):
  cnn, fc, emb = nets
  params = _random_params(cnn, 0)
  dense = jax.jit(emb.to_dense)(params)
  _, infos = cnn.describe(IN_SHAPE)
  for info, tied, mine in zip(infos, projection._pattern_dicts(params),
                              projection._pattern_dicts(dense)):
    p = info.pattern
    w = jax.jit(contraction.dense_matrix, static_argnums=0)(
        p, tied['kernel'].reshape(p.num_blocks, info.c_in, info.c_out))
    blocks = np.asarray(w).reshape(p.n_in, info.c_in, p.n_out, info.c_out).transpose(2, 0, 1, 3)
    chex.assert_trees_all_close(np.asarray(mine['kernel']).reshape(blocks.shape), blocks, atol=0)
  x = np.random.default_rng(1).normal(size=(5, *IN_SHAPE)).astype(np.float32)
  chex.assert_trees_all_close(jax.jit(fc.apply)(dense, x), jax.jit(cnn.apply)(params, x),
                              atol=1e-5)


def test_tie_sum_sums_each_tied_set_within_the_mask(nets):
  cnn, fc, emb = nets
  dense = _random_params(fc, 2)
  summed = jax.jit(emb.tie_sum)(dense)
  _, infos = cnn.describe(IN_SHAPE)
  for info, g, mine in zip(infos[:2], projection._pattern_dicts(dense),
                           projection._pattern_dicts(summed)):
    p = info.pattern
    blocks = np.asarray(g['kernel']).reshape(p.n_out, p.n_in, info.c_in, info.c_out)
    expected = np.zeros((p.num_blocks, info.c_in, info.c_out), np.float32)
    for q, pos in zip(*np.nonzero(p.mask)):
      expected[p.block_of[q, pos]] += blocks[q, pos]
    chex.assert_trees_all_close(np.asarray(mine['kernel']).reshape(expected.shape), expected,
                                atol=1e-5)
    chex.assert_trees_all_close(mine['bias'], np.asarray(g['bias']).sum(0), atol=1e-5)


def test_project_is_an_orthogonal_projection(nets):
  cnn, fc, emb = nets

  @jax.jit
  def check(dense, tied):
    once = emb.project(dense)
    residual = jax.tree_util.tree_map(jnp.subtract, dense, once)
    inner = sum(jnp.vdot(a, b) for a, b in zip(jax.tree_util.tree_leaves(residual),
                                                jax.tree_util.tree_leaves(emb.to_dense(tied))))
    return (once, emb.project(once), emb.distance(emb.to_dense(tied)), emb.distance(dense),
            inner)

  once, twice, tied_distance, dense_distance, inner = check(_random_params(fc, 3),
                                                            _random_params(cnn, 4))
  chex.assert_trees_all_close(twice, once, atol=1e-6)
  assert float(tied_distance) < 1e-5
  assert float(dense_distance) > 0.5
  assert abs(float(inner)) < 1e-4  # the residual is orthogonal to the subspace


def _train_both(nets, optimizer, steps=100):
  """Trains the CNN with `optimizer` and the FC net, started at its embedding, with the projection
  chained before it; returns (CNN start, CNN end, FC end)."""
  cnn, fc, emb = nets
  rng = np.random.default_rng(5)
  x = rng.normal(size=(steps, 8, *IN_SHAPE)).astype(np.float32)
  y = rng.integers(0, 3, size=(steps, 8)).astype(np.int32)
  fc_optimizer = optax.chain(projection.projected(emb), optimizer)

  def trajectory(model, opt, params):
    def step(carry, batch):
      params, state = carry
      grads = jax.grad(lambda w: optax.softmax_cross_entropy_with_integer_labels(
          model.apply(w, batch[0]), batch[1]).mean())(params)
      updates, state = opt.update(grads, state, params)
      return (optax.apply_updates(params, updates), state), None
    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), (x, y))
    return params

  @jax.jit
  def both(tied):
    tied_end = trajectory(cnn, optimizer, tied)
    return tied, tied_end, emb.to_dense(tied_end), trajectory(fc, fc_optimizer, emb.to_dense(tied))

  return both(_random_params(cnn, 7))


@pytest.mark.parametrize('optimizer', [optax.sgd(0.05), optax.adam(1e-2)], ids=['sgd', 'adam'])
def test_projected_fc_training_follows_the_cnn_step_for_step(nets, optimizer):
  tied_start, tied_end, expected, dense_end = _train_both(nets, optimizer)
  moved = max(float(jnp.abs(a - b).max()) for a, b in zip(jax.tree_util.tree_leaves(tied_end),
                                                         jax.tree_util.tree_leaves(tied_start)))
  assert moved > 0.05  # the runs went somewhere
  chex.assert_trees_all_close(dense_end, expected, atol=1e-5)


def test_projected_until_switches_off_after_its_steps(nets):
  cnn, fc, emb = nets
  dense = _random_params(fc, 8)
  transform = projection.projected_until(emb, jnp.int32(2))
  update = jax.jit(transform.update)
  state = transform.init(dense)
  outputs = []
  for _ in range(3):
    out, state = update(dense, state)
    outputs.append(out)
  expected = jax.jit(emb.project_gradient)(dense)
  chex.assert_trees_all_close(outputs[0], expected)
  chex.assert_trees_all_close(outputs[1], expected)
  chex.assert_trees_all_close(outputs[2], dense)


def test_a_dense_pattern_that_misses_connections_is_refused():
  cnn = layers.serial(layers.Conv(2, 5), layers.Relu, layers.Flatten, layers.Dense(3))
  lcn = layers.serial(layers.Local(2, 3), layers.Relu, layers.Flatten, layers.Dense(3))
  with pytest.raises(ValueError, match='pattern layer 0.*does not cover'):
    projection.embedding(cnn, lcn, IN_SHAPE)
  with pytest.raises(ValueError, match='grids differ'):
    projection.block_source(patterns.convolution((12,), 3), patterns.fully_connected((12,), (6,)))


def test_a_cnn_embeds_in_its_lcn():
  cnn = layers.serial(layers.Conv(2, 3, 2), layers.Relu, layers.Flatten, layers.Dense(3))
  lcn = layers.serial(layers.Local(2, 3, 2), layers.Relu, layers.Flatten, layers.Dense(3))
  emb = projection.embedding(cnn, lcn, IN_SHAPE)

  @jax.jit
  def both(params, x):
    return lcn.apply(emb.to_dense(params), x), cnn.apply(params, x)

  x = np.random.default_rng(10).normal(size=(4, *IN_SHAPE)).astype(np.float32)
  chex.assert_trees_all_close(*both(_random_params(cnn, 9), x), atol=1e-5)
