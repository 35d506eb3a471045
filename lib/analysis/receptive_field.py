"""Receptive fields: theoretical (composed masks) and effective (Luo et al. 2016).

The theoretical receptive field of unit q of layer L is the set of input positions that some path of
kept connections joins to it: row q of the boolean product `M_L @ ... @ M_1` of the layers' masks. On
an unbounded grid its extent along a dimension is the closed form

    1 + sum_l (k_l - 1) * d_l * prod_{j<l} s_j        (kernel k, dilation d, stride s)

and near the border padding cuts it short. The effective receptive field is how much each input
position actually moves one central output unit: the mean over inputs (and initialisations) of
`|d y[centre] / d x|`. Luo et al. report that it is roughly Gaussian and grows like sqrt(depth), while
the theoretical one grows like depth.
"""

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from lib.core.layers import Layer
from lib.core.patterns import Pattern


def compose_masks(stack: Sequence[Pattern]) -> np.ndarray:
  """The theoretical receptive field of every unit of the last layer of a stack of patterns.

  Args:
    stack: patterns, first layer first; each one's input grid is the previous one's output grid.

  Returns:
    `[N_out of the last, N_in of the first]` bool: does output q depend on input p.

  Raises:
    ValueError: consecutive grids do not match.
  """
  if not stack:
    raise ValueError('stack=(): give at least one pattern')
  field = stack[0].mask.astype(np.int64)
  for i, (before, after) in enumerate(zip(stack, stack[1:])):
    if after.in_grid != before.out_grid:
      raise ValueError(f'pattern {i + 1} reads grid {after.in_grid}, but pattern {i} writes '
                       f'{before.out_grid}')
    field = np.minimum(after.mask.astype(np.int64) @ field, 1)
  return field.astype(bool)


def model_fields(model: Layer, in_shape: Sequence[int]) -> list[np.ndarray]:
  """The theoretical receptive fields after each of a model's leading grid-to-grid pattern layers.

  Composition stops at the first pattern layer that does not read the previous one's output grid
  (after a pooling layer or a flatten).

  Args:
    model: the model; `describe` lists its pattern layers.
    in_shape: `(*grid, C)`.

  Returns:
    One `[N_out_l, N_in]` bool array per composed layer.
  """
  _, infos = model.describe(tuple(in_shape))
  stack, fields = [], []
  for info in infos:
    grid = stack[-1].out_grid if stack else tuple(in_shape[:-1])
    if info.pattern.in_grid != grid:
      break
    stack.append(info.pattern)
    fields.append(compose_masks(stack))
  return fields


def field_extent(field: np.ndarray, in_grid: Sequence[int]) -> np.ndarray:
  """`[N_out, ndim]` int: the extent (last - first + 1) of each unit's field along each dimension; 0 for
  a unit that sees nothing.

  Args:
    field: `[N_out, N_in]` bool, e.g. from `compose_masks`.
    in_grid: the input grid, `prod(in_grid) == N_in`.
  """
  coords = np.stack(np.unravel_index(np.arange(field.shape[1]), tuple(in_grid)), axis=-1)  # [N_in, d]
  seen = field[:, :, None]
  last = np.where(seen, coords[None], -1).max(1)
  first = np.where(seen, coords[None], np.iinfo(np.int64).max).min(1)
  return np.where(field.any(1, keepdims=True), last - first + 1, 0)


def closed_form_extent(kernels: Sequence[int], strides: Sequence[int],
                       dilations: Sequence[int]) -> int:
  """`1 + sum_l (k_l - 1) d_l prod_{j<l} s_j`: the field extent of a stack on an unbounded grid."""
  extent, jump = 1, 1
  for k, s, d in zip(kernels, strides, dilations, strict=True):
    extent += (k - 1) * d * jump
    jump *= s
  return extent


def covering_depth(extents: Sequence[int], size: int) -> int | None:
  """The first depth (1-based) whose extent reaches `size`, or None."""
  for depth, extent in enumerate(extents, start=1):
    if extent >= size:
      return depth
  return None


def centre_position(grid: Sequence[int]) -> tuple[int, ...]:
  """The central position of a grid, `n // 2` per dimension."""
  return tuple(n // 2 for n in grid)


def effective_field(features: Layer, params, x: jax.Array, position=None) -> jax.Array:
  """The effective receptive field of one output position (Luo et al. 2016), averaged over inputs.

  A gradient of 1 is placed on every channel of output position `position` and 0 elsewhere, pulled back
  to the input, and its magnitude summed over input channels and averaged over the batch.

  Args:
    features: a grid-to-grid model, `apply(params, x [batch, *grid, C]) -> [batch, *out_grid, C_out]`.
    params: its parameters.
    x: `[batch, *grid, C]` inputs.
    position: the output position (a tuple, one index per grid dimension); default the centre.

  Returns:
    `[*grid]` float32, the mean of `sum_c |d y[position] / d x[:, p, c]|` over the batch.
  """
  y, pullback = jax.vjp(lambda inputs: features.apply(params, inputs), x)
  position = centre_position(y.shape[1:-1]) if position is None else tuple(position)
  cotangent = jnp.zeros_like(y).at[(slice(None), *position)].set(1.0)
  (grad,) = pullback(cotangent)
  return jnp.abs(grad).sum(-1).mean(0)


def field_width(field: jax.Array) -> jax.Array:
  """The standard deviation of a 1-D field read as a distribution over positions.

  Args:
    field: `[..., N]` non-negative weights over positions (e.g. `effective_field` on a 1-D grid).

  Returns:
    `[...]`: `sqrt(sum_p w_p (p - mean)^2)` with `w = field / sum(field)`.
  """
  positions = jnp.arange(field.shape[-1], dtype=jnp.float32)
  weights = field / jnp.sum(field, -1, keepdims=True)
  mean = jnp.sum(weights * positions, -1, keepdims=True)
  return jnp.sqrt(jnp.sum(weights * (positions - mean) ** 2, -1))


def uniform_width(extent) -> np.ndarray:
  """The standard deviation of a uniform field over `extent` consecutive positions: sqrt((e^2-1)/12)."""
  extent = np.asarray(extent, np.float64)
  return np.sqrt((extent ** 2 - 1) / 12)


def fit_exponent(depths: Sequence[float], widths: Sequence[float]) -> float:
  """The slope a of `log width = a log depth + b` (least squares)."""
  slope, _ = np.polyfit(np.log(np.asarray(depths, float)), np.log(np.asarray(widths, float)), 1)
  return float(slope)


def unit_gradient_maps(features: Layer, params, x: jax.Array) -> jax.Array:
  """How much each input position moves each output unit: `mean over the batch of |d unit / d x|`.

  The effective receptive field of every unit at once, for feature maps without a grid (an FC net's
  hidden layer) or small ones.

  Args:
    features: `apply(params, x [batch, *grid, C]) -> [batch, *out_shape]`.
    params: its parameters.
    x: `[batch, *grid, C]` inputs.

  Returns:
    `[units, *grid]`, units = prod(out_shape), summed over input channels.
  """
  def one(example):
    return features.apply(params, example[None])[0]

  jacobian = jax.vmap(jax.jacrev(one))(x)  # [batch, *out_shape, *grid, C]
  out_rank = jacobian.ndim - x.ndim
  maps = jnp.abs(jacobian).sum(-1).mean(0)  # [*out_shape, *grid]
  return maps.reshape(-1, *maps.shape[out_rank:])
