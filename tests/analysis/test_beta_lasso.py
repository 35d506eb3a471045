"""beta-LASSO: one step against the formula, thresholding, masks, and sparsity on a toy problem."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lib.analysis import beta_lasso


def test_one_step_is_sgd_then_l1_then_threshold():
  w = np.array([0.5, -0.5, 0.0031, -0.002, 0.0], np.float32)
  g = np.array([1.0, 1.0, 0.0, 0.0, -0.2], np.float32)
  lr, l1, beta = 0.1, 1e-3, 3.0
  opt = beta_lasso.beta_lasso(lr, l1, beta)
  updates, _ = opt.update(jnp.asarray(g), opt.init(w), jnp.asarray(w))
  moved = w - lr * (g + l1 * np.sign(w))
  expected = np.where(np.abs(moved) < beta * l1, 0.0, moved)
  new = np.asarray(optax.apply_updates(jnp.asarray(w), updates))
  np.testing.assert_allclose(new, expected, atol=1e-7)
  assert new[3] == 0.0 and new[2] != 0.0  # -0.002 falls below 0.003; 0.0031 - 1e-4 does not
  assert new[4] != 0.0  # a zero weight with a large gradient grows back


def test_without_l1_it_is_sgd():
  params = {'kernel': jnp.ones((3, 2)), 'bias': jnp.full((2,), 0.5)}
  grads = jax.tree_util.tree_map(lambda a: a * 0.7, params)
  opt = beta_lasso.beta_lasso(0.2, 0.0, 0.0)
  mine, _ = opt.update(grads, opt.init(params), params)
  sgd, _ = optax.sgd(0.2).update(grads, optax.sgd(0.2).init(params), params)
  chex.assert_trees_all_close(mine, sgd, atol=1e-7)


def test_masked_leaves_take_plain_sgd_steps():
  params = {'kernel': jnp.full((2,), 1e-4), 'bias': jnp.full((2,), 1e-4)}
  grads = jax.tree_util.tree_map(jnp.zeros_like, params)
  opt = beta_lasso.beta_lasso(0.1, 1e-3, 1.0, mask=beta_lasso.kernels_only)
  updates, _ = opt.update(grads, opt.init(params), params)
  new = optax.apply_updates(params, updates)
  assert (np.asarray(new['kernel']) == 0).all()
  chex.assert_trees_all_close(new['bias'], params['bias'])


def test_it_finds_the_support_of_a_sparse_linear_model():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(200, 20)).astype(np.float32)
  truth = np.zeros(20, np.float32)
  truth[[3, 11]] = [1.5, -2.0]
  y = x @ truth
  opt = beta_lasso.beta_lasso(0.05, 2e-3, 5.0)

  @jax.jit
  def fit(w):
    def step(carry, _):
      w, state = carry
      g = jax.grad(lambda w: jnp.mean((x @ w - y) ** 2))(w)
      u, state = opt.update(g, state, w)
      return (optax.apply_updates(w, u), state), None
    (w, _), _ = jax.lax.scan(step, (w, opt.init(w)), None, length=300)
    return w

  w = np.asarray(fit(jnp.asarray(rng.normal(size=20).astype(np.float32) * 0.1)))
  assert set(np.flatnonzero(w)) == {3, 11}
  np.testing.assert_allclose(w[[3, 11]], truth[[3, 11]], atol=0.05)


@pytest.mark.parametrize('args, message', [((0.0, 1e-3, 1.0), 'learning_rate=0.0'),
                                           ((0.1, -1.0, 1.0), 'l1=-1.0'),
                                           ((0.1, 1e-3, -2.0), 'beta=-2.0'),
                                           ((0.1, float('nan'), 1.0), 'l1=nan')])
def test_bad_hyperparameters_are_refused(args, message):
  with pytest.raises(ValueError, match=message):
    beta_lasso.beta_lasso(*args)


def test_a_schedule_sets_each_step_and_the_threshold_stays():
  w = jnp.asarray(np.array([0.5, 0.01], np.float32))
  g = jnp.ones(2)
  opt = beta_lasso.beta_lasso(0.1, 1e-3, 5.0, schedule=lambda count: 0.1 / (1.0 + count))
  state = opt.init(w)
  for count in range(3):
    updates, state = opt.update(g, state, w)
    rate = 0.1 / (1 + count)
    moved = np.asarray(w) - rate * (1 + 1e-3 * np.sign(np.asarray(w)))
    expected = np.where(np.abs(moved) < 5e-3, 0.0, moved)
    np.testing.assert_allclose(optax.apply_updates(w, updates), expected, atol=1e-7)
  assert int(state.count) == 3
