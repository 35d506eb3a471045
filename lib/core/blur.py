"""Anti-aliased subsampling (Zhang 2019, "Making convolutional networks shift-invariant again").

A strided layer keeps one position in `stride` and so aliases: shifting its input by one pixel can
change its output by more than a shift. Blurring with a low-pass filter before the subsampling removes
the frequencies that alias. `BlurPool` is that blur-then-subsample step, a fixed (parameter-free)
depthwise filter; Zhang's anti-aliased strided convolution is `Conv(stride 1), Relu, BlurPool`.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from lib.core import layers, patterns


def binomial_filter(taps: int) -> np.ndarray:
  """`[taps]` float32 binomial weights summing to 1: [1, 2, 1] / 4 for 3 taps, [1, 4, 6, 4, 1] / 16
  for 5 (the low-pass filters of Zhang 2019, "Tri-3" and "Bin-5")."""
  if taps < 1:
    raise ValueError(f'taps={taps!r}: must be at least 1')
  weights = scipy.special.comb(taps - 1, np.arange(taps))
  return (weights / weights.sum()).astype(np.float32)


def blur_pool(x: jax.Array, taps: int = 3, strides=2) -> jax.Array:
  """Blurs every channel with a separable binomial filter, then keeps every `strides`-th position.

  Zero padding as a 'SAME' convolution's (`lib.core.patterns.make_window`): on a zero background (a
  digit on its canvas) the padding is more of the background.

  Args:
    x: `[batch, *grid, C]`.
    taps: the filter's taps per grid dimension.
    strides: the subsampling step (int, or one per grid dimension).

  Returns:
    `[batch, *out_grid, C]`, out_grid that of a 'SAME' window of `taps` at `strides`.
  """
  grid = x.shape[1:-1]
  window, out_grid = patterns.make_window(grid, taps, strides, 'SAME')
  padded = jnp.pad(x, [(0, 0), *window.pads, (0, 0)])
  weights = binomial_filter(taps)
  out = jnp.zeros((x.shape[0], *out_grid, x.shape[-1]), x.dtype)
  for offsets in itertools.product(range(taps), repeat=len(grid)):
    picks = tuple(slice(o, o + s * (n - 1) + 1, s)
                  for o, s, n in zip(offsets, window.strides, out_grid))
    out = out + math.prod(float(weights[o]) for o in offsets) * padded[(slice(None), *picks)]
  return out


def BlurPool(taps: int = 3, strides=2) -> layers.Layer:  # pylint: disable=invalid-name
  """`blur_pool` as a layer without parameters: `[batch, *grid, C] -> [batch, *out_grid, C]`."""

  def out_shape(in_shape):
    if len(in_shape) < 2:
      raise ValueError(f'BlurPool: in_shape={in_shape!r}, expected (*grid, channels)')
    _, out_grid = patterns.make_window(in_shape[:-1], taps, strides, 'SAME')
    return (*out_grid, in_shape[-1])

  return layers.stateless('BlurPool', lambda x: blur_pool(x, taps, strides), out_shape)
