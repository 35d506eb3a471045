"""The committee: its readout, its first layer's dense rows, and its mean-field SGD rates."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.core import committee

IN_SHAPE = (12, 1)


@pytest.mark.parametrize('family', committee.FAMILIES)
def test_logits_are_the_mean_erf_of_the_dense_rows(family):
  model = committee.committee(family, hidden=4, kernel_size=3)
  _, params = model.init(jax.random.PRNGKey(0), IN_SHAPE)
  x = jax.random.normal(jax.random.PRNGKey(1), (5, *IN_SHAPE))
  rows = committee.dense_rows(family, params, IN_SHAPE, 4, 3)  # [units, 12, 1]
  bias = jnp.broadcast_to(params['bias'], (rows.shape[0] // 4, 4)).reshape(-1)
  fan_in = committee.fan_in(family, IN_SHAPE, 3)
  with jax.default_matmul_precision('highest'):
    h = jnp.einsum('bpc,upc->bu', x, rows) / np.sqrt(fan_in) + bias
    logits = model.apply(params, x)
  m = jax.scipy.special.erf(h / np.sqrt(2)).mean(-1)
  chex.assert_shape(logits, (5, 2))
  np.testing.assert_allclose(logits, np.stack([m, -m], -1), atol=1e-5)
  assert rows.shape[0] == (4 if family == 'fc' else 12 * 4)


def test_init_biases_split_the_units_and_weights_are_small():
  _, params = committee.committee('fc', hidden=6).init(jax.random.PRNGKey(0), IN_SHAPE)
  np.testing.assert_array_equal(params['bias'], [1, 1, 1, -1, -1, -1])
  assert 0.05 < float(params['kernel'].std()) < 0.2


def test_mse_targets_are_plus_minus_one():
  logits = jnp.array([[1.0, -1.0], [0.0, 0.0]])
  np.testing.assert_allclose(committee.mse(logits, jnp.array([0, 1])), [0.0, 1.0])


def test_mean_field_rates_per_family():
  assert committee.units_per_block('fc', IN_SHAPE, 3, 8) == 8
  assert committee.units_per_block('lcn', IN_SHAPE, 3, 8) == 12 * 8
  assert committee.units_per_block('cnn', IN_SHAPE, 3, 8) == 8
  params = {'kernel': jnp.ones((12, 1, 8)), 'bias': jnp.ones(8)}
  opt = committee.sgd('fc', IN_SHAPE, 3, 8, 0.05)
  updates, _ = opt.update(params, opt.init(params), params)
  np.testing.assert_allclose(updates['kernel'], -0.4, rtol=1e-6)
  np.testing.assert_allclose(updates['bias'], -0.4 / 12, rtol=1e-6)
  with pytest.raises(ValueError, match='family'):
    committee.committee('rnn')
