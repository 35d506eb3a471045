"""Anti-aliased subsampling: the binomial filter, blur_pool against XLA's depthwise convolution, and
what subsampling does to a pooled CNN's invariance."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.core import blur, models


def test_binomial_filter_by_hand():
  np.testing.assert_allclose(blur.binomial_filter(3), [0.25, 0.5, 0.25])
  np.testing.assert_allclose(blur.binomial_filter(5), np.array([1, 4, 6, 4, 1]) / 16)
  with pytest.raises(ValueError, match='taps=0'):
    blur.binomial_filter(0)


def _depthwise_oracle(x, taps, strides):
  """blur_pool by jax.lax.conv_general_dilated: one binomial filter per channel, 'SAME' padding."""
  ndim = x.ndim - 2
  weights = blur.binomial_filter(taps)
  kernel = weights
  for _ in range(ndim - 1):
    kernel = np.multiply.outer(kernel, weights)
  channels = x.shape[-1]
  kernel = np.broadcast_to(kernel[..., None, None], (*kernel.shape, 1, channels))
  spatial = 'HW'[:ndim] if ndim <= 2 else None
  numbers = (f'N{spatial}C', f'{spatial}IO', f'N{spatial}C')
  return jax.lax.conv_general_dilated(x, jnp.asarray(kernel), (strides,) * ndim, 'SAME',
                                      dimension_numbers=numbers, feature_group_count=channels,
                                      precision=jax.lax.Precision.HIGHEST)


@pytest.mark.parametrize('shape, taps, strides', [
    ((2, 20, 20, 3), 3, 2), ((2, 9, 7, 2), 3, 2), ((1, 10, 11, 1), 5, 2), ((3, 13, 4), 3, 2),
    ((2, 8, 8, 2), 4, 3), ((2, 6, 6, 1), 3, 1)])
def test_blur_pool_matches_depthwise_convolution(shape, taps, strides):
  x = jax.random.normal(jax.random.key(0), shape)
  got = blur.blur_pool(x, taps, strides)
  chex.assert_trees_all_close(got, _depthwise_oracle(x, taps, strides), atol=1e-6)
  out_shape, params = blur.BlurPool(taps, strides).init(jax.random.key(1), shape[1:])
  assert params == {} and got.shape == (shape[0], *out_shape)


def _shifted_logits(name, shifts):
  """Logits of a pooled model for one 3x3 blob shifted around the centre of a 64x64 canvas (far from
  its edges: cnn_gap sees 23x23 pixels), less those of the blank canvas, scaled by their largest
  entry at the first shift."""
  model = models.by_name(name)
  _, params = model.init(jax.random.key(0), (64, 64, 1))
  blob = 10 * jax.random.uniform(jax.random.key(1), (3, 3))
  images = jnp.stack([jnp.zeros((64, 64)).at[32 + dy:35 + dy, 32 + dx:35 + dx].set(blob)
                      for dy, dx in shifts] + [jnp.zeros((64, 64))])
  logits = np.asarray(jax.jit(model.apply)(params, images[..., None]))
  signal = logits[:-1] - logits[-1]
  return signal / np.abs(signal[0]).max()


def test_stride_one_gap_is_shift_invariant_and_the_strided_one_is_not():
  shifts = [(0, 0), (1, 0), (0, 2), (-2, 1), (3, -3)]
  invariant = _shifted_logits('cnn_gap_s1', shifts)
  np.testing.assert_allclose(invariant, np.broadcast_to(invariant[0], invariant.shape), atol=1e-3)
  strided = _shifted_logits('cnn_gap', shifts)
  assert np.abs(strided - strided[0]).max() > 0.05
  # Shifting by the total stride (4) moves the strided net's feature grid by one cell: invariant too.
  by_stride = _shifted_logits('cnn_gap', [(0, 0), (4, 0), (0, -4)])
  np.testing.assert_allclose(by_stride, np.broadcast_to(by_stride[0], by_stride.shape), atol=1e-3)
