"""NNGP kernels: Monte Carlo against the closed forms, CNN = LCN without pooling, kernel regression."""

import chex
import jax
import numpy as np
import pytest

from lib.analysis import kernels
from lib.core import models


def _inputs(shape, seed=0):
  return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_relu_expectation_at_known_correlations():
  one = np.float32(1.0)
  np.testing.assert_allclose(kernels.relu_expectation(one, one, one), 0.5, rtol=1e-6)
  np.testing.assert_allclose(kernels.relu_expectation(0 * one, one, 4 * one), 2 / (2 * np.pi),
                             rtol=1e-6)  # independent: the product of the means sqrt(v / 2 pi)
  np.testing.assert_allclose(kernels.relu_expectation(-one, one, one), 0.0, atol=1e-6)
  assert kernels.relu_expectation(0 * one, 0 * one, one) == 0  # a zero variance, no NaN


def test_monte_carlo_one_layer_fc_matches_arc_cosine_within_sampling_error():
  x = _inputs((5, 7, 1))
  samples = np.asarray(kernels.monte_carlo_samples(
      x, x, jax.random.PRNGKey(1), ('fc',), num_samples=256, depth=1, width=128, bias_var=0.1,
      batch_size=64)['fc'])
  exact = np.asarray(kernels.exact_kernels(x, x, ('fc',), depth=1, bias_var=0.1)['fc'])
  for num_samples in (16, 256):  # the tolerance, 5 standard errors, shrinks as 1/sqrt(num_samples)
    estimate = samples[:num_samples].mean(0)
    standard_error = samples[:num_samples].std(0, ddof=1) / np.sqrt(num_samples)
    assert np.all(np.abs(estimate - exact) <= 5 * standard_error + 1e-6)
  # ... and at 256 samples it is tight enough to reject a kernel 10% off.
  assert np.any(np.abs(estimate - 1.1 * exact) > 5 * standard_error)


def test_exact_cnn_flatten_equals_lcn_flatten_and_pooling_separates_them():
  x = _inputs((4, 4, 4, 2))  # a 4x4 grid, 2 channels
  exact = {arch: np.asarray(k) for arch, k in kernels.exact_kernels(
      x, x, ('cnn_flatten', 'lcn_flatten', 'cnn_gap', 'lcn_gap'), depth=2, bias_var=0.1).items()}
  np.testing.assert_allclose(exact['cnn_flatten'], exact['lcn_flatten'], rtol=1e-5)
  assert kernels.relative_difference(exact['cnn_gap'], exact['lcn_gap']) > 0.1
  assert kernels.relative_difference(exact['cnn_gap'], exact['cnn_flatten']) > 0.1
  chex.assert_trees_all_close(exact['cnn_gap'], exact['cnn_gap'].T, rtol=1e-5)
  assert np.all(np.linalg.eigvalsh(exact['cnn_gap']) > -1e-5)


def test_exact_kernel_blocks_do_not_change_the_result():
  x1, x2 = _inputs((5, 6, 1)), _inputs((3, 6, 1), seed=1)
  a = kernels.exact_kernels(x1, x2, ('cnn_gap',), depth=1, batch_size=1)['cnn_gap']
  b = kernels.exact_kernels(x1, x2, ('cnn_gap',), depth=1, batch_size=4)['cnn_gap']
  chex.assert_shape(a, (5, 3))
  np.testing.assert_allclose(a, b, rtol=1e-6)


def test_monte_carlo_spatial_kernels_converge_to_the_exact_ones():
  x = _inputs((4, 8, 1))
  archs = ('lcn_gap', 'cnn_gap', 'cnn_flatten')
  exact = kernels.exact_kernels(x, x, archs, depth=2)
  narrow, wide = (kernels.monte_carlo_kernels(x, x, jax.random.PRNGKey(0), archs, num_samples=64,
                                              depth=2, width=width, batch_size=64)
                  for width in (8, 128))
  for arch in archs:
    assert kernels.relative_difference(wide[arch], exact[arch]) < 0.05, arch
    assert (kernels.relative_difference(wide[arch], exact[arch])
            < kernels.relative_difference(narrow[arch], exact[arch])), arch


def test_gaussian_params_have_the_nngp_variances():
  network = models.hidden_stack('lcn', depth=1, width=64, kernel_size=3)
  params = kernels.gaussian_params(network, jax.random.PRNGKey(0), (20, 4), 2.0, 0.5)
  kernel, bias = params[0]['kernel'], params[0]['bias']
  chex.assert_shape(kernel, (20, 3, 4, 64))
  np.testing.assert_allclose(kernel.var(), 2.0 / (3 * 4), rtol=0.05)
  np.testing.assert_allclose(bias.var(), 0.5, rtol=0.1)


def test_regression_separates_two_gaussian_clouds_and_fails_on_shuffled_labels():
  rng = np.random.default_rng(0)
  y = np.arange(200) % 2
  x = rng.standard_normal((200, 5)) + 1.5 * (2 * y[:, None] - 1)
  k = x @ x.T + 1.0
  accuracy = kernels.regression_accuracy(k[:100, :100], k[100:, :100], y[:100], y[100:], 2)
  assert accuracy > 0.9
  shuffled = kernels.regression_accuracy(k[:100, :100], k[100:, :100], rng.permutation(y[:100]),
                                         y[100:], 2)
  assert shuffled < 0.75


@pytest.mark.parametrize('kwargs, message', [
    ({'arch': 'mlp'}, "arch='mlp'"), ({'arch': 'cnn_gap', 'kernel_size': 2}, 'kernel_size=2'),
    ({'arch': 'fc', 'depth': 0}, 'depth=0')])
def test_bad_architectures_name_the_argument(kwargs, message):
  x = _inputs((2, 4, 1))
  kwargs = {'depth': 1, **kwargs}
  with pytest.raises(ValueError, match=message):
    kernels.exact_kernels(x, x, (kwargs.pop('arch'),), **kwargs)
