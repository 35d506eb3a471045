"""Has a fully connected layer learned locality and weight sharing? Scores of its weight rows.

A first-layer FC unit u has weights `w_u[p, c]` over input positions p (on the grid) and channels c.

- locality: the share of its weight energy `sum_c w_u[p, c]^2` inside its best window of `window`
  consecutive positions (per grid dimension). 1 for a unit of a convolution with that kernel; about
  `window / N` (a little more, since the best window is chosen) for isotropic random weights.
- tying: the unit's weight map, rolled so that its best window starts at the origin, compared with the
  other units' aligned maps whose best window sits elsewhere: the largest |cosine similarity|. 1 when
  the unit has a translated copy (a convolution's dense equivalent); for random rows it is what the
  best of `units` random vectors gives, so compare it with the same layer at initialisation.

Both are jnp functions of the weights, so they can run inside a compiled, vmapped program.
"""

from typing import Sequence

import jax
import jax.numpy as jnp
from jax import lax


def unit_rows(kernel: jax.Array, in_grid: Sequence[int]) -> jax.Array:
  """A first dense layer's kernel as one weight map per unit.

  Args:
    kernel: `[N_in * C_in, units]` (the kernel of `Dense(units)` after `Flatten`) or any shape whose
      leading axes flatten to `N_in * C_in` and whose last axis is the units.
    in_grid: the input grid.

  Returns:
    `[units, *in_grid, C_in]`.
  """
  units = kernel.shape[-1]
  rows = kernel.reshape(-1, units).T
  return rows.reshape(units, *in_grid, -1)


def _window_sums(energy: jax.Array, window: Sequence[int]) -> jax.Array:
  """`[units, *positions]`: sums of `energy [units, *grid]` over every window inside the grid."""
  return lax.reduce_window(energy, 0.0, lax.add, (1, *window), (1,) * energy.ndim, 'VALID')


def _check_window(window: Sequence[int], grid: Sequence[int]) -> tuple[int, ...]:
  window = tuple(int(w) for w in window)
  if len(window) != len(grid) or any(not 1 <= w <= n for w, n in zip(window, grid)):
    raise ValueError(f'window={window!r}: expected one size per grid dimension, each in [1, size], '
                     f'for the grid {tuple(grid)}')
  return window


def locality_score(rows: jax.Array, window: Sequence[int]) -> jax.Array:
  """Per unit, the share of weight energy inside its best window.

  Args:
    rows: `[units, *grid, C_in]` weight maps (`unit_rows`).
    window: window size per grid dimension.

  Returns:
    `[units]` in [0, 1] (0 for a unit whose weights are all zero).
  """
  window = _check_window(window, rows.shape[1:-1])
  energy = jnp.sum(rows ** 2, -1)  # [units, *grid]
  best = _window_sums(energy, window).reshape(rows.shape[0], -1).max(-1)
  total = energy.reshape(rows.shape[0], -1).sum(-1)
  return jnp.where(total > 0, best / jnp.where(total > 0, total, 1), 0.0)


def best_windows(rows: jax.Array, window: Sequence[int]) -> tuple[jax.Array, jax.Array]:
  """Each unit's best window and the weights inside it.

  Args:
    rows: `[units, *grid, C_in]`.
    window: window size per grid dimension.

  Returns:
    `(start [units, ndim] int32, patch [units, *window, C_in])`.
  """
  window = _check_window(window, rows.shape[1:-1])
  sums = _window_sums(jnp.sum(rows ** 2, -1), window)  # [units, *starts]
  starts_shape = sums.shape[1:]
  flat = jnp.argmax(sums.reshape(rows.shape[0], -1), -1)
  start = jnp.stack(jnp.unravel_index(flat, starts_shape), -1).astype(jnp.int32)

  def cut(row, at):
    return lax.dynamic_slice(row, (*at, 0), (*window, row.shape[-1]))

  return start, jax.vmap(cut)(rows, start)


def aligned_rows(rows: jax.Array, window: Sequence[int]) -> tuple[jax.Array, jax.Array]:
  """Each unit's weight map rolled (circularly) so that its best window starts at the origin.

  Args:
    rows: `[units, *grid, C_in]`.
    window: window size per grid dimension.

  Returns:
    `(start [units, ndim] int32, aligned [units, *grid, C_in])`.
  """
  start, _ = best_windows(rows, window)
  axes = tuple(range(rows.ndim - 2))
  roll = lambda row, at: jnp.roll(row, tuple(-at[i] for i in axes), axis=axes)
  return start, jax.vmap(roll)(rows, start)


def tying_score(rows: jax.Array, window: Sequence[int]) -> jax.Array:
  """Per unit, the largest |cosine| between its aligned weights and another unit's that sits elsewhere.

  Rows are aligned on their best windows (`aligned_rows`) and compared whole, so a unit that is a
  translated copy of another (a convolution's dense equivalent, away from the border) scores 1, and
  isotropic random rows score about what random vectors of `prod(grid) * C_in` numbers do.

  Args:
    rows: `[units, *grid, C_in]`.
    window: window size per grid dimension.

  Returns:
    `[units]` in [0, 1]; 0 for a unit with no unit elsewhere.
  """
  start, aligned = aligned_rows(rows, window)
  vectors = aligned.reshape(aligned.shape[0], -1)
  norms = jnp.linalg.norm(vectors, axis=-1, keepdims=True)
  vectors = vectors / jnp.where(norms > 0, norms, 1)
  cosine = jnp.abs(vectors @ vectors.T)  # [units, units]
  elsewhere = jnp.any(start[:, None, :] != start[None, :, :], -1)
  return jnp.max(jnp.where(elsewhere, cosine, 0.0), -1)
