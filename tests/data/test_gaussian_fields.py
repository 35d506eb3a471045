"""GP and NLGP samplers: the GP has the NLGP's covariance; only the NLGP is non-Gaussian."""

import jax
import numpy as np
import pytest

from lib.data import gaussian_fields

NUM = 20_000


def _draw(kind, grid, xi=2.0, gain=3.0, seed=0):
  sample = jax.jit(gaussian_fields.make_sampler(kind, grid, (xi,), gain), static_argnums=1)
  x, y = sample(jax.random.PRNGKey(seed), NUM)
  return np.asarray(x[..., 0]).reshape(NUM, -1), np.asarray(y)


def _full(cov: np.ndarray) -> np.ndarray:
  """The `[P, P]` matrix of a translation-invariant covariance given per displacement."""
  grid = cov.shape
  idx = np.indices(grid).reshape(len(grid), -1).T
  d = (idx[None] - idx[:, None]) % np.array(grid)
  return cov[tuple(d[..., i] for i in range(len(grid)))]


@pytest.mark.parametrize('grid', [(16,), (6, 6)])
def test_gp_has_the_nlgps_covariance(grid):
  expected = _full(gaussian_fields.nlgp_covariance(gaussian_fields.latent_covariance(grid, 2.0), 3.0))
  x_gp, _ = _draw('gp', grid)
  x_nlgp, _ = _draw('nlgp', grid, seed=1)
  for x in (x_gp, x_nlgp):
    np.testing.assert_allclose(x.T @ x / NUM, expected, atol=0.05)
  np.testing.assert_allclose(np.diag(expected), 1.0, rtol=1e-6)
  assert expected[0, 1] > 0.5  # the field is correlated: the check has teeth


def test_nlgp_marginals_are_non_gaussian_and_the_gps_are_not():
  def excess_kurtosis(x):
    return float((x ** 4).mean() / (x ** 2).mean() ** 2 - 3)

  assert abs(excess_kurtosis(_draw('gp', (16,))[0])) < 0.1
  assert excess_kurtosis(_draw('nlgp', (16,))[0]) < -1.0  # erf saturates: platykurtic


def test_classes_differ_by_correlation_length_and_keys_give_fresh_examples():
  sample = gaussian_fields.make_sampler('nlgp', (16,), (1.0, 4.0), 3.0)
  x, y = sample(jax.random.PRNGKey(0), 4000)
  x, y = np.asarray(x[..., 0]), np.asarray(y)
  assert 0.45 < y.mean() < 0.55
  neighbours = [np.mean(x[y == c, :-1] * x[y == c, 1:]) for c in (0, 1)]
  assert neighbours[1] > neighbours[0] + 0.3
  again, _ = sample(jax.random.PRNGKey(1), 4000)
  assert not np.allclose(np.asarray(again[..., 0]), x)


def test_bad_arguments_are_refused():
  with pytest.raises(ValueError, match='kind'):
    gaussian_fields.field_filter('ising', (8,), 1.0, 1.0)
  with pytest.raises(ValueError, match='xi'):
    gaussian_fields.latent_covariance((8,), 0.0)
  with pytest.raises(ValueError, match='gain'):
    gaussian_fields.nlgp_covariance(np.ones(8), -1.0)
