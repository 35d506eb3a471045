"""Lahoti et al.'s DSD task: shapes, seeding, balance, and the signal in exactly one patch."""

import chex
import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

from lib.data import load_dataset, synthetic_dsd


def bayes_decision(x: np.ndarray, w_star: np.ndarray, sigma: float) -> np.ndarray:
  """The Bayes-optimal decision knowing w* and sigma: `[n]` int32 classes of `x [n, k*d, 1]`.

  With s_i = <w*, x_i> the projection of patch i, the log-likelihood ratio of y = +1 over y = -1 is
  logsumexp_i(s_i / sigma^2) - logsumexp_i(-s_i / sigma^2).
  """
  n, d = x.shape[0], w_star.shape[0]
  s = x.reshape(n, -1, d).astype(np.float64) @ w_star / sigma ** 2  # [n, k]
  llr = np.logaddexp.reduce(s, axis=1) - np.logaddexp.reduce(-s, axis=1)
  return (llr > 0).astype(np.int32)


@hypothesis.settings(max_examples=10, deadline=None)
@hypothesis.given(k=st.integers(1, 6), d=st.integers(1, 6), n=st.integers(2, 31))
def test_shapes_and_exact_balance(k, d, n):
  data = load_dataset(f'dsd:k={k},d={d},n_train={n},n_test=4')
  chex.assert_shape(data.x_train, (n, k * d, 1))
  chex.assert_shape(data.x_test, (4, k * d, 1))
  assert data.num_classes == 2
  assert abs(int((data.y_train == 1).sum()) - int((data.y_train == 0).sum())) <= 1


def test_seed_fixes_the_arrays_and_the_signal_vector():
  a = load_dataset('dsd:k=3,d=4,n_train=30,n_test=10,seed=1')
  b = load_dataset('dsd:k=3,d=4,n_train=60,n_test=10,seed=1')
  other = load_dataset('dsd:k=3,d=4,n_train=30,n_test=10,seed=2')
  np.testing.assert_array_equal(a.x_test, b.x_test)
  assert not np.allclose(a.x_train, other.x_train)
  w = synthetic_dsd.signal_vector(1, 4)
  np.testing.assert_allclose(np.linalg.norm(w), 1.0)
  assert not np.allclose(w, synthetic_dsd.signal_vector(2, 4))


def test_signal_sits_in_one_patch_with_the_label_sign_and_noise_elsewhere():
  k, d, sigma, n = 4, 5, 0.5, 20000
  w = synthetic_dsd.signal_vector(0, d)
  s = synthetic_dsd.sample(np.random.default_rng(0), w, k, sigma, n)
  patches = s.x.reshape(n, k, d).astype(np.float64)
  signs = 2 * s.y - 1
  carried = patches[np.arange(n), s.patch]  # [n, d]
  # The signal patch is y w* + sigma xi: its mean times y is w*, its residual noise is isotropic.
  np.testing.assert_allclose((signs[:, None] * carried).mean(0), w, atol=0.02)
  residual = carried - signs[:, None] * w
  np.testing.assert_allclose(np.cov(residual.T), sigma ** 2 * np.eye(d), atol=0.01)
  # Every other patch is N(0, sigma^2 I) and independent of the label.
  others = patches[np.arange(k)[None, :] != s.patch[:, None]]  # [n * (k - 1), d]
  np.testing.assert_allclose(others.mean(0), 0, atol=0.01)
  np.testing.assert_allclose(np.cov(others.T), sigma ** 2 * np.eye(d), atol=0.01)
  np.testing.assert_allclose(np.bincount(s.patch, minlength=k) / n, 1 / k, atol=0.02)


def test_bayes_rule_is_near_perfect_at_low_noise_and_chance_without_signal():
  data = load_dataset('dsd:k=4,d=6,sigma=0.1,n_train=2,n_test=2000')
  w = synthetic_dsd.signal_vector(0, 6)
  assert (bayes_decision(data.x_test, w, 0.1) == data.y_test).mean() > 0.99
  accuracy = (bayes_decision(data.x_test, -w, 0.1) == data.y_test).mean()
  assert accuracy < 0.01  # the decision reads the sign along w*: flipping w* flips every answer


def test_bayes_accuracy_falls_with_more_patches():
  w = synthetic_dsd.signal_vector(0, 4)

  def bayes_accuracy(k):  # a Monte Carlo estimate of the best accuracy any classifier reaches
    s = synthetic_dsd.sample(np.random.default_rng((0, 3)), w, k, 0.5, 20000)
    return (bayes_decision(s.x, w, 0.5) == s.y).mean()

  assert 0.5 < bayes_accuracy(16) < bayes_accuracy(2) - 0.1


@pytest.mark.parametrize('spec, message', [
    ('dsd:d=4', 'parameter k is required'), ('dsd:k=2,d=4,sigma=0', 'sigma=0.0 must be positive'),
    ('dsd:k=0,d=4', 'k=0 must be at least 1'), ('dsd:k=2,d=4,sigma=a', "sigma='a' is not a float")])
def test_bad_specs_name_the_parameter(spec, message):
  with pytest.raises(ValueError, match=message):
    load_dataset(spec)
